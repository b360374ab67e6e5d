"""Hostile records from a feed: each is processed or dead-lettered, never a crash (issue 19, rows 1, 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from ingest.jsonl import JsonlSource
from pantau.deadletters import dead_letter
from pantau.schemas import DeadLetter, EnrichedItem, MediaItem
from streams.stages import detect

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"
LONE = "hello \\ud800 world"  # a JSON escape spelling a lone surrogate: valid JSON, not encodable UTF-8


def _feed(path: Path, *records: str) -> Path:
    path.write_text("\n".join(records) + "\n")
    return path


def _run_once(tmp_path: Path, detectors_file: Path) -> str:
    """``pantau run --once`` over the feed ``tmp_path/f.jsonl``; asserts exit 0, returns the output on one line."""
    config = tmp_path / "pantau.toml"
    config.write_text(f'data_dir = "{tmp_path / "d"}"\ndetectors_file = "{detectors_file}"\n'
                      '[[sources]]\nkind = "jsonl"\nname = "f"\npath = "f.jsonl"\n')
    result = CliRunner().invoke(app, ["run", "--once", "--config", str(config)])
    assert result.exit_code == 0, result.output
    return result.output.replace("\n", " ")


def test_a_lone_surrogate_in_text_or_author_is_replaced_at_ingest(tmp_path: Path) -> None:
    feed = _feed(tmp_path / "f.jsonl", f'{{"id": "a", "text": "{LONE}", "account": "@x\\udc00", "k": {{"\\ud800": 1}}}}')
    [item] = list(JsonlSource("f", feed).read())
    assert isinstance(item, MediaItem)
    assert item.text == "hello \ufffd world" and item.account == "@x\ufffd"
    assert item.extra == {"k": {"\ufffd": 1}}
    json.loads(item.model_dump_json())  # every later step that writes text can


def test_building_a_dead_letter_never_raises_on_a_surrogate_payload() -> None:
    bad = chr(0xD800)
    item = MediaItem.model_construct(id="i", source="s", native_id="n", text=f"a{bad}b", account=bad, media=[],
                                     extra={}, labels=[], mentions=[])
    letter = dead_letter(KeyError(bad), "detect:x", item, item_id="i", source=f"src{bad}")
    assert "\\ud800" in letter.payload and "\\ud800" in letter.reason and letter.source == "src\\ud800"
    letter.model_dump_json()


def test_building_a_dead_letter_never_raises_on_a_hostile_exception_or_payload() -> None:
    class Hostile(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    class Unprintable:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    deep: list[object] = []
    for _ in range(5000):
        deep = [deep]
    for payload in (Unprintable(), deep, {"k": Unprintable()}):
        letter = dead_letter(Hostile(), "ingest", payload)
        assert isinstance(letter, DeadLetter) and letter.reason.startswith("Hostile")
        letter.model_dump_json()


class _Raises:
    """A detector that raises on every item (as checkworthy did on a lone surrogate)."""

    name = "boom"

    def ensure_loaded(self) -> None:
        """Nothing to load."""

    def applies_to(self, enriched: EnrichedItem) -> bool:
        """Every item."""
        return True

    def cache_key(self, enriched: EnrichedItem) -> None:
        """No caching."""

    def detect(self, batch: list[EnrichedItem]) -> list[list[object]]:
        """Raise with the item's text in the message."""
        raise UnicodeEncodeError("utf-8", batch[0].item.text, 0, 1, "surrogates not allowed")


def test_a_detector_failing_on_a_surrogate_item_dead_letters_it() -> None:
    bad = chr(0xDC00)
    items = [MediaItem.model_construct(id=f"i{n}", source="s", native_id=str(n), text=f"x{bad}", account=None,
                                       media=[], extra={}, labels=[], mentions=[]) for n in range(2)]

    class Registry:
        detectors = [_Raises()]

    ok, _, dead = detect([EnrichedItem.model_construct(item=i) for i in items], Registry())  # type: ignore[arg-type]
    assert ok == [] and len(dead) == 2
    for letter in dead:
        letter.model_dump_json()


