"""The fact-check queue in a real browser (issue 22, item 1).

The module adds a fact-checker (rini) and two queue entries. Rini picks the second entry and
rates it: the verdict lands on that entry (the first stays waiting), once (a second submission
of the form records nothing more), and becomes a ClaimReview in Pantau's claims database. A
party officer has no such page and sees none of the queue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from detectors.disinfo.claims import ClaimsDB
from pantau.stores.base import ClaimCheck, Scope
from tests.browser.conftest import WAIT_MS, alert_text, choose, go_to_page, shot
from tests.unit.dashboard.conftest import PASSWORD, Seeded

pytestmark = pytest.mark.browser

FIRST = ClaimCheck(
    item_id="q1", text="The dam cost 4 billion ringgit", party="pbn", account="pbn.official", platform="facebook",
    checkworthy=0.9, nearest=[{"claim_id": "c1", "claim": "Dam budget tripled in a year", "verdict": "false",
                               "url": "https://check.example/1", "probability": 0.2}],
)
SECOND = ClaimCheck(
    item_id="q2", text="Schools got 30 new buses this year", party="pkr2", account="pkr2.rasmi",
    platform="facebook", checkworthy=0.7,
)


def _more(seeded: Seeded) -> None:
    seeded.users.add("rini", PASSWORD, "fact_checker", name="Rini Fact", rounds=4)
    seeded.store.add_claim_checks([FIRST, SECOND])


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def test_a_verdict_lands_once_on_the_claim_shown(served: tuple[str, Seeded], open_page: Callable[..., Any]) -> None:
    _, seeded = served
    page = open_page(user="rini")
    page.get_by_text(re.compile("Fact-check queue · 2 waiting")).wait_for(timeout=WAIT_MS)
    page.get_by_text("Dam budget tripled in a year").first.wait_for(state="attached", timeout=WAIT_MS)

    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text="Claim")
    choose(page, picker, "@pkr2.rasmi: Schools got 30 new buses this year", "factcheck-choose-failed")
    radio = page.locator('[data-testid="stRadio"]').filter(has_text="Verdict on @pkr2.rasmi")
    radio.get_by_text("Misleading", exact=True).click()
    page.get_by_label(re.compile("^Rating as published")).fill("Mengelirukan")
    page.get_by_role("button", name="Record verdict").click()
    said = alert_text(page, "Rated @pkr2.rasmi")
    assert "Mengelirukan" in said and "ClaimReview" in said
    shot(page, "factcheck-rated")

    got = seeded.store.get_claim_check(SECOND.id, Scope.everything())
    assert got is not None and (got.status, got.verdict, got.decided_by) == ("rated", "misleading", "rini")
    assert seeded.store.get_claim_check(FIRST.id, Scope.everything()).status == "waiting"  # type: ignore[union-attr]
    page.get_by_text(re.compile("Fact-check queue · 1 waiting")).wait_for(timeout=WAIT_MS)
    # The form now shows the remaining entry: submitting it without a verdict records nothing.
    page.get_by_role("button", name="Record verdict").click()
    alert_text(page, "Choose a verdict")
    assert seeded.store.get_claim_check(FIRST.id, Scope.everything()).status == "waiting"  # type: ignore[union-attr]
    claims = list(ClaimsDB.open(seeded.data_dir / "claims"))
    assert [(c.claim, c.verdict, c.rating) for c in claims] == [(SECOND.text, "misleading", "Mengelirukan")]
    assert [e.target for e in seeded.store.audit_log() if e.event == "rate_claim"] == [SECOND.id]


def test_a_party_officer_has_no_queue(served: tuple[str, Seeded], open_page: Callable[..., Any]) -> None:
    page = open_page("/?page=Fact-check+queue", user="siti")
    go_to_page(page, "Inbox")
    body = page.locator("body").text_content() or ""
    assert "Fact-check queue" not in body
    assert FIRST.text not in body and SECOND.text not in body
