"""One card per post (dashboard.views.bulk): which incidents share the post, and the review queue's card."""

from __future__ import annotations

from typing import Any

from dashboard.views.bulk import post_incidents
from pantau.schemas import Family
from tests.mocks.incidents import make_incident
from tests.unit.dashboard.conftest import Seeded, go_to


def test_post_incidents_are_the_clauses_of_the_same_item_by_clause() -> None:
    gbv = make_incident("p-1")
    dis = make_incident("p-1", family=Family.DISINFO)
    other = make_incident("p-2")
    assert [i.breach.clause_id for i in post_incidents(gbv, [other, gbv, dis])] == ["DIS-1", "GBV-1"]
    assert post_incidents(other, [other, gbv, dis]) == [other]


def test_queue_shows_the_card_and_one_submit_decides_each_clause(app: Any, seeded: Seeded) -> None:
    gbv = make_incident("p-1", account="pbn.multi")
    dis = make_incident("p-1", family=Family.DISINFO, account="pbn.multi")
    seeded.store.upsert_incidents([gbv, dis])
    at = app("ana")
    go_to(at, "Review queue")
    at.selectbox(key="review-pick").set_value(gbv.id).run()
    form = f"bulk-{gbv.item.id}"
    at.radio(key=f"{form}-action").set_value("confirm")
    at.text_input(key=f"{form}-reason").input("both hold")
    next(b for b in at.button if b.label == "Decide all 2 clauses").click().run()
    assert not at.exception
    for incident in (gbv, dis):
        assert [(a.action, a.reason) for a in seeded.store.actions(incident.id)] == [("confirm", "both hold")]
    assert not [b for b in at.button if b.label == "Decide all 2 clauses"], "both left the queue"
