"""Benchmark the embedded default: optimised pipeline vs a naive baseline, in the same run.

Each scenario runs in a fresh subprocess (so that peak memory is the scenario's own):

- **optimised**: batches of ``--batch-size`` into every model, repeated content scored once.
- **naive**: the same code with batches of one item and no de-duplication (one model call per
  item and detector), the way a first prototype would call models.

Figures per stage (items per second of that stage) and end to end (items/s, p50/p95/p99
latency from ingest to searchable incident and to alert sent, peak RSS) are printed as a
Markdown table with the ratio optimised/naive.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["percentile", "run_scenario"]


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _child(feed: str, data_dir: str, mode: str, batch_size: int, detectors_file: str | None) -> None:
    from pantau.settings import Settings
    from streams.runner import Pipeline

    overrides: dict[str, Any] = {
        "data_dir": data_dir,
        "sources": [{"kind": "jsonl", "name": "bench", "path": feed}],
        "batch_size": 1 if mode == "naive" else batch_size,
        "dedupe": mode != "naive",
    }
    if detectors_file:
        overrides["detectors_file"] = detectors_file
    settings = Settings.load(overrides=overrides, environ={})
    pipeline = Pipeline.from_settings(settings)
    load_start = time.perf_counter()
    pipeline.registry.load()
    load_s = time.perf_counter() - load_start
    cpu_start = _cpu_seconds()
    report = pipeline.run_once()
    cpu_s = _cpu_seconds() - cpu_start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {
        "mode": mode,
        "items": report.items,
        "incidents": report.incidents,
        "alerts": report.alerts,
        "dead_letters": report.dead_letters,
        "seconds": report.seconds,
        "model_load_s": load_s,
        "items_per_s": report.items / report.seconds if report.seconds else 0.0,
        "cpu_s": cpu_s,
        "items_per_cpu_s": report.items / cpu_s if cpu_s else 0.0,
        "load_avg": os.getloadavg()[0],
        "stage_seconds": report.stage_seconds,
        "stage_cpu_seconds": report.stage_cpu_seconds,
        "p50_searchable_s": percentile(report.latency_searchable, 50),
        "p95_searchable_s": percentile(report.latency_searchable, 95),
        "p99_searchable_s": percentile(report.latency_searchable, 99),
        "p50_alert_s": percentile(report.latency_alerted, 50),
        "p95_alert_s": percentile(report.latency_alerted, 95),
        "p99_alert_s": percentile(report.latency_alerted, 99),
        "peak_rss_mib": peak_kib / 1024,
        "cache_hits": getattr(pipeline.cache, "hits", 0),
        "text_engine": _text_engine(),
    }
    print(json.dumps(out))


def _cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (Tesseract, ffmpeg): less moved by other jobs."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _text_engine() -> str:
    from detectors.text_embedding import engine_name

    return engine_name()


def run_scenario(feed: Path, mode: str, batch_size: int = 64, detectors_file: Path | None = None) -> dict[str, Any]:
    """Run one scenario in a subprocess and return its figures."""
    data_dir = tempfile.mkdtemp(prefix=f"pantau-bench-{mode}-")
    try:
        cmd = [sys.executable, "-m", "bench.embedded", "--child", str(feed), data_dir, mode, str(batch_size),
               str(detectors_file or "")]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
        if proc.returncode != 0:
            raise RuntimeError(f"bench child failed: {proc.stderr[-2000:]}")
        return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def markdown(name: str, fast: dict[str, Any], naive: dict[str, Any]) -> str:
    """Render one scenario's figures as a Markdown table."""

    def ratio(a: float, b: float, higher_is_better: bool = True) -> str:
        if not a or not b:
            return "-"
        return f"{(a / b if higher_is_better else b / a):.1f}x"

    rows = [
        f"### {name}: {fast['items']} items, {fast['incidents']} incidents, {fast['dead_letters']} dead letters",
        "",
        "| figure | optimised | naive baseline | ratio |",
        "|---|---|---|---|",
        f"| end to end, items/s | {fast['items_per_s']:.1f} | {naive['items_per_s']:.1f} | "
        f"{ratio(fast['items_per_s'], naive['items_per_s'])} |",
    ]
    for q in ("p50", "p95", "p99"):
        for what, label in (("searchable", "ingest -> searchable"), ("alert", "ingest -> alert sent")):
            key = f"{q}_{what}_s"
            rows.append(f"| {q} {label}, s | {fast[key]:.2f} | {naive[key]:.2f} | "
                        f"{ratio(fast[key], naive[key], higher_is_better=False)} |")
    if "items_per_cpu_s" in fast and "items_per_cpu_s" in naive:
        rows.append(f"| items per CPU second (process + Tesseract/ffmpeg) | {fast['items_per_cpu_s']:.2f} | "
                    f"{naive['items_per_cpu_s']:.2f} | {ratio(fast['items_per_cpu_s'], naive['items_per_cpu_s'])} |")
        rows.append(f"| load average (1 min) at the end | {fast['load_avg']:.1f} | {naive['load_avg']:.1f} | |")
    rows.append(f"| peak RSS, MiB | {fast['peak_rss_mib']:.0f} | {naive['peak_rss_mib']:.0f} | |")
    rows.append(f"| model load, s (not in items/s) | {fast['model_load_s']:.1f} | {naive['model_load_s']:.1f} | |")
    for stage in sorted(set(fast["stage_seconds"]) | set(naive["stage_seconds"])):
        f_s, n_s = fast["stage_seconds"].get(stage, 0.0), naive["stage_seconds"].get(stage, 0.0)
        f_rate = fast["items"] / f_s if f_s else 0.0
        n_rate = naive["items"] / n_s if n_s else 0.0
        rows.append(f"| stage `{stage}`, items/s | {f_rate:.0f} | {n_rate:.0f} | {ratio(f_rate, n_rate)} |")
    # CPU seconds per stage (plug-in stages): what each costs, less moved by other jobs than wall time.
    f_cpu, n_cpu = fast.get("stage_cpu_seconds") or {}, naive.get("stage_cpu_seconds") or {}
    for stage in sorted(set(f_cpu) | set(n_cpu), key=lambda k: -f_cpu.get(k, 0.0)):
        f_c, n_c = f_cpu.get(stage, 0.0), n_cpu.get(stage, 0.0)
        if max(f_c, n_c) < 0.05:
            continue
        f_per = f_c / fast["items"] * 1000 if fast["items"] else 0.0
        n_per = n_c / naive["items"] * 1000 if naive["items"] else 0.0
        rows.append(f"| stage `{stage}`, CPU ms per item (CPU s) | {f_per:.1f} ({f_c:.2f}) | "
                    f"{n_per:.1f} ({n_c:.2f}) | {ratio(f_per, n_per, higher_is_better=False)} |")
    return "\n".join(rows) + "\n"


def main(argv: list[str]) -> None:
    """``python -m bench.embedded [--child ...]``: run the child or print usage."""
    if argv and argv[0] == "--child":
        _child(argv[1], argv[2], argv[3], int(argv[4]), argv[5] or None)
        return
    print("use `pantau bench` (bench/cli.py)")



if __name__ == "__main__":
    main(sys.argv[1:])
