"""Disclosure: does the item tell its audience that AI was used?

Model card
----------
- **What.** Score 1.0 when an item discloses AI use, 0.0 when nothing discloses it. The code
  engine reads it to tell *disclosed* synthetic content (allowed by most codes, with a label)
  from *undisclosed* synthetic content (a breach).
- **How.** Three sources, each named in ``details.sources``:
  1. *Text*: caption, title and extracted text (OCR of a visible label, transcript) matched
     against multilingual patterns: English ("AI-generated", "made with AI", "#AI",
     "synthetic media", "deepfake" used as a label), Malay ("dijana AI", "dihasilkan oleh AI",
     "janaan AI", "kandungan AI"), Indonesian ("dibuat dengan AI", "dibuat oleh AI", "hasil AI",
     "konten AI"), Tagalog/Filipino ("gawa ng AI", "ginawa ng AI", "gawa sa AI"), Vietnamese
     ("tạo bởi AI", "do AI tạo", "tạo bằng AI", "ảnh AI"), Thai ("สร้างโดย AI", "สร้างด้วย AI",
     "ภาพจาก AI", "ปัญญาประดิษฐ์"), Chinese ("AI生成", "人工智能生成"), Tamil ("AI உருவாக்கியது").
  2. *Platform labels* carried in the feed (``item.labels``: "ai-generated", "made-with-ai",
     "ai-info", "synthetic", "altered-or-synthetic", "digitally-altered", ...).
  3. *Machine-readable declarations* in the media: C2PA ``digitalSourceType`` or an XMP/IPTC
     declaration, read with the logic of ``synthetic.provenance``. They count as disclosure
     only when ``count_metadata`` is set (default true): most platforms strip metadata before
     people see it, so ``details.visible`` says whether the disclosure was visible (text or
     label) and a code can require that.
- **Limits.** Pattern matching: a caption that *denies* AI use ("not AI-generated") is
  excluded by a negation check in English, Malay and Indonesian only; irony and
  disclosures in images without OCR are missed. Hashtags such as "#AI" also mark posts
  *about* AI: read ``details.matches``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.synthetic.mediafiles import limits, media_files
from detectors.synthetic.provenance import ProvenanceOptions, c2pa_context, read_provenance
from pantau.errors import PantauError
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = ["DISCLOSURE_PATTERNS", "PLATFORM_AI_LABELS", "DisclosureDetector", "text_disclosures"]

_AI = r"(?:a\.?i\.?|ai)"
DISCLOSURE_PATTERNS: dict[str, list[str]] = {
    "en": [
        rf"\b{_AI}[\s-]*(?:generated|created|made|assisted|enhanced|altered|edited|image|video|voice|content)\b",
        rf"\b(?:generated|created|made|produced|edited|altered)\s+(?:with|by|using)\s+(?:an?\s+)?{_AI}\b",
        r"\bartificial intelligence[\s-]*(?:generated|created)\b",
        r"\b(?:synthetic|simulated)\s+(?:media|image|video|voice|content)\b",
        r"\bdeepfake\s+(?:parody|satire|disclaimer)\b",
        r"\bdigitally\s+(?:altered|created|generated)\b",
        r"(?:^|\s)#(?:ai|aiart|aigenerated|aiimage|madewithai|generativeai|midjourney|stablediffusion|dalle)\b",
    ],
    "ms": [
        rf"\b(?:dijana|dihasilkan|dicipta|dibuat|janaan|hasilan|ciptaan)\s+(?:oleh|dengan|menggunakan)?\s*{_AI}\b",
        rf"\bkandungan\s+{_AI}\b",
        r"\bkecerdasan buatan\b",
    ],
    "id": [
        rf"\b(?:dibuat|dihasilkan|dibuat\s+oleh|direkayasa)\s+(?:dengan|oleh|menggunakan)\s+{_AI}\b",
        rf"\b(?:hasil|konten|gambar|video|buatan)\s+{_AI}\b",
        r"\bkecerdasan artifisial\b",
    ],
    "tl": [
        rf"\b(?:gawa|ginawa|nilikha|binuo)\s+(?:ng|sa|gamit\s+ang)\s+{_AI}\b",
        r"\bartificial intelligence\b",
    ],
    "vi": [
        rf"(?:tạo|được tạo|sản xuất)\s+(?:bởi|bằng|từ)\s+{_AI}",
        rf"do\s+{_AI}\s+tạo",
        rf"(?:ảnh|video|hình ảnh|nội dung)\s+{_AI}\b",
        r"trí tuệ nhân tạo",
    ],
    "th": [
        rf"สร้าง(?:โดย|ด้วย|จาก)\s*{_AI}",
        rf"(?:ภาพ|วิดีโอ|คลิป)(?:จาก|ที่สร้างโดย)\s*{_AI}",
        r"ปัญญาประดิษฐ์",
    ],
    "zh": [r"(?:AI|ai|人工智能|人工智慧)\s*(?:生成|合成|制作|製作)"],
    "ta": [rf"{_AI}\s*(?:உருவாக்கிய|உருவாக்கியது|மூலம்)", r"செயற்கை நுண்ணறிவு"],
}
"""Disclosure phrases per language (regular expressions, matched case-insensitively)."""

_NEGATION = re.compile(
    rf"\b(?:not|no|never|bukan|tidak|tanpa|hindi|không|ไม่ใช่)\s+(?:an?\s+)?(?:\w+\s+)?{_AI}\b|"
    rf"\b(?:not|bukan|tidak)\s+(?:dijana|dibuat|generated|made)\b",
    re.IGNORECASE,
)

PLATFORM_AI_LABELS = frozenset(
    {
        "ai-generated",
        "ai_generated",
        "aigc",
        "ai-info",
        "ai_info",
        "made-with-ai",
        "made_with_ai",
        "synthetic",
        "synthetic-media",
        "altered-or-synthetic",
        "altered_or_synthetic",
        "digitally-altered",
        "ai-label",
        "creator-labeled-ai",
        "c2pa-ai",
        "generated-by-ai",
        "ai",
    }
)
"""Platform labels (as normalised by the connectors) that disclose AI use."""

_COMPILED = {lang: [re.compile(p, re.IGNORECASE) for p in pats] for lang, pats in DISCLOSURE_PATTERNS.items()}


def text_disclosures(text: str) -> list[tuple[str, str]]:
    """Return (language, matched phrase) for every AI disclosure in ``text``, negated ones excluded.

    >>> text_disclosures("Poster ini dijana AI untuk kempen")
    [('ms', 'dijana AI')]
    >>> text_disclosures("This photo is not AI-generated")
    []
    """
    found: list[tuple[str, str]] = []
    for lang, patterns in _COMPILED.items():
        for pattern in patterns:
            for match in pattern.finditer(text):
                start = max(0, match.start() - 24)
                window = text[start : match.end()]
                if _NEGATION.search(window):
                    continue
                phrase = match.group(0).strip()
                if all(phrase.lower() != p.lower() for _, p in found):
                    found.append((lang, phrase))
    return found


class DisclosureOptions(BaseModel):
    """Options of :class:`DisclosureDetector`."""

    model_config = ConfigDict(extra="forbid")

    count_metadata: bool = Field(True, description="Count C2PA/IPTC declarations in the media as disclosure.")
    extra_labels: list[str] = Field(
        default_factory=list, description="More platform labels that disclose AI."
    )
    provenance: ProvenanceOptions = Field(default_factory=ProvenanceOptions)


class DisclosureDetector(Detector):
    """Whether an item discloses AI use in its text, its platform labels or its media's metadata."""

    name = "synthetic.disclosure"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset(
        {Modality.TEXT, Modality.IMAGE, Modality.VIDEO, Modality.AUDIO}
    )
    Options = DisclosureOptions

    def load(self) -> None:
        """Build the C2PA context once."""
        self._context = c2pa_context(self.options.provenance)  # type: ignore[attr-defined]
        self._max_bytes, _ = limits(self.settings)
        self._labels = PLATFORM_AI_LABELS | {x.lower() for x in self.options.extra_labels}  # type: ignore[attr-defined]

    def judge(self, enriched: EnrichedItem) -> tuple[float, str, str, dict[str, Any]]:
        """Return score, label, evidence and details for one item."""
        self.ensure_loaded()
        item = enriched.item
        matches = text_disclosures(enriched.text)
        labels = [lab for lab in item.labels if lab.strip().lower().replace(" ", "-") in self._labels]
        declared: list[str] = []
        if self.options.count_metadata:  # type: ignore[attr-defined]
            for media in media_files(enriched, {Modality.IMAGE, Modality.VIDEO, Modality.AUDIO}):
                try:
                    report = read_provenance(
                        str(media.path),
                        self.options.provenance,  # type: ignore[attr-defined]
                        self._context,
                        self._max_bytes,
                    )
                except PantauError:
                    continue  # an unreadable file discloses nothing; the image detectors report it
                if report.declared_ai:
                    kinds = sorted(set(report.digital_source_types + report.xmp_source_types))
                    where = "C2PA" if report.digital_source_types else "XMP/IPTC"
                    declared.append(f"{where} {', '.join(kinds)} in {Path(str(media.path)).name}")
        sources = [
            s for s, hit in (("text", matches), ("platform-label", labels), ("metadata", declared)) if hit
        ]
        details = {
            "disclosed": bool(sources),
            "visible": bool(matches or labels),
            "sources": sources,
            "matches": [{"language": lang, "phrase": p} for lang, p in matches],
            "labels": labels,
            "declarations": declared,
        }
        if not sources:
            return 0.0, "undisclosed", "no AI disclosure in text, labels or metadata", details
        bits = []
        if matches:
            bits.append("text says " + ", ".join(repr(p) for _, p in matches[:3]))
        if labels:
            bits.append("platform label " + ", ".join(labels))
        if declared:
            bits.append("; ".join(declared[:2]))
        return 1.0, "disclosed", "; ".join(bits), details

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per item (also for items with no media: a caption alone can disclose)."""
        return [[self.signal(e, *self.judge(e))] for e in batch]
