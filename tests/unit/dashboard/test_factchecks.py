"""Fact-check queue page (dashboard.views.factchecks): who sees it, and a verdict lands on the entry shown."""

from __future__ import annotations

import html
from typing import Any

import pytest

from dashboard.main import PAGES
from detectors.disinfo.claims import ClaimsDB
from pantau.access import scope_for
from pantau.stores.base import ClaimCheck, IncidentQuery, Scope
from tests.unit.dashboard.conftest import PASSWORD, Seeded, go_to

FIRST = ClaimCheck(
    item_id="q1", text="The dam cost 4 billion ringgit", party="pbn", account="pbn.official", platform="facebook",
    checkworthy=0.9, nearest=[{"claim_id": "c1", "claim": "Dam budget tripled", "verdict": "false",
                               "url": "https://check.example/1", "probability": 0.2}],
)
SECOND = ClaimCheck(
    item_id="q2", text="Schools got 30 new buses this year", party="pkr2", account="pkr2.rasmi",
    platform="facebook", checkworthy=0.7,
)


@pytest.fixture
def queued(seeded: Seeded) -> Seeded:
    seeded.users.add("rini", PASSWORD, "fact_checker", name="Rini Fact", rounds=4)
    seeded.store.add_claim_checks([FIRST, SECOND])
    return seeded


def test_only_the_commission_and_fact_checkers_have_the_page() -> None:
    holders = sorted(role for role, pages in PAGES.items() if "Fact-check queue" in pages)
    assert holders == ["commission", "fact_checker"]
    assert list(PAGES["fact_checker"]) == ["Fact-check queue"]


def test_party_officers_and_journalists_see_no_entry_even_through_the_store(queued: Seeded) -> None:
    for name in ("siti", "jo"):
        scope = scope_for(queued.users.get(name))  # type: ignore[arg-type]
        assert queued.store.claim_checks(scope) == [] and queued.store.get_claim_check(FIRST.id, scope) is None
    rini = scope_for(queued.users.get("rini"))  # type: ignore[arg-type]
    assert len(queued.store.claim_checks(rini)) == 2
    assert queued.store.search(IncidentQuery(), rini).total == 0  # and no incident


def test_a_party_officer_cannot_open_the_page_by_url(app: Any, queued: Seeded) -> None:
    at = app("siti", params={"page": "Fact-check queue"})
    assert not at.exception
    assert "Fact-check queue" not in next(r for r in at.radio if r.key == "nav").options
    text = " ".join(m.value for m in at.markdown)
    assert FIRST.text not in text and SECOND.text not in text


def test_a_verdict_lands_on_the_entry_shown_and_becomes_a_claimreview(app: Any, queued: Seeded) -> None:
    at = app("rini")
    assert not at.exception
    assert next(r for r in at.radio if r.key == "nav").options == ["Fact-check queue"]
    assert list(at.dataframe[0].value["text"]) == [FIRST.text, SECOND.text]  # most check-worthy first
    assert list(at.dataframe[1].value["claim"]) == ["Dam budget tripled"]  # the nearest fact-checks
    at.selectbox(key="check-pick").set_value(SECOND.id).run()
    form = f"rate-{SECOND.id}"
    at.radio(key=f"{form}-verdict").set_value("misleading")
    at.text_input(key=f"{form}-rating").input("Mengelirukan")
    at.button(key=f"FormSubmitter:{form}-Record verdict").click().run()
    assert not at.exception
    said = [html.unescape(s.value) for s in at.success]
    assert any(s.startswith("Rated @pkr2.rasmi: Schools got 30") and "Mengelirukan" in s for s in said), said
    got = queued.store.get_claim_check(SECOND.id, Scope.everything())
    assert got is not None and (got.status, got.verdict, got.rating, got.decided_by) == (
        "rated", "misleading", "Mengelirukan", "rini"
    )
    assert queued.store.get_claim_check(FIRST.id, Scope.everything()).status == "waiting"  # type: ignore[union-attr]
    review = ClaimsDB.open(queued.data_dir / "claims").get(got.claim_id)
    assert review is not None and review.claim == SECOND.text and review.verdict == "misleading"
    assert [e.target for e in queued.store.audit_log() if e.event == "rate_claim"] == [SECOND.id]
    # The queue now holds the first entry only, and the decided one is listed below.
    assert list(at.dataframe[0].value["text"]) == [FIRST.text]
    assert at.selectbox(key="check-pick").value == FIRST.id


def test_a_verdict_without_a_choice_records_nothing(app: Any, queued: Seeded) -> None:
    at = app("ana")
    go_to(at, "Fact-check queue")
    at.button(key=f"FormSubmitter:rate-{FIRST.id}-Record verdict").click().run()
    assert any("Choose a verdict" in e.value for e in at.error)
    assert len(queued.store.claim_checks(Scope.everything())) == 2
