"""How cost grows with the workload: items/s, CPU seconds per item and peak memory at 1x, 4x and 16x.

Each size is a fresh optimised run of the embedded pipeline (``bench.embedded.run_scenario``, its
own subprocess, so peak RSS is that run's), on the share-cascade workload of ``bench/workload.py``
at the same duplicate rate. The load average is printed beside each row: the machine is shared.

    nice .venv/bin/python -m bench.cost_growth                      # text 500 and images 25, x1 x4 x16
    nice .venv/bin/python -m bench.cost_growth --kind text --base 1000 --sizes 1 4
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench.embedded import run_scenario
from bench.workload import write_workload

BASES = {"text": 500, "image": 25, "video": 5}


def main() -> None:
    """Run the sizes and print one Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kind", action="append", choices=sorted(BASES), help="Workload kind (repeatable).")
    parser.add_argument("--base", type=int, help="Items at 1x (default: text 500, image 25, video 5).")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 4, 16], help="Multiples of the base.")
    parser.add_argument("--duplicate-rate", type=float, default=0.6)
    args = parser.parse_args()
    print("| workload | items | items/s | CPU s per item | peak RSS, MiB | load average |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="pantau-growth-") as tmp:
        for kind in args.kind or ["text", "image"]:
            for size in args.sizes:
                n = (args.base or BASES[kind]) * size
                feed = write_workload(Path(tmp) / f"{kind}{n}", kind=kind, n_items=n,  # type: ignore[arg-type]
                                      duplicate_rate=args.duplicate_rate)
                out = run_scenario(feed, "optimised")
                cpu = out["cpu_s"] / out["items"] if out.get("items") else 0.0
                print(f"| {kind} {size}x | {out['items']} | {out['items_per_s']:.1f} | {cpu:.3f} | "
                      f"{out['peak_rss_mib']:.0f} | {os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
