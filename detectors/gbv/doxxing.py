"""``gbv.doxxing``: personal data exposed in a post (phones, ID numbers, home addresses, family).

What it finds (``details.kinds``), with the weight each adds:

- ``national-id`` (0.9): Malaysian MyKad (``YYMMDD-PB-NNNN``, valid date and birthplace code),
  Indonesian NIK (16 digits, valid province code and date, women's day + 40), Philippine
  PhilSys PSN (16 digits in 4-4-4-4) / SSS (``NN-NNNNNNN-N``) / TIN (``NNN-NNN-NNN(-NNN)``),
  Thai citizen ID (13 digits with its check digit), Vietnamese CCCD (12 digits starting with
  a province code, written with an "ID" cue nearby);
- ``phone`` (0.6): mobile numbers of MY (+60 1x), ID (+62 8xx / 08xx), PH (+63 9xx / 09xx),
  TH (+66 / 0[689]x), VN (+84 / 0[35789]x);
- ``home-address`` (0.7): a house number together with a street or locality word in any of
  the six languages, or a "lives at" phrase ("tinggal di", "nakatira sa", "nhà ... ở", "บ้านอยู่");
- ``email`` (0.4);
- ``family`` (0.3): the candidate's children, spouse or parents with their school or home.

Several kinds together score higher (noisy-OR). The score is halved unless the post addresses
a registered person (name, handle, reply: :func:`~detectors.gbv.targeting.find_targets`) and
is not posted by a party or candidate account (its own office number is no doxxing), so the
code's 0.7 bar is reached by personal data *aimed at a candidate*. ``label`` is the heaviest
kind, or ``none``. Values are never copied whole into the signal: ``details.found`` keeps them
masked (``+60 1*-*** **67``); ``details.targets`` lists the registered people addressed and
``details.aimed`` says whether the full weight applied.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, ClassVar

from detectors.base import Detector, signals_per_text
from detectors.gbv.normalise import clean_text
from detectors.gbv.targeting import find_targets, registry_from_settings
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["GbvDoxxingDetector", "PersonalData", "find_personal_data", "mask"]

UNAIMED_FACTOR = 0.5
"""Score factor when no registered person is addressed, or a party account posts its own details."""
KIND_WEIGHTS = {"national-id": 0.9, "home-address": 0.7, "phone": 0.6, "email": 0.4, "family": 0.3}

_MYKAD = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[- ]?(\d{2})[- ]?(\d{4})(?!\d)")
_NIK = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{4})(?!\d)")
_PSN = re.compile(r"(?<!\d)\d{4}-\d{4}-\d{4}-\d{4}(?!\d)")
_SSS = re.compile(r"(?<!\d)\d{2}-\d{7}-\d(?!\d)")
_TIN = re.compile(r"(?<!\d)\d{3}-\d{3}-\d{3}(?:-\d{3,5})?(?!\d)")
_THAI_ID = re.compile(r"(?<!\d)(\d)[- ]?(\d{4})[- ]?(\d{5})[- ]?(\d{2})[- ]?(\d)(?!\d)")
_VN_ID = re.compile(r"(?:cccd|cmnd|căn cước|id|số định danh)\D{0,12}(0\d{11})(?!\d)", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\d+])(?:"
    r"(?:\+?60[- ]?|0)1\d[- ]?\d{3,4}[- ]?\d{4}"  # Malaysia mobile
    r"|(?:\+?62[- ]?|0)8\d{1,2}[- ]?\d{3,4}[- ]?\d{3,5}"  # Indonesia mobile
    r"|(?:\+?63[- ]?|0)9\d{2}[- ]?\d{3}[- ]?\d{4}"  # Philippines mobile
    r"|(?:\+?66[- ]?|0)[689]\d[- ]?\d{3}[- ]?\d{4}"  # Thailand mobile
    r"|(?:\+?84[- ]?|0)[35789]\d{1,2}[- .]?\d{3}[- .]?\d{3,4}"  # Vietnam mobile
    r")(?!\d)"
)
_EMAIL = re.compile(r"(?<![\w.])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# Street and locality words: abbreviations may take a period ("Jl.", "Brgy."), full words may not, so
# "... internet desa. Pilih nomor 2" (a ballot number after a sentence) is no address.
_STREET_ABBR = r"jln|jl|lrg|tmn|kg|gg|st|rd|ave|brgy|subd|blk"
_STREET_WORD = (
    r"jalan|lorong|taman|kampung|persiaran|lebuh|gang|perumahan|blok|kelurahan|kecamatan|desa|street|avenue|"
    r"road|lane|drive|barangay|purok|sitio|subdivision|đường|phố|phường|quận|ngõ|hẻm|duong|phuong|ถนน|ซอย|หมู่"
)
_STREET = rf"(?:\b(?:{_STREET_ABBR})\b\.?|\b(?:{_STREET_WORD})\b)"
_HOUSE_NO = (
    r"\b(?:no|nombor|nomor|number|house|unit|số)\b\.?\s*\d{1,5}[a-z]?\b|#\s?\d{1,5}\b|บ้านเลขที่\s*\d{1,5}"
)
_ADDRESS = re.compile(
    rf"(?:{_HOUSE_NO})[^\n.!?]{{0,30}}?{_STREET}"  # No. 12, Jalan Mawar
    rf"|\b\d{{1,5}}[a-z]?(?:/\d{{1,4}})?,?\s+{_STREET}\s+\w+"  # 12 Jalan Mawar, 5/2 Soi 3
    rf"|{_STREET}\s+\w+[^\n.!?]{{0,20}}?(?:{_HOUSE_NO})"  # Jl. Kenanga no 5
    r"|\b\d{1,5}\s+\w+(?:\s\w+)?\s+(?:street|st|road|rd|avenue|ave|lane|drive)\b",  # 123 Main Street
    re.IGNORECASE,
)
_LIVES_AT = re.compile(
    r"\b(?:lives? at|living at|home address|her address|his address|alamat(?: rumah)?(?: dia| nya|nya)?|"
    r"tinggal di|rumah(?:nya| dia) di|nakatira (?:sa|siya sa)|bahay niya sa|nhà (?:nó|bà ta|cô ta) ở|"
    r"địa chỉ nhà)\b|บ้านอยู่|ที่อยู่บ้าน",
    re.IGNORECASE,
)
_FAMILY = re.compile(
    r"\b(?:her|his|their)\s+(?:son|daughter|kids?|children|husband|wife|mother|father|parents)\b"
    r"[^\n]{0,40}?\b(?:school|studies at|lives|works at|address|home)\b"
    r"|\b(?:anak|suami|isteri|istri|ibu|bapa|ayah)\s*(?:dia|nya|beliau)\b[^\n]{0,40}?\b(?:sekolah|tinggal|kerja|rumah)\b"
    r"|\b(?:anak|asawa|nanay|tatay)\s+(?:niya|nya)\b[^\n]{0,40}?\b(?:nag-aaral|paaralan|school|nakatira|bahay)\b"
    r"|\b(?:con|chồng|vợ|mẹ|bố)\s+(?:nó|bà ta|cô ta|ông ta)\b[^\n]{0,40}?\b(?:học|trường|nhà|làm)\b",
    re.IGNORECASE,
)
# Malaysian MyKad birthplace codes: states 01-16, 21-59, abroad 60-68, 71-72, 74-79, 82-93, 98-99.
_MYKAD_PLACES = (
    set(range(1, 17))
    | set(range(21, 60))
    | set(range(60, 69))
    | {71, 72}
    | set(range(74, 80))
    | set(range(82, 94))
    | {98, 99}
)
# Indonesian NIK province codes (first two digits).
_NIK_PROVINCES = {
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    21,
    31,
    32,
    33,
    34,
    35,
    36,
    51,
    52,
    53,
    61,
    62,
    63,
    64,
    65,
    71,
    72,
    73,
    74,
    75,
    76,
    81,
    82,
    91,
    92,
    93,
    94,
    95,
    96,
}


class PersonalData:
    """A piece of personal data found in a text, kept masked."""

    def __init__(self, kind: str, value: str, scheme: str = "") -> None:
        self.kind = kind
        self.masked = mask(value)
        self.scheme = scheme

    def as_dict(self) -> dict[str, str]:
        """Return kind, scheme and masked value."""
        return {"kind": self.kind, "scheme": self.scheme, "value": self.masked}


def mask(value: str) -> str:
    """Star all but the first three and last two digits or letters of ``value``.

    >>> mask("+60 12-345 6767")
    '+60 1*-*** **67'
    """
    positions = [i for i, c in enumerate(value) if c.isalnum()]
    keep = set(positions[:3] + positions[-2:]) if len(positions) > 6 else set(positions[:1])
    return "".join(c if (i in keep or not c.isalnum()) else "*" for i, c in enumerate(value))


def _valid_date(yy: int, mm: int, dd: int) -> bool:
    try:
        date(2000 + yy if yy < 30 else 1900 + yy, mm, dd)
    except ValueError:
        return False
    return True


def _thai_id_valid(digits: str) -> bool:
    total = sum(int(d) * (13 - i) for i, d in enumerate(digits[:12]))
    return (11 - total % 11) % 10 == int(digits[12])


def find_personal_data(text: str) -> list[PersonalData]:
    """Return the personal data found in ``text`` (raw)."""
    text = clean_text(text, limit=20_000)
    found: list[PersonalData] = []
    taken: list[tuple[int, int]] = []

    def free(m: re.Match[str]) -> bool:
        return all(m.end() <= a or m.start() >= b for a, b in taken)

    def add(m: re.Match[str], kind: str, scheme: str) -> None:
        taken.append((m.start(), m.end()))
        found.append(PersonalData(kind, m.group(0), scheme))

    for m in _NIK.finditer(text):
        prov, dd, mm, yy = int(m.group(1)), int(m.group(4)), int(m.group(5)), int(m.group(6))
        if prov in _NIK_PROVINCES and _valid_date(yy, mm, dd - 40 if dd > 40 else dd):
            add(m, "national-id", "id-nik")
    for m in _PSN.finditer(text):
        if free(m):
            add(m, "national-id", "ph-psn")
    for m in _THAI_ID.finditer(text):
        digits = "".join(m.groups())
        if free(m) and digits[0] != "0" and _thai_id_valid(digits):
            add(m, "national-id", "th-id")
    for m in _MYKAD.finditer(text):
        yy, mm, dd, place = (int(m.group(i)) for i in (1, 2, 3, 4))
        if free(m) and _valid_date(yy, mm, dd) and place in _MYKAD_PLACES:
            add(m, "national-id", "my-mykad")
    for m in _VN_ID.finditer(text):
        if free(m):
            add(m, "national-id", "vn-cccd")
    for regex, scheme in ((_SSS, "ph-sss"), (_TIN, "ph-tin")):
        for m in regex.finditer(text):
            if free(m):
                add(m, "national-id", scheme)
    for m in _PHONE.finditer(text):
        if free(m):
            add(m, "phone", "mobile")
    for m in _EMAIL.finditer(text):
        if free(m):
            add(m, "email", "email")
    for regex, kind in ((_ADDRESS, "home-address"), (_LIVES_AT, "home-address"), (_FAMILY, "family")):
        m = regex.search(text)
        if m:
            add(m, kind, "pattern")
    return found


class GbvDoxxingDetector(Detector):
    """Flags posts that expose phone numbers, ID numbers, home addresses or family details."""

    name = "gbv.doxxing"
    version = "1.0.0"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})

    def load(self) -> None:
        """Load the registry (to name the people the data may belong to)."""
        self.registry = registry_from_settings(self.settings)

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Return one ``gbv.doxxing`` signal per item with text."""
        self.ensure_loaded()
        return signals_per_text(batch, self._judge)

    def _judge(self, enriched: EnrichedItem, text: str) -> Signal:
        found = find_personal_data(text)
        kinds = sorted({f.kind for f in found}, key=lambda k: -KIND_WEIGHTS[k])
        miss = 1.0
        for kind in kinds:
            miss *= 1.0 - KIND_WEIGHTS[kind]
        item = enriched.item
        targets = find_targets(
            self.registry, text, item.mentions, item.reply_to, item.platform, item.account
        )
        own = self.registry.account(item.platform, item.account) if item.account else None
        # Aimed at a registered person: full weight. Nobody registered addressed, or a party
        # or candidate account posting (its own contact details): half.
        aimed = bool(targets) and not (own and own.kind in ("official", "affiliated"))
        score = (1.0 - miss) * (1.0 if aimed else UNAIMED_FACTOR)
        details: dict[str, Any] = {
            "kinds": kinds,
            "found": [f.as_dict() for f in found[:20]],
            "targets": [t.person.id for t in targets],
            "aimed": aimed,
        }
        evidence = "; ".join(f"{f.kind} {f.masked}" for f in found[:5]) or "no personal data"
        if found and targets:
            evidence += f"; names {', '.join(t.person.name for t in targets[:3])}"
        return self.signal(enriched, score, kinds[0] if kinds else "none", evidence, details)
