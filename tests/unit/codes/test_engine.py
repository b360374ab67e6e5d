from __future__ import annotations

import re
from pathlib import Path

import pytest

from codes.calendar import Calendar, load_calendar
from codes.engine import CodeEngine
from pantau.errors import RuleError
from pantau.registry import load_registry
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
        (_clause('signals["gbv.text"].score > 0.5 && (item.paid ||'), "does not parse: .*ends too early"),
        (_clause('signals["gbv.text"].score > 0.5 &&& item.paid'), r"does not parse: column \d+: unexpected"),
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
    assert rows and all(ok for _, _, ok, _ in rows)


def test_breach_cites_code_version_clause_and_signals() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=None)
    registry = load_registry(DEFAULT_REGISTRY)
    enriched = _enriched("Aminah Yusof tak layak, perempuan bodoh")
    breaches = engine.judge(enriched, [_signal("gbv.text", 0.95)], registry, Calendar())
    assert [b.clause_id for b in breaches] == ["GBV-1"]
    assert breaches[0].code_id == "pantau-model-code" and breaches[0].code_version == "1.4"
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


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('item.txet == "a"', "reads unknown field 'txet' of item; did you mean 'text'"),
        ("calendar.in_silense", "reads unknown field 'in_silense' of calendar; did you mean 'in_silence'"),
        ('signals["gbv.text"].scor > 0.5', "reads unknown field 'scor' of a signal; did you mean 'score'"),
        ("item.targets.exists(t, t.gendr == \"female\")", "reads unknown field 'gendr' of a person"),
        ("signals.gbv.score > 0.5", "reads signals.gbv, which is not how to read a signal"),
        ('contians_any(item.text, ["x"])', "calls unknown function 'contians_any'; did you mean 'contains_any'"),
        ('signals["gbv.txt"].score > 0.5', "reads unknown signal 'gbv.txt'; did you mean 'gbv.text'"),
        # Hidden behind a short-circuit on the empty item, caught on the probe items:
        ('signals["gbv.text"].score > 0.5 && item.paid > 1', "fails on a test item .* mixes types"),
        ('signals["gbv.text"].score > 0.5 && signals["gbv.text"].details.rating == "x"',
         r"fails on a test item .*has\(signals"),
    ],
)
def test_rules_reading_what_does_not_exist_fail_at_load(tmp_path: Path, rule: str, message: str) -> None:
    path = tmp_path / "code.yaml"
    path.write_text(HEADER + _clause(rule.replace("'", "''")))
    with pytest.raises(RuleError, match=message):
        CodeEngine.from_files([path], signal_names=SIGNALS)


def test_words_inside_quotes_are_not_read_as_fields(tmp_path: Path) -> None:
    path = _code(tmp_path, _clause('contains_any(item.text, [\"item.nonsense\"]) && item.paid'))
    CodeEngine.from_files([path], signal_names=SIGNALS)


def test_rules_that_can_never_fire_and_clauses_without_examples_warn(tmp_path: Path) -> None:
    path = _code(tmp_path, _clause('signals["gbv.text"].score > 1.5', "NEVER"))
    engine = CodeEngine.from_files([path], signal_names=SIGNALS)
    assert any("NEVER" in w and "never fired" in w for w in engine.warnings)
    assert any("no positive" in w for w in engine.warnings)


def test_detail_read_safely_with_has_loads_and_fires(tmp_path: Path) -> None:
    rule = ('signals["disinfo.claim_match"].score > 0.5 && has(signals["disinfo.claim_match"].details.rating)'
            ' && signals["disinfo.claim_match"].details.rating.lowerAscii() == "false"')
    engine = CodeEngine.from_files([_code(tmp_path, _clause(rule))], signal_names=SIGNALS)
    sig = Signal(item_id="i", detector="disinfo.claim_match", version="1", family=Family.DISINFO, score=0.9,
                 label="match", details={"rating": "FALSE"})
    assert [b.clause_id for b in engine.judge(_enriched("x"), [sig], load_registry(None), Calendar())] == ["C1"]


def test_examples_follow_attribution_like_judge(tmp_path: Path) -> None:
    clause = _clause('signals["gbv.text"].score > 0.5', applies_to="signatories") + (
        "    examples:\n"
        "      - {name: by a party, breach: true, item: {by_signatory: true}, signals: {gbv.text: {score: 0.9}}}\n"
        "      - {name: by someone else, breach: true, signals: {gbv.text: {score: 0.9}}}\n"
    )
    engine = CodeEngine.from_files([_code(tmp_path, clause)], signal_names=SIGNALS)
    rows = {name: (ok, msg) for _, name, ok, msg in engine.run_examples()}
    assert rows["by a party"] == (True, "")
    assert rows["by someone else"][0] is False
    assert re.search(r"code\.yaml:\d+: expected breach, got no breach", rows["by someone else"][1])
    with pytest.raises(RuleError, match="example 'by someone else' expected a breach"):
        CodeEngine.from_files([_code(tmp_path, clause)], signal_names=SIGNALS, check_examples=True)


