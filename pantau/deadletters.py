"""Turn any failure into a dead-letter record: nothing is lost, nothing stops the run.

Building a dead letter never raises: the payload may hold lone surrogates, be nested past any
serialiser's limit, or have a ``__str__`` that raises; each falls back to a simpler description.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pantau.schemas import DeadLetter, digest

__all__ = ["MAX_PAYLOAD_CHARS", "dead_letter"]

MAX_PAYLOAD_CHARS = 64_000
"""Payloads are kept up to this many characters (the digest covers the whole payload)."""


def _safe(text: str) -> str:
    """``text`` encodable as UTF-8: a lone surrogate is written as its escape (``\\ud800``), as evidence."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _describe(value: Any) -> str:
    """``repr`` of anything, or its type's name when even that raises."""
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__ must not stop a dead letter
        return f"<unprintable {type(value).__name__}>"


def _payload_text(payload: Any) -> str:
    if payload is None:
        return ""
    if isinstance(payload, bytes):
        return payload.decode("utf-8", "backslashreplace")
    if isinstance(payload, str):
        return _safe(payload)
    try:
        if hasattr(payload, "model_dump_json"):
            try:
                return str(payload.model_dump_json())
            except Exception:  # noqa: BLE001 - e.g. a lone surrogate: dump to Python, escape in JSON
                payload = payload.model_dump(mode="python")
        # ensure_ascii escapes lone surrogates (valid JSON, exact); RecursionError when nested too deep
        return json.dumps(payload, default=str, ensure_ascii=True)
    except (TypeError, ValueError, RecursionError):
        return _safe(_describe(payload)[:MAX_PAYLOAD_CHARS])
    except Exception:  # noqa: BLE001
        return _safe(_describe(payload)[:MAX_PAYLOAD_CHARS])


def _reason(exc: BaseException) -> str:
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a hostile __str__
        message = "<unprintable message>"
    return _safe(f"{type(exc).__name__}: {message}"[:2000])


def dead_letter(
    exc: BaseException,
    stage: str,
    payload: Any = None,
    *,
    item_id: str | None = None,
    source: str | None = None,
) -> DeadLetter:
    """Return the dead letter for ``exc`` raised at ``stage`` while handling ``payload``; never raise.

    The id is a digest of stage, item id (or payload digest) and reason, so that the same
    failure on a replay is recorded once.

    >>> dl = dead_letter(ValueError("bad"), "ingest", '{"x": 1')
    >>> dl.reason, dl.stage
    ('ValueError: bad', 'ingest')
    """
    try:
        text = _payload_text(payload)
    except BaseException as err:  # noqa: BLE001 - RecursionError, MemoryError in a pathological payload
        if isinstance(err, KeyboardInterrupt | SystemExit):
            raise
        text = f"<payload not kept: {type(err).__name__}>"
    payload_digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    reason = _reason(exc)
    fields = {
        "stage": _safe(stage), "reason": reason, "error_type": type(exc).__name__,
        "source": _safe(source) if source is not None else None,
        "item_id": _safe(item_id) if item_id is not None else None,
    }
    try:
        return DeadLetter(
            id=digest("dead", stage, item_id or payload_digest, reason),
            payload=text[:MAX_PAYLOAD_CHARS], payload_digest=payload_digest, **fields,
        )
    except Exception as err:  # noqa: BLE001 - last resort: every field is plain text, this cannot fail
        return DeadLetter(
            id=digest("dead", stage, payload_digest, reason), stage="dead-letter",
            reason=f"{reason} (dead letter not built: {type(err).__name__})"[:2000],
            error_type=type(exc).__name__, payload_digest=payload_digest,
        )
