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
        campaign_end: 2026-11-27T23:59
        silence_start: 2026-11-28T00:00
        polling_day: 2026-11-29
        polls_open: "08:00"
        polls_close: "17:00"
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pantau.errors import ConfigError

__all__ = ["Calendar", "Election", "load_calendar"]


class Election(BaseModel):
    """One election in one jurisdiction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    jurisdiction: str = ""
    timezone: str = "UTC"
    nomination_day: date | None = None
    campaign_start: datetime | None = None
    campaign_end: datetime | None = None
    silence_start: datetime | None = None
    polling_day: date
    polls_open: time = time(8, 0)
    polls_close: time = time(17, 0)
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
        """Return where ``at`` falls: before, nomination, campaign, silence, polling, after."""
        at = at if at.tzinfo else at.replace(tzinfo=self.zone)
        polls_open = self._local(self.polling_day, self.polls_open)
        polls_close = self._local(self.polling_day, self.polls_close)
        silence = self._local(self.silence_start)
        campaign_start = self._local(self.campaign_start)
        campaign_end = self._local(self.campaign_end)
        nomination = self._local(self.nomination_day)
        assert polls_open is not None and polls_close is not None  # noqa: S101 - polling_day required
        if at > polls_close:
            return "after"
        if at >= polls_open:
            return "polling"
        if silence and at >= silence:
            return "silence"
        if campaign_start and at >= campaign_start and (campaign_end is None or at <= campaign_end):
            return "campaign"
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
        }


class Calendar(BaseModel):
    """All elections Pantau watches."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    elections: list[Election] = Field(default_factory=list)

    def current(self, at: datetime, jurisdiction: str | None = None) -> Election | None:
        """The election whose window contains ``at`` (or the next one), optionally in one jurisdiction."""
        candidates = [e for e in self.elections if jurisdiction in (None, "", e.jurisdiction)]
        if not candidates:
            return None
        at_date = at.date()
        upcoming = [e for e in candidates if e.polling_day + timedelta(days=1) >= at_date]
        pool = upcoming or candidates
        return min(pool, key=lambda e: abs((e.polling_day - at_date).days))

    def context(self, at: datetime, jurisdiction: str | None = None) -> dict[str, Any]:
        """Calendar facts for rules; neutral values when no election is configured."""
        election = self.current(at, jurisdiction)
        if election is None:
            return {
                "election": "", "name": "", "jurisdiction": "", "timezone": "UTC", "phase": "none",
                "in_campaign": False, "in_silence": False, "polling_day": "", "polls_open": "",
                "polls_close": "", "nomination_day": "", "voting_methods": [],
            }
        return election.context(at)


def load_calendar(path: Path | None) -> Calendar:
    """Load a calendar YAML file; ``None`` gives an empty calendar."""
    if path is None:
        return Calendar()
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        return Calendar.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read calendar: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid calendar: {exc}") from exc
