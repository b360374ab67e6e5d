"""The review workflow (pantau.review): transitions, who may do what, and each submission recorded once."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.review import action_id, allowed_actions, describe, submit
from pantau.schemas import IncidentStatus
from pantau.stores.base import ReviewAction, Scope
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import make_incident

S = IncidentStatus


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "pantau.db")
    store.open()
    return store


def _act(incident_id: str, action: str, who: str = "ana", reason: str = "", form: str = "t") -> ReviewAction:
    role = "commission" if who == "ana" else "party_officer"
    return ReviewAction(
        id=action_id(incident_id, action, who, form),
        incident_id=incident_id,
        action=action,  # type: ignore[arg-type]
        actor=who,
        role=role,
        reason=reason,
    )


@pytest.mark.parametrize(
    ("status", "role", "expected"),
    [
        (S.NEW, "commission", ["confirm", "dismiss", "escalate"]),
        (S.ESCALATED, "commission", ["confirm", "dismiss", "reopen"]),
        (S.CONFIRMED, "commission", ["reopen"]),
        (S.APPEALED, "commission", ["uphold", "overturn"]),
        (S.UPHELD, "commission", ["reopen"]),
        (S.NEW, "party_officer", ["acknowledge", "respond", "appeal"]),
        (S.CONFIRMED, "party_officer", ["acknowledge", "respond", "appeal"]),
        (S.DISMISSED, "party_officer", ["acknowledge", "respond"]),
        (S.APPEALED, "party_officer", ["acknowledge", "respond"]),
        (S.OVERTURNED, "party_officer", ["acknowledge", "respond"]),
        (S.CONFIRMED, "journalist", []),
    ],
)
def test_allowed_actions_follow_the_status_and_role(status: IncidentStatus, role: str, expected: list[str]) -> None:
    assert allowed_actions(status, role) == expected


def test_the_appeal_loop_closes_with_who_and_why(store: SQLiteStore) -> None:
    inc = make_incident("a1")
    store.upsert_incidents([inc])
    steps = [
        (_act(inc.id, "confirm"), S.NEW, "confirmed"),
        (_act(inc.id, "appeal", "siti", "parody account"), S.CONFIRMED, "appealed"),
        (_act(inc.id, "overturn", "ana", "the account is not the party's"), S.APPEALED, "overturned"),
    ]
    for action, seen, status in steps:
        outcome = submit(store, action, seen)
        assert outcome.result == "recorded", outcome.message
        assert outcome.incident is not None and outcome.incident.status.value == status
    assert "Overturned GBV-1 on @pbn.official (now overturned)." == outcome.message
    history = [(a.action, a.actor, a.role, a.reason) for a in store.actions(inc.id)]
    assert history == [
        ("confirm", "ana", "commission", ""),
        ("appeal", "siti", "party_officer", "parody account"),
        ("overturn", "ana", "commission", "the account is not the party's"),
    ]


def test_a_double_click_and_a_retry_record_once(store: SQLiteStore) -> None:
    inc = make_incident("a2")
    store.upsert_incidents([inc])
    first = _act(inc.id, "respond", "siti", "removed", form="form-1")
    assert submit(store, first, S.NEW).result == "recorded"
    assert submit(store, first.model_copy(), S.NEW).result == "duplicate"  # the same form sent twice
    retry = _act(inc.id, "respond", "siti", "removed", form="form-2")  # the same answer, a new form
    assert submit(store, retry, S.NEW).result == "duplicate"
    other = _act(inc.id, "respond", "siti", "and the correction is published", form="form-3")
    assert submit(store, other, S.NEW).result == "recorded"
    assert [a.reason for a in store.actions(inc.id)] == ["removed", "and the correction is published"]


def test_a_decision_on_a_status_that_changed_since_it_was_drawn_is_refused(store: SQLiteStore) -> None:
    inc = make_incident("a3")
    store.upsert_incidents([inc])
    assert submit(store, _act(inc.id, "escalate", reason="legal", form="x"), S.NEW).result == "recorded"
    stale = submit(store, _act(inc.id, "confirm", form="y"), S.NEW)  # drawn while it was new
    assert stale.result == "refused" and "changed from new to escalated" in stale.message
    assert store.get_incident(inc.id, Scope.everything()).status == S.ESCALATED  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("action", "who", "status", "words"),
    [
        ("uphold", "ana", S.NEW, "not possible now"),  # nothing was appealed
        ("appeal", "siti", S.DISMISSED, "not possible now"),  # nothing to appeal
        ("dismiss", "ana", S.NEW, "needs a reason"),
        ("confirm", "siti", S.NEW, "not possible now"),  # officers do not decide
    ],
)
def test_refused_actions_record_nothing(
    store: SQLiteStore, action: str, who: str, status: IncidentStatus, words: str
) -> None:
    inc = make_incident("a4", status=status)
    store.upsert_incidents([inc])
    outcome = submit(store, _act(inc.id, action, who), status)
    assert outcome.result == "refused" and words in outcome.message
    assert store.actions(inc.id) == []


def test_unknown_incident_is_refused(store: SQLiteStore) -> None:
    assert submit(store, _act("nope", "confirm"), S.NEW).result == "refused"


def test_describe_names_clause_and_account() -> None:
    assert describe(make_incident("a5", account="@x")) == "GBV-1 on @x"
    assert describe(make_incident("a6", account="")) == "GBV-1 on an unknown account"


def test_the_same_answer_with_another_file_is_a_new_answer(store: SQLiteStore) -> None:
    from pantau.stores.base import Attachment

    inc = make_incident("a7")
    store.upsert_incidents([inc])
    plain = _act(inc.id, "respond", "siti", "removed", form="f1")
    proof = Attachment(sha256="ab" * 32, name="proof.png", size=10, mime="image/png")
    with_file = _act(inc.id, "respond", "siti", "removed", form="f2").model_copy(update={"attachments": [proof]})
    assert submit(store, plain, S.NEW).result == "recorded"
    assert submit(store, with_file, S.NEW).result == "recorded"
    assert submit(store, with_file.model_copy(update={"id": "other"}), S.NEW).result == "duplicate"
    assert store.actions(inc.id)[-1].attachments == [proof]  # kept by the store with the answer
