"""Every decision and answer lands on the incident the page shows: real-browser checks (issue 18).

The module seeds two more pbn incidents with a day to answer, so that the officer's inbox holds
answerable alerts besides the two overdue ones, and runs its own server (the decisions it records
do not reach the other browser module).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from dashboard.evidence import verify_pack
from pantau.alerting import Alerter
from pantau.registry import load_registry
from pantau.schemas import Family, Incident, IncidentStatus, utcnow
from pantau.settings import DEFAULT_REGISTRY
from pantau.stores.base import ReviewAction, Scope
from tests.browser.conftest import ARTIFACTS, WAIT_MS, go_to_page, shot, wait_idle
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser

MORE: dict[str, Incident] = {}


def _more(seeded: Seeded) -> None:
    now = utcnow()
    MORE["campaign"] = make_incident(
        "pbn-3", family=Family.CAMPAIGN, text="Iklan berbayar tanpa penaja", created_at=now - timedelta(hours=4)
    )
    MORE["synthetic"] = make_incident(
        "pbn-4", family=Family.SYNTHETIC, text="Klip suara palsu calon", created_at=now - timedelta(hours=6)
    )
    MORE["confirmed"] = make_incident(
        "pbn-5", family=Family.DISINFO, text="Pusat mengundi ditutup esok", created_at=now - timedelta(hours=2)
    )
    seeded.store.upsert_incidents(list(MORE.values()))
    seeded.store.record_action(
        ReviewAction(incident_id=MORE["confirmed"].id, action="confirm", actor="seed", role="commission")
    )
    Alerter(seeded.store, load_registry(DEFAULT_REGISTRY), []).send(list(MORE.values()))


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def _shown(page: Any, incidents: list[Incident]) -> Incident:
    """The one incident whose text the page shows (the review queue draws the picked one's text)."""
    body = page.inner_text("body")
    shown = [i for i in incidents if i.item.text[:30] in body]
    assert len(shown) == 1, f"expected one incident on the page, found {[i.id for i in shown]}"
    return shown[0]


def _until(page: Any, check: Callable[[], Incident]) -> Incident:
    """``check()``'s result once its assertions hold, retried for up to WAIT_MS (the last failure raised)."""
    for _ in range(WAIT_MS // 250):
        try:
            return check()
        except AssertionError:
            page.wait_for_timeout(250)
    return check()


def _success(page: Any) -> str:
    alert = page.locator('[data-testid="stAlertContentSuccess"]').first
    alert.wait_for(timeout=WAIT_MS)
    return alert.inner_text()


def _decide(page: Any, label: str, reason: str = "") -> None:
    page.get_by_text(label, exact=True).click()
    if reason:
        page.get_by_label(re.compile("^Reason")).fill(reason)
    page.get_by_role("button", name="Record decision").click()
    wait_idle(page)


def _answer(page: Any, kind: str, text: str = "", file: Path | None = None) -> None:
    page.get_by_text(kind, exact=True).click()
    if text:
        page.get_by_label("Your answer").fill(text)
    if file is not None:
        page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(file))
        page.get_by_text(file.name).first.wait_for(timeout=WAIT_MS)
    page.get_by_role("button", name="Send answer").click()
    wait_idle(page)


def _status(seeded: Seeded, incident: Incident) -> str:
    found = seeded.store.get_incident(incident.id, Scope.everything())
    assert found is not None
    return found.status.value


def test_two_decisions_in_a_row_land_on_the_incidents_shown(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    queue = [seeded.pbn_new, seeded.pkr2_new, MORE["campaign"], MORE["synthetic"]]
    page = open_page(user="ana")
    go_to_page(page, "Review queue")
    page.get_by_text(re.compile(r"Review queue · \d+ waiting")).wait_for(timeout=WAIT_MS)
    before = int(re.search(r"· (\d+) waiting", page.inner_text("body")).group(1))
    first = _shown(page, queue)
    _decide(page, "Confirm breach")
    message = _success(page)
    assert f"Confirmed {first.breach.clause_id} on @{first.item.account}" in message

    def next_one() -> Incident:
        # On a loaded machine the rerun may still be replacing the page's elements: read until it is drawn.
        assert f"· {before - 1} waiting" in page.inner_text("body"), "the count must follow the decision"
        shown = _shown(page, queue)
        assert shown.id != first.id, "the decided incident must leave the queue at once"
        picker = page.locator('[data-testid="stSelectbox"] input').first.input_value()
        assert shown.id[:8] in picker and first.id[:8] not in picker, "the selector shows the incident decided"
        return shown

    second = _until(page, next_one)
    _decide(page, "Escalate", reason="needs the legal unit")
    assert f"Escalated {second.breach.clause_id} on @{second.item.account}" in _success(page)
    shot(page, "review-after-two-decisions")
    assert _status(seeded, first) == "confirmed"
    assert _status(seeded, second) == "escalated"
    assert [a.action for a in seeded.store.actions(first.id)] == ["confirm"]


def test_a_decision_on_the_incident_page_shows_in_badge_history_and_pack(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    target = MORE["synthetic"]
    page = open_page(f"/?incident={target.id}", user="ana")
    page.get_by_text("Clause breached").wait_for(timeout=WAIT_MS)
    _decide(page, "Dismiss", reason="labelled as satire")
    assert f"Dismissed {target.breach.clause_id} on @{target.item.account}" in _success(page)
    header = page.locator("h3").first.inner_text()
    assert "dismissed" in header and " new" not in header
    assert "No decisions or answers yet" not in page.inner_text("body")
    with page.expect_download(timeout=WAIT_MS) as download_info:
        page.get_by_text("Download evidence pack").click()
    path = ARTIFACTS / "evidence-pack-after-decision.json"
    ARTIFACTS.mkdir(exist_ok=True)
    download_info.value.save_as(str(path))
    pack = json.loads(path.read_bytes())
    assert verify_pack(path.read_bytes())
    assert pack["status"] == "dismissed"
    assert [(a["action"], a["reason"]) for a in pack["history"]] == [("dismiss", "labelled as satire")]


def test_officer_acknowledges_then_responds_on_the_same_incident(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    target = MORE["campaign"]
    page = open_page(user="siti")
    page.get_by_text("Waiting for your answer").wait_for(timeout=WAIT_MS)
    picker = page.locator('[data-testid="stSelectbox"]').first
    picker.wait_for(timeout=WAIT_MS)
    picker.click()
    page.get_by_role("option", name=re.compile(re.escape(target.breach.clause_id))).click()
    wait_idle(page)
    _answer(page, "Acknowledge")
    assert f"Acknowledged {target.breach.clause_id} on @{target.item.account}" in _success(page)
    proof = ARTIFACTS / "takedown-proof.png"
    ARTIFACTS.mkdir(exist_ok=True)
    proof.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    _answer(page, "Respond (content removed, correction, ...)", "Advert taken down at 10:02.", file=proof)
    assert f"Responded to {target.breach.clause_id} on @{target.item.account}" in _success(page)
    shot(page, "officer-inbox-after-answers")
    actions = seeded.store.actions(target.id)
    answers = [(a.action, a.reason) for a in actions]
    assert answers == [("acknowledge", ""), ("respond", "Advert taken down at 10:02.")]
    (sent,) = actions[-1].attachments
    assert (sent.name, sent.sha256) == (proof.name, hashlib.sha256(proof.read_bytes()).hexdigest())
    assert (seeded.data_dir / "attachments" / sent.sha256).read_bytes() == proof.read_bytes()
    commission = open_page(f"/?incident={target.id}", user="ana")  # the proof reaches the commission
    commission.get_by_role("button", name=re.compile(re.escape(proof.name))).wait_for(timeout=WAIT_MS)
    for other in (seeded.pbn_new, seeded.pbn_confirmed):
        assert not [a for a in seeded.store.actions(other.id) if a.role == "party_officer"]


def test_an_appeal_sent_twice_is_recorded_once_and_reaches_the_commission(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    target = MORE["confirmed"]
    page = open_page(f"/?incident={target.id}", user="siti")
    page.get_by_text("Clause breached").wait_for(timeout=WAIT_MS)
    assert _status(seeded, target) == IncidentStatus.CONFIRMED.value
    _answer(page, "Appeal the finding", "The account is a parody, not ours.")
    assert f"Appealed {target.breach.clause_id} on @{target.item.account}" in _success(page)
    _answer(page, "Appeal the finding", "The account is a parody, not ours.")
    page.get_by_text("already recorded").wait_for(timeout=WAIT_MS)
    appeals = [a for a in seeded.store.actions(target.id) if a.action == "appeal"]
    assert len(appeals) == 1
    assert _status(seeded, target) == "appealed"
    commission = open_page(user="ana")
    go_to_page(commission, "Review queue")
    commission.get_by_text(re.compile(r"Review queue · \d+ waiting")).wait_for(timeout=WAIT_MS)
    picker = commission.locator('[data-testid="stSelectbox"]').first
    picker.click()
    commission.get_by_role("option", name=re.compile(re.escape(target.breach.clause_id))).click()
    wait_idle(commission)
    commission.get_by_text("Appealed by siti").wait_for(timeout=WAIT_MS)
    _decide(commission, "Uphold (the breach stands)", reason="the account is the party's own")
    assert f"Upheld {target.breach.clause_id} on @{target.item.account}" in _success(commission)
    shot(commission, "review-after-appeal-upheld")
    assert _status(seeded, target) == "upheld"
    history = [(a.action, a.actor, a.reason) for a in seeded.store.actions(target.id)]
    assert history[-2:] == [
        ("appeal", "siti", "The account is a parody, not ours."),
        ("uphold", "ana", "the account is the party's own"),
    ]
