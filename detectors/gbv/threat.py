"""``gbv.threat``: explicit threats of physical or sexual violence, in en, ms, id, tl, vi and th.

Two sources, the stronger wins:

- the threat head of the ``gbv.text`` model (:mod:`detectors.gbv.text_model`): a logistic
  regression over character n-grams and multilingual-e5 vectors trained on threat-labelled
  data (EDOS "threats, plans to harm and incitement", the SEAHateCheck threat templates in
  Indonesian, Malay, Tagalog and Thai, and the project's own sentences,
  ``bench/gbv_threats.csv``), calibrated so that 0.5 is its decision point; it reads threats
  against anyone, named or not ("Someone should shoot Aminah Yusof", "Ratna akan kami perkosa");
- patterns (:data:`THREAT_PATTERNS`) for first-person or wished violence aimed at a person
  ("I will kill you", "aku bunuh kau", "papatayin kita", "tao giết mày", "จะฆ่า"), and for
  "I know where you live" intimidation; read on the folded text (lower case, accents
  stripped, leetspeak and spacing undone), so "k1ll her" and "giet may" match.

Signal: ``score``; ``label`` ``threat`` (>= 0.5) or ``no-threat``; ``details``: ``patterns``
(ids of the patterns that matched), ``model_threat``, ``sexual`` (a threat of sexual
violence). Patterns alone never see reported speech as different from a threat ("he said
'I will kill you'"): reviewers see the matched pattern in the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.gbv.lexicon import item_languages
from detectors.gbv.normalise import fold_for_matching
from detectors.gbv.text_model import DEFAULT_WEIGHTS, GbvTextModel, model_for
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["THREAT_PATTERNS", "GbvThreatDetector", "ThreatPattern", "find_threats"]

_KILL_EN = r"(?:kill|murder|shoot|stab|hang|lynch|behead|burn|beat|strangle|choke|hurt|acid|bomb|rape|hunt)"
_YOU_EN = r"(?:you|u|ya|her|them|this (?:bitch|woman|girl|slut|whore)|that (?:bitch|woman|girl|slut|whore))"


class ThreatPattern:
    """A named regular expression over the folded text, with a weight and whether it is sexual."""

    def __init__(self, pattern_id: str, regex: str, weight: float, sexual: bool = False) -> None:
        self.id = pattern_id
        self.regex = re.compile(regex)
        self.weight = weight
        self.sexual = sexual


THREAT_PATTERNS: tuple[ThreatPattern, ...] = (
    # English
    ThreatPattern(
        "en.first-person",
        rf"\b(?:i|we|i'?ll|we'?ll|imma|ima|gonna|going to|will|gon)\b[\w\s']{{0,20}}?\b"
        rf"{_KILL_EN}(?:ed|ing)?\s+{_YOU_EN}\b",
        0.85,
    ),
    ThreatPattern(
        "en.sexual",
        r"\b(?:i|we|i'?m|im|imma|ima|gonna|someone|somebody|they)\b[\w\s']{0,20}?\b"
        r"(?:rape|gang ?bang)\s+(?:you|u|her)\b",
        0.9,
        True,
    ),
    ThreatPattern(
        "en.should-die",
        r"\b(?:she|you|u|bitch|woman)\b[\w\s']{0,12}?\b(?:should|deserves? to|needs? to|ought to|must)\s+"
        r"(?:be\s+)?(?:die|killed|shot|hanged|hung|raped|burned|stabbed|lynched|beaten)\b",
        0.8,
    ),
    ThreatPattern(
        "en.wish",
        r"\b(?:hope|wish)\s+(?:she|you|u)\s+(?:gets?|get)\s+(?:raped|killed|shot|stabbed|murdered|hurt)\b",
        0.75,
    ),
    ThreatPattern(
        "en.someone-should",
        rf"\b(?:someone|somebody|people)\s+(?:should|needs? to|ought to)\s+{_KILL_EN}\s+{_YOU_EN}\b",
        0.8,
    ),
    ThreatPattern(
        "en.know-where",
        r"\b(?:i|we) know where (?:you|u|she|he|they|[\w.' ]{2,30}?) "
        r"(?:live|lives|sleep|sleeps|work|works|stay|stays)\b",
        0.8,
    ),
    ThreatPattern(
        "en.dead",
        r"\b(?:you'?re|you are|ur|she'?s|she is) (?:dead|gonna die|going to die)\b|\bwatch your back\b",
        0.6,
    ),
    # Malay and Indonesian
    ThreatPattern(
        "ms-id.kill",
        r"\b(?:aku|gue|gua|gw|saya|kami|kita|ku)\s+(?:akan\s+|nak\s+|mau\s+|pasti\s+)?(?:bunuh|tembak|bacok|tikam|sembelih|bakar|pukul|hajar|perkosa|rogol|cekik)\s+(?:kau|kamu|engkau|lu|lo|elu|dia|awak|mu|kalian)\b",
        0.85,
    ),
    ThreatPattern(
        "ms-id.kill-her",
        r"\b(?:bunuh|tembak|bacok|sembelih|rogol|perkosa|bakar)\s+"
        r"(?:saja|aja|je|sahaja|dia|perempuan ini|betina ini)\b",
        0.75,
    ),
    ThreatPattern("ms-id.sexual", r"\b(?:rogol|perkosa|rudapaksa)\s+(?:kau|kamu|dia|lo|lu)\b", 0.9, True),
    ThreatPattern(
        "ms-id.know-where",
        r"\b(?:aku|gue|gw|saya|kami)\s+(?:tahu|tau)\s+(?:rumah|alamat)\s+(?:kau|kamu|lo|lu|dia|awak)\b",
        0.8,
    ),
    ThreatPattern("ms-id.die", r"\b(?:mampus|mati)\s+(?:kau|kamu|lo|lu|aja|saja|je)\b", 0.6),
    # Tagalog
    ThreatPattern(
        "tl.kill",
        r"\b(?:papatayin|patayin|babarilin|barilin|sasaksakin|saksakin|susunugin|bubugbugin)\s+(?:kita|ka|kayo|siya|sya|mo|ko|namin|natin)\b",
        0.85,
    ),
    ThreatPattern(
        "tl.sexual", r"\b(?:gagahasain|rape(?:hin|in))\s+(?:kita|ka|siya|sya|ko|namin)\b", 0.9, True
    ),
    ThreatPattern("tl.know-where", r"\balam (?:ko|namin) (?:kung saan|ang bahay)\b", 0.8),
    ThreatPattern("tl.die", r"\b(?:mamatay ka|sana mamatay|patay ka sa akin|patay ka sakin)\b", 0.7),
    # Vietnamese (accents stripped: "giết" -> "giet")
    ThreatPattern(
        "vi.kill",
        r"\b(?:tao|tui|toi|bon tao|chung tao)\s+(?:se\s+)?(?:giet|dam|chem|ban|dot|hiep)\s+"
        r"(?:may|no|chet|ba|con)\b",
        0.85,
    ),
    ThreatPattern(
        "vi.die", r"\b(?:giet chet|dam chet|chem chet|ban chet|dot nha|cho may chet|chet di)\b", 0.7
    ),
    ThreatPattern("vi.sexual", r"\bhiep (?:dam )?(?:may|no|con|ba)\b", 0.9, True),
    ThreatPattern("vi.know-where", r"\b(?:tao|tui) biet nha (?:may|no|ba)\b", 0.8),
    # Thai (no word spaces: substrings)
    ThreatPattern("th.kill", r"(?:จะฆ่า|ฆ่ามัน|ฆ่าให้ตาย|ฆ่าแม่ง|ยิงทิ้ง|ยิงให้ตาย|เผาบ้าน|แทงให้ตาย)", 0.85),
    ThreatPattern("th.sexual", r"(?:จะข่มขืน|ข่มขืนมัน|ข่มขืนให้)", 0.9, True),
    ThreatPattern("th.die", r"(?:ไปตายซะ|ตายซะ|ไปตาย)", 0.6),
    ThreatPattern("th.know-where", r"(?:รู้นะว่าบ้าน|รู้ว่าบ้านอยู่)", 0.8),
)


_SEXUAL_VIOLENCE = re.compile(
    r"\b(?:rape[ds]?|raping|gang ?bang|perkosa|diperkosa|memperkosa|rogol|dirogol|merogol|rudapaksa|"
    r"gahasa\w*|rape(?:hin|in)|hiep dam)\b|ข่มขืน"
)
"""Words of sexual violence: a threat that uses one is a threat of sexual violence (``details.sexual``)."""


def find_threats(text: str) -> list[ThreatPattern]:
    """Return the threat patterns that match ``text`` (raw; folded here)."""
    folded = fold_for_matching(text)
    return [p for p in THREAT_PATTERNS if p.regex.search(folded)]


class GbvThreatDetector(Detector):
    """Flags threats of violence, by the trained threat head and by pattern."""

    class Options(BaseModel):
        """Options of ``gbv.threat``."""

        model_config = ConfigDict(extra="forbid")
        use_model: bool = Field(True, description="Also read the gbv.text model's threat head.")
        weights: Path = Field(DEFAULT_WEIGHTS, description="Weights of the gbv.text model.")
        use_encoder: bool = Field(True, description="As gbv.text's use_encoder (the model is shared).")

    name = "gbv.threat"
    version = "2.0.0"
    family = Family.GBV
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.TEXT})
    needs: ClassVar[tuple[str, ...]] = ("text.language",)

    def load(self) -> None:
        """Load the shared text model when the model is used."""
        opts: Any = self.options
        self.model: GbvTextModel | None = (
            model_for(self.settings, Path(opts.weights), bool(opts.use_encoder)) if opts.use_model else None
        )

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """Return one ``gbv.threat`` signal per item with text."""
        self.ensure_loaded()
        results: list[list[Signal]] = [[] for _ in batch]
        idx = [i for i, e in enumerate(batch) if e.text.strip()]
        if not idx:
            return results
        model_threat = [0.0] * len(idx)
        if self.model is not None:
            scores = self.model.predict([batch[i].text for i in idx], [item_languages(batch[i]) for i in idx])
            model_threat = [s.threat for s in scores]
        for j, i in enumerate(idx):
            found = find_threats(batch[i].text)
            pattern_score = max((p.weight for p in found), default=0.0)
            score = max(pattern_score, model_threat[j])
            details = {
                "patterns": [p.id for p in found],
                "model_threat": round(model_threat[j], 4),
                "sexual": any(p.sexual for p in found)
                or (score >= 0.5 and bool(_SEXUAL_VIOLENCE.search(fold_for_matching(batch[i].text)))),
            }
            if found:
                evidence = f"threat pattern {', '.join(p.id for p in found)}; model {model_threat[j]:.2f}"
            else:
                evidence = f"no threat pattern; model {model_threat[j]:.2f}"
            label = "threat" if score >= 0.5 else "no-threat"
            results[i] = [self.signal(batch[i], score, label, evidence, details)]
        return results
