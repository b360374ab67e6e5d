"""The election calendar: nomination, campaign, silence period and polling day, per election.

Dates are local to the election's jurisdiction (``timezone``, an IANA name such as
``Asia/Kuala_Lumpur``; ASEAN spans UTC+6:30 to UTC+9), so "the silence period starts at
midnight" means midnight there, whatever the server's clock says.

YAML format (``codes/samples/calendar.yaml``)::

    elections:
      - id: ge-2026
        name: General Election 2026
        jurisdiction: Nusantara
        timezone: Asia/Kuala_Lumpur
        nomination_day: 2026-11-10
        campaign_start: 2026-11-10T10:00
        campaign_end: 2026-11-27T23:59    # the last minute of campaigning, inclusive
        silence_start: 2026-11-28T00:00
        polling_day: 2026-11-29
        polls_open: "08:00"               # quoted: YAML reads 18:00 unquoted as a number
        polls_close: "17:00"

Several elections can run at once (a general election and a state election, or elections in
several member states): each item is judged against the election of its jurisdiction, taken from
the registry party that posted it, else from the code. An election with no ``jurisdiction``
applies everywhere. When several elections of one jurisdiction overlap, the one in the most
restrictive phase wins (polling, then silence, campaign, nomination), else the nearest upcoming.

Phases, in order: ``before``, ``nomination`` (from nomination day), ``campaign``, ``closed``
(campaign over, silence not begun), ``silence``, ``polling`` (polls open to close), ``after``.
``in_silence`` is true in ``silence`` and ``polling``. Dates and times without an offset are
local to the election's time zone; an item's time is compared as an instant, so
2026-11-27T16:30Z is already 00:30 on the 28th in Kuala Lumpur (UTC+8).

The JSON Schema is ``codes/schema/calendar.schema.json``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from codes.facts import empty_calendar
from pantau.errors import ConfigError

__all__ = ["Calendar", "Election", "load_calendar"]


class Election(BaseModel):
    """One election in one jurisdiction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="Unique id of the election, e.g. ge-2026.")
    name: str
    jurisdiction: str = Field(
        "",
        description="Jurisdiction it covers, matched with a party's or a code's `jurisdiction`; empty: "
        "applies everywhere.",
    )
    timezone: str = Field(
        "UTC", description="IANA time zone, e.g. Asia/Yangon (UTC+6:30), Asia/Jayapura (UTC+9)."
    )
    nomination_day: date | None = Field(None, description="Nomination day, YYYY-MM-DD.")
    campaign_start: datetime | None = Field(
        None, description="Start of the campaign, local time YYYY-MM-DDTHH:MM."
    )
    campaign_end: datetime | None = Field(
        None, description="Last minute of the campaign, inclusive, local time YYYY-MM-DDTHH:MM."
    )
    silence_start: datetime | None = Field(
        None, description="Start of the silence period, local time; it lasts until the polls close."
    )
    polling_day: date = Field(description="Polling day, YYYY-MM-DD.")
    polls_open: time = Field(time(8, 0), description='Local time the polls open, quoted: "08:00".')
    polls_close: time = Field(time(17, 0), description='Local time the polls close, quoted: "17:00".')
    voting_methods: list[str] = Field(
        default_factory=lambda: ["in person"], description="Lawful ways to vote, e.g. 'in person', 'postal'."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _in_order(self) -> Election:
        steps = [
            ("nomination_day", self._local(self.nomination_day)),
            ("campaign_start", self._local(self.campaign_start)),
            ("campaign_end", self._local(self.campaign_end)),
            ("silence_start", self._local(self.silence_start)),
            ("polls_open", self._local(self.polling_day, self.polls_open)),
            ("polls_close", self._local(self.polling_day, self.polls_close)),
        ]
        present = [(name, at) for name, at in steps if at is not None]
        for (first, a), (second, b) in zip(present, present[1:], strict=False):
            if b < a:
                raise ValueError(
                    f"election {self.id}: {second} ({b:%Y-%m-%d %H:%M}) comes before "
                    f"{first} ({a:%Y-%m-%d %H:%M})"
                )
        return self

    @property
    def zone(self) -> ZoneInfo:
        """The election's time zone."""
        return ZoneInfo(self.timezone)

    def _local(self, value: datetime | date | None, default_time: time = time(0, 0)) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            value = datetime.combine(value, default_time)
        return value if value.tzinfo else value.replace(tzinfo=self.zone)

    def phase(self, at: datetime) -> str:
        """Return where ``at`` falls: before, nomination, campaign, closed, silence, polling, after.

        A naive ``at`` is taken as local time of the election.
        """
        at = at if at.tzinfo else at.replace(tzinfo=self.zone)
        polls_open = self._local(self.polling_day, self.polls_open)
        polls_close = self._local(self.polling_day, self.polls_close)
        silence = self._local(self.silence_start)
        campaign_start = self._local(self.campaign_start)
        campaign_end = self._local(self.campaign_end)
        nomination = self._local(self.nomination_day)
        if polls_open is None or polls_close is None:  # pragma: no cover - polling_day is required
            return "before"
        if at >= polls_close:
            return "after"
        if at >= polls_open:
            return "polling"
        if silence and at >= silence:
            return "silence"
        if campaign_start and at >= campaign_start:
            # campaign_end names the last minute of campaigning: 23:59 includes 23:59:59.
            if campaign_end is None or at < campaign_end + timedelta(minutes=1):
                return "campaign"
            return "closed"
        if nomination and at >= nomination:
            return "nomination"
        return "before"

    def context(self, at: datetime) -> dict[str, Any]:
        """Return the calendar facts rules read, for the instant ``at``."""
        phase = self.phase(at)
        return {
            "election": self.id,
            "name": self.name,
            "jurisdiction": self.jurisdiction,
            "timezone": self.timezone,
            "phase": phase,
            "in_campaign": phase == "campaign",
            "in_silence": phase in ("silence", "polling"),
            "polling_day": self.polling_day.isoformat(),
            "polls_open": self.polls_open.strftime("%H:%M"),
            "polls_close": self.polls_close.strftime("%H:%M"),
            "nomination_day": self.nomination_day.isoformat() if self.nomination_day else "",
            "voting_methods": list(self.voting_methods),
            "local_time": (at if at.tzinfo else at.replace(tzinfo=self.zone))
            .astimezone(self.zone)
            .isoformat(),
        }


class Calendar(BaseModel):
    """All elections Pantau watches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    elections: list[Election] = Field(default_factory=list, description="The elections, in any order.")

    @model_validator(mode="after")
    def _unique_ids(self) -> Calendar:
        seen: set[str] = set()
        for election in self.elections:
            if election.id in seen:
                raise ValueError(f"election id {election.id!r} is used twice")
            seen.add(election.id)
        return self

    def jurisdictions(self) -> list[str]:
        """The jurisdictions that have an election."""
        return sorted({e.jurisdiction for e in self.elections if e.jurisdiction})

    def current(self, at: datetime, jurisdiction: str | None = None) -> Election | None:
        """The election that applies at ``at`` in ``jurisdiction`` (any when None).

        Elections of that jurisdiction and elections with no jurisdiction are candidates; the one
        in the most restrictive phase wins, else the nearest upcoming, else the latest past one.
        """
        candidates = [e for e in self.elections if not jurisdiction or e.jurisdiction in ("", jurisdiction)]
        if not candidates:
            return None
        phases = {e.id: e.phase(at) for e in candidates}
        active = [e for e in candidates if phases[e.id] in _ACTIVE]
        if active:
            return max(active, key=lambda e: (_ACTIVE.index(phases[e.id]), bool(e.jurisdiction)))
        upcoming = [e for e in candidates if phases[e.id] != "after"]
        if upcoming:
            return min(upcoming, key=lambda e: (e.polling_day, not e.jurisdiction))
        return max(candidates, key=lambda e: e.polling_day)

    def context(self, at: datetime, jurisdiction: str | None = None) -> dict[str, Any]:
        """Calendar facts for rules at ``at``; neutral values (phase ``none``) when no election applies."""
        election = self.current(at, jurisdiction)
        if election is None:
            return empty_calendar()
        return election.context(at)


_ACTIVE = ("nomination", "campaign", "closed", "silence", "polling")
"""Phases in which an election is under way, least to most restrictive."""


def load_calendar(path: Path | None) -> Calendar:
    """Load a calendar YAML file; ``None`` gives an empty calendar.

    Raises :class:`~pantau.errors.ConfigError` listing every problem as ``file:line: where: what``.
    """
    from pantau.documents import load_document

    if path is None:
        return Calendar()
    calendar, _ = load_document(Path(path), "calendar", Calendar, ConfigError)
    return calendar
