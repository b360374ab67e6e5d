"""Schema validation of codes, registries and calendars: messages name the file, the line and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codes.calendar import load_calendar
from codes.engine import CodeEngine
from codes.validation import SCHEMA_DIR, generate_schemas
from pantau.documents import line_of, parse_yaml
from pantau.errors import ConfigError, RuleError
from pantau.registry import load_registry
from pantau.settings import DEFAULT_CALENDAR, DEFAULT_CODE, DEFAULT_REGISTRY

CLAUSE = ("  - id: C1\n    title: t\n    text: t\n    family: gbv\n    severity: high\n"
          "    rule: 'signals[\"gbv.text\"].score > 0.5'\n")


def test_checked_in_schemas_match_the_models() -> None:
    for kind, schema in generate_schemas().items():
        on_disk = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
        assert on_disk == schema, f"run: python -m codes.validation  ({kind}.schema.json is stale)"


@pytest.mark.parametrize("kind", ["code", "registry", "calendar"])
def test_schemas_are_draft_2020_12_and_self_valid(kind: str) -> None:
    from jsonschema import Draft202012Validator

    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema" and schema["description"]
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('id: t\ntitle: T\nversion: 1.0\nclauses:\n' + CLAUSE, 3, r'version: expected text, got a number .* in quotes'),
        ('id: t\ntitle: T\nversion: "1"\nclauses:\n' + CLAUSE.replace("high", "hihg"), 9,
         "clause C1 > severity: 'hihg' is not allowed; choose one of: low, medium, high, critical"),
        ('id: t\ntitle: T\nversion: "1"\nclauses:\n' + CLAUSE + "    aplies_to: anyone\n", 11,
         "clause C1: unknown field 'aplies_to'; did you mean 'applies_to'"),
        ('id: t\ntitle: T\nversion: "1"\nclauses:\n' + CLAUSE.replace("    family: gbv\n", ""), 5,
         "clause C1: missing required field 'family'"),
        ('id: t\ntitle: T\nversion: "1"\nclauses:\n' + CLAUSE
         + "    examples:\n      - name: e\n        breach: true\n        item: {txet: x}\n", 14,
         "example e > item: unknown field 'txet'; did you mean 'text'"),
        ('id: t\ntitle: T\nversion: "1"\nclauses:\n' + CLAUSE
         + "    examples:\n      - name: e\n        breach: true\n        signals: {gbv.text: {score: high}}\n", 14,
         "example e > signals > gbv.text > score: expected a number"),
        ('id: t\ntitle: T\nversion: "1"\neffective_from: 2026-02-01\neffective_until: 2026-01-01\nclauses:\n'
         + CLAUSE, 1, "effective_until .* is before effective_from"),
        ('id: t\ntitle: T\nversion: "1"\nclauses: []\n', 4, "clauses: must not be empty"),
    ],
)
def test_code_schema_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "code.yaml"
    path.write_text(text)
    with pytest.raises(RuleError, match=rf"code\.yaml:{line}: .*{message}"):
        CodeEngine.from_files([path], signal_names={"gbv.text"})


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "code.yaml"
    path.write_text('id: t\ntitle: "T\nversion: "1"\n')
    with pytest.raises(RuleError, match=r"code\.yaml:3: invalid YAML"):
        CodeEngine.from_files([path])


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("parties:\n  - id: pbn\n    name: P\n    signatry: true\n", 4, "unknown field 'signatry'; did you mean 'signatory'"),
        ("people:\n  - id: a\n    name: A\n    gender: woman\n", 4, "person a > gender: 'woman' is not allowed"),
        ("people:\n  - id: a\n    name: A\n    party: nope\n", 4, "person a > party: unknown party 'nope'"),
        ("parties:\n  - {id: p, name: P}\n  - {id: p, name: Q}\n", 3, "id 'p' is used twice"),
        ("accounts:\n  - {platform: x, handle: '@a', party: p}\n  - {platform: x, handle: '@A', party: q}\n"
         "parties:\n  - {id: p, name: P}\n  - {id: q, name: Q}\n", 3, "also listed for p"),
    ],
)
def test_registry_errors_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"registry\.yaml:{line}: .*{message}"):
        load_registry(path)


@pytest.mark.parametrize(
    ("field", "line", "message"),
    [
        ("    polls_close: 18:00\n", 5, r'polls_close: expected text, got a number \(1080\); write times in quotes'),
        ("    timezone: Asia/Nowhere\n", 5, "unknown time zone 'Asia/Nowhere'"),
        ("    silence_start: 2026-11-30T00:00\n", 2, "polls_open .* comes before silence_start"),
    ],
)
def test_calendar_errors_name_the_line(tmp_path: Path, field: str, line: int, message: str) -> None:
    path = tmp_path / "calendar.yaml"
    path.write_text("elections:\n  - id: e\n    name: E\n    polling_day: 2026-11-29\n" + field)
    with pytest.raises(ConfigError, match=rf"calendar\.yaml:{line}: .*{message}"):
        load_calendar(path)


def test_shipped_samples_are_valid() -> None:
    CodeEngine.from_files([DEFAULT_CODE], check_examples=True)
    assert load_registry(DEFAULT_REGISTRY).people
    assert load_calendar(DEFAULT_CALENDAR).elections


def test_line_of_falls_back_to_the_nearest_parent() -> None:
    _, node = parse_yaml("a:\n  b:\n    - x\n    - y\n", "f", ConfigError)
    assert line_of(node, ["a", "b", 1]) == 4
    assert line_of(node, ["a", "missing"]) == 2


def test_docs_list_every_fact_a_rule_can_read() -> None:
    from codes.facts import CALENDAR_FIELDS, ITEM_FIELDS, PERSON_FIELDS, SIGNAL_FIELDS

    docs = (Path(__file__).resolve().parents[3] / "docs" / "codes.md").read_text()
    missing = [f for f in [*ITEM_FIELDS, *PERSON_FIELDS, *SIGNAL_FIELDS, *CALENDAR_FIELDS] if f"`{f}`" not in docs]
    assert not missing, f"docs/codes.md does not mention: {missing}"
