"""Provenance: C2PA Content Credentials, IPTC/XMP source type and generator traces in metadata.

Model card
----------
- **What.** Whether a media file *declares* how it was made: a C2PA manifest (validation
  state, signer, actions, IPTC ``digitalSourceType``), an XMP ``Iptc4xmpExt:DigitalSourceType``,
  or traces that AI generators leave in metadata (Stable Diffusion's PNG ``parameters`` text
  chunk, ComfyUI ``prompt``/``workflow`` chunks, InvokeAI and NovelAI keys, EXIF ``Software``
  naming a known generator).
- **How.** ``c2pa-python`` 0.38 (the C2PA reference SDK) reads and validates the manifest
  offline; remote manifests are never fetched unless ``fetch_remote_manifests`` is set. Trust
  is decided by the configurable trust list (``trust_anchors_pem``, ``allowed_signers_pem``):
  a chain to an anchor gives ``c2pa_state == "trusted"``, a valid signature by anyone else
  ``"valid-untrusted"``, a hash or signature mismatch ``"invalid"`` (label ``tampered``).
  XMP packets are parsed from the raw bytes (no XML entity expansion); PNG text chunks and
  EXIF come from Pillow with its own size limits.
- **Signal ``synthetic.provenance``.** Score 1.0 and label ``ai-declared`` when a manifest or
  XMP declares ``trainedAlgorithmicMedia``, ``compositeWithTrainedAlgorithmicMedia``,
  ``compositeSynthetic``, or ``algorithmicMedia`` (synthetic, not necessarily learned: score
  0.9); 0.95 and ``ai-metadata`` for a generator trace; 0.7 and ``tampered`` for an invalid
  manifest (1.0 if it also declares AI); 0.0 with ``c2pa-no-ai`` / ``no-provenance``
  otherwise. ``unreadable-manifest`` (0.0) when a manifest is present but cannot be parsed.
  Details: ``declared_ai`` (bool), ``c2pa_state`` (``none``, ``trusted``, ``valid-untrusted``,
  ``invalid``, ``unreadable``, ``remote``), ``generator``, ``signer``, ``digital_source_types``,
  ``actions``, ``validation_codes``, ``traces``.
- **Exact results** on the C2PA SDK fixtures (``bench/eval_synthetic.py``): see
  ``docs/synthetic.md``.
- **Limits.** Absence of provenance proves nothing: most platforms strip metadata, and
  anyone can remove a manifest. A declaration is only as honest as its signer: read
  ``c2pa_state`` and ``signer`` before relying on it. Metadata traces are trivially forged.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from detectors.base import Detector
from detectors.synthetic.mediafiles import limits, media_files, read_limited, sniff_mime
from pantau.errors import BadMedia, ConfigError, DetectorUnavailable
from pantau.schemas import EnrichedItem, Family, Modality, Signal

__all__ = [
    "AI_SOURCE_TYPES",
    "ProvenanceDetector",
    "ProvenanceOptions",
    "ProvenanceReport",
    "read_provenance",
    "xmp_packets",
]

IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"
AI_SOURCE_TYPES: dict[str, float] = {
    "trainedAlgorithmicMedia": 1.0,
    "compositeWithTrainedAlgorithmicMedia": 1.0,
    "compositeSynthetic": 1.0,
    "algorithmicMedia": 0.9,
}
"""IPTC digital source types that declare synthetic media, with the score each earns."""

KNOWN_GENERATORS = (
    "stable diffusion",
    "stablediffusion",
    "sdxl",
    "automatic1111",
    "comfyui",
    "invokeai",
    "novelai",
    "midjourney",
    "dall-e",
    "dall·e",
    "dalle",
    "openai",
    "chatgpt",
    "firefly",
    "imagen",
    "gemini",
    "bing image creator",
    "designer",
    "ideogram",
    "leonardo.ai",
    "runway",
    "sora",
    "flux",
    "kling",
    "pika",
    "dreamstudio",
    "nightcafe",
    "craiyon",
    "grok",
    "aurora",
    "meta ai",
    "wombo",
    "fooocus",
)
"""Lower-case fragments of generator names looked for in EXIF Software and similar fields."""

GENERATOR_TEXT_KEYS = {
    "parameters": "Stable Diffusion web UI (A1111/Forge)",
    "prompt": "ComfyUI",
    "workflow": "ComfyUI",
    "invokeai_metadata": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "dream": "InvokeAI (dream)",
    "generation_data": "Civitai/Tensor.art",
}
"""PNG/WebP text-chunk keys that AI image tools write, and the tool they point to."""

MAX_XMP_PACKETS = 8
MAX_XMP_BYTES = 2_000_000
_XMP_SOURCE_TYPE = re.compile(
    rb"DigitalSourceType(?:>|=\"|\s*=\s*')\s*(?:<rdf:li>)?\s*(?:"
    + re.escape(IPTC_PREFIX.encode())
    + rb")?([A-Za-z]+)",
    re.IGNORECASE,
)
_XMP_TOOL = re.compile(rb"(?:xmp:CreatorTool|photoshop:Credit)(?:>|=\")([^<\"]{1,200})")
_C2PA_MIME_ALIASES = {
    "image/x-adobe-dng": "image/dng",
    "image/heic": "image/heic",
    "application/xml": "image/svg+xml",
}


class ProvenanceOptions(BaseModel):
    """Options of :class:`ProvenanceDetector` (and of the provenance part of the fused detectors)."""

    model_config = ConfigDict(extra="forbid")

    trust_anchors_pem: str | None = Field(
        None, description="PEM file of root certificates whose chains are trusted (the trust list)."
    )
    allowed_signers_pem: str | None = Field(
        None, description="PEM file of end-entity signing certificates trusted as they are."
    )
    verify_trust: bool = Field(
        True, description="Check signers against the trust list (else only signatures)."
    )
    fetch_remote_manifests: bool = Field(
        False, description="Fetch manifests referenced by URL. Off: a detector must not make network calls."
    )
    read_metadata: bool = Field(True, description="Also read XMP, PNG text chunks and EXIF for traces.")


@dataclass
class ProvenanceReport:
    """What one file declares about its own making."""

    declared_ai: bool = False
    c2pa_state: str = "none"
    generator: str | None = None
    signer: str | None = None
    digital_source_types: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    validation_codes: list[str] = field(default_factory=list)
    traces: list[str] = field(default_factory=list)
    xmp_source_types: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ai_trace(self) -> bool:
        """Whether metadata points to an AI generator without a formal declaration."""
        return bool(self.traces)

    def score_label(self) -> tuple[float, str]:
        """Return the provenance signal's score and label (see the module's model card)."""
        declared = max(
            (AI_SOURCE_TYPES.get(t, 0.0) for t in self.digital_source_types + self.xmp_source_types),
            default=0.0,
        )
        if self.c2pa_state == "invalid":
            return max(0.7, declared), "tampered"
        if declared > 0:
            return declared, "ai-declared"
        if self.traces:
            return 0.95, "ai-metadata"
        if self.c2pa_state in ("unreadable", "remote"):
            return 0.0, "unreadable-manifest"
        if self.c2pa_state in ("trusted", "valid-untrusted"):
            return 0.0, "c2pa-no-ai"
        return 0.0, "no-provenance"

    def evidence(self) -> str:
        """Return a one-line human-readable summary."""
        parts: list[str] = []
        if self.c2pa_state != "none":
            who = f" signed by {self.signer!r}" if self.signer else ""
            parts.append(f"C2PA manifest {self.c2pa_state}{who}")
        if self.digital_source_types or self.xmp_source_types:
            parts.append(
                "digitalSourceType "
                + ", ".join(sorted(set(self.digital_source_types + self.xmp_source_types)))
            )
        if self.traces:
            parts.append("generator traces: " + "; ".join(self.traces[:3]))
        if self.error:
            parts.append(self.error)
        return "; ".join(parts) or "no provenance metadata"

    def as_details(self) -> dict[str, Any]:
        """Return the report as signal details."""
        return asdict(self)


def _c2pa_settings(options: ProvenanceOptions) -> dict[str, Any]:
    verify: dict[str, Any] = {
        "verify_trust": options.verify_trust,
        "remote_manifest_fetch": options.fetch_remote_manifests,
        "ocsp_fetch": False,
    }
    trust: dict[str, Any] = {}
    for key, path in (
        ("trust_anchors", options.trust_anchors_pem),
        ("allowed_list", options.allowed_signers_pem),
    ):
        if path:
            p = Path(path)
            if not p.is_file():
                raise ConfigError(f"synthetic.provenance: {key} file not found: {p}")
            trust[key] = p.read_text(encoding="utf-8")
    settings: dict[str, Any] = {"verify": verify}
    if trust:
        settings["trust"] = trust
    return settings


def _source_type_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value.rstrip("/").rsplit("/", 1)[-1]


def _read_c2pa(data: bytes, mime: str | None, context: Any, report: ProvenanceReport) -> None:
    import c2pa

    if not mime:
        return
    mime = _C2PA_MIME_ALIASES.get(mime, mime)
    try:
        reader = c2pa.Reader(mime, io.BytesIO(data), context=context)
    except c2pa.C2paError as exc:
        text = str(exc)
        if "ManifestNotFound" in type(exc).__name__ or text.startswith("ManifestNotFound"):
            return
        if "NotSupported" in type(exc).__name__ or "type is unsupported" in text.lower():
            return
        report.c2pa_state = "remote" if text.startswith("Remote") else "unreadable"
        report.error = f"C2PA manifest unreadable: {text[:200]}"
        return
    except Exception as exc:  # noqa: BLE001 - the SDK wraps native errors in several classes
        report.c2pa_state = "unreadable"
        report.error = f"C2PA manifest unreadable: {str(exc)[:200]}"
        return
    with reader:
        state = (reader.get_validation_state() or "").lower()
        manifest_store = json.loads(reader.json())
        active = reader.get_active_manifest() or {}
    codes = [s.get("code", "") for s in manifest_store.get("validation_status") or []]
    report.validation_codes = codes
    if state == "invalid" or any(c.endswith(".mismatch") for c in codes):
        report.c2pa_state = "invalid"
    elif state == "trusted":
        report.c2pa_state = "trusted"
    else:
        report.c2pa_state = "valid-untrusted"
    sig = active.get("signature_info") or {}
    report.signer = sig.get("issuer") or sig.get("common_name")
    infos = active.get("claim_generator_info") or []
    names = [str(i.get("name", "")) for i in infos if isinstance(i, dict) and i.get("name")]
    report.generator = " ".join(names) or active.get("claim_generator")
    for assertion in active.get("assertions") or []:
        if not str(assertion.get("label", "")).startswith("c2pa.actions"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            report.actions.append(str(action.get("action", "")))
            kind = _source_type_name(action.get("digitalSourceType"))
            if kind and kind not in report.digital_source_types:
                report.digital_source_types.append(kind)
            agent = action.get("softwareAgent")
            agent_name = agent.get("name") if isinstance(agent, dict) else agent
            if kind in AI_SOURCE_TYPES and agent_name:
                report.generator = str(agent_name)


def _generator_in(text: str) -> str | None:
    low = text.lower()
    for name in KNOWN_GENERATORS:
        if re.search(r"(?<![a-z])" + re.escape(name) + r"(?![a-z])", low):
            return name
    return None


def xmp_packets(data: bytes) -> list[bytes]:
    """Return up to 8 XMP packets (``<x:xmpmeta ... </x:xmpmeta>``, at most 2 MB each) in one linear scan.

    >>> xmp_packets(b"..<x:xmpmeta a='1'>x</x:xmpmeta>..<x:xmpmeta unterminated")
    [b"<x:xmpmeta a='1'>x</x:xmpmeta>"]
    """
    packets: list[bytes] = []
    pos = 0
    while len(packets) < MAX_XMP_PACKETS:
        start = data.find(b"<x:xmpmeta", pos)
        if start < 0:
            break
        end = data.find(b"</x:xmpmeta>", start)
        if end < 0:
            break  # no closing tag anywhere after: no later packet can be complete either
        end += len(b"</x:xmpmeta>")
        if end - start <= MAX_XMP_BYTES:
            packets.append(data[start:end])
        pos = end
    return packets


def _read_metadata(data: bytes, report: ProvenanceReport) -> None:
    for packet in xmp_packets(data):
        for match in _XMP_SOURCE_TYPE.findall(packet):
            kind = match.decode("ascii", "replace")
            if kind not in report.xmp_source_types:
                report.xmp_source_types.append(kind)
        for tool in _XMP_TOOL.findall(packet):
            name = _generator_in(tool.decode("utf-8", "replace"))
            if name:
                report.traces.append(f"XMP CreatorTool names {name}")
                report.generator = report.generator or tool.decode("utf-8", "replace")
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            info = dict(image.info)
            text_chunks = dict(getattr(image, "text", {}) or {}) if image.format == "PNG" else {}
            exif = image.getexif()
    except Exception:  # noqa: BLE001 - not an image Pillow reads (video, svg, pdf): no such metadata
        return
    for key, value in {**{k: v for k, v in info.items() if isinstance(v, str)}, **text_chunks}.items():
        tool = GENERATOR_TEXT_KEYS.get(str(key).lower())
        if tool and str(value).strip():
            report.traces.append(f"text chunk {key!r} written by {tool}")
            report.generator = report.generator or tool
        elif str(key).lower() in ("software", "comment", "description", "source") and isinstance(value, str):
            name = _generator_in(value[:2000])
            if name:
                report.traces.append(f"text chunk {key!r} names {name}")
                report.generator = report.generator or value[:100]
    for tag, label in ((0x0131, "EXIF Software"), (0x010E, "EXIF ImageDescription"), (0x013B, "EXIF Artist")):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, str):
            name = _generator_in(value[:2000])
            if name:
                report.traces.append(f"{label} names {name}")
                report.generator = report.generator or value[:100]


def read_provenance(
    path: str | Path,
    options: ProvenanceOptions | None = None,
    context: Any = None,
    max_bytes: int = 50 * 1024 * 1024,
) -> ProvenanceReport:
    """Read what a file declares about its making: C2PA, XMP/IPTC and generator traces.

    ``context`` is a ``c2pa.Context`` built once from ``options`` (see :func:`c2pa_context`);
    without one, a context is built for this call.

    Example Snippet::

        report = read_provenance("photo.jpg")
        report.declared_ai, report.c2pa_state, report.generator
    """
    options = options or ProvenanceOptions()
    data = read_limited(path, max_bytes)
    if context is None:
        context = c2pa_context(options)
    report = ProvenanceReport()
    _read_c2pa(data, sniff_mime(data), context, report)
    if options.read_metadata:
        _read_metadata(data, report)
    kinds = report.digital_source_types + report.xmp_source_types
    report.declared_ai = any(k in AI_SOURCE_TYPES for k in kinds)
    return report


def c2pa_context(options: ProvenanceOptions) -> Any:
    """Build the ``c2pa.Context`` (trust list, no network) for ``options``; raise if c2pa is missing."""
    try:
        import c2pa
    except ImportError as exc:  # pragma: no cover - core dependency
        raise DetectorUnavailable(
            "synthetic.provenance needs c2pa-python: pip install 'c2pa-python==0.38.*'"
        ) from exc
    return c2pa.Context(c2pa.Settings().update(_c2pa_settings(options)))


class ProvenanceDetector(Detector):
    """Reports C2PA Content Credentials, IPTC source type and generator traces of each media file."""

    name = "synthetic.provenance"
    version = "0.1.0"
    family = Family.SYNTHETIC
    modalities: ClassVar[frozenset[Modality]] = frozenset({Modality.IMAGE, Modality.VIDEO, Modality.AUDIO})
    Options = ProvenanceOptions

    def load(self) -> None:
        """Build the C2PA context once (trust list read here: a missing file stops the start)."""
        self._context = c2pa_context(self.options)  # type: ignore[arg-type]
        self._max_bytes, _ = limits(self.settings)

    def report(self, path: str | Path) -> ProvenanceReport:
        """Return the provenance report of one file, with this detector's options."""
        self.ensure_loaded()
        return read_provenance(path, self.options, self._context, self._max_bytes)  # type: ignore[arg-type]

    def detect(self, batch: Sequence[EnrichedItem]) -> list[list[Signal]]:
        """One signal per media file; a file that cannot be read raises :class:`BadMedia`."""
        results: list[list[Signal]] = []
        for enriched in batch:
            signals = []
            for media in media_files(enriched, self.modalities):
                try:
                    report = self.report(str(media.path))
                except BadMedia:
                    raise
                except Exception as exc:  # noqa: BLE001 - hostile metadata must not crash the stage
                    raise BadMedia(f"{Path(str(media.path)).name}: provenance unreadable ({exc})") from exc
                score, label = report.score_label()
                signals.append(
                    self.signal(enriched, score, label, report.evidence(), report.as_details(), media.sha256)
                )
            results.append(signals)
        return results
