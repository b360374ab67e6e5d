"""The fact-check queue: what goes in, verdicts by id, and a verdict firing DIS-1 on a re-share."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from detectors.disinfo.claims import ClaimsDB
from detectors.disinfo.queue import PUBLISHER, claims_to_check, rate_claim
from pantau.registry import load_registry
from pantau.schemas import EnrichedItem, Family, MediaItem, Signal
from pantau.settings import DEFAULT_REGISTRY, Settings
from pantau.stores.base import ClaimCheck, IncidentQuery, Scope
from pantau.stores.sqlite import SQLiteStore
from streams.runner import Pipeline

LIGHT = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"


def _item(n: int, text: str, account: str | None = "pbn.official", party: str | None = None) -> EnrichedItem:
    return EnrichedItem(
        item=MediaItem(
            id=f"i{n}", source="t", native_id=str(n), text=text, platform="facebook", account=account, party=party
        )
    )


def _sig(item: str, detector: str, score: float, label: str, **details: object) -> Signal:
    return Signal(
        item_id=item, detector=detector, version="1", family=Family.DISINFO, score=score, label=label,
        details=dict(details),
    )


NEAR = [{"claim_id": "c9", "claim": "Jobless rate 12%", "verdict": "false", "url": "u", "probability": 0.3}]


@pytest.mark.parametrize(
    ("account", "party", "worthy", "match", "queued"),
    [
        ("pbn.official", None, 0.8, 0.3, True),  # the registry names the account's party
        ("someone", "pkr2", 0.8, None, True),  # the feed names the party; no claim_match signal
        ("someone", None, 0.8, 0.0, False),  # not a party account
        ("pbn.official", None, 0.4, 0.0, False),  # not check-worthy
        ("pbn.official", None, 0.8, 0.6, False),  # repeats a known fact-check: the matcher's business
    ],
)
def test_what_goes_to_the_queue(
    account: str, party: str | None, worthy: float, match: float | None, queued: bool
) -> None:
    item = _item(1, "Unemployment rose to 12 percent", account, party)
    signals = [_sig("i1", "disinfo.checkworthy", worthy, "check-worthy")]
    if match is not None:
        signals.append(_sig("i1", "disinfo.claim_match", 0.0, "no-match", match_probability=match, nearest=NEAR))
    checks = claims_to_check([item], {"i1": signals}, load_registry(DEFAULT_REGISTRY))
    assert bool(checks) is queued
    if queued:
        check = checks[0]
        assert check.item_id == "i1" and check.party == (party or "pbn") and check.checkworthy == worthy
        assert check.nearest == (NEAR if match is not None else [])


def test_no_checkworthy_signal_queues_nothing() -> None:
    assert claims_to_check([_item(1, "x")], {"i1": []}, load_registry(DEFAULT_REGISTRY)) == []


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    with SQLiteStore(tmp_path / "pantau.db") as s:
        yield s


def test_a_verdict_is_a_claimreview_on_the_entry_rated_once(store: SQLiteStore, tmp_path: Path) -> None:
    a = ClaimCheck(item_id="a", text="The dam cost 4 billion", account="pbn.official", checkworthy=0.9,
                   language="en", url="https://facebook.example/p/1")
    b = ClaimCheck(item_id="b", text="Schools got 30 new buses", account="pbn.official", checkworthy=0.8)
    store.add_claim_checks([a, b])
    folder = tmp_path / "claims"
    outcome = rate_claim(store, folder, a.id, "false", "Salah", actor="rini", note="Budget papers: 1.2 billion")
    assert outcome.result == "recorded" and outcome.check is not None
    review = ClaimsDB.open(folder).get(outcome.check.claim_id)
    assert review is not None
    assert (review.claim, review.verdict, review.rating, review.publisher, review.origin, review.language) == (
        "The dam cost 4 billion", "false", "Salah", PUBLISHER, "queue", "en"
    )
    assert review.claimant == "pbn.official" and review.summary == "Budget papers: 1.2 billion"
    # The other entry is untouched; a second verdict on the first records nothing more.
    assert store.get_claim_check(b.id, Scope.everything()).status == "waiting"  # type: ignore[union-attr]
    again = rate_claim(store, folder, a.id, "true", actor="ana")
    assert again.result == "decided" and "rini" in again.message
    assert len(ClaimsDB.open(folder)) == 1 and ClaimsDB.open(folder).get(review.id).verdict == "false"  # type: ignore[union-attr]


def test_not_a_claim_writes_no_claimreview_and_bad_input_is_refused(store: SQLiteStore, tmp_path: Path) -> None:
    a = ClaimCheck(item_id="a", text="Vote for us on Sunday", checkworthy=0.6)
    store.add_claim_checks([a])
    folder = tmp_path / "claims"
    assert rate_claim(store, folder, a.id, "bogus", actor="rini").result == "refused"
    assert rate_claim(store, folder, "missing", "false", actor="rini").result == "refused"
    hidden = Scope(claim_checks=False)
    assert rate_claim(store, folder, a.id, "false", actor="siti", scope=hidden).result == "refused"
    outcome = rate_claim(store, folder, a.id, "not_a_claim", actor="rini")
    assert outcome.result == "recorded" and outcome.check is not None and outcome.check.status == "not_a_claim"
    assert len(ClaimsDB.open(folder)) == 0


def test_a_failed_store_update_leaves_no_claimreview(store: SQLiteStore, tmp_path: Path, monkeypatch) -> None:
    a = ClaimCheck(item_id="a", text="The dam cost 4 billion", checkworthy=0.9)
    store.add_claim_checks([a])
    monkeypatch.setattr(store, "decide_claim_check", lambda decided: False)  # decided meanwhile elsewhere
    assert rate_claim(store, tmp_path / "claims", a.id, "false", actor="rini").result == "decided"
    assert len(ClaimsDB.open(tmp_path / "claims")) == 0


# -- end to end: pipeline -> queue -> verdict -> re-share -> DIS-1 ------------------------------------------

CLAIM = "Unemployment rose to 12 percent last year under this government"


def _settings(tmp_path: Path, feed: Path) -> Settings:
    plugins = yaml.safe_load(LIGHT.read_text(encoding="utf-8"))["plugins"]
    for plugin in plugins:
        plugin["enabled"] = plugin["name"] in {"disinfo.claim_match", "disinfo.checkworthy"}
    detectors = tmp_path / "detectors.yaml"
    detectors.write_text(yaml.safe_dump({"plugins": plugins}), encoding="utf-8")
    return Settings.load(
        overrides={
            "data_dir": tmp_path / "data",
            "sources": [{"kind": "jsonl", "name": "t", "path": str(feed), "platform": "facebook"}],
            "detectors_file": detectors,
        },
        environ={},
    )


def test_a_verdict_in_the_queue_fires_dis1_on_a_reshare(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"id": "1", "account": "pbn.official", "text": CLAIM}) + "\n", encoding="utf-8")
    pipeline = Pipeline.from_settings(_settings(tmp_path, feed))
    report = pipeline.run_once()
    assert report.items == 1 and report.incidents == 0  # a claim nobody checked yet breaches nothing
    queue = pipeline.store.claim_checks(Scope.everything())
    assert [c.text for c in queue] == [CLAIM] and queue[0].party == "pbn"

    outcome = rate_claim(
        pipeline.store, pipeline.settings.data_dir / "claims", queue[0].id, "false", "False", actor="rini"
    )
    assert outcome.result == "recorded"
    assert pipeline.store.claim_checks(Scope.everything()) == []

    # The same pipeline (no restart) reads the re-share: the claim database changed, it is indexed again.
    with feed.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "2", "account": "pbn.official", "text": "RT " + CLAIM + "!"}) + "\n")
        fh.write(json.dumps({"id": "3", "account": "pbn.official", "text": "Good morning everyone, have a lovely day!"}) + "\n")
    report = pipeline.run_once()
    assert report.items == 2
    incidents = pipeline.store.search(IncidentQuery(limit=10), Scope.everything()).incidents
    assert [(i.item.native_id, i.breach.clause_id) for i in incidents] == [("2", "DIS-1")]
    signal = next(s for s in incidents[0].signals if s.detector == "disinfo.claim_match")
    assert signal.details["claim_id"] == outcome.check.claim_id and signal.details["publisher"] == PUBLISHER  # type: ignore[union-attr]
    # The re-share matched a fact-check and the greeting holds no claim: neither is queued.
    assert pipeline.store.claim_checks(Scope.everything()) == []
