"""Assignment to a reviewer and comments, in a real browser (issue 18, item 5).

The module adds a second commission reviewer (budi). Ana assigns an incident to budi and
comments on it: each lands on the incident shown, once (a second submission records nothing),
with who and when; the queue shows the assignment; a party officer sees neither.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from pantau.review import describe
from tests.browser.conftest import WAIT_MS, alert_text, choose, go_to_page, shot, wait_idle
from tests.unit.dashboard.conftest import PASSWORD, Seeded

pytestmark = pytest.mark.browser


def _more(seeded: Seeded) -> None:
    seeded.users.add("budi", PASSWORD, "commission", name="Budi Reviewer", rounds=4)


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    return _more


def test_assign_and_comment_land_once_on_the_incident_shown(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    target = seeded.pbn_new
    name = describe(target)
    page = open_page(f"/?incident={target.id}", user="ana")
    page.get_by_text("Assignment and comments").wait_for(timeout=WAIT_MS)
    assert "Assigned to: nobody" in page.get_by_text("Assigned to:").inner_text()

    picker = page.locator('[data-testid="stSelectbox"]').filter(has_text=f"Assign {name} to")
    choose(page, picker, "budi", "assign-choose-failed")
    page.get_by_role("button", name="Assign", exact=True).click()
    assert f"Assigned {name} to budi" in alert_text(page, "Assigned")
    assert "Assigned to: budi" in page.get_by_text("Assigned to:").inner_text()
    assert picker.locator("input").input_value() == "budi", "the form is drawn again with budi"
    page.get_by_role("button", name="Assign", exact=True).click()  # sent again: nothing new
    assert "already assigned to budi" in alert_text(page, "already assigned")

    def comment(text: str, expect: str) -> str:
        box = page.locator('[data-testid="stTextArea"]').filter(has_text=f"Comment on {name}")
        box.locator("textarea").fill(text)
        page.get_by_role("button", name="Add comment").click()
        return alert_text(page, expect)

    assert f"Comment on {name}." in comment("Check the address with the police", "Comment on")
    assert "there already" in comment("Check the address with the police", "there already")
    comments = page.locator('[data-testid="stDataFrame"]').filter(has_text="Check the address with the police")
    assert comments.count() == 2, "the comment is listed on the incident page (History and Comments)"
    shot(page, "incident-assign-comment")
    actions = seeded.store.actions(target.id)
    assert [(a.action, a.actor, a.reason) for a in actions] == [
        ("assign", "ana", "budi"),
        ("comment", "ana", "Check the address with the police"),
    ]
    for other in (seeded.pbn_confirmed, seeded.pkr2_new):
        assert [a for a in seeded.store.actions(other.id) if a.action in ("assign", "comment")] == []
    events = [e.event for e in seeded.store.audit_log() if e.target == target.id]
    assert events.count("assign") == 1 and events.count("comment") == 1

    queue = open_page(user="ana")
    go_to_page(queue, "Review queue")
    queue.get_by_text(re.compile("Review queue · ")).wait_for(timeout=WAIT_MS)
    grid = queue.locator('[data-testid="stDataFrame"]').filter(has_text="assigned").filter(has_text="budi")
    grid.first.wait_for(state="attached", timeout=WAIT_MS)


def test_party_officer_sees_no_assignment_and_no_comment(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    page = open_page(f"/?incident={seeded.pbn_new.id}", user="siti")
    page.get_by_text("History").first.wait_for(timeout=WAIT_MS)
    wait_idle(page)
    page.locator('[data-testid="stDataFrame"]').first.wait_for(timeout=WAIT_MS)
    body = page.locator("body").text_content() or ""
    assert "Assignment and comments" not in body
    assert "Check the address" not in body and "budi" not in body
