"""Turn any failure into a dead-letter record: nothing is lost, nothing stops the run."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pantau.schemas import DeadLetter, digest

__all__ = ["MAX_PAYLOAD_CHARS", "dead_letter"]

MAX_PAYLOAD_CHARS = 64_000
"""Payloads are kept up to this many characters (the digest covers the whole payload)."""


def _payload_text(payload: Any) -> str:
    if payload is None:
        return ""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "backslashreplace")
    if isinstance(payload, str):
        return payload
    if hasattr(payload, "model_dump_json"):
        return str(payload.model_dump_json())
    try:
        return json.dumps(payload, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(payload)


def dead_letter(
    exc: BaseException,
    stage: str,
    payload: Any = None,
    *,
    item_id: str | None = None,
    source: str | None = None,
) -> DeadLetter:
    """Return the dead letter for ``exc`` raised at ``stage`` while handling ``payload``.

    The id is a digest of stage, item id (or payload digest) and reason, so that the same
    failure on a replay is recorded once.

    >>> dl = dead_letter(ValueError("bad"), "ingest", '{"x": 1')
    >>> dl.reason, dl.stage
    ('ValueError: bad', 'ingest')
    """
    text = _payload_text(payload)
    payload_digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    reason = f"{type(exc).__name__}: {exc}"[:2000]
    return DeadLetter(
        id=digest("dead", stage, item_id or payload_digest, reason),
        stage=stage,
        reason=reason,
        error_type=type(exc).__name__,
        source=source,
        item_id=item_id,
        payload=text[:MAX_PAYLOAD_CHARS],
        payload_digest=payload_digest,
    )
