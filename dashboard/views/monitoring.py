"""The commission's Monitoring page: connector health, the tipline inbox, what was monitored.

Read-only, from what the other processes already keep:

- connector health: the status each platform connector saves with its checkpoint
  (``<data_dir>/checkpoints/<source>.json``, :func:`ingest.connectors.base.read_statuses`);
- tipline inbox: the newest tips of the tipline spool (``<data_dir>/tipline/spool.jsonl``), as the
  intake wrote them (the contact details are kept apart and are not shown);
- monitored items: the store keeps only the id, time and stage timings of each processed item, not
  its content, so items that did not become incidents are counted, not listed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from dashboard.context import Context
from dashboard.render import escape

__all__ = ["MAX_TIPS", "connector_rows", "monitoring_page", "tip_rows"]

MAX_TIPS = 200
"""Newest tips shown."""
_TAIL_BYTES = 4 * 1024 * 1024


def _when(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(value or "")[:19].replace("T", " ")


def connector_rows(statuses: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per connector source: state, last fetch, success and error, counts."""
    rows = []
    for source, status in sorted(statuses.items()):
        counts = status.get("counts") if isinstance(status.get("counts"), dict) else {}
        rows.append(
            {
                "source": source,
                "platform": str(status.get("platform") or ""),
                "state": str(status.get("state") or "?"),
                "last fetch": _when(status.get("last_pass_at")),
                "last success": _when(status.get("last_success_at")),
                "last error at": _when(status.get("last_error_at")),
                "last error": str(status.get("last_error") or "")[:300],
                "items": int(counts.get("items", 0) or 0),
                "dead letters": int(counts.get("dead_letters", 0) or 0),
            }
        )
    return rows


def tip_rows(spool: Path, limit: int = MAX_TIPS) -> list[dict[str, Any]]:
    """The newest ``limit`` tips of the spool, newest first; unreadable lines are skipped."""
    try:
        with spool.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - _TAIL_BYTES))
            data = fh.read()
    except OSError:
        return []
    lines = data.split(b"\n")
    if size > _TAIL_BYTES:
        lines = lines[1:]  # the first line may be cut
    rows = []
    for raw in reversed(lines):
        if len(rows) >= limit:
            break
        try:
            tip = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(tip, dict):
            continue
        media = tip.get("media") if isinstance(tip.get("media"), list) else []
        rows.append(
            {
                "received": _when(tip.get("published_at")),
                "channel": str(tip.get("channel") or ""),
                "partner": str(tip.get("partner") or ""),
                "text": str(tip.get("text") or "")[:300],
                "url": str(tip.get("url") or ""),
                "files": len(media),
                "ack id": str(tip.get("id") or ""),
            }
        )
    return rows


def monitoring_page(ctx: Context) -> None:
    """Connector health, the tipline inbox and the count of monitored items."""
    from ingest.connectors.base import read_statuses

    data_dir = Path(ctx.settings.data_dir)
    rows = connector_rows(read_statuses(data_dir))
    st.markdown(f"#### Connector health · {len(rows)} source(s)")
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    else:
        st.caption("No platform connector has saved a status yet (they save it with their checkpoint).")
    tips = tip_rows(data_dir / "tipline" / "spool.jsonl")
    st.markdown(f"#### Tipline inbox · {len(tips)} newest tip(s)")
    if tips:
        st.dataframe(pd.DataFrame(tips), hide_index=True, width="stretch")
    else:
        st.caption("No tip in the spool.")
    stats = ctx.store.stats()
    st.markdown("#### Monitored items")
    items, incidents = stats.get("items"), stats.get("incidents")
    st.caption(
        escape(
            f"{items if items is not None else '?'} item(s) processed, {incidents} incident(s). "
            "The store keeps only the id and time of each processed item, not its content, so items "
            "that did not become incidents are counted here, not listed."
        )
    )
