"""The citizen tipline: an HTTP endpoint and a Telegram bot that file tips into a spool.

``serve(settings, host, port)`` runs both (the CLI's ``pantau tipline``); the pipeline reads the
spool through :class:`~ingest.tipline.source.TiplineSource` (``kind = "tipline"``). Names are
imported lazily so that importing this package loads neither FastAPI nor uvicorn.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TipIntake", "TipRejected", "TiplineBot", "TiplineOptions", "TiplineSource", "create_app", "serve"]

_WHERE = {
    "TipIntake": "ingest.tipline.intake",
    "TipRejected": "ingest.tipline.intake",
    "TiplineOptions": "ingest.tipline.intake",
    "TiplineBot": "ingest.tipline.bot",
    "TiplineSource": "ingest.tipline.source",
    "create_app": "ingest.tipline.app",
    "serve": "ingest.tipline.app",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'ingest.tipline' has no attribute {name!r}")