def test_example_with_unknown_signal_is_refused(tmp_path: Path) -> None:
    clause = _clause('signals["gbv.text"].score > 0.5') + (
        "    examples:\n      - {name: typo, breach: true, signals: {gbv.txet: {score: 0.9}}}\n")
    with pytest.raises(RuleError, match=r"code\.yaml:13: clause C1: example 'typo' gives unknown signal"):
        CodeEngine.from_files([_code(tmp_path, clause)], signal_names=SIGNALS)


def test_explain_says_what_the_rule_read() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE])
    registry = load_registry(DEFAULT_REGISTRY)
    rows = {r["clause"]: r for r in engine.explain(_enriched("Aminah Yusof perempuan bodoh"),
                                                      [_signal("gbv.text", 0.95)], registry, Calendar())}
    gbv = rows["GBV-1"]
    assert gbv["fired"] and gbv["version"] == "1.4" and gbv["reads"]["gbv.text"].startswith("0.95")
    assert gbv["reads"]["item.targets"] == ["aminah-yusof (female, no consent)"]
    assert not rows["CAM-1"]["fired"] and "calendar.in_silence" in rows["CAM-1"]["reads"]


def test_model_code_uses_only_signals_declared_in_detectors_yaml() -> None:
    from detectors.registry import DetectorRegistry
    from pantau.settings import Settings

    names = DetectorRegistry.from_settings(Settings()).signal_names()
    engine = CodeEngine.from_files([DEFAULT_CODE], signal_names=names, check_examples=True)
    assert not engine.warnings
    assert all(ok for _, _, ok, _ in engine.run_examples())


def test_every_model_clause_has_positive_and_negative_examples() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE])
    for compiled in engine.clauses:
        kinds = {e.breach for e in compiled.clause.examples}
        assert kinds == {True, False}, compiled.clause.id


def test_a_code_not_yet_in_force_raises_nothing(tmp_path: Path) -> None:
    path = tmp_path / "code.yaml"
    path.write_text('id: t\ntitle: T\nversion: "1"\neffective_from: 2099-01-01\nclauses:\n'
                    + _clause('signals["gbv.text"].score > 0.5'))
    engine = CodeEngine.from_files([path], signal_names=SIGNALS)
    assert engine.judge(_enriched("x"), [_signal("gbv.text", 0.9)], load_registry(None), Calendar()) == []


def test_two_codes_judge_side_by_side_each_citing_itself(tmp_path: Path) -> None:
    national = tmp_path / "national.yaml"
    national.write_text('id: national\ntitle: N\nversion: "3"\nclauses:\n' + _clause('signals["gbv.text"].score > 0.5'))
    platform = tmp_path / "platform.yaml"
    platform.write_text('id: platform\ntitle: P\nversion: "1"\nclauses:\n' + _clause('signals["gbv.text"].score > 0.8'))
    engine = CodeEngine.from_files([national, platform], signal_names=SIGNALS)
    cited = {(b.code_id, b.code_version, b.clause_id) for b in engine.judge(
        _enriched("x"), [_signal("gbv.text", 0.9)], load_registry(None), Calendar())}
    assert cited == {("national", "3", "C1"), ("platform", "1", "C1")}
    with pytest.raises(RuleError, match="code id 'national' also defined in"):
        CodeEngine.from_files([national, national], signal_names=SIGNALS)


def test_cross_check_names_what_does_not_fit_registry_and_calendar(tmp_path: Path) -> None:
    from codes.calendar import Election
    from pantau.registry import Party, Registry

    path = tmp_path / "code.yaml"
    path.write_text('id: t\ntitle: T\nversion: "1"\njurisdiction: Narnia\nsignatories: [pbn, xyz]\nclauses:\n'
                    + _clause('calendar.in_silence && signals["gbv.text"].score > 0.5'))
    engine = CodeEngine.from_files([path], signal_names=SIGNALS)
    registry = Registry(parties=[Party(id="pbn", name="P", jurisdiction="Oz")])
    calendar = Calendar(elections=[Election(id="e", name="E", jurisdiction="Nusantara", polling_day="2026-11-29")])
    found = "\n".join(engine.cross_check(registry, calendar))
    assert "signatories xyz are not parties" in found
    assert "jurisdiction 'Narnia' of code t has no election" in found
    assert "party pbn has jurisdiction 'Oz'" in found
    model = CodeEngine.from_files([DEFAULT_CODE])
    assert model.cross_check(load_registry(DEFAULT_REGISTRY), load_calendar(DEFAULT_CALENDAR)) == []
