from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app

runner = CliRunner()


LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"


def test_run_once_on_the_sample_feed_exits_0_and_reports(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "--once"],
                           env={"PANTAU_DATA_DIR": str(tmp_path), "PANTAU_DETECTORS_FILE": str(LIGHT)})
    assert result.exit_code == 0, result.output
    assert "items processed" in result.output
    assert (tmp_path / "pantau.db").is_file()


def test_run_once_with_a_broken_feed_still_exits_0_and_counts_dead_letters(tmp_path: Path) -> None:
    feed = tmp_path / "f.jsonl"
    feed.write_text('{"id": "1", "text": "ok"}\n{oops\n')
    config = tmp_path / "pantau.toml"
    config.write_text(f'data_dir = "{tmp_path / "d"}"\ndetectors_file = "{LIGHT}"\n[[sources]]\nkind = "jsonl"\nname = "f"\npath = "f.jsonl"\n')
    result = runner.invoke(app, ["run", "--once", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "1 item(s) went to the dead-letter store" in result.output.replace("\n", " ")


def test_score_keeps_input_order_and_reports_errors_per_line(tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "a", "text": "you stupid idiot"}\n{"id": "b", "text": "rice"}\n'
                   '{"id": "c", "path": "missing.png"}\n')
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "text.offensive", str(inp), "-o", str(out)],
                           env={"PANTAU_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", "b", "c"]
    assert rows[0]["score"] > 0.5 > rows[1]["score"]
    assert rows[2]["label"] == "error" and 0.0 <= rows[2]["score"] <= 1.0


def test_score_unknown_detector_is_a_clear_error(tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "a", "text": "x"}\n')
    result = runner.invoke(app, ["score", "no.such", str(inp)])
    assert result.exit_code == 2
    assert "unknown detector" in result.output


def test_detectors_lists_names_and_versions() -> None:
    result = runner.invoke(app, ["detectors"])
    assert result.exit_code == 0
    assert "text.offensive" in result.output and "text.language" in result.output
    rows = [json.loads(line) for line in runner.invoke(app, ["detectors", "--json"]).output.splitlines()]
    by_name = {r["name"]: r for r in rows}
    assert by_name["text.offensive"]["version"] and by_name["text.offensive"]["kind"] == "detector"
    assert by_name["text.language"]["kind"] == "enricher"


def test_codes_check_and_test_on_the_model_code() -> None:
    code = str(Path(__file__).resolve().parents[3] / "codes" / "model_code.yaml")
    assert runner.invoke(app, ["codes", "check", code]).exit_code == 0
    result = runner.invoke(app, ["codes", "test", code])
    assert result.exit_code == 0 and " 0 failed" in result.output


# -- one error style, no tracebacks for user mistakes (issue 18) ------------------------------------
def test_a_bad_store_url_is_one_error_line_not_a_traceback(tmp_path: Path) -> None:
    result = runner.invoke(app, ["deadletters"],
                           env={"PANTAU_DATA_DIR": str(tmp_path), "PANTAU_STORE__URL": "nosuch://x"})
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown store scheme 'nosuch'")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_settings_errors_carry_no_pydantic_internals(tmp_path: Path) -> None:
    result = runner.invoke(app, ["config"], env={"PANTAU_DATA_DIR": str(tmp_path), "PANTAU_BATCH_SIZE": "abc"})
    assert result.exit_code == 2
    assert "error: invalid settings" in result.output and "batch_size" in result.output
    assert "errors.pydantic.dev" not in result.output and "For further information" not in result.output
    assert "[type=" not in result.output


def test_score_exits_1_when_every_line_failed(tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text('not json\n[1, 2]\n{"id": "c", "path": "missing.png"}\n')
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["score", "text.offensive", str(inp), "-o", str(out)],
                           env={"PANTAU_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 1, result.output
    assert "every line failed (3 of 3)" in result.output
    assert len(out.read_text().splitlines()) == 3  # the output still lines up with the input


def test_score_warns_but_exits_0_when_some_lines_failed(tmp_path: Path) -> None:
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"id": "a", "text": "rice"}\nnot json\n')
    result = runner.invoke(app, ["score", "text.offensive", str(inp), "-o", str(tmp_path / "o.jsonl")],
                           env={"PANTAU_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 0 and "1 of 2 lines failed" in result.output


def test_detectors_lists_disabled_ones_marked(tmp_path: Path) -> None:
    env = {"PANTAU_DETECTORS_FILE": str(LIGHT), "PANTAU_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["detectors"], env=env)
    assert result.exit_code == 0 and "synthetic.hf" in result.output and "disabled" in result.output
    rows = [json.loads(line) for line in runner.invoke(app, ["detectors", "--json"], env=env).output.splitlines()]
    by_name = {r["name"]: r for r in rows}
    assert by_name["synthetic.hf"]["enabled"] is False and by_name["text.offensive"]["enabled"] is True


def test_users_add_refuses_an_unknown_party(tmp_path: Path) -> None:
    env = {"PANTAU_DATA_DIR": str(tmp_path)}
    result = runner.invoke(app, ["users", "add", "x", "--role", "party_officer", "--party", "nosuch",
                                 "--password", "long enough passphrase"], env=env)
    assert result.exit_code == 2
    assert "unknown party 'nosuch'" in result.output and "pbn" in result.output
    assert not (tmp_path / "users.json").exists()
    ok = runner.invoke(app, ["users", "add", "x", "--role", "party_officer", "--party", "pbn",
                             "--password", "long enough passphrase"], env=env)
    assert ok.exit_code == 0, ok.output


def test_flags_answer_to_both_spellings(tmp_path: Path) -> None:
    env = {"PANTAU_DATA_DIR": str(tmp_path)}
    add = ["users", "add", "jo", "--role", "journalist", "--password", "long enough passphrase"]
    assert runner.invoke(app, add, env=env).exit_code == 0
    assert runner.invoke(app, add, env=env).exit_code == 2  # exists
    assert runner.invoke(app, [*add, "--force"], env=env).exit_code == 0  # as --replace
    assert "--host" in runner.invoke(app, ["dashboard", "--help"]).output  # as --address


def test_codes_explain_shows_every_rule_whole(tmp_path: Path) -> None:
    result = runner.invoke(app, ["codes", "explain", '{"id": "1", "text": "you stupid idiot"}'],
                           env={"PANTAU_DATA_DIR": str(tmp_path), "PANTAU_DETECTORS_FILE": str(LIGHT)})
    assert result.exit_code == 0, result.output
    shown = "".join(result.output.split())
    rules = json.loads(runner.invoke(
        app, ["codes", "explain", "--json", '{"id": "1", "text": "you stupid idiot"}'],
        env={"PANTAU_DATA_DIR": str(tmp_path), "PANTAU_DETECTORS_FILE": str(LIGHT)},
    ).output)["rules"]
    assert max(len(r["rule"]) for r in rules) > 100  # long rules exist, and none is cut
    for rule in rules:
        assert "".join(rule["rule"].split()) in shown, rule["clause"]
    assert "…" not in result.output
