from __future__ import annotations

import json
from pathlib import Path

import pytest

from detectors.disinfo.claim_files import read_claims_file
from detectors.disinfo.claim_match import SAMPLES_DIR
from detectors.disinfo.claimreview import parse_claimreview, parse_claimreview_html
from detectors.disinfo.claims import ClaimsDB
from detectors.disinfo.factcheck import normalise_verdict
from pantau.errors import BadFeed

REVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://fc.example/1",
    "claimReviewed": "Voting by SMS is allowed",
    "author": {"@type": "Organization", "name": "FC"},
    "reviewRating": {"@type": "Rating", "alternateName": "False"},
    "inLanguage": "en",
    "datePublished": "2026-11-01",
}


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ("False", "false"),
        ("Pants on Fire!", "false"),
        ("Salah", "false"),
        ("PALSU", "false"),
        ("Hoaks", "false"),
        ("[HOAKS]", "false"),
        ("Tidak benar", "false"),
        ("Misleading", "misleading"),
        ("Mengelirukan", "misleading"),
        ("Menyesatkan", "misleading"),
        ("Partly false", "misleading"),
        ("Half True", "misleading"),
        ("Missing context", "misleading"),
        ("True", "true"),
        ("Benar", "true"),
        ("Mixture", "mixed"),
        ("", "unrated"),
        ("Explainer", "unrated"),
    ],
)
def test_textual_ratings_fold_onto_verdicts(rating: str, expected: str) -> None:
    assert normalise_verdict(rating) == expected


@pytest.mark.parametrize(("value", "expected"), [(1, "false"), (2, "misleading"), (3, "mixed"), (5, "true")])
def test_numeric_ratings_use_the_scale(value: int, expected: str) -> None:
    assert normalise_verdict("", value, best=5, worst=1) == expected


@pytest.mark.parametrize(
    "document",
    [
        REVIEW,
        [REVIEW],
        {"@context": "https://schema.org", "@graph": [REVIEW, {"@type": "WebPage"}]},
        {"@type": "DataFeed", "dataFeedElement": [{"@type": "DataFeedItem", "item": [REVIEW]}]},
    ],
    ids=["object", "list", "graph", "datafeed"],
)
def test_claimreview_shapes_are_all_read(document: object) -> None:
    claims, skipped = parse_claimreview(document)
    assert skipped == []
    assert [(c.claim, c.verdict, c.publisher, c.url, c.language) for c in claims] == [
        ("Voting by SMS is allowed", "false", "FC", "https://fc.example/1", "en")
    ]


def test_fact_check_tools_api_response_is_read() -> None:
    document = {
        "claims": [
            {
                "text": "Polls moved",
                "claimant": "X",
                "claimReview": [
                    {
                        "publisher": {"name": "MyCheck"},
                        "url": "https://m.example",
                        "textualRating": "Palsu",
                        "languageCode": "ms",
                    }
                ],
            }
        ]
    }
    claims, skipped = parse_claimreview(document)
    assert skipped == [] and claims[0].verdict == "false" and claims[0].publisher == "MyCheck"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"@type": "ClaimReview", "reviewRating": {"alternateName": "False"}}, "no claim text"),
        ({"@type": "WebPage"}, "no ClaimReview object found"),
        ({"claims": ["not an object"]}, "is not an object"),
        ({"@type": "ClaimReview", "claimReviewed": "   "}, "no claim text"),
        ({"@type": "ClaimReview", "claimReviewed": "x" * 10, "reviewRating": "weird"}, None),
    ],
)
def test_malformed_claimreview_is_skipped_with_a_reason(document: object, reason: str | None) -> None:
    claims, skipped = parse_claimreview(document)
    if reason is None:
        assert len(claims) == 1 and claims[0].verdict == "unrated"
    else:
        assert claims == [] and any(reason in s for s in skipped)


def test_html_page_with_broken_and_good_json_ld_keeps_the_good_block() -> None:
    page = (
        '<html><script type="application/ld+json">{broken</script>'
        f'<script type="application/ld+json">{json.dumps(REVIEW)}</script></html>'
    )
    claims, skipped = parse_claimreview_html(page)
    assert len(claims) == 1
    assert any("not valid JSON" in s for s in skipped)


def test_html_page_without_json_ld_says_so() -> None:
    assert parse_claimreview_html("<html>nothing</html>") == ([], ["page: no application/ld+json block"])


def test_unparseable_json_file_raises_bad_feed(tmp_path: Path) -> None:
    path = tmp_path / "feed.json"
    path.write_text("{not json")
    with pytest.raises(BadFeed, match="not valid JSON"):
        read_claims_file(path)


def test_csv_without_claim_column_raises_bad_feed(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(BadFeed, match="no claim column"):
        read_claims_file(path)


def test_csv_with_claim_column_is_read(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("id,claim,rating,url\nc1,Polls moved to Monday,False,https://x\nc2,,False,\n")
    claims, skipped = read_claims_file(path)
    assert [c.id for c in claims] == ["c1"] and claims[0].verdict == "false"
    assert skipped and "no claim text" in skipped[0]


def test_checkthat_vclaims_lines_keep_id_title_and_subtitle(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text(
        json.dumps(
            {
                "vclaim_id": "v1",
                "vclaim": "A claim",
                "title": "T",
                "subtitle": "S",
                "author": "A",
                "date": "1",
            }
        )
        + "\n\n[1, 2]\n{oops\n"
    )
    claims, skipped = read_claims_file(path)
    assert [(c.id, c.title, c.summary, c.publisher) for c in claims] == [("v1", "T", "S", "A")]
    assert len(skipped) == 2


def test_turnbackhoax_dump_with_mixed_encodings_is_read(tmp_path: Path) -> None:
    path = tmp_path / "tbh.csv"
    rows = [
        "Label;Headline;Body;;;;".encode(),
        "0;[HOAKS] Pemilu ditunda;SUMBER: WA NARASI: Pemilu ditunda sampai tahun depan karena banjir. PENJELASAN: salah;;;;".encode(),
        "1;\x93Klarifikasi KPU\x94;KPU membantah;;;;".encode("latin-1"),
        b"2;bad label;x;;;;",
    ]
    path.write_bytes(b"\n".join(rows))
    claims, skipped = read_claims_file(path)
    assert [c.verdict for c in claims] == ["false", "unrated"]
    assert claims[0].rating == "HOAKS" and "banjir" in claims[0].claim
    assert "Klarifikasi KPU" in claims[1].claim
    assert any("not 0 or 1" in s for s in skipped)


def test_database_import_save_and_reopen_round_trip(tmp_path: Path) -> None:
    db = ClaimsDB.open(tmp_path / "claims")
    report = db.import_path(SAMPLES_DIR / "claimreview_en.json")
    assert report.added == 4 and report.skipped == []
    again = ClaimsDB.open(tmp_path / "claims")
    assert len(again) == 4
    assert again.stats()["verdict"]["false"] == 2
    assert db.import_path(SAMPLES_DIR / "claimreview_en.json").added == 0


def test_shipped_samples_cover_three_languages() -> None:
    languages = set()
    for path in SAMPLES_DIR.glob("*.json"):
        claims, skipped = read_claims_file(path)
        assert skipped == []
        languages |= {c.language for c in claims}
    assert languages == {"en", "ms", "id"}
