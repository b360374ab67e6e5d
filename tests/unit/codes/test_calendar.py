"""The election calendar: phases in each jurisdiction's own time zone, several elections at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from codes.calendar import Calendar, Election
from codes.engine import CodeEngine
from pantau.registry import Party, Registry
from pantau.schemas import EnrichedItem, Family, MediaItem, Signal
from pantau.settings import DEFAULT_CODE


def _election(eid: str, zone: str, jurisdiction: str = "", polling: str = "2026-11-29") -> Election:
    return Election(id=eid, name=eid, jurisdiction=jurisdiction, timezone=zone, nomination_day="2026-11-07",
                    campaign_start="2026-11-07T12:00", campaign_end="2026-11-27T23:59",
                    silence_start="2026-11-28T00:00", polling_day=polling, polls_open="08:00", polls_close="17:00")


# Local midnight of 2026-11-28, as UTC: Yangon is UTC+6:30, Jakarta UTC+7, Kuala Lumpur UTC+8, Jayapura UTC+9.
@pytest.mark.parametrize(
    ("zone", "midnight_utc"),
    [
        ("Asia/Yangon", datetime(2026, 11, 27, 17, 30, tzinfo=UTC)),
        ("Asia/Jakarta", datetime(2026, 11, 27, 17, 0, tzinfo=UTC)),
        ("Asia/Kuala_Lumpur", datetime(2026, 11, 27, 16, 0, tzinfo=UTC)),
        ("Asia/Jayapura", datetime(2026, 11, 27, 15, 0, tzinfo=UTC)),
    ],
)
def test_silence_starts_at_local_midnight(zone: str, midnight_utc: datetime) -> None:
    election = _election("e", zone)
    assert election.phase(midnight_utc - timedelta(seconds=1)) == "campaign"
    assert election.phase(midnight_utc) == "silence"
    assert election.context(midnight_utc)["in_silence"] is True
    assert election.context(midnight_utc)["local_time"].startswith("2026-11-28T00:00:00")


@pytest.mark.parametrize(
    ("local", "phase"),
    [
        ("2026-11-06T23:59", "before"),
        ("2026-11-07T00:00", "nomination"),
        ("2026-11-07T12:00", "campaign"),
        ("2026-11-27T23:59:59", "campaign"),  # campaign_end names the last minute, inclusive
        ("2026-11-28T00:00", "silence"),
        ("2026-11-29T07:59:59", "silence"),
        ("2026-11-29T08:00", "polling"),
        ("2026-11-29T16:59:59", "polling"),
        ("2026-11-29T17:00", "after"),
    ],
)
def test_phases_follow_local_time(local: str, phase: str) -> None:
    election = _election("e", "Asia/Jayapura")
    at = datetime.fromisoformat(local).replace(tzinfo=election.zone)
    assert election.phase(at) == phase
    assert election.context(at)["in_silence"] is (phase in ("silence", "polling"))


def test_gap_between_campaign_end_and_silence_is_closed_not_nomination() -> None:
    election = Election(id="e", name="e", timezone="Asia/Manila", campaign_start="2026-05-01T00:00",
                        campaign_end="2026-05-09T23:59", silence_start="2026-05-11T00:00", polling_day="2026-05-12")
    assert election.phase(datetime(2026, 5, 10, 12, 0, tzinfo=election.zone)) == "closed"


def test_each_jurisdiction_gets_its_own_election() -> None:
    calendar = Calendar(elections=[_election("west", "Asia/Yangon", "West"),
                                   _election("east", "Asia/Jayapura", "East", polling="2026-12-06")])
    at = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 22:30 in Yangon, 01:00 on the 28th in Jayapura
    assert calendar.context(at, "West")["phase"] == "campaign"
    assert calendar.context(at, "East")["election"] == "east"
    assert calendar.context(at, "Nowhere")["phase"] == "none"


def test_overlapping_elections_pick_the_most_restrictive_phase() -> None:
    general = _election("general", "Asia/Kuala_Lumpur", "", polling="2026-12-20")
    by_election = _election("by", "Asia/Kuala_Lumpur", "Sabah")
    calendar = Calendar(elections=[general, by_election])
    at = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert calendar.context(at, "Sabah")["election"] == "by" and calendar.context(at, "Sabah")["in_silence"]
    assert calendar.context(at, "Johor")["election"] == "general"  # an election with no jurisdiction applies everywhere


def test_duplicate_election_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="used twice"):
        Calendar(elections=[_election("e", "UTC"), _election("e", "UTC")])


def test_silence_rule_reads_the_calendar_of_the_posting_partys_jurisdiction() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE])
    registry = Registry(
        parties=[Party(id="pbn", name="PBN", jurisdiction="Timur")],
        accounts=[{"platform": "x", "handle": "@pbn", "party": "pbn"}],  # type: ignore[list-item]
    )
    # The code's jurisdiction (Nusantara) is still campaigning; the party's (Timur, UTC+9) is in silence.
    calendar = Calendar(elections=[_election("nusantara", "Asia/Yangon", "Nusantara", polling="2026-12-06"),
                                   _election("timur", "Asia/Jayapura", "Timur")])
    at = datetime(2026, 11, 27, 15, 30, tzinfo=UTC)
    item = MediaItem(id="i", source="s", native_id="n", platform="x", account="@pbn", text="poster", published_at=at)
    signal = Signal(item_id="i", detector="synthetic.image", version="1", family=Family.SYNTHETIC, score=0.9,
                    label="synthetic")
    breaches = engine.judge(EnrichedItem(item=item), [signal], registry, calendar)
    assert "CAM-1" in [b.clause_id for b in breaches]
    assert next(b for b in breaches if b.clause_id == "CAM-1").attributed_party == "pbn"


def test_effective_dates_are_days_in_the_jurisdiction(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "code.yaml"
    path.write_text('id: c\ntitle: T\nversion: "1"\njurisdiction: Timur\neffective_from: 2026-01-01\nclauses:\n'
                    "  - {id: K, title: t, text: t, family: gbv, severity: high, applies_to: anyone,\n"
                    "     rule: 'signals[\"gbv.threat\"].score > 0.5'}\n")
    engine = CodeEngine.from_files([path], signal_names={"gbv.threat"})
    calendar = Calendar(elections=[_election("timur", "Asia/Jayapura", "Timur")])
    signal = Signal(item_id="i", detector="gbv.threat", version="1", family=Family.GBV, score=0.9, label="threat")

    def judged(at: datetime) -> int:
        item = MediaItem(id="i", source="s", native_id="n", text="x", published_at=at)
        return len(engine.judge(EnrichedItem(item=item), [signal], Registry(), calendar))

    assert judged(datetime(2025, 12, 31, 15, 0, tzinfo=UTC)) == 1  # 00:00 on 1 January in Jayapura
    assert judged(datetime(2025, 12, 31, 14, 59, tzinfo=UTC)) == 0


def test_a_party_jurisdiction_without_an_election_falls_back_to_the_codes() -> None:
    engine = CodeEngine.from_files([DEFAULT_CODE])
    registry = Registry(
        parties=[Party(id="pbn", name="PBN", jurisdiction="Sabah")],
        accounts=[{"platform": "x", "handle": "@pbn", "party": "pbn"}],  # type: ignore[list-item]
    )
    calendar = Calendar(elections=[_election("ge", "Asia/Kuala_Lumpur", "Nusantara")])
    at = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)  # silence in Kuala Lumpur
    item = MediaItem(id="i", source="s", native_id="n", platform="x", account="@pbn", text="poster", published_at=at)
    signal = Signal(item_id="i", detector="synthetic.video", version="1", family=Family.SYNTHETIC, score=0.9,
                    label="synthetic")
    rows = {r["clause"]: r for r in engine.explain(EnrichedItem(item=item), [signal], registry, calendar)}
    assert rows["CAM-1"]["fired"] and rows["CAM-1"]["reads"]["calendar.in_silence"] is True
