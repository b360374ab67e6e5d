"""One card per post with a decision for all its clauses, in a real browser (issue 18, item 5).

The module adds a post that breaches two clauses (GBV-1 and DIS-1: two incidents of one item).
Picked in the review queue, its card lists both; one submit dismisses both with the same reason,
each recorded separately and audited; both leave the queue; other incidents are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pantau.schemas import Family, IncidentStatus, Severity
from pantau.stores.base import Scope
from tests.browser.conftest import WAIT_MS, alert_text, shot
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser

POST: list[Any] = []


def _more(seeded: Seeded) -> None:
    text = "Perempuan tak layak memimpin; undi boleh dibuat melalui SMS"
    gbv = make_incident("multi-1", text=text, severity=Severity.CRITICAL, account="pbn.multi")
    dis = make_incident("multi-1", text=text, family=Family.DISINFO, account="pbn.multi")
    seeded.store.upsert_incidents([gbv, dis])
    POST.extend([gbv, dis])


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def test_one_submit_decides_every_clause_of_the_post_once(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    gbv, dis = POST
    assert gbv.item.id == dis.item.id and gbv.id != dis.id
    page = open_page(f"/?page=Review+queue&pick={gbv.id}", user="ana")
    page.get_by_text("This post breaches 2 clauses").wait_for(timeout=WAIT_MS)
    form = page.locator('[data-testid="stForm"]').filter(has_text="Decide all 2 clauses")
    assert "Decide all 2: DIS-1 on @pbn.multi, GBV-1 on @pbn.multi" in form.inner_text()
    assert page.get_by_text("DIS-1 · No false claims about voting").count() == 1
    form.get_by_text("dismiss", exact=True).click()
    form.get_by_role("button", name="Decide all 2 clauses").click()
    assert "Give a reason" in alert_text(page, "Give a reason")
    assert seeded.store.actions(gbv.id) == [] and seeded.store.actions(dis.id) == []
    form.get_by_text("dismiss", exact=True).click()
    form.get_by_label("Reason (the same for each clause)").fill("Satire account, not the party")
    form.get_by_role("button", name="Decide all 2 clauses").click()
    said = alert_text(page, "Dismissed 2 clause(s)")
    assert "DIS-1 on @pbn.multi" in said and "GBV-1 on @pbn.multi" in said
    shot(page, "review-bulk-post")
    for incident in (gbv, dis):
        actions = seeded.store.actions(incident.id)
        assert [(a.action, a.actor, a.reason) for a in actions] == [
            ("dismiss", "ana", "Satire account, not the party")
        ]
        stored = seeded.store.get_incident(incident.id, Scope.everything())
        assert stored is not None and stored.status == IncidentStatus.DISMISSED
    for other in (seeded.pbn_new, seeded.pkr2_new):
        assert seeded.store.actions(other.id) == [], "only the clauses of the post shown"
    # Both left the queue: the card is gone; nothing more is recorded.
    assert page.get_by_text("This post breaches 2 clauses").count() == 0
    events = [e for e in seeded.store.audit_log() if e.event == "decide" and e.target in (gbv.id, dis.id)]
    assert len(events) == 2
