"""Hostile input to the importers and readers not covered by test_fuzz_parsers.py: ClaimReview
JSON-LD and claim files, registry CSV and FollowTheMoney imports, media metadata (XMP, PNG chunks,
MIME sniffing), platform connector payloads and the tipline endpoint.

Each test draws a few hundred generated inputs (``deadline=None``, bounded sizes): the code under
test must either accept the input or refuse it with a named Pantau error and a readable reason,
never crash with anything else or hang.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes.importers import CSV_COLUMNS, registry_from_csv, registry_from_ftm
from detectors.disinfo.claim_files import read_claims_file
from detectors.disinfo.claimreview import parse_claimreview, parse_claimreview_html
from detectors.disinfo.factcheck import FactCheck
from detectors.synthetic.provenance import ProvenanceOptions, read_provenance, xmp_packets
from ingest.fetch import modality_of_mime, sniff_mime
from pantau.errors import PantauError

HOSTILE = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | text
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=14,
)


def _assert_reasons(found: list[FactCheck], skipped: list[str]) -> None:
    assert all(isinstance(f, FactCheck) for f in found)
    assert all(isinstance(s, str) and s for s in skipped), "each skipped record needs its reason"


# -- ClaimReview and claim files ---------------------------------------------------------------
review_keys = st.sampled_from(
    [
        "@context",
        "@type",
        "@graph",
        "claimReviewed",
        "reviewRating",
        "itemReviewed",
        "author",
        "url",
        "datePublished",
        "inLanguage",
        "ratingValue",
        "bestRating",
        "alternateName",
        "name",
        "text",
        "claimant",
        "claimDate",
        "claimReview",
        "publisher",
        "languageCode",
        "textualRating",
        "title",
    ]
)
review_values = st.one_of(
    json_values, st.sampled_from(["ClaimReview", "Claim", "Rating", "https://schema.org", "False", "Salah"])
)
reviews = st.recursive(
    st.dictionaries(review_keys, review_values, max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(review_keys, inner, max_size=4),
    max_leaves=10,
)


@HOSTILE
@given(
    document=st.one_of(reviews, st.fixed_dictionaries({"claims": st.lists(reviews, max_size=4)}), json_values)
)
def test_claimreview_documents_never_crash_and_skips_carry_reasons(document: Any) -> None:
    found, skipped = parse_claimreview(document, "fuzz")
    _assert_reasons(found, skipped)


@HOSTILE
@given(
    document=st.one_of(reviews.map(json.dumps), text),
    wrapper=st.sampled_from(
        [
            '<script type="application/ld+json">{}</script>',
            "<script type='application/ld+json'>{}",
            "<html><script type=application/ld+json>{}</script><script>{}</script>",
            "{}</script>",
        ]
    ),
)
def test_claimreview_html_pages_never_crash(document: str, wrapper: str) -> None:
    found, skipped = parse_claimreview_html(wrapper.replace("{}", document), "fuzz.html")
    _assert_reasons(found, skipped)


claim_record = st.dictionaries(
    st.sampled_from(
        ["claim", "text", "verdict", "rating", "url", "language", "date", "publisher", "id", "x"]
    ),
    json_values,
    max_size=6,
)


@HOSTILE
@given(
    kind=st.sampled_from([".jsonl", ".csv", ".tsv", ".json", ".html", ".txt"]),
    rows=st.lists(
        st.one_of(claim_record.map(json.dumps), text, st.binary(max_size=30).map(repr)), max_size=6
    ),
    raw=st.binary(max_size=60),
)
def test_claim_files_of_any_kind_import_or_fail_with_bad_feed(
    tmp_path_factory: pytest.TempPathFactory, kind: str, rows: list[str], raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("claims") / f"claims{kind}"
    if kind in (".csv", ".tsv"):
        sep = "\t" if kind == ".tsv" else ","
        body = f"claim{sep}verdict{sep}url\n" + "\n".join(r.replace("\n", " ") for r in rows)
        path.write_bytes(body.encode("utf-8", "surrogatepass") + raw)
    else:
        path.write_bytes("\n".join(rows).encode("utf-8", "surrogatepass") + raw)
    try:
        found, skipped = read_claims_file(path)
    except PantauError as exc:
        assert str(exc)
        return
    _assert_reasons(found, skipped)


# -- registry imports -----------------------------------------------------------------------------
def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


csv_cells = st.one_of(
    text, st.sampled_from(["yes", "no", "f", "m", "x", "pbn", "../../etc/passwd", "=cmd|' /C calc'!A0", ""])
)


@HOSTILE
@given(
    files=st.dictionaries(
        st.sampled_from(sorted(CSV_COLUMNS)),
        st.tuples(
            st.lists(
                st.sampled_from(sum((sum(c, []) for c in CSV_COLUMNS.values()), []) + ["bogus"]), max_size=5
            ),
            st.lists(st.lists(csv_cells, max_size=5), max_size=4),
        ),
        max_size=4,
    ),
    junk=st.binary(max_size=20),
)
def test_registry_csv_import_builds_or_fails_with_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, files: dict[str, Any], junk: bytes
) -> None:
    folder = tmp_path_factory.mktemp("registry")
    for name, (header, rows) in files.items():
        lines = [",".join(header)] + [",".join(_csv_field(c) for c in row) for row in rows]
        (folder / name).write_bytes("\n".join(lines).encode("utf-8", "surrogatepass") + junk)
    try:
        registry = registry_from_csv(folder)
    except PantauError as exc:
        assert str(exc)
        return
    assert registry is not None


ftm_entity = st.fixed_dictionaries(
    {
        "id": st.one_of(text, st.integers()),
        "schema": st.sampled_from(
            ["Person", "Organization", "PublicBody", "Membership", "Occupancy", "Position", "X"]
        ),
    },
    optional={
        "properties": st.dictionaries(
            st.sampled_from(
                [
                    "name",
                    "alias",
                    "topics",
                    "gender",
                    "member",
                    "organization",
                    "holder",
                    "post",
                    "country",
                    "nationality",
                    "abbreviation",
                    "weakAlias",
                    "website",
                ]
            ),
            st.one_of(
                st.lists(st.one_of(text, st.sampled_from(["pol.party", "role.pep", "my"])), max_size=3),
                json_values,
            ),
            max_size=5,
        )
    },
)


@HOSTILE
@given(
    entities=st.lists(st.one_of(ftm_entity, json_values), max_size=6),
    layout=st.sampled_from(["jsonl", "array", "object"]),
    truncate=st.integers(min_value=0, max_value=50),
)
def test_ftm_import_builds_or_fails_with_a_config_error(
    tmp_path_factory: pytest.TempPathFactory, entities: list[Any], layout: str, truncate: int
) -> None:
    path = tmp_path_factory.mktemp("ftm") / "entities.json"
    if layout == "jsonl":
        body = "\n".join(json.dumps(e) for e in entities)
    elif layout == "array":
        body = json.dumps(entities)
    else:
        body = json.dumps({"entities": entities})
    if truncate and len(body) > truncate:
        body = body[:-truncate]
    path.write_text(body)
    try:
        registry = registry_from_ftm(path, signatories=["pbn"], country="my")
    except PantauError as exc:
        assert str(exc)
        return
    assert registry is not None


# -- media metadata -------------------------------------------------------------------------------
def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_HEAD = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
xmp_bodies = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda attr, value: (
            f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description {attr}="{value}"/>'
            "</rdf:RDF></x:xmpmeta>"
        ).encode("utf-8", "surrogatepass"),
        st.sampled_from(["Iptc4xmpExt:DigitalSourceType", "xmp:CreatorTool", "photoshop:Credit", "&amp;"]),
        text,
    ),
    st.just(b"<?xpacket begin=" + b"<!ENTITY a '" + b"x" * 50 + b"'>" * 20),
)
png_chunks = st.lists(
    st.tuples(st.sampled_from([b"iTXt", b"tEXt", b"zTXt", b"caBX", b"eXIf", b"IDAT", b"junk"]), xmp_bodies),
    max_size=4,
)


@HOSTILE
@given(chunks=png_chunks, tail=st.binary(max_size=40), bad_crc=st.booleans())
def test_png_metadata_and_xmp_reading_never_crash(
    tmp_path_factory: pytest.TempPathFactory, chunks: list[tuple[bytes, bytes]], tail: bytes, bad_crc: bool
) -> None:
    body = PNG_HEAD
    for kind, data in chunks:
        if kind == b"iTXt":
            data = b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + data
        elif kind == b"zTXt":
            data = b"parameters\x00\x00" + zlib.compress(data)
        chunk = _png_chunk(kind, data)
        body += chunk[:-4] + b"\x00\x00\x00\x00" if bad_crc else chunk
    body += tail
    path = tmp_path_factory.mktemp("png") / "fuzz.png"
    path.write_bytes(body)
    assert all(isinstance(p, bytes) for p in xmp_packets(body))
    try:
        report = read_provenance(path, ProvenanceOptions())
    except PantauError as exc:
        assert str(exc)
        return
    assert 0.0 <= report.score_label()[0] <= 1.0


@HOSTILE
@given(
    head=st.one_of(
        st.binary(max_size=300),
        st.sampled_from(
            [
                b"\x89PNG\r\n\x1a\n",
                b"\xff\xd8\xff",
                b"GIF89a",
                b"RIFF\x00\x00\x00\x00WEBP",
                b"ID3",
                b"\x00\x00\x00\x18ftypmp42",
                b"\x1aE\xdf\xa3",
                b"%PDF-",
                b"PK\x03\x04",
            ]
        ).flatmap(lambda magic: st.binary(max_size=100).map(lambda rest: magic + rest)),
    )
)
def test_mime_sniffing_of_any_bytes_returns_a_type_or_none(head: bytes) -> None:
    mime = sniff_mime(head)
    assert mime is None or (isinstance(mime, str) and "/" in mime)
    modality_of_mime(mime)  # unsupported types map to None, never raise


def test_archives_are_never_unpacked_so_zip_slip_cannot_happen() -> None:
    # Pantau reads no archive format: a zip arrives as an unsupported media type and is refused.
    # This keeps that true: an extractor added later must come with its own zip-slip test.
    root = Path(__file__).resolve().parents[3]
    offenders = [
        str(p.relative_to(root))
        for folder in ("pantau", "ingest", "detectors", "codes", "streams", "dashboard")
        for p in (root / folder).rglob("*.py")
        if any(
            word in p.read_text(errors="replace")
            for word in ("import zipfile", "import tarfile", "extractall(", "unpack_archive(")
        )
    ]
    assert offenders == []
    assert modality_of_mime(sniff_mime(b"PK\x03\x04" + bytes(40))) is None


# -- regressions found by the generated inputs above -------------------------------------------------
HUGE_FIELD = '"' + "a" * 200_000 + '"'


@pytest.mark.parametrize(
    ("name", "body", "readable"),
    [
        ("claims.csv", "claim,verdict\n\r\x00", True),  # a bare carriage return once crashed the csv reader
        ("claims.csv", f"claim,verdict\n{HUGE_FIELD},false\n", False),  # over csv's field size limit
        ("claims.tsv", "claim\tverdict\r\nA\rB\tfalse\r\n", True),
    ],
)
def test_claim_csv_edge_cases_read_or_fail_with_bad_feed(
    tmp_path: Path, name: str, body: str, readable: bool
) -> None:
    path = tmp_path / name
    path.write_text(body, newline="")
    if readable:
        found, skipped = read_claims_file(path)
        _assert_reasons(found, skipped)
    else:
        with pytest.raises(PantauError, match="not readable as CSV"):
            read_claims_file(path)


@pytest.mark.parametrize(
    ("parties", "readable"),
    [("name,id\r\nPBN\rPKR,pkr\r\n", True), (f"name,id\n{HUGE_FIELD},pbn\n", False)],
)
def test_registry_csv_edge_cases_read_or_fail_with_config_error(
    tmp_path: Path, parties: str, readable: bool
) -> None:
    (tmp_path / "parties.csv").write_text(parties, newline="")
    (tmp_path / "people.csv").write_text("name\nAminah\n")
    if readable:
        assert registry_from_csv(tmp_path).parties
    else:
        with pytest.raises(PantauError, match="not readable as CSV"):
            registry_from_csv(tmp_path)


def test_fact_check_tools_claim_review_that_is_not_a_list_is_skipped_with_a_reason() -> None:
    from detectors.disinfo.claimreview import parse_claimreview

    found, skipped = parse_claimreview({"claims": [{"@context": "ClaimReview", "claimReview": 1}]})
    assert found == [] and any("claimReview is not a list" in s for s in skipped)
    found, _ = parse_claimreview({"claims": [{"text": "Polling day moved", "claimReview": {
        "textualRating": "False", "url": "https://fc.example/1", "publisher": {"name": "FC"}}}]})
    assert len(found) == 1
