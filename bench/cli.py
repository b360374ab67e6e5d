"""``pantau bench``: generate a workload and measure the embedded default against its naive baseline."""

from __future__ import annotations

import platform
import tempfile
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from bench.embedded import markdown, run_scenario
from bench.workload import write_workload

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Benchmarks with a naive baseline measured in the same run.", no_args_is_help=True)
err = Console(stderr=True)


@bench_app.command("embedded")
def embedded(
    kinds: Annotated[list[str], typer.Option("--kind", help="text, image, video (repeatable).")] = ["text"],  # noqa: B006
    items: Annotated[int, typer.Option(help="Items per scenario.")] = 5000,
    duplicate_rate: Annotated[float, typer.Option(help="Share of items that copy an earlier one.")] = 0.6,
    batch_size: Annotated[int, typer.Option(help="Batch size of the optimised run.")] = 64,
    naive_items: Annotated[Optional[int], typer.Option(help="Items for the naive run (default: same).")] = None,  # noqa: UP045
    output: Annotated[Optional[Path], typer.Option("-o", help="Append the Markdown report to this file.")] = None,  # noqa: UP045
    detectors_file: Annotated[Optional[Path], typer.Option(help="Detector list to benchmark.")] = None,  # noqa: UP045
    video_seconds: Annotated[float, typer.Option(help="Length of each generated video clip.")] = 4.0,
) -> None:
    """Run each workload kind optimised and naive; print a Markdown report with the ratios."""
    import os

    report = [f"## Embedded default on {platform.node()} ({os.cpu_count()} CPUs, Python {platform.python_version()})\n"]
    with tempfile.TemporaryDirectory(prefix="pantau-workload-") as tmp:
        for kind in kinds:
            if kind not in ("text", "image", "video"):
                raise typer.BadParameter(f"unknown kind {kind!r}")
            err.print(f"[bold]{kind}[/bold]: generating {items} items (duplicate rate {duplicate_rate})")
            feed = write_workload(Path(tmp) / kind, kind=kind, n_items=items, duplicate_rate=duplicate_rate,  # type: ignore[arg-type]
                                  video_seconds=video_seconds)
            naive_feed = feed
            if naive_items and naive_items != items:
                naive_feed = write_workload(Path(tmp) / f"{kind}-naive", kind=kind, n_items=naive_items,  # type: ignore[arg-type]
                                            duplicate_rate=duplicate_rate, video_seconds=video_seconds)
            err.print(f"[bold]{kind}[/bold]: optimised run")
            fast = run_scenario(feed, "optimised", batch_size, detectors_file)
            err.print(f"[bold]{kind}[/bold]: naive run")
            naive = run_scenario(naive_feed, "naive", batch_size, detectors_file)
            title = f"{kind} (duplicate rate {duplicate_rate}" + (f", {video_seconds:g} s clips)" if kind == "video" else ")")
            section = markdown(title, fast, naive)
            report.append(section)
            print(section)
    if output:
        with output.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(report) + "\n")
