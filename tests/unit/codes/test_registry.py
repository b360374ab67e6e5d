"""The registry: look-ups, consistency checks, import from CSV and FollowTheMoney, and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from codes.cli import registry_app
from codes.importers import registry_from_csv, registry_from_ftm, slug, write_registry
from pantau.errors import ConfigError
from pantau.registry import load_registry
from pantau.settings import DEFAULT_CALENDAR, DEFAULT_REGISTRY

SAMPLES = Path(DEFAULT_REGISTRY).parent


def test_people_are_found_by_name_variant_accent_and_handle() -> None:
    registry = load_registry(DEFAULT_REGISTRY)
    found = registry.people_mentioned("Kak AMINAH hadir; cc @aminahyusof dan Datuk Hafiz")
    assert [p.id for p in found] == ["aminah-yusof", "hafiz-rahim"]
    assert registry.account("X", "@PBN_official").party == "pbn"  # type: ignore[union-attr]
    assert registry.account("x", "@aminahyusof").party == "pkr2"  # type: ignore[union-attr]  # via the candidate


def test_csv_import_reads_every_file_and_round_trips(tmp_path: Path) -> None:
    registry = registry_from_csv(SAMPLES / "csv")
    assert registry.signatories() == ["pbn", "pkr2"]
    assert registry.party("pbn").officers[0].email == "compliance@pbn.example"  # type: ignore[union-attr]
    assert registry.party("pkr2").officers[0].id == "joko-prasetyo"  # type: ignore[union-attr]
    hafiz = registry.person("hafiz-rahim")  # id made from the name
    assert hafiz is not None and hafiz.consented_ai_depiction and hafiz.variants == ["Datuk Hafiz"]
    assert registry.person("ratna-wulandari").gender == "female"  # type: ignore[union-attr]  # 'perempuan'
    assert registry.account("x", "@aminahyusof").person == "aminah-yusof"  # type: ignore[union-attr]
    out = tmp_path / "registry.yaml"
    write_registry(registry, out, header="test")
    again = load_registry(out)
    assert again.model_dump(exclude={"base_dir"}) == registry.model_dump(exclude={"base_dir"})


@pytest.mark.parametrize(
    ("file", "content", "message"),
    [
        ("parties.csv", "name,colour\nP,red\n", r"parties.csv:1: unknown column\(s\) colour"),
        ("parties.csv", "id,short_name\np,P\n", r"parties.csv:1: missing column\(s\) name"),
        ("people.csv", "name,gender\nA,robot\n", r"people.csv:2: gender 'robot'"),
        ("people.csv", "name,consented_ai_depiction\nA,maybe\n", r"people.csv:2: 'maybe' is not yes or no"),
        ("people.csv", "name\nA\nA\n", r"people.csv:3: person id 'a' is used twice"),
        ("accounts.csv", "platform,handle,person\nx,@a,nobody\n", r"accounts of unknown person\(s\) nobody"),
    ],
)
def test_csv_import_errors_name_file_and_row(tmp_path: Path, file: str, content: str, message: str) -> None:
    (tmp_path / "parties.csv").write_text("id,name\np,P\n")
    (tmp_path / "people.csv").write_text("name\nA\n")
    (tmp_path / file).write_text(content)
    with pytest.raises(ConfigError, match=message):
        registry_from_csv(tmp_path)


def test_csv_import_accepts_semicolons_and_a_bom(tmp_path: Path) -> None:
    (tmp_path / "parties.csv").write_text("\ufeffid;name;signatory\np;Parti Satu;tidak\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("name;variants;party\nSiti Nur;Kak Siti|Nur;p\n", encoding="utf-8")
    registry = registry_from_csv(tmp_path)
    assert registry.signatories() == []
    assert registry.people[0].variants == ["Kak Siti", "Nur"] and registry.people[0].party == "p"


def test_ftm_import_maps_people_parties_posts_and_accounts() -> None:
    registry = registry_from_ftm(SAMPLES / "peps.ftm.json", signatories=["pbn"], country="nu", jurisdiction="NU")
    assert {p.id: (p.signatory, p.jurisdiction) for p in registry.parties} == {"pkr2": (False, "NU"), "pbn": (True, "NU")}
    aminah = registry.person("aminah-yusof")
    assert aminah is not None and aminah.party == "pkr2" and aminah.role == "candidate"
    assert aminah.variants == ["Aminah binti Yusof", "Kak Aminah"] and aminah.source_id == "pep-1"
    assert aminah.accounts[0].platform == "x"
    hafiz = registry.person("hafiz-rahim")
    assert hafiz is not None and hafiz.role == "official" and hafiz.constituency == "P.012 Kuala Seri"
    assert registry.person("lim-wei-ling") is None  # another country
    assert registry.account("facebook", "pbn.official").party == "pbn"  # type: ignore[union-attr]


def test_ftm_import_accepts_a_json_array_and_reads_first_and_last_names(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps([{"id": "p1", "schema": "Person",
                                 "properties": {"firstName": ["Lim"], "lastName": ["Wei Ling"], "gender": ["female"]}}]))
    registry = registry_from_ftm(path)
    assert [(p.id, p.gender) for p in registry.people] == [("lim-wei-ling", "female")]


@pytest.mark.parametrize("content", ['{"id": "x"}\n', "not json\n", '[{"schema": "Person"}]'])
def test_ftm_import_refuses_what_is_not_ftm(tmp_path: Path, content: str) -> None:
    path = tmp_path / "e.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match="e.json"):
        registry_from_ftm(path)


def test_slug_folds_accents_and_punctuation() -> None:
    assert slug("Nguyễn Thị Hoa") == "nguyen-thi-hoa" and slug("P.K.R. (2)") == "p-k-r-2"


def test_cli_imports_csv_then_checks_it(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "registry.yaml"
    result = runner.invoke(registry_app, ["import", "--csv", str(SAMPLES / "csv"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 parties, 4 people" in result.output
    again = runner.invoke(registry_app, ["import", "--csv", str(SAMPLES / "csv"), "-o", str(out)])
    assert again.exit_code == 2 and "--force" in again.output
    checked = runner.invoke(registry_app, ["check", str(out), str(DEFAULT_CALENDAR)])
    assert checked.exit_code == 0, checked.output
    assert "ok" in checked.output and "1 election" in checked.output


def test_cli_import_needs_exactly_one_source(tmp_path: Path) -> None:
    result = CliRunner().invoke(registry_app, ["import", "-o", str(tmp_path / "r.yaml")])
    assert result.exit_code == 2 and "exactly one" in result.output


def test_cli_check_fails_on_a_bad_registry(tmp_path: Path) -> None:
    bad = tmp_path / "registry.yaml"
    bad.write_text("people:\n  - id: a\n    name: A\n    party: nope\n")
    result = CliRunner().invoke(registry_app, ["check", str(bad)])
    assert result.exit_code == 2 and "registry.yaml:4" in result.output


def test_cli_imports_ftm_into_a_registry_the_pipeline_loads(tmp_path: Path) -> None:
    out = tmp_path / "registry.yaml"
    result = CliRunner().invoke(registry_app, ["import", "--ftm", str(SAMPLES / "peps.ftm.json"), "--country", "nu",
                                               "--signatory", "pep-org-1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    registry = load_registry(out)
    assert registry.signatories() == ["pbn"] and registry.person("aminah-yusof") is not None
