"""Logging set-up for Pantau's processes: plain text for a console, or one JSON object per line.

JSON lines carry ``time``, ``level``, ``logger`` and ``message``, plus whatever a call passes in
``extra``: the runner, the worker and the alerter pass ``item_id`` (and ``incident_id``,
``alert_id``, ``stage`` where they apply), so a log system can follow one item across processes.

Example Snippet::

    configure_logging(logging.INFO, "json")
    log.warning("alert failed", extra={"item_id": item.id, "alert_id": alert.id})
"""

from __future__ import annotations

import logging
import sys
from typing import Literal, TextIO

__all__ = ["LogFormat", "configure_logging", "json_formatter"]

LogFormat = Literal["text", "json"]

_TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_QUIET = ("opensearch", "elastic_transport", "elasticsearch", "urllib3", "kafka", "aiokafka")


def json_formatter() -> logging.Formatter:
    """A formatter writing one JSON object per record (python-json-logger)."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "{asctime}{levelname}{name}{message}",
        style="{",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


def configure_logging(
    level: int = logging.WARNING, fmt: LogFormat = "text", stream: TextIO | None = None, quiet: bool = True
) -> None:
    """Send the root logger to ``stream`` (stderr) in ``fmt``, replacing earlier handlers.

    :param quiet: keep the Kafka and search clients' loggers at WARNING (they log every refused
        connection with a traceback).
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(json_formatter() if fmt == "json" else logging.Formatter(_TEXT))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    if quiet:
        for name in _QUIET:
            logging.getLogger(name).setLevel(max(level, logging.WARNING))
