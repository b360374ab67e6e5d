"""How long the commission's overview takes to gather and chart N incidents (store + pandas + plotly).

    .venv/bin/python bench/dashboard_overview.py --incidents 5000

Seeds a temporary SQLite store with synthetic incidents spread over 7 days, then times what one
refresh of the overview does: the scoped search with facets, the data frame, the five figures
and the repeat-offender table. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboard.charts import bar_counts, incidents_frame, repeat_offenders, timeline  # noqa: E402
from pantau.schemas import Family, IncidentStatus, Severity, utcnow  # noqa: E402
from pantau.stores.base import IncidentQuery, Scope  # noqa: E402
from pantau.stores.sqlite import SQLiteStore  # noqa: E402
from tests.mocks.incidents import make_incident  # noqa: E402


def main() -> None:
    """Seed, then time the overview's work a few times."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(7)  # noqa: S311 - synthetic data, not security
    now = utcnow()
    incidents = [
        make_incident(
            f"n{i}",
            party=rng.choice(["pbn", "pkr2", "gpm", None]),
            family=rng.choice(list(Family)[:4]),
            severity=rng.choice(list(Severity)),
            status=rng.choice(list(IncidentStatus)),
            platform=rng.choice(["facebook", "x", "tiktok", "youtube", "telegram"]),
            account=f"acct{rng.randrange(300)}",
            created_at=now - timedelta(minutes=rng.randrange(7 * 24 * 60)),
            text=f"contoh kandungan {i} pilihan raya",
        )
        for i in range(args.incidents)
    ]
    with tempfile.TemporaryDirectory() as tmp, SQLiteStore(Path(tmp) / "bench.db") as store:
        store.upsert_incidents(incidents)
        search_s, chart_s = [], []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = store.search(
                IncidentQuery(since=now - timedelta(days=7), limit=5000), Scope.everything()
            )
            mid = time.perf_counter()
            frame = incidents_frame(result.incidents)
            figures = [timeline(frame, "family", "6h")] + [
                bar_counts(frame, c, c) for c in ("severity", "party", "platform", "clause")
            ]
            repeat_offenders(frame)
            for fig in figures:
                fig.to_plotly_json()
            search_s.append(mid - start)
            chart_s.append(time.perf_counter() - mid)
    print(
        json.dumps(
            {
                "incidents": args.incidents,
                "search_median_s": round(statistics.median(search_s), 3),
                "charts_median_s": round(statistics.median(chart_s), 3),
            }
        )
    )


if __name__ == "__main__":
    main()
