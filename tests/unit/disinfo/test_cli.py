from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.disinfo.cli import claims_app, read_query_file

runner = CliRunner()

CLAIMS = [
    {"vclaim_id": "v-sms", "vclaim": "Voters can vote by SMS", "title": "No SMS voting"},
    {"vclaim_id": "v-chip", "vclaim": "Vaccines contain microchips"},
    {"vclaim_id": "v-moon", "vclaim": "The moon landing was staged", "title": "Moon landing hoax"},
]


@pytest.fixture
def claims_file(tmp_path: Path) -> Path:
    path = tmp_path / "claims.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CLAIMS))
    return path


@pytest.mark.parametrize(
    ("content", "expected", "skipped"),
    [
        ("iclaim_id\ticlaim\nq1\thello\n", [("q1", "hello")], 0),
        ("q1\thello\nq2\tworld\n", [("q1", "hello"), ("q2", "world")], 0),
        ("\ufeffq1\thello\r\n\r\nno tab here\n", [("q1", "hello")], 1),
        ("q1\t\n", [("q1", "")], 0),
    ],
    ids=["header", "plain", "bom-crlf-bad-line", "empty-text"],
)
def test_query_files_are_read_gracefully(tmp_path: Path, content: str, expected: list, skipped: int) -> None:
    path = tmp_path / "q.tsv"
    path.write_bytes(content.encode("utf-8"))
    queries, reasons = read_query_file(path)
    assert queries == expected and len(reasons) == skipped


def test_match_writes_a_trec_run(tmp_path: Path, claims_file: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text(
        "iclaim_id\ticlaim\nq1\tthey say you can vote by SMS now\nq2\t\nq3\tmicrochips in vaccines!\n"
    )
    run = tmp_path / "run.tsv"
    result = runner.invoke(
        claims_app,
        [
            "match",
            "--claims",
            str(claims_file),
            "--queries",
            str(queries),
            "--top",
            "2",
            "-o",
            str(run),
            "--lexical-only",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in run.read_text().splitlines()]
    assert all(len(r) == 6 and r[1] == "Q0" for r in rows)
    by_query = {r[0]: r for r in rows if r[3] == "1"}
    assert by_query["q1"][2] == "v-sms" and by_query["q3"][2] == "v-chip"
    assert "q2" not in {r[0] for r in rows}


def test_min_score_leaves_out_weak_matches_and_keeps_the_trec_format(tmp_path: Path, claims_file: Path) -> None:
    queries = tmp_path / "q.tsv"
    queries.write_text("q1\tthey say you can vote by SMS now\n")
    runs = {}
    for name, extra in (("default", []), ("strict", ["--min-score", "0.9"])):
        run = tmp_path / f"{name}.tsv"
        args = ["match", "--claims", str(claims_file), "--queries", str(queries), "-o", str(run)]
        result = runner.invoke(claims_app, [*args, "--lexical-only", *extra])
        assert result.exit_code == 0, result.output
        runs[name] = run.read_text()
    # BM25 alone reports at most 0.5: the default (calibrated, 0) keeps the ranked run, 0.9 empties it.
    assert runs["default"].startswith("q1\tQ0\tv-sms\t1\t") and runs["strict"] == ""
    bad = runner.invoke(claims_app, ["match", "--claims", str(claims_file), "--queries", str(queries),
                                     "--min-score", "2", "--lexical-only"])
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    ("claims_text", "message"),
    [("", "no usable claim"), ("{oops\n", "no usable claim"), ('{"vclaim_id": "x"}\n', "no usable claim")],
)
def test_match_with_unusable_claims_exits_2_with_a_reason(
    tmp_path: Path, claims_text: str, message: str
) -> None:
    claims = tmp_path / "c.jsonl"
    claims.write_text(claims_text)
    queries = tmp_path / "q.tsv"
    queries.write_text("q1\thello\n")
    result = runner.invoke(
        claims_app, ["match", "--claims", str(claims), "--queries", str(queries), "--lexical-only"]
    )
    assert result.exit_code == 2
    assert message in result.output


def test_match_with_missing_queries_file_exits_2(tmp_path: Path, claims_file: Path) -> None:
    result = runner.invoke(
        claims_app,
        ["match", "--claims", str(claims_file), "--queries", str(tmp_path / "nope.tsv"), "--lexical-only"],
    )
    assert result.exit_code == 2
    assert "cannot read queries" in result.output


def test_import_then_stats(tmp_path: Path, claims_file: Path) -> None:
    db = tmp_path / "db"
    result = runner.invoke(claims_app, ["import", str(claims_file), "--db", str(db)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(claims_app, ["stats", "--db", str(db)])
    assert json.loads(result.stdout)["claims"] == 3


def test_stats_counts_what_the_pipeline_matches_against(tmp_path: Path, claims_file: Path) -> None:
    config = tmp_path / "pantau.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    # An empty database: the detector still matches the demo fact-checks (the old stats said 0).
    empty = json.loads(runner.invoke(claims_app, ["stats", "--config", str(config)]).stdout)
    assert empty["claims"] == empty["sources"]["samples"] > 0
    result = runner.invoke(claims_app, ["import", str(claims_file), "--config", str(config)])
    assert result.exit_code == 0, result.output
    stats = json.loads(runner.invoke(claims_app, ["stats", "--config", str(config)]).stdout)
    assert stats["claims"] == empty["claims"] + 3
    assert sorted(v for k, v in stats["sources"].items() if k != "samples") == [3]  # the database folder


def test_import_of_a_missing_file_exits_1_with_a_reason(tmp_path: Path) -> None:
    result = runner.invoke(claims_app, ["import", str(tmp_path / "none.json"), "--db", str(tmp_path / "db")])
    assert result.exit_code == 1
    assert "no such file" in result.output
