"""ClaimReview feeds (issue 22, item 3): the three published formats, incremental imports, counts.

Fixtures (hand-made, ``tests/fixtures/claimreview/``) carry one review three ways (the article's
JSON-LD, the Fact Check Tools API's ``claims:search`` answer, a DataCommons-style DataFeed with
another URL spelling and no headline), plus one other review in each feed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detectors.disinfo.claim_files import read_claims_file
from detectors.disinfo.claims import ClaimsDB
from detectors.disinfo.cli import claims_app
from detectors.disinfo.queue import rate_claim
from pantau.settings import Settings
from pantau.stores.base import ClaimCheck
from pantau.stores.sqlite import SQLiteStore

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "claimreview"
SMS = "Voters can vote by SMS to 3388"
runner = CliRunner()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("article.html", [(SMS, "Salah", "false", "Cek Fakta Nusantara", "id")]),
        (
            "factchecktools.json",
            [
                (SMS, "Salah", "false", "Cek Fakta Nusantara", "id"),
                ("Ballots marked with a blue pen will be void", "Mengelirukan", "misleading", "Semak Malaysia", "ms"),
            ],
        ),
        (
            "datacommons_feed.json",
            [
                (SMS, "Salah", "false", "Cek Fakta Nusantara", "id"),
                (
                    "The Election Commission has postponed polling day to 6 December",
                    "False", "false", "Nusantara Fact Check", "en",
                ),
            ],
        ),
    ],
)
def test_each_format_keeps_publisher_rating_and_language(name: str, expected: list[tuple[str, ...]]) -> None:
    claims, skipped = read_claims_file(FIXTURES / name)
    assert [(c.claim, c.rating, c.verdict, c.publisher, c.language) for c in claims] == expected
    assert all(c.url.startswith(("http://", "https://")) for c in claims)
    assert skipped == []


def test_one_review_from_three_feeds_is_one_record(tmp_path: Path) -> None:
    with ClaimsDB.editing(tmp_path) as db:
        first = db.import_path(FIXTURES / "article.html")
        api = db.import_path(FIXTURES / "factchecktools.json")
        feed = db.import_path(FIXTURES / "datacommons_feed.json")
    assert (first.added, api.added, api.updated + api.unchanged, feed.added, feed.updated + feed.unchanged) == (
        1, 1, 1, 1, 1
    )
    db = ClaimsDB.open(tmp_path)
    assert len(db) == 3
    sms = [c for c in db if c.claim == SMS]
    assert len(sms) == 1
    # The page's headline and claimant survive the feeds that lack them; the origin is the first file.
    assert sms[0].title.startswith("[SALAH]") and sms[0].claimant == "akun anonim"
    assert sms[0].origin == "import:article.html"


def test_imports_are_incremental(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    shutil.copy(FIXTURES / "datacommons_feed.json", feed)
    folder = tmp_path / "db"
    with ClaimsDB.editing(folder) as db:
        assert db.import_path(feed).added == 2
        again = db.import_path(feed)
        assert again.already_imported and again.read == 0
        forced = db.import_path(feed, again=True)
        assert (forced.added, forced.updated, forced.unchanged) == (0, 0, 2)
    # The publisher's feed grew by one review (and the file changed): only that one is new.
    document = json.loads(feed.read_text(encoding="utf-8"))
    document["dataFeedElement"].append(
        {
            "@type": "DataFeedItem",
            "item": [
                {
                    "@type": "ClaimReview",
                    "url": "https://factcheck.example/2026/11/ink",
                    "claimReviewed": "The indelible ink washes off with lemon juice",
                    "author": {"name": "Nusantara Fact Check"},
                    "inLanguage": "en",
                    "reviewRating": {"alternateName": "Misleading"},
                }
            ],
        }
    )
    feed.write_text(json.dumps(document), encoding="utf-8")
    with ClaimsDB.editing(folder) as db:
        grown = db.import_path(feed)
    assert (grown.added, grown.updated, grown.unchanged) == (1, 0, 2)
    assert len(ClaimsDB.open(folder)) == 3
    assert len(ClaimsDB.open(folder).imported()) == 2  # two versions of the file, by SHA-256


def test_a_changed_rating_updates_the_record(tmp_path: Path) -> None:
    feed = tmp_path / "api.json"
    shutil.copy(FIXTURES / "factchecktools.json", feed)
    with ClaimsDB.editing(tmp_path / "db") as db:
        db.import_path(feed)
    document = json.loads(feed.read_text(encoding="utf-8"))
    document["claims"][1]["claimReview"][0]["textualRating"] = "Palsu"
    feed.write_text(json.dumps(document), encoding="utf-8")
    with ClaimsDB.editing(tmp_path / "db") as db:
        report = db.import_path(feed)
    assert (report.added, report.updated, report.unchanged) == (0, 1, 1)
    pen = next(c for c in ClaimsDB.open(tmp_path / "db") if "blue pen" in c.claim)
    assert (pen.rating, pen.verdict) == ("Palsu", "false")


def test_cli_import_and_stats_count_imported_and_queue_verdicts(tmp_path: Path) -> None:
    config = tmp_path / "pantau.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n')
    data = Settings.load(config).data_dir  # the test session's isolated folder wins over the file
    files = [str(FIXTURES / n) for n in ("article.html", "factchecktools.json", "datacommons_feed.json")]
    result = runner.invoke(claims_app, ["import", *files, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "1 new, 0 updated, 0 unchanged" in result.output and "3 claims in" in result.output
    result = runner.invoke(claims_app, ["import", files[0], "--config", str(config)])
    assert "imported before" in result.output
    # A verdict of the fact-check queue lands in the same database and is counted as such.
    with SQLiteStore(tmp_path / "pantau.db") as store:
        check = ClaimCheck(item_id="i", text="The dam cost 4 billion", checkworthy=0.9)
        store.add_claim_checks([check])
        assert rate_claim(store, data / "claims", check.id, "false", actor="rini").result == "recorded"
    stats = json.loads(runner.invoke(claims_app, ["stats", "--config", str(config)]).stdout)
    samples = stats["sources"]["samples"]
    assert stats["claims"] == samples + 4
    assert stats["origin"]["queue"] == 1
    assert stats["origin"]["import:article.html"] == 1
    assert stats["origin"]["import:factchecktools.json"] == 1 and stats["origin"]["import:datacommons_feed.json"] == 1
    assert stats["publisher"]["Cek Fakta Nusantara"] >= 1 and stats["language"]["ms"] >= 1
