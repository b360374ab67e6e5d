"""Evidence packs: one JSON document per incident that holds up when challenged.

A pack holds the item as captured, every signal (detector, version, score, evidence), the
clause and the rule that fired, the history of decisions, the SHA-256 of each media file (and
whether the file still on disk matches it), the timestamps, and a SHA-256 of the pack itself
computed over its canonical JSON (sorted keys, no spaces) without the ``pack_sha256`` field.
Anyone can recompute it with :func:`verify_pack`, or in a few lines of any language::

    import hashlib, json
    doc = json.load(open("pack.json"))
    claimed = doc.pop("pack_sha256")
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert claimed == hashlib.sha256(canonical).hexdigest()

The hash shows damage, not forgery (anyone can rehash an edited pack): packs are also signed
with the deployment's Ed25519 key; ``pantau evidence verify pack.json`` checks both
(:mod:`pantau.signing`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pantau.access import intimate_media
from pantau.schemas import Incident, utcnow
from pantau.stores.base import ReviewAction

__all__ = ["PACK_FORMAT", "evidence_pack", "pack_bytes", "verify_pack"]

PACK_FORMAT = "pantau-evidence-pack/1"


def _file_sha256(path: str | None) -> str | None:
    if not path:
        return None
    file = Path(path)
    if not file.is_file():
        return None
    h = hashlib.sha256()
    with file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def evidence_pack(
    incident: Incident,
    actions: list[ReviewAction],
    exported_by: str,
    redacted: bool = False,
    now: datetime | None = None,
    signer: Callable[[bytes], dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Return the evidence pack of an incident as a dict (with its own ``pack_sha256``).

    :param incident: the incident as the exporting user may see it (already redacted for journalists).
    :param actions: its history, oldest first.
    :param exported_by: the user name, recorded in the pack.
    :param redacted: whether ``incident`` was redacted (said in the pack).
    :param signer: signs the canonical pack (``pantau.signing.pack_signer``); its ``signature``
        is added before ``pack_sha256``, which covers it.
    """
    withheld = intimate_media(incident)
    media = []
    for m in incident.item.media:
        on_disk = _file_sha256(m.path)
        media.append(
            {
                "sha256": m.sha256,
                "mime": m.mime,
                "size": m.size,
                "url": m.url,
                "modality": m.modality.value if m.modality else None,
                "file_sha256_now": on_disk,
                "file_matches": (on_disk == m.sha256) if on_disk and m.sha256 else None,
                "withheld_intimate": (m.sha256 or m.path or m.url or "") in withheld,
            }
        )
    item = incident.item.model_dump(mode="json")
    for entry in item.get("media", []):
        entry.pop("path", None)  # local paths say nothing to a reader and reveal the server layout
    doc: dict[str, Any] = {
        "format": PACK_FORMAT,
        "incident_id": incident.id,
        "status": incident.status.value,
        "redacted": redacted,
        "exported_by": exported_by,
        "timestamps": {
            "exported_at": (now or utcnow()).isoformat(),
            "published_at": incident.item.published_at.isoformat() if incident.item.published_at else None,
            "ingested_at": incident.item.ingested_at.isoformat(),
            "incident_created_at": incident.created_at.isoformat(),
            "incident_updated_at": incident.updated_at.isoformat(),
        },
        "breach": incident.breach.model_dump(mode="json"),
        "item": item,
        "text_parts": [p.model_dump(mode="json") for p in incident.text_parts],
        "signals": [s.model_dump(mode="json") for s in incident.signals],
        "faces": [f.model_dump(mode="json") for f in incident.faces],
        "targets": list(incident.targets),
        "media": media,
        "history": [a.model_dump(mode="json") for a in actions],
    }
    if signer is not None:
        doc["signature"] = signer(_canonical(doc))
    doc["pack_sha256"] = hashlib.sha256(_canonical(doc)).hexdigest()
    return doc


def pack_bytes(pack: dict[str, Any]) -> bytes:
    """The pack as pretty JSON bytes, for download."""
    return json.dumps(pack, indent=2, ensure_ascii=False, sort_keys=True).encode("utf-8")


def verify_pack(data: bytes | dict[str, Any]) -> bool:
    """Return whether a pack's ``pack_sha256`` matches its content."""
    doc = dict(json.loads(data)) if isinstance(data, bytes | bytearray) else dict(data)
    claimed = doc.pop("pack_sha256", None)
    return isinstance(claimed, str) and claimed == hashlib.sha256(_canonical(doc)).hexdigest()
