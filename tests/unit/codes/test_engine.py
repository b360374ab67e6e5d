from __future__ import annotations

from pathlib import Path

import pytest

from codes.calendar import Calendar, load_calendar
from codes.engine import CodeEngine
from codes.registry import load_registry
from pantau.errors import RuleError
from pantau.schemas import EnrichedItem, Family, MediaItem, Signal
from pantau.settings import DEFAULT_CALENDAR, DEFAULT_CODE, DEFAULT_REGISTRY

SIGNALS = {"gbv.text", "synthetic.image", "disinfo.claim_match"}

HEADER = 'id: t\ntitle: T\nversion: "1"\nclauses:\n'


def _code(tmp_path: Path, clause: str) -> Path:
    path = tmp_path / "code.yaml"
    path.write_text(HEADER + clause)
    return path


def _clause(rule: str, clause_id: str = "C1", applies_to: str = "anyone") -> str:
    return (f"  - id: {clause_id}\n    title: t\n    text: t\n    family: gbv\n    severity: high\n"
            f"    applies_to: {applies_to}\n    rule: '{rule}'\n")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("  - id: [", "invalid YAML"),
        (_clause('signals["gbv.text"].score >='), "does not parse"),
        (_clause('signals["no.such"].score > 0.5'), "unknown signal"),
        (_clause('signals["gbv.text"].score > "high"'), "fails on an empty item"),
        (_clause("true"), "always fire"),
        (_clause('!(signals["gbv.text"].score > 0.5)'), "always fire"),
        (_clause("secret_variable > 1"), "unknown variable"),
        (_clause('signals["gbv.text"].score'), "not a boolean"),
        (_clause('signals["gbv.text"].score > 0.5') + _clause('signals["gbv.text"].score > 0.6'), "defined twice"),
        ("  - id: C1\n    title: t\n", r"code.yaml:5: clause C1: missing required field .text."),
    ],
)
def test_bad_codes_fail_at_load_naming_file_and_problem(tmp_path: Path, body: str, message: str) -> None:
    path = _code(tmp_path, body)
    with pytest.raises(RuleError, match=message) as info:
        CodeEngine.from_files([path], signal_names=SIGNALS)
    assert "code.yaml" in str(info.value)


def test_rule_error_names_the_line_of_the_clause(tmp_path: Path) -> None:
    path = _code(tmp_path, _clause('signals["gbv.text"].score > 0.5', "OK1") + _clause("true", "BAD2"))
    with pytest.raises(RuleError, match=r"code.yaml:\d+: clause BAD2"):
        CodeEngine.from_files([path], signal_names=SIGNALS)


def _enriched(text: str, account: str | None = None, platform: str = "x") -> EnrichedItem:
    item = MediaItem(id="i", source="s", native_id="n", text=text, account=account, platform=platform)
    return EnrichedItem(item=item)


def _signal(name: str, score: float, family: Family = Family.GBV) -> Signal:
    return Signal(item_id="i", detector=name, version="1", family=family, score=score, label="x")


def test_model_code_examples_all_pass() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None, check_examples=True)
    rows = engine.run_examples()
    assert rows and all(ok for *_, ok, _ in [(r[0], r[1], r[2], r[3]) for r in rows])


def test_breach_cites_code_version_clause_and_signals() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    registry = load_registry(DEFAULT_REGISTRY)
    enriched = _enriched("Aminah Yusof tak layak, perempuan bodoh")
    breaches = engine.judge(enriched, [_signal("gbv.text", 0.95)], registry, Calendar())
    assert [b.clause_id for b in breaches] == ["GBV-1"]
    assert breaches[0].code_id == "pantau-model-code" and breaches[0].code_version == "1.1"
    assert "gbv.text" in breaches[0].signals
    assert breaches[0].attributed_party is None and breaches[0].notify == ["commission"]


def test_signatory_accounts_are_attributed_to_their_party() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    registry = load_registry(DEFAULT_REGISTRY)
    enriched = _enriched("AI poster", account="@pbn_official")
    signals = [Signal(item_id="i", detector="synthetic.provenance", version="1", family=Family.SYNTHETIC,
                      score=1.0, label="ai-declared")]
    breaches = engine.judge(enriched, signals, registry, Calendar())
    assert "AID-1" in [b.clause_id for b in breaches]
    aid = next(b for b in breaches if b.clause_id == "AID-1")
    assert aid.attributed_party == "pbn" and "party_officer" in aid.notify


def test_clauses_for_signatories_ignore_other_accounts() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    registry = load_registry(DEFAULT_REGISTRY)
    signals = [Signal(item_id="i", detector="synthetic.provenance", version="1", family=Family.SYNTHETIC,
                      score=1.0, label="ai-declared")]
    breaches = engine.judge(_enriched("AI poster", account="@someone"), signals, registry, Calendar())
    assert "AID-1" not in [b.clause_id for b in breaches]


def test_silence_period_uses_the_elections_time_zone() -> None:
    from datetime import UTC, datetime

    calendar = load_calendar(DEFAULT_CALENDAR)
    # 2026-11-27 16:30 UTC is 2026-11-28 00:30 in Kuala Lumpur: silence has begun there.
    assert calendar.context(datetime(2026, 11, 27, 16, 30, tzinfo=UTC))["in_silence"] is True
    assert calendar.context(datetime(2026, 11, 27, 15, 30, tzinfo=UTC))["in_silence"] is False
