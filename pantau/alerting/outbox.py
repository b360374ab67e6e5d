"""The local outbox: one JSON file per alert, the embedded default channel."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pantau.alerting.base import DeliveryFailed, Notifier
from pantau.schemas import Alert

__all__ = ["OutboxNotifier"]


class OutboxNotifier(Notifier):
    """Writes ``<outbox>/<alert id>.json`` atomically; the same alert overwrites its own file."""

    name = "outbox"
    rate_limited = False

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def deliver(self, alert: Alert, urls: list[str] | None = None) -> None:
        """Write the alert as JSON."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".alert-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(alert.model_dump_json(indent=2))
            os.replace(tmp, self.folder / f"{alert.id}.json")
        except OSError as exc:
            raise DeliveryFailed(f"outbox {self.folder}: {exc}") from exc
