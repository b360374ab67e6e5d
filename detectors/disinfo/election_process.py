"""``disinfo.election_process``: false statements about when, where or how to vote.

Rules in English, Malay and Indonesian, checked against the election calendar
(``settings.calendar_file``, see :mod:`codes.calendar`):

==================  ==========================================================  =====
label               what it catches                                              score
==================  ==========================================================  =====
``vote-by-sms``     voting by SMS / text message / WhatsApp / Telegram / phone    0.95
``vote-online``     voting online, by app, bot, e-mail or internet                0.95
``postponement``    the election or polling day postponed, delayed, cancelled     0.90
``wrong-date``      a polling date in the text that is not the calendar's         0.85
==================  ==========================================================  =====

A method the calendar lists in ``voting_methods`` (say ``online`` where i-voting is lawful)
is not flagged. A sentence that denies the claim ("you *cannot* vote by SMS", "*hoaks*",
"*tidak* ditangguhkan") scores 0.15 instead: corrections and fact-checks repeat the words of
the falsehood they correct. Scores are fixed by rule (not learned); a rule reading
``signals["disinfo.election_process"].score >= 0.7`` fires on the first four labels only.

Signal: one per item with text; ``label`` is the strongest finding (or ``no-process-claim``),
``details`` has ``findings`` (label, score, matched text), ``election``, ``polling_day`` and,
for ``wrong-date``, ``stated_date``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector, signals_per_text
from detectors.disinfo.text import clean_text
from pantau.errors import PantauError
from pantau.schemas import EnrichedItem, Family, Modality, Signal, utcnow

__all__ = ["ElectionProcessDetector", "Finding", "find_process_claims", "stated_dates"]

log = logging.getLogger(__name__)

MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januari",
        "february feb februari pebruari",
        "march mar mac maret",
        "april apr",
        "may mei",
        "june jun juni",
        "july jul julai juli",
        "august aug ogos agustus agt",
        "september sep sept",
        "october oct oktober okt",
        "november nov nopember",
        "december dec disember desember des",
    ),
    1,
):
    for _name in _names.split():
        MONTHS[_name] = _number
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

_DATE_PATTERNS = (
    re.compile(
        rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th|hb|\s*hb)?\s+(?:of\s+)?(?P<m>{_MONTH})\b\.?(?:,?\s+(?P<y>\d{{4}}))?",
        re.I,
    ),
    re.compile(rf"\b(?P<m>{_MONTH})\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>\d{{4}}))?", re.I),
    re.compile(r"\b(?P<y>20\d\d)-(?P<m>\d{1,2})-(?P<d>\d{1,2})\b"),
    re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})(?:[/.](?P<y>(?:20)?\d\d))?\b"),
)

_CHANNEL_SMS = (
    r"(?:sms|text(?:ing)?\s+messages?|texts?|whats\s?app|wa|telegram|phone\s+calls?|telefon|telepon|"
    r"pesanan\s+ringkas)"
)
_CHANNEL_ONLINE = (
    r"(?:online|on\s?line|the\s+internet|internet|an?\s+app|apps?|aplikasi|apl|bots?|e-?mail|emel|website|laman\s+web|"
    r"dalam\s+talian|daring|secara\s+digital|e-?voting|i-?voting)"
)
_VOTE = (
    r"(?:vote|votes|voting|cast\s+(?:your|a|their)\s+(?:vote|ballot)|ballots?|"
    r"mengundi|undi|undian|pengundian|"
    r"memilih|mencoblos|coblos|nyoblos|memberikan\s+suara|pemungutan\s+suara|pencoblosan|suara\s+anda)"
)
_LINK = (
    r"(?:\s+\S+){0,4}?\s+"
    r"(?:by|via|through|using|with|over|on|melalui|secara|dengan|guna|menggunakan|lewat|pakai|via)\s+"
)

_RULES: tuple[tuple[str, float, re.Pattern[str]], ...] = (
    ("vote-by-sms", 0.95, re.compile(rf"\b{_VOTE}{_LINK}{_CHANNEL_SMS}\b", re.I)),
    ("vote-by-sms", 0.95, re.compile(r"\b(?:sms|text|whatsapp)\s+(?:your|a)\s+(?:vote|choice)\b", re.I)),
    (
        "vote-by-sms",
        0.95,
        re.compile(
            rf"\b(?:text|sms|whatsapp|hantar|kirim)\s+(?:\S+\s+){{0,3}}?(?:to|ke|kepada)\s+\+?\d{{4,}}\b(?=.*{_VOTE})",
            re.I,
        ),
    ),
    ("vote-online", 0.95, re.compile(rf"\b{_VOTE}{_LINK}{_CHANNEL_ONLINE}\b", re.I)),
    (
        "vote-online",
        0.95,
        re.compile(
            rf"\b{_VOTE}(?:\s+\S+){{0,6}}?\s+(?:be\s+)?(?:possible|allowed|available|boleh|bisa|dapat)\s+"
            rf"(?:\S+\s+){{0,2}}?{_CHANNEL_ONLINE}\b",
            re.I,
        ),
    ),
    (
        "vote-online",
        0.95,
        re.compile(r"\b(?:online|internet|e-)\s?voting\b|\bundi\s+(?:dalam\s+talian|online)\b", re.I),
    ),
    (
        "postponement",
        0.90,
        re.compile(
            r"\b(?:election|elections|polling\s+day|polls?|voting\s+day|vote|voting|general\s+election|by-?election)"
            r"(?:\s+\S+){0,4}?\s+(?:has\s+been\s+|have\s+been\s+|is\s+|are\s+|was\s+|will\s+be\s+|been\s+)?"
            r"(?:postponed|delayed|cancel+ed|called\s+off|rescheduled|pushed\s+back|moved\s+to)\b",
            re.I,
        ),
    ),
    (
        "postponement",
        0.90,
        re.compile(
            r"\b(?:postpone[sd]?|postponing|delay(?:s|ed)?|cancel+(?:s|ed)?|reschedul(?:e|es|ed))\s+(?:the\s+)?"
            r"(?:general\s+)?(?:election|elections|polling\s+day|polls|vote|voting)\b",
            re.I,
        ),
    ),
    (
        "postponement",
        0.90,
        re.compile(
            r"\b(?:pilihan\s+raya|PRU\d*|hari\s+mengundi|pengundian|mengundi|undian|pemilu|pemilihan(?:\s+umum)?|"
            r"pemungutan\s+suara|pencoblosan|hari\s+pencoblosan)(?:\s+\S+){0,3}?\s+"
            r"(?:di)?(?:tangguh(?:kan)?|tunda|undur|batal(?:kan)?|anjak(?:kan)?|alihkan)\b",
            re.I,
        ),
    ),
    (
        "postponement",
        0.90,
        re.compile(
            r"\b(?:menangguhkan|menunda|mengundur|membatalkan)\s+(?:\S+\s+){0,2}?"
            r"(?:pilihan\s+raya|PRU\d*|hari\s+mengundi|pengundian|pemilu|pemungutan\s+suara|pencoblosan)\b",
            re.I,
        ),
    ),
)

_POLLING_CONTEXT = re.compile(
    r"\b(?:polling\s+day|election\s+day|voting\s+day|elections?|vote|voting|votes|polls?|go\s+to\s+the\s+polls|ballot|"
    r"hari\s+mengundi|mengundi|undi|pengundian|pilihan\s+raya|PRU\d*|"
    r"pemilu|pemungutan\s+suara|pencoblosan|coblos|nyoblos|hari\s+pemilihan|pilih\s+nomor|TPS)\b",
    re.I,
)
_MOVED_TO = re.compile(
    r"\b(?:postponed|delayed|moved|rescheduled|pushed\s+back|ditangguhkan|tangguh|dianjakkan|ditunda|diundur)\b",
    re.I,
)
_SIDE_VOTING = re.compile(
    r"\b(?:postal|early|advance|undi\s+pos|undi\s+awal|pos|awal|luar\s+negeri|overseas)\b", re.I
)
_DENIAL = re.compile(
    r"\b(?:not|no|never|cannot|can't|can\s+not|isn't|is\s+not|won't|false|fake|hoax|hoaxes|myth|debunk\w*|untrue|"
    r"tidak|tak|bukan|tiada|jangan\s+percaya|palsu|hoaks|bohong|salah|tidak\s+benar|fitnah)\b",
    re.I,
)
_SENTENCES = re.compile(r"(?<=[.!?\n])\s+")


@dataclass(frozen=True)
class Finding:
    """One rule that fired on one sentence."""

    label: str
    score: float
    text: str
    stated_date: str = ""


def _year_for(month: int, day: int, reference: date) -> int:
    return reference.year


def stated_dates(sentence: str, reference: date) -> list[date]:
    """Dates written in a sentence (en/ms/id month names, ISO, day/month).

    Years default to ``reference``'s.
    """
    found: list[date] = []
    seen_spans: list[tuple[int, int]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(sentence):
            if any(a <= m.start() < b for a, b in seen_spans):
                continue
            month_raw = m.group("m")
            month = MONTHS.get(month_raw.lower().rstrip(".")) if not month_raw.isdigit() else int(month_raw)
            try:
                day = int(m.group("d"))
                year_raw = m.group("y")
                year = int(year_raw) if year_raw else reference.year
                year = year + 2000 if year < 100 else year
                if month is None:
                    continue
                found.append(date(year, month, day))
                seen_spans.append((m.start(), m.end()))
            except ValueError:
                continue
    return found


def find_process_claims(
    text: str,
    polling_day: date | None = None,
    voting_methods: Sequence[str] = ("in person", "postal"),
    other_dates: Sequence[date] = (),
) -> list[Finding]:
    """Apply the rules to ``text``; return every finding (strongest first)."""
    methods = " ".join(voting_methods).lower()
    findings: list[Finding] = []
    for sentence in _SENTENCES.split(clean_text(text)):
        if not sentence:
            continue
        denied = bool(_DENIAL.search(sentence))
        for label, score, pattern in _RULES:
            m = pattern.search(sentence)
            if not m:
                continue
            if label == "vote-online" and any(
                w in methods for w in ("online", "internet", "electronic", "i-voting")
            ):
                continue
            if label == "vote-by-sms" and "sms" in methods:
                continue
            findings.append(Finding(label, 0.15 if denied else score, m.group(0)))
            break
        if polling_day is None or not _POLLING_CONTEXT.search(sentence):
            continue
        for stated in stated_dates(sentence, polling_day):
            if stated == polling_day:
                continue
            moved = bool(_MOVED_TO.search(sentence))
            if stated in other_dates and not moved:
                continue  # nomination day, campaign end... mentioned alongside voting
            score = 0.85 if not _SIDE_VOTING.search(sentence) or moved else 0.5
            findings.append(
                Finding("wrong-date", 0.15 if denied else score, sentence[:200], stated.isoformat())
            )
    findings.sort(key=lambda f: f.score, reverse=True)
    return findings


class ElectionProcessOptions(BaseModel):
    """Options of ``disinfo.election_process``."""

    model_config = ConfigDict(extra="forbid")

    jurisdiction: str | None = Field(None, description="Only this jurisdiction's election (default: any).")
    calendar_file: str | None = Field(None, description="Calendar YAML; default settings.calendar_file.")


class ElectionProcessDetector(Detector):
    """Rules for false when/where/how-to-vote statements, checked against the election calendar."""

    name = "disinfo.election_process"
    version = "0.1.0"
    family = Family.DISINFO
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    Options = ElectionProcessOptions

    def load(self) -> None:
        """Read the calendar (a missing or empty one disables the date rule only)."""
        from pathlib import Path

        from codes.calendar import Calendar, load_calendar

        options: ElectionProcessOptions = self.options  # type: ignore[assignment]
        path = (
            Path(options.calendar_file)
            if options.calendar_file
            else (self.settings.calendar_file if self.settings else None)
        )
        try:
            self.calendar = load_calendar(path) if path and Path(path).is_file() else Calendar()
        except PantauError as exc:
            log.warning("disinfo.election_process: %s; the wrong-date rule is off", exc)
            self.calendar = Calendar()

    def _election_facts(self, at: datetime) -> dict[str, Any]:
        options: ElectionProcessOptions = self.options  # type: ignore[assignment]
        election = self.calendar.current(at, options.jurisdiction) if self.calendar.elections else None
        if election is None:
            return {"polling_day": None, "methods": ("in person", "postal"), "other": (), "id": ""}
        other = [d for d in (election.nomination_day,) if d]
        for moment in (election.campaign_start, election.campaign_end, election.silence_start):
            if moment:
                other.append(moment.date())
        return {
            "polling_day": election.polling_day,
            "methods": tuple(election.voting_methods),
            "other": tuple(other),
            "id": election.id,
        }

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per item with text."""
        if not hasattr(self, "calendar"):
            self.load()
        return signals_per_text(batch, self._judge)

    def _judge(self, enriched: EnrichedItem, text: str) -> Signal:
        facts = self._election_facts(enriched.item.published_at or utcnow())
        findings = find_process_claims(text, facts["polling_day"], facts["methods"], facts["other"])
        details: dict[str, Any] = {
            "election": facts["id"],
            "polling_day": facts["polling_day"].isoformat() if facts["polling_day"] else "",
            "findings": [
                {"label": f.label, "score": f.score, "text": f.text, "stated_date": f.stated_date}
                for f in findings[:5]
            ],
        }
        if not findings:
            return self.signal(enriched, 0.0, "no-process-claim", "", details)
        best = findings[0]
        if best.stated_date:
            details["stated_date"] = best.stated_date
        evidence = f'{best.label}: "{best.text[:160]}"'
        if best.label == "wrong-date" and facts["polling_day"]:
            evidence += f" (calendar polling day {facts['polling_day'].isoformat()})"
        if best.score < 0.5:
            evidence = f"correction or denial of a process claim: {evidence}"
        return self.signal(enriched, best.score, best.label, evidence, details)