def _detectors_with_checkworthy(tmp_path: Path) -> Path:
    text = LIGHT.read_text().replace(
        'checkworthy:CheckworthyDetector", enabled: false', 'checkworthy:CheckworthyDetector", enabled: true')
    assert "CheckworthyDetector\", enabled: true" in text
    out = tmp_path / "detectors.yaml"
    out.write_text(text)
    return out


@pytest.mark.slow
def test_run_once_with_surrogate_records_goes_on_and_exits_0(tmp_path: Path) -> None:
    _feed(tmp_path / "f.jsonl",
          '{"id": "good1", "text": "Harga beras turun 20% sejak Januari"}',
          f'{{"id": "bad1", "text": "{LONE}", "account": "@a\\ud800"}}',
          '{"id": "good2", "text": "The minister said turnout was 81 percent"}')
    output = _run_once(tmp_path, _detectors_with_checkworthy(tmp_path))
    assert "3 items processed" in output, output


# -- row 2: nesting depth bounded at ingest ------------------------------------------------------
def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_a_900_deep_field_is_dead_lettered_at_ingest_and_the_next_record_read(tmp_path: Path) -> None:
    feed = _feed(tmp_path / "f.jsonl", f'{{"id": "deep", "text": "x", "blob": {_nested(900)}}}',
                 '{"id": "ok", "text": "fine", "blob": [[[1]]]}')
    deep, ok = list(JsonlSource("f", feed).read())
    assert isinstance(deep, DeadLetter) and deep.stage == "ingest"
    assert "nested deeper than 32 levels" in deep.reason
    assert isinstance(ok, MediaItem) and ok.extra == {"blob": [[[1]]]}


def test_a_deep_item_failing_in_a_batch_is_dead_lettered_alone() -> None:
    """An enricher failing on the batch retries item by item; copying a deep item must fail only that item."""
    from streams.stages import enrich

    deep: list[object] = []
    for _ in range(900):
        deep = [deep]
    bad = MediaItem.model_construct(id="deep", source="s", native_id="d", text="x", media=[], extra={"k": deep},
                                    labels=[], mentions=[])
    good = MediaItem(id="good", source="s", native_id="g", text="y")

    class FailsOnBatches:
        name = "fails"

        def ensure_loaded(self) -> None:
            """Nothing to load."""

        def applies_to(self, enriched: EnrichedItem) -> bool:
            """Every item."""
            return True

        def enrich(self, batch: list[EnrichedItem]) -> None:
            """Fail on a batch of two (a truncated PNG beside), succeed on one."""
            if len(batch) > 1:
                raise ValueError("truncated PNG")

    class Registry:
        enrichers = [FailsOnBatches()]

    ok, dead = enrich([EnrichedItem.model_construct(item=bad), EnrichedItem(item=good)], Registry())  # type: ignore[arg-type]
    assert [e.item.id for e in ok] == ["good"]
    assert [d.item_id for d in dead] == ["deep"] and "RecursionError" in dead[0].reason


def test_score_writes_an_error_line_for_a_5000_deep_line(tmp_path: Path) -> None:
    inp = _feed(tmp_path / "in.jsonl", '{"id": "a", "text": "hello"}', f'{{"id": "b", "text": {_nested(5000)}}}',
                f'{{"id": "c", "text": "x", "k": {_nested(900)}}}', '{"id": "d", "text": "bye"}')
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["score", "text.offensive", str(inp), "-o", str(out)],
                                env={"PANTAU_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["label"] for r in rows][1:3] == ["error", "error"] and len(rows) == 4
    assert "nested too deeply" in rows[1]["error"] and "nested deeper than 32" in rows[2]["error"]


@pytest.mark.slow
def test_run_once_with_a_deep_record_beside_a_truncated_png_exits_0(tmp_path: Path) -> None:
    png = tmp_path / "cut.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x02")
    _feed(tmp_path / "f.jsonl", f'{{"id": "deep", "text": "x", "blob": {_nested(900)}}}',
          '{"id": "png", "text": "look", "media": ["cut.png"]}', '{"id": "ok", "text": "harga beras turun"}')
    output = _run_once(tmp_path, LIGHT)
    assert "2 item(s) went to the dead-letter store" in output, output
