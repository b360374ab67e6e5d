"""The store test suite every :class:`~pantau.stores.base.IncidentStore` must pass.

SQLite (``tests/unit/stores/test_sqlite.py``) and the search engines
(``tests/integration/test_search_store.py``) run these same assertions. To hook a store,
subclass :class:`StoreContract` in a ``test_*.py`` file and give it a ``store`` fixture that
yields an opened, empty store::

    class TestSQLiteStore(StoreContract):
        @pytest.fixture
        def store(self, tmp_path: Path) -> Iterator[IncidentStore]:
            with SQLiteStore(tmp_path / "pantau.db") as store:
                yield store

Tests call ``store.flush()`` after writing and before reading from another angle, as the
interface asks callers to do (a no-op for SQLite; a refresh for search engines).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from pantau.schemas import (
    Alert,
    Breach,
    DeadLetter,
    Family,
    Incident,
    IncidentStatus,
    MediaItem,
    Severity,
    Signal,
    TextPart,
)
from pantau.stores.base import AuditEvent, ClaimCheck, IncidentQuery, IncidentStore, ReviewAction, Scope

__all__ = ["StoreContract", "make_alert", "make_dead_letter", "make_incident"]

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def make_incident(
    n: int,
    *,
    text: str = "",
    party: str | None = "party-a",
    family: Family = Family.GBV,
    severity: Severity = Severity.MEDIUM,
    clause_id: str = "c1",
    platform: str = "facebook",
    created_at: datetime | None = None,
    ocr: str = "",
) -> Incident:
    """Return a small, valid incident numbered ``n`` (its ids derive from ``n`` and the clause)."""
    item = MediaItem(
        id=MediaItem.make_id("feed:test", str(n)),
        source="feed:test",
        native_id=str(n),
        platform=platform,
        account=f"acct{n}",
        party=party,
        text=text or f"post number {n}",
        language="en",
        published_at=T0,
    )
    breach = Breach(
        code_id="model",
        code_version="1",
        clause_id=clause_id,
        clause_title=f"Clause {clause_id}",
        family=family,
        severity=severity,
        rule="true",
        signals=["test.detector"],
        attributed_party=party,
    )
    signal = Signal(
        item_id=item.id,
        detector="test.detector",
        version="1",
        family=family,
        score=0.9,
        label="hit",
        evidence="fixture",
    )
    parts = [TextPart(origin="ocr", text=ocr)] if ocr else []
    created = created_at or T0 + timedelta(minutes=n)
    return Incident(
        id=Incident.make_id(item.id, "model", clause_id),
        item=item,
        breach=breach,
        signals=[signal],
        text_parts=parts,
        created_at=created,
        updated_at=created,
    )


def make_dead_letter(n: int, stage: str = "detect") -> DeadLetter:
    """Return a dead letter numbered ``n``."""
    return DeadLetter(
        id=f"dead-{n}",
        stage=stage,
        reason=f"ValueError: bad {n}",
        error_type="ValueError",
        item_id=f"item-{n}",
        payload=f'{{"n": {n}}}',
        created_at=T0 + timedelta(seconds=n),
    )


def make_alert(incident: Incident, recipient: str = "officer@party-a", n: int = 0) -> Alert:
    """Return the alert about ``incident`` to ``recipient``."""
    return Alert(
        id=Alert.make_id(incident.id, recipient),
        incident_id=incident.id,
        recipient=recipient,
        party=incident.party,
        subject=f"Incident {incident.id}",
        body="Please review.",
        created_at=T0 + timedelta(minutes=n),
    )


def _ids(result: Any) -> list[str]:
    return [i.id for i in result.incidents]


class StoreContract:
    """Assertions shared by every store; subclasses provide the ``store`` fixture."""

    @pytest.fixture
    def store(self) -> IncidentStore:  # pragma: no cover - replaced by subclasses
        """An opened, empty store."""
        raise NotImplementedError("subclass StoreContract and define a `store` fixture")

    # -- incidents: idempotent writes ----------------------------------------------------------
    def test_upsert_counts_only_new_incidents(self, store: IncidentStore) -> None:
        incidents = [make_incident(n) for n in range(3)]
        assert store.upsert_incidents(incidents) == 3
        assert store.upsert_incidents(incidents[:2] + [make_incident(3)]) == 1

    def test_replayed_incidents_are_not_duplicated(self, store: IncidentStore) -> None:
        incidents = [make_incident(n) for n in range(4)]
        store.upsert_incidents(incidents)
        store.upsert_incidents(incidents)
        store.flush()
        result = store.search(IncidentQuery(), Scope.everything())
        assert result.total == 4
        assert sorted(_ids(result)) == sorted(i.id for i in incidents)

    def test_reupsert_keeps_review_status(self, store: IncidentStore) -> None:
        inc = make_incident(1)
        store.upsert_incidents([inc])
        store.record_action(
            ReviewAction(incident_id=inc.id, action="confirm", actor="ana", role="commission")
        )
        store.upsert_incidents([inc])
        store.flush()
        got = store.get_incident(inc.id, Scope.everything())
        assert got is not None and got.status == IncidentStatus.CONFIRMED
        assert store.search(IncidentQuery(statuses=["confirmed"]), Scope.everything()).total == 1

    def test_get_incident_round_trips_the_record(self, store: IncidentStore) -> None:
        inc = make_incident(7, ocr="text found in the image")
        store.upsert_incidents([inc])
        got = store.get_incident(inc.id, Scope.everything())
        assert got is not None
        assert got.model_dump(exclude={"updated_at"}) == inc.model_dump(exclude={"updated_at"})

    def test_get_incident_of_unknown_id_is_none(self, store: IncidentStore) -> None:
        assert store.get_incident("no-such-incident", Scope.everything()) is None

    def test_get_incident_outside_scope_is_none(self, store: IncidentStore) -> None:
        inc = make_incident(1, party="party-a")
        store.upsert_incidents([inc])
        assert store.get_incident(inc.id, Scope(parties=frozenset({"party-b"}))) is None
        assert store.get_incident(inc.id, Scope(parties=frozenset({"party-a"}))) is not None

    # -- search ----------------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("deepfake", {0}),
            ("DEEPFAKE video", {0}),
            ("pilihan raya", {1}),
            ("pemilu", {2}),
            ("watermark", {3}),
            ("deepfake pemilu", set()),
            ("nothingmatches", set()),
        ],
    )
    def test_full_text_search_requires_every_word(
        self, store: IncidentStore, text: str, expected: set[int]
    ) -> None:
        incidents = [
            make_incident(0, text="A deepfake video of the candidate"),
            make_incident(1, text="Kempen pilihan raya yang kotor"),
            make_incident(2, text="Hoaks tentang pemilu"),
            make_incident(3, text="an image", ocr="no watermark visible"),
        ]
        store.upsert_incidents(incidents)
        store.flush()
        result = store.search(IncidentQuery(text=text), Scope.everything())
        assert set(_ids(result)) == {incidents[n].id for n in expected}
        assert result.total == len(expected)

    def test_search_highlights_the_matching_words(self, store: IncidentStore) -> None:
        inc = make_incident(0, text="A deepfake video of the candidate")
        store.upsert_incidents([inc])
        store.flush()
        result = store.search(IncidentQuery(text="deepfake"), Scope.everything())
        assert "<mark>" in result.highlights[inc.id]
        assert "deepfake" in result.highlights[inc.id].lower()

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("kitchen parliament", {0}),
            ("kitchen OR parliament", {0, 1, 2}),
            ("kitchen OR nothingmatches", {0, 1}),
            ('"vote buying"', {2}),
            ('"buying vote"', set()),
            ("parliament -kitchen", {2}),
            ('parliament -"vote buying"', {0}),
            ("-kitchen", {2, 3}),
            ("AND OR", set()),  # no term but the operator words: nothing, never an error
            ('"', set()),
        ],
    )
    def test_boolean_queries(self, store: IncidentStore, text: str, expected: set[int]) -> None:
        incidents = [
            make_incident(0, text="The kitchen of parliament"),
            make_incident(1, text="A kitchen table"),
            make_incident(2, text="Vote buying near parliament"),
            make_incident(3, text="Nothing to see"),
        ]
        store.upsert_incidents(incidents)
        store.flush()
        result = store.search(IncidentQuery(text=text), Scope.everything())
        assert set(_ids(result)) == {incidents[n].id for n in expected}
        assert result.total == len(expected)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("deepfake", {1}),  # the family's own word
            ("synthetic", {1}),
            ("c7", {0}),  # the clause id
            ("Clause c7", {0}),  # and its title
            ("doctored", {1}),  # a detector's evidence
            ("voice-clone", {1}),  # its label
            ("party-sponsored", {0}),  # the item's labels
        ],
    )
    def test_search_covers_clause_family_labels_and_evidence(
        self, store: IncidentStore, text: str, expected: set[int]
    ) -> None:
        tagged = make_incident(0, text="plain words", clause_id="c7")
        tagged = tagged.model_copy(
            update={"item": tagged.item.model_copy(update={"labels": ["party-sponsored"]})}
        )
        synthetic = make_incident(1, text="other words", family=Family.SYNTHETIC)
        signal = synthetic.signals[0].model_copy(update={"label": "voice-clone", "evidence": "doctored audio"})
        synthetic = synthetic.model_copy(update={"signals": [signal]})
        store.upsert_incidents([tagged, synthetic])
        store.flush()
        result = store.search(IncidentQuery(text=text), Scope.everything())
        assert set(_ids(result)) == {[tagged, synthetic][n].id for n in expected}

    @pytest.mark.parametrize("text", ["6789", "3456789", "Mawar", '"Jalan Mawar"', "rina@mail.example"])
    def test_a_redacting_scope_searches_the_redacted_text(self, store: IncidentStore, text: str) -> None:
        inc = make_incident(
            0,
            text="Dia tinggal di Jalan Mawar 12, telefon +60 12-345 6789 atau 012-3456789, rina@mail.example, "
            "pilihan raya",
        )
        store.upsert_incidents([inc])
        store.flush()
        assert _ids(store.search(IncidentQuery(text=text), Scope.everything())) == [inc.id]
        journalist = Scope(redact=True)
        assert store.search(IncidentQuery(text=text), journalist).total == 0
        found = store.search(IncidentQuery(text="pilihan raya"), journalist)
        assert _ids(found) == [inc.id]  # what the page shows is still found
        for snippet in found.highlights.values():
            assert "3456789" not in snippet and "Mawar" not in snippet

    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            (IncidentQuery(families=["disinfo"]), {1}),
            (IncidentQuery(parties=["party-b"]), {2}),
            (IncidentQuery(severities=["critical", "high"]), {1, 2}),
            (IncidentQuery(clause_ids=["c9"]), {3}),
            (IncidentQuery(platforms=["tiktok"]), {3}),
            (IncidentQuery(families=["gbv"], parties=["party-a"]), {0, 3}),
            (IncidentQuery(statuses=["dismissed"]), set()),
        ],
    )
    def test_filters_select_incidents(
        self, store: IncidentStore, query: IncidentQuery, expected: set[int]
    ) -> None:
        incidents = [
            make_incident(0),
            make_incident(1, family=Family.DISINFO, severity=Severity.HIGH),
            make_incident(2, party="party-b", severity=Severity.CRITICAL),
            make_incident(3, clause_id="c9", platform="tiktok"),
        ]
        store.upsert_incidents(incidents)
        store.flush()
        assert set(_ids(store.search(query, Scope.everything()))) == {incidents[n].id for n in expected}

    @pytest.mark.parametrize(
        ("scope", "expected"),
        [
            (Scope.everything(), {0, 1, 2}),
            (Scope(parties=frozenset({"party-a"})), {0, 1}),
            (Scope(parties=frozenset()), set()),
            (Scope(statuses=frozenset({IncidentStatus.CONFIRMED})), {1}),
            (Scope(parties=frozenset({"party-b"}), statuses=frozenset({IncidentStatus.CONFIRMED})), set()),
        ],
    )
    def test_scope_limits_what_a_user_sees(
        self, store: IncidentStore, scope: Scope, expected: set[int]
    ) -> None:
        incidents = [make_incident(0), make_incident(1), make_incident(2, party="party-b")]
        store.upsert_incidents(incidents)
        store.record_action(
            ReviewAction(incident_id=incidents[1].id, action="confirm", actor="a", role="commission")
        )
        store.flush()
        result = store.search(IncidentQuery(), scope)
        assert set(_ids(result)) == {incidents[n].id for n in expected}
        assert result.total == len(expected)
        assert sum(result.facets["party"].values()) == len(expected)

    def test_facets_count_the_whole_result(self, store: IncidentStore) -> None:
        store.upsert_incidents(
            [
                make_incident(0),
                make_incident(1, party="party-b"),
                make_incident(2, party="party-b"),
                make_incident(3, party=None, family=Family.DISINFO),
            ]
        )
        store.flush()
        result = store.search(IncidentQuery(limit=1), Scope.everything())
        assert result.total == 4 and len(result.incidents) == 1
        assert result.facets["party"] == {"party-b": 2, "party-a": 1, "": 1}
        assert result.facets["family"] == {"gbv": 3, "disinfo": 1}
        assert result.facets["status"] == {"new": 4}

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [("newest", [3, 2, 1, 0]), ("oldest", [0, 1, 2, 3]), ("severity", [2, 3, 0, 1])],
    )
    def test_sort_orders(self, store: IncidentStore, sort: str, expected: list[int]) -> None:
        incidents = [
            make_incident(0, severity=Severity.HIGH),
            make_incident(1, severity=Severity.LOW),
            make_incident(2, severity=Severity.CRITICAL),
            make_incident(3, severity=Severity.HIGH),
        ]
        store.upsert_incidents(incidents)
        store.flush()
        result = store.search(IncidentQuery(sort=sort), Scope.everything())  # type: ignore[arg-type]
        assert _ids(result) == [incidents[n].id for n in expected]

    def test_paging_with_limit_and_offset(self, store: IncidentStore) -> None:
        incidents = [make_incident(n) for n in range(5)]
        store.upsert_incidents(incidents)
        store.flush()
        page = store.search(IncidentQuery(sort="oldest", limit=2, offset=2), Scope.everything())
        assert page.total == 5
        assert _ids(page) == [incidents[2].id, incidents[3].id]

    def test_time_window_is_since_inclusive_until_exclusive(self, store: IncidentStore) -> None:
        incidents = [make_incident(n) for n in range(4)]  # created at T0 + n minutes
        store.upsert_incidents(incidents)
        store.flush()
        query = IncidentQuery(since=T0 + timedelta(minutes=1), until=T0 + timedelta(minutes=3))
        assert set(_ids(store.search(query, Scope.everything()))) == {incidents[1].id, incidents[2].id}

    def test_time_window_on_publication_time_with_offsets_and_unknown_times(self, store: IncidentStore) -> None:
        incidents = [make_incident(n, created_at=T0 + timedelta(days=2)) for n in range(4)]
        # Published 1 h, 3 h (written with a +08:00 offset) and 5 h after T0; the last one unknown.
        eight = timezone(timedelta(hours=8))
        incidents[0].item.published_at = T0 + timedelta(hours=1)
        incidents[1].item.published_at = (T0 + timedelta(hours=3)).astimezone(eight)
        incidents[2].item.published_at = T0 + timedelta(hours=5)
        incidents[3].item.published_at = None
        store.upsert_incidents(incidents)
        store.flush()

        def found(since: datetime, until: datetime) -> set[str]:
            query = IncidentQuery(since=since, until=until, dates="published")
            return set(_ids(store.search(query, Scope.everything())))

        assert found(T0 + timedelta(hours=2), T0 + timedelta(hours=4)) == {incidents[1].id}
        assert found(T0, T0 + timedelta(hours=5)) == {incidents[0].id, incidents[1].id}
        # No publication time: its detection time (T0 + 2 days) stands in.
        assert found(T0 + timedelta(days=1), T0 + timedelta(days=3)) == {incidents[3].id}
        detected = IncidentQuery(since=T0 + timedelta(days=1), until=T0 + timedelta(days=3))
        assert len(_ids(store.search(detected, Scope.everything()))) == 4

    # -- review ----------------------------------------------------------------------------------
    @pytest.mark.parametrize(
        ("action", "status"),
        [
            ("confirm", "confirmed"),
            ("dismiss", "dismissed"),
            ("escalate", "escalated"),
            ("comment", "new"),
            ("acknowledge", "new"),
            ("appeal", "appealed"),
            ("uphold", "upheld"),
            ("overturn", "overturned"),
        ],
    )
    def test_review_actions_set_the_status(self, store: IncidentStore, action: str, status: str) -> None:
        inc = make_incident(1)
        store.upsert_incidents([inc])
        got = store.record_action(
            ReviewAction(
                incident_id=inc.id,
                action=action,
                actor="ana",  # type: ignore[arg-type]
                role="commission",
            )
        )
        assert got is not None and got.status.value == status

    def test_actions_are_kept_oldest_first(self, store: IncidentStore) -> None:
        inc = make_incident(1)
        store.upsert_incidents([inc])
        first = ReviewAction(incident_id=inc.id, action="escalate", actor="ana", role="commission", at=T0)
        second = ReviewAction(
            incident_id=inc.id, action="reopen", actor="ben", role="commission", at=T0 + timedelta(hours=1)
        )
        store.record_action(second)
        store.record_action(first)
        assert [a.id for a in store.actions(inc.id)] == [first.id, second.id]
        got = store.get_incident(inc.id, Scope.everything())  # the action recorded last sets the status
        assert got is not None and got.status == IncidentStatus.ESCALATED

    def test_action_on_unknown_incident_returns_none(self, store: IncidentStore) -> None:
        action = ReviewAction(incident_id="missing", action="confirm", actor="ana", role="commission")
        assert store.record_action(action) is None
        assert store.actions("missing") == []

    # -- fact-check queue -------------------------------------------------------------------------
    def test_claim_checks_are_kept_once_most_checkworthy_first(self, store: IncidentStore) -> None:
        low = ClaimCheck(item_id="i1", text="Unemployment rose to 12 percent", party="pbn", checkworthy=0.6)
        high = ClaimCheck(item_id="i2", text="The dam cost 4 billion", party="pkr2", checkworthy=0.9,
                          nearest=[{"claim_id": "c1", "claim": "x", "probability": 0.1}])
        assert store.add_claim_checks([low, high]) == 2
        assert store.add_claim_checks([low.model_copy(update={"text": "changed"})]) == 0  # replay: kept once
        store.flush()
        got = store.claim_checks(Scope.everything())
        assert [c.id for c in got] == [high.id, low.id]
        assert got[1].text == "Unemployment rose to 12 percent" and got[0].nearest[0]["claim_id"] == "c1"
        assert store.get_claim_check(low.id, Scope.everything()) == low
        assert store.get_claim_check("missing", Scope.everything()) is None

    def test_claim_checks_are_hidden_outside_the_scope(self, store: IncidentStore) -> None:
        check = ClaimCheck(item_id="i1", text="The dam cost 4 billion", party="pbn", checkworthy=0.7)
        store.add_claim_checks([check])
        store.flush()
        hidden = Scope(parties=frozenset({"pbn"}), claim_checks=False)
        assert store.claim_checks(hidden) == [] and store.get_claim_check(check.id, hidden) is None

    def test_a_claim_check_is_decided_once(self, store: IncidentStore) -> None:
        check = ClaimCheck(item_id="i1", text="The dam cost 4 billion", party="pbn", checkworthy=0.7)
        store.add_claim_checks([check])
        rated = check.model_copy(update={"status": "rated", "verdict": "false", "decided_by": "rini"})
        assert store.decide_claim_check(rated) is True
        other = check.model_copy(update={"status": "not_a_claim", "decided_by": "ana"})
        assert store.decide_claim_check(other) is False  # no longer waiting: the first verdict stands
        assert store.decide_claim_check(ClaimCheck(item_id="nope", text="x", checkworthy=0.5)) is False
        store.flush()
        got = store.get_claim_check(check.id, Scope.everything())
        assert got is not None and (got.status, got.verdict, got.decided_by) == ("rated", "false", "rini")
        assert store.claim_checks(Scope.everything()) == []
        assert [c.id for c in store.claim_checks(Scope.everything(), status="rated")] == [check.id]
        assert store.add_claim_checks([check]) == 0  # the item judged again does not reopen it

    # -- processed items and stats ----------------------------------------------------------------
    def test_processed_items_are_remembered(self, store: IncidentStore) -> None:
        store.mark_processed(["a", "b"], {"detect": 0.5})
        store.mark_processed(["b", "c"])
        assert store.processed(["a", "c", "z"]) == {"a", "c"}
        assert store.processed([]) == set()

    def test_stats_count_everything(self, store: IncidentStore) -> None:
        incidents = [make_incident(n) for n in range(2)]
        store.upsert_incidents(incidents)
        store.mark_processed(["i1", "i2", "i3"], {"detect": 0.25})
        store.add_dead_letters([make_dead_letter(1)])
        store.add_alerts([make_alert(incidents[0])])
        store.flush()
        stats = store.stats()
        assert (stats["items"], stats["incidents"], stats["dead_letters"], stats["alerts"]) == (3, 2, 1, 1)
        assert stats["items_last_minute"] == 3
        assert stats["stage_seconds_per_item"] == {"detect": pytest.approx(0.25)}

    # -- dead letters ----------------------------------------------------------------------------
    def test_dead_letters_are_kept_once_newest_first(self, store: IncidentStore) -> None:
        store.add_dead_letters([make_dead_letter(1), make_dead_letter(2)])
        store.add_dead_letters([make_dead_letter(2), make_dead_letter(3, stage="enrich")])
        store.flush()
        assert store.count_dead_letters() == 3
        letters = store.dead_letters(limit=2)
        assert [d.id for d in letters] == ["dead-3", "dead-2"]
        assert letters[0].stage == "enrich" and letters[0].payload == '{"n": 3}'

    # -- alerts ----------------------------------------------------------------------------------
    def test_alerts_are_deduplicated(self, store: IncidentStore) -> None:
        inc = make_incident(1)
        first = [make_alert(inc), make_alert(inc, "commission@ec")]
        assert [a.id for a in store.add_alerts(first)] == [a.id for a in first]
        again = store.add_alerts([make_alert(inc), make_alert(inc, "journalist@news")])
        assert [a.recipient for a in again] == ["journalist@news"]
        store.flush()
        assert len(store.alerts(Scope.everything())) == 3

    def test_alert_state_is_updated(self, store: IncidentStore) -> None:
        alert = make_alert(make_incident(1))
        store.add_alerts([alert])
        store.mark_alert(alert.id, delivered=False, error="smtp down")
        (state,) = store.alerts(Scope.everything())
        assert state.delivered_at is None and state.delivery_error == "smtp down"
        store.mark_alert(alert.id, delivered=True, acknowledged=True)
        (state,) = store.alerts(Scope.everything())
        assert state.delivered_at is not None and state.delivery_error is None
        first_ack = state.acknowledged_at
        assert first_ack is not None and state.responded_at is None
        store.mark_alert(alert.id, acknowledged=True, responded=True)
        (state,) = store.alerts(Scope.everything())
        assert state.acknowledged_at == first_ack and state.responded_at is not None

    def test_pending_alerts_are_the_undelivered_ones_oldest_first(self, store: IncidentStore) -> None:
        inc = make_incident(1)
        alerts = [make_alert(inc, f"r{n}", n=3 - n) for n in range(3)]  # created r2, r1, r0
        store.add_alerts(alerts)
        store.mark_alert(alerts[1].id, delivered=True)
        store.mark_alert(alerts[0].id, delivered=False, error="webhook down")
        store.flush()
        assert [a.recipient for a in store.pending_alerts()] == ["r2", "r0"]
        assert [a.recipient for a in store.pending_alerts(limit=1)] == ["r2"]

    def test_a_committed_batch_keeps_its_alerts_pending_and_its_items_processed(
        self, store: IncidentStore
    ) -> None:
        inc = make_incident(1)
        new, fresh = store.commit_batch([inc], [make_dead_letter(1)], [make_alert(inc)], ["item-1", "item-2"])
        assert new == 1 and [a.id for a in fresh] == [make_alert(inc).id]
        store.flush()
        assert store.processed(["item-1", "item-2", "item-3"]) == {"item-1", "item-2"}
        assert [a.id for a in store.pending_alerts()] == [make_alert(inc).id]
        assert store.commit_batch([inc], [], [make_alert(inc)], ["item-1"]) == (0, [])  # a replay adds nothing

    def test_mark_alert_of_unknown_id_does_nothing(self, store: IncidentStore) -> None:
        store.mark_alert("no-such-alert", delivered=True)
        assert store.alerts(Scope.everything()) == []

    def test_alerts_follow_the_scope_newest_first(self, store: IncidentStore) -> None:
        a, b = make_incident(1, party="party-a"), make_incident(2, party="party-b")
        store.add_alerts([make_alert(a, n=1), make_alert(b, n=2)])
        store.flush()
        assert [s.alert.party for s in store.alerts(Scope.everything())] == ["party-b", "party-a"]
        assert [s.alert.party for s in store.alerts(Scope(parties=frozenset({"party-a"})))] == ["party-a"]
        assert store.alerts(Scope(parties=frozenset())) == []

    # -- audit -----------------------------------------------------------------------------------
    def test_audit_log_is_appended_newest_first(self, store: IncidentStore) -> None:
        events = [
            AuditEvent(actor="ana", role="commission", event=e, target=f"t{n}", at=T0 + timedelta(seconds=n))
            for n, e in enumerate(["sign_in", "view_incident", "decide"])
        ]
        for event in events:
            store.audit(event)
        store.flush()
        assert [e.event for e in store.audit_log()] == ["decide", "view_incident", "sign_in"]
        assert [e.event for e in store.audit_log(limit=1)] == ["decide"]
