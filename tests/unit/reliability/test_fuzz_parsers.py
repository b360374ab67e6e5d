"""Property-based fuzzing of the parsers that read outside input: no crash, no hang, a reason for each refusal.

Each parser gets thousands of generated inputs in total (hypothesis), shaped like its format
so that the search reaches past the first syntax check.
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes.engine import CodeEngine
from ingest.jsonl import JsonlSource
from ingest.rss import RssSource
from pantau.errors import BadFeed, RuleError
from pantau.schemas import DeadLetter, MediaItem

FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=10), inner, max_size=4), max_leaves=12)
record_keys = st.sampled_from(["id", "text", "media", "platform", "account", "party", "labels", "mentions",
                               "published_at", "paid", "sponsor", "url", "title", "extra", "images"])
records = st.dictionaries(record_keys, json_values, max_size=8)


@FUZZ
@given(lines=st.lists(st.one_of(records.map(json.dumps).map(str.encode), st.binary(max_size=200)), max_size=6))
def test_jsonl_never_raises_and_accounts_for_every_line(tmp_path_factory, lines: list[bytes]) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path_factory.mktemp("fuzz") / "feed.jsonl"
    body = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines)
    feed.write_bytes(body + b"\n")
    out = list(JsonlSource("fuzz", feed).read())
    rows = body.split(b"\n")
    rows[0] = rows[0].removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte-order mark opens the file, not a record
    expected = sum(1 for raw in rows if raw.strip())
    assert len(out) == expected
    for record in out:
        assert isinstance(record, MediaItem | DeadLetter)
        if isinstance(record, DeadLetter):
            assert record.reason and record.stage == "ingest"


xml_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
rss_items = st.lists(
    st.tuples(xml_text, xml_text, xml_text, st.sampled_from(["", "Sun, 22 Nov 2026 10:00:00 +0700", "garbage"])),
    max_size=4,
)


@FUZZ
@given(items=rss_items, junk=st.binary(max_size=40), truncate=st.integers(min_value=0, max_value=400))
def test_rss_never_raises_anything_but_bad_feed(tmp_path_factory, items, junk: bytes, truncate: int) -> None:  # type: ignore[no-untyped-def]
    from xml.sax.saxutils import escape

    body = "".join(
        f"<item><guid>{escape(g)}</guid><title>{escape(t)}</title><description>{escape(d)}</description>"
        f"<pubDate>{p}</pubDate></item>" for g, t, d, p in items
    )
    doc = f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{body}</channel></rss>'.encode()
    if truncate:
        doc = doc[: max(1, len(doc) - truncate)] + junk
    path = tmp_path_factory.mktemp("fuzz") / "feed.xml"
    path.write_bytes(doc)
    try:
        out = list(RssSource("fuzz", path=path).read())
    except BadFeed as exc:
        assert str(exc)
        return
    assert all(isinstance(r, MediaItem | DeadLetter) for r in out)


rule_atoms = st.sampled_from([
    'signals["gbv.text"].score >= 0.7', 'item.paid', 'calendar.in_silence', "true", "false", "1 > 0",
    'item.targets.exists(t, t.gender == "female")', 'signals["gbv.text"].label == "x"', "item.nope",
    'signals["zzz"].score > 1', "(", "&&", "||", "!", '"s" + 1', "size(item.labels) > 0", "item.text.size()",
])
rules = st.lists(rule_atoms, min_size=1, max_size=5).map(" ".join)
yaml_values = st.one_of(st.text(max_size=20), st.integers(), st.none(), st.sampled_from(["[", "{", ":", "- -"]))


@FUZZ
@given(rule=rules, family=st.sampled_from(["gbv", "disinfo", "nope", ""]), extra=yaml_values)
def test_code_loader_refuses_bad_codes_with_a_rule_error_only(tmp_path_factory, rule: str, family: str,  # type: ignore[no-untyped-def]
                                                            extra: object) -> None:
    doc = {
        "id": "fuzz", "title": "t", "version": "1",
        "clauses": [{"id": "C", "title": "t", "text": "t", "family": family, "severity": "high",
                     "applies_to": "anyone", "rule": rule, "extra": extra}],
    }
    path: Path = tmp_path_factory.mktemp("fuzz") / "code.yaml"
    path.write_text(json.dumps(doc))
    try:
        CodeEngine.from_files([path], signal_names={"gbv.text"})
    except RuleError as exc:
        assert "code.yaml" in str(exc)
