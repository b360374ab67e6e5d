"""Time loading a code (with every load-time check) and judging items against it.

Run: ``.venv/bin/python -m bench.bench_codes [--items 2000] [--code codes/model_code.yaml]``.
Prints a Markdown table; the figures in ``docs/codes.md`` come from this script.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Measure and print load time, judge time per item and example count."""
    from codes.calendar import load_calendar
    from codes.engine import CodeEngine
    from detectors.registry import DetectorRegistry
    from pantau.registry import load_registry
    from pantau.schemas import EnrichedItem, Family, MediaItem, Signal
    from pantau.settings import DEFAULT_CALENDAR, DEFAULT_CODE, DEFAULT_REGISTRY, Settings

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--code", type=Path, default=DEFAULT_CODE)
    args = parser.parse_args(argv)

    names = DetectorRegistry.from_settings(Settings()).signal_names()
    start = time.perf_counter()
    engine = CodeEngine.from_files([args.code], signal_names=names, check_examples=True)
    load_s = time.perf_counter() - start
    rows = engine.run_examples()
    registry, calendar = load_registry(DEFAULT_REGISTRY), load_calendar(DEFAULT_CALENDAR)
    items = [
        EnrichedItem(
            item=MediaItem(
                id=f"i{n}",
                source="bench",
                native_id=str(n),
                platform="x",
                account="@pbn_official" if n % 2 else "@someone",
                text=f"post {n}: Aminah Yusof tak layak, perempuan bodoh",
            )
        )
        for n in range(args.items)
    ]
    signals = [
        Signal(item_id="i", detector="gbv.text", version="1", family=Family.GBV, score=0.9, label="sexist"),
        Signal(
            item_id="i",
            detector="synthetic.image",
            version="1",
            family=Family.SYNTHETIC,
            score=0.8,
            label="synthetic",
        ),
    ]
    start = time.perf_counter()
    breaches = sum(len(engine.judge(e, signals, registry, calendar)) for e in items)
    judge_ms = (time.perf_counter() - start) / len(items) * 1000
    print(
        f"| what | figure |\n|---|---|\n"
        f"| machine | {platform.machine()}, {platform.python_version()} |\n"
        f"| load {args.code.name} with all checks ({len(engine.clauses)} clauses) | {load_s:.2f} s |\n"
        f"| judge per item | {judge_ms:.2f} ms ({breaches} breaches on {len(items)} items) |\n"
        f"| examples | {sum(r[2] for r in rows)} of {len(rows)} pass |"
    )


if __name__ == "__main__":
    main()
