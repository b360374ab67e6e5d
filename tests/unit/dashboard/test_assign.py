"""Assignment and comments (dashboard.views.assign): the assignee, who sees the notes, retries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from dashboard.views.assign import assignee, public_history
from pantau.review import submit
from pantau.schemas import utcnow
from pantau.stores.base import ReviewAction
from tests.unit.dashboard.conftest import Seeded


def _act(action: Any, reason: str = "", minutes: int = 0, incident_id: str = "i") -> ReviewAction:
    return ReviewAction(
        incident_id=incident_id, action=action, actor="ana", role="commission", reason=reason,
        at=utcnow() + timedelta(minutes=minutes),
    )


def test_assignee_is_the_last_assignment_and_empty_unassigns() -> None:
    assert assignee([]) is None
    history = [_act("assign", "budi", 0), _act("comment", "look", 1), _act("assign", "ana", 2)]
    assert assignee(history) == "ana"
    assert assignee([*history, _act("assign", "", 3)]) is None


def test_only_the_commission_sees_comments_and_assignment() -> None:
    history = [_act("confirm", "", 0), _act("assign", "budi", 1), _act("comment", "look", 2)]
    assert public_history(history, "commission") == history
    for role in ("party_officer", "journalist"):
        assert [a.action for a in public_history(history, role)] == ["confirm"]


def test_a_comment_between_does_not_hide_a_retried_answer(seeded: Seeded) -> None:
    target = seeded.pbn_new
    answer = ReviewAction(
        incident_id=target.id, action="respond", actor="siti", role="party_officer", reason="Taken down"
    )
    assert submit(seeded.store, answer).result == "recorded"
    seeded.store.record_action(_act("comment", "noted", 1, target.id))
    again = answer.model_copy(update={"id": "", "at": utcnow() + timedelta(minutes=2)})
    again.model_post_init(None)
    assert submit(seeded.store, again).result == "duplicate"
    assert [a.action for a in seeded.store.actions(target.id)] == ["respond", "comment"]
