"""The ``pantau`` command line.

Settings are built once here (:meth:`pantau.settings.Settings.load`) and passed down.
Contracts that other tools call are kept stable: ``pantau run``, ``pantau detectors``,
``pantau score``, ``pantau dashboard``, ``pantau claims match``, ``pantau codes ...``.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.common import ConfigOpt, err, out, user_message
from cli.common import fail as _fail
from cli.common import load_settings as _settings
from cli.common import user_errors as _user_errors
from pantau.errors import PantauError
from pantau.settings import Settings

__all__ = ["app", "user_message"]

app = typer.Typer(
    name="pantau",
    help="Pantau: monitor political parties' compliance with an AI code of conduct.",
    no_args_is_help=True,
    add_completion=False,
)
codes_app = typer.Typer(help="Check, explain and test codes of conduct.", no_args_is_help=True)
app.add_typer(codes_app, name="codes")

def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=False,
    )


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:  # search-engine clients log every refused connection with a traceback
        for name in ("opensearch", "elastic_transport", "elasticsearch", "urllib3"):
            logging.getLogger(name).setLevel(logging.ERROR)


@app.command()
def run(
    config: ConfigOpt = None,
    once: Annotated[
        bool, typer.Option("--once", help="Process what the sources hold now, then exit 0.")
    ] = False,
    backend: Annotated[Optional[str], typer.Option(help="embedded or kafka.")] = None,  # noqa: UP045
    reprocess: Annotated[bool, typer.Option(help="Judge again items already processed.")] = False,
    interval: Annotated[float, typer.Option(help="Seconds between polls when not --once.")] = 30.0,
    metrics_port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Serve /metrics, /healthz and /readyz on this port (default: metrics.port)."),
    ] = None,
    log_format: Annotated[
        Optional[str], typer.Option(help="Logs as text, or json lines with item ids (default: log_format).")  # noqa: UP045
    ] = None,
) -> None:
    """Run the pipeline: sources -> enrich -> detect -> judge -> store and alerts."""
    settings = _settings(config, backend=backend, log_format=log_format)
    if metrics_port is not None:
        port = settings.metrics.model_copy(update={"port": metrics_port})
        settings = settings.model_copy(update={"metrics": port})
    if settings.log_format == "json":
        from pantau.logs import configure_logging

        configure_logging(logging.getLogger().getEffectiveLevel(), "json", quiet=False)
    if settings.backend == "kafka":
        try:
            from streams.faust_app import run_kafka
        except ImportError as exc:
            _fail(
                PantauError(f"the Kafka backend needs the 'scale' extra: pip install 'pantau[scale]' ({exc})")
            )
        try:
            kafka_report = run_kafka(settings, once=once, interval_s=interval)
        except PantauError as exc:
            _fail(exc)
        except KeyboardInterrupt:
            return
        if kafka_report is not None:
            err.print(kafka_report.summary())
        return
    from streams.runner import Pipeline

    try:
        pipeline = Pipeline.from_settings(settings)
    except PantauError as exc:
        _fail(exc)
    from pantau import metrics

    metrics.watch_campaign(pipeline.calendar)
    server = None
    if settings.metrics.port is not None:
        server = metrics.serve(settings.metrics.port, settings.metrics.address, ready=pipeline.readiness)
    try:
        _run_embedded(pipeline, settings, once, reprocess, interval)
    finally:
        if server is not None:
            server.close()


def _run_embedded(pipeline: Any, settings: Settings, once: bool, reprocess: bool, interval: float) -> None:
    with _progress() as progress:
        task = progress.add_task("items", total=None)

        def tick(done: int, dead: int) -> None:
            progress.update(task, completed=done, description=f"items (dead letters: {dead})")

        if once:
            report = pipeline.run_once(progress=tick, reprocess=reprocess)
        else:
            try:
                pipeline.run_forever(interval_s=interval, progress=tick)
            except KeyboardInterrupt:
                pipeline.stop()
            return
    err.print(report.summary())
    if report.by_family:
        by_family = ", ".join(f"{k}={v}" for k, v in sorted(report.by_family.items()))
        err.print("incidents by family: " + by_family)
    if report.dead_letters:
        err.print(f"{report.dead_letters} item(s) went to the dead-letter store: see `pantau deadletters`")
    err.print(f"store: {settings.store_url}")


@app.command()
def detectors(
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List registered enrichers and detectors, what each needs, and its version."""
    from detectors.registry import DetectorRegistry

    settings = _settings(config)
    try:
        registry = DetectorRegistry.from_settings(settings)
    except PantauError as exc:
        _fail(exc)
    disabled = [{"kind": e.kind, "name": e.name, "class": e.cls, "enabled": False} for e in registry.disabled]
    if as_json:
        for row in registry.describe():
            print(json.dumps({**row, "enabled": True}))
        for row in disabled:
            print(json.dumps(row))
        return
    table = Table("kind", "version", "family", "modalities", "needs")
    table.add_column("name", no_wrap=True, min_width=24)
    table.columns.insert(1, table.columns.pop())
    for row in registry.describe():
        table.add_row(row["kind"], row["name"], row["version"], row.get("family", ""),
                      ",".join(row["modalities"]), ",".join(row["needs"]))
    for row in disabled:
        table.add_row(row["kind"], f"[dim]{row['name']}[/dim]", "[dim]disabled[/dim]", "", "", "")
    out.print(table)
    if disabled:
        err.print(f"{len(disabled)} disabled in {settings.detectors_file} (enabled: false); not loaded.")


def _read_score_input(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """Yield (line number, record or None, error) for each non-blank line."""
    opener = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    with opener as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode("utf-8-sig"))
                if not isinstance(record, dict):
                    raise ValueError("line is not a JSON object")
                yield number, record, ""
            except (ValueError, UnicodeDecodeError) as exc:
                yield number, None, f"line {number}: {exc}"
            except RecursionError:
                yield number, None, f"line {number}: JSON nested too deeply"


def _count_lines(path: Path) -> int | None:
    if str(path) == "-":
        return None
    with path.open("rb") as fh:
        return sum(1 for line in fh if line.strip())


@app.command()
def score(
    detector: Annotated[str, typer.Argument(help="Detector name, e.g. gbv.text (see `pantau detectors`).")],
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT.jsonl", help='Lines {"id", "text"} or {"id", "path"}.')
    ],
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("-o", "--output", help="Output JSONL (default stdout)."),
    ] = None,
    config: ConfigOpt = None,
    batch_size: Annotated[Optional[int], typer.Option(help="Items per batch.")] = None,  # noqa: UP045
) -> None:
    """Score each input line with one detector; one output line per input line, in order."""
    from detectors.registry import DetectorRegistry
    from streams.scoring import score_records

    settings = _settings(config, batch_size=batch_size)
    if str(input_file) != "-" and not input_file.is_file():
        _fail(PantauError(f"input file not found: {input_file}"))
    try:
        registry = DetectorRegistry.from_settings(settings).only([detector])
        registry.load()
    except PantauError as exc:
        _fail(exc)
    total = _count_lines(input_file)
    sink = output.open("w", encoding="utf-8") if output else sys.stdout
    lines = failed = 0
    first_error = ""
    try:
        with _progress() as progress, _user_errors():
            task = progress.add_task(f"scoring with {detector}", total=total)
            for row in score_records(_read_score_input(input_file), registry, detector, settings):
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                lines += 1
                if row.get("error"):
                    failed += 1
                    first_error = first_error or str(row["error"])
                progress.advance(task)
    finally:
        if output:
            sink.close()
        else:
            sink.flush()
    if lines and failed == lines:
        _fail(f"every line failed ({failed} of {lines}); the first: {first_error}", code=1)
    if failed:
        err.print(f"[yellow]warning:[/yellow] {failed} of {lines} lines failed (see their \"error\")")


@app.command()
def dashboard(
    config: ConfigOpt = None,
    port: Annotated[Optional[int], typer.Option(help="Port to serve on (default 8501).")] = None,  # noqa: UP045
    address: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--address", "--host", help="Address to bind (default 127.0.0.1)."),
    ] = None,
) -> None:
    """Serve the Streamlit dashboard."""
    from dashboard.serve import serve

    settings = _settings(config)
    port = port or settings.dashboard.port
    address = address or settings.dashboard.address
    err.print(f"Pantau dashboard on http://{address}:{port}  (store: {settings.store_url})")
    raise typer.Exit(serve(settings, port, address, config_file=config))


@app.command()
def deadletters(
    config: ConfigOpt = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines with the payloads.")] = False,
) -> None:
    """Show the newest dead letters (what failed, where, and why)."""
    from pantau.stores import by_url

    settings = _settings(config)
    with _user_errors(), by_url(settings.store_url, settings) as store:
        letters = store.dead_letters(limit)
        total = store.count_dead_letters()
    if as_json:
        for d in letters:
            out.print_json(d.model_dump_json())
        return
    table = Table("when", "stage", "source", "reason", title=f"{total} dead letters")
    for d in letters:
        table.add_row(d.created_at.strftime("%Y-%m-%d %H:%M:%S"), d.stage, d.source or "", d.reason[:120])
    out.print(table)


@app.command("config")
def show_config(config: ConfigOpt = None) -> None:
    """Print the effective settings (secrets masked)."""
    settings = _settings(config)
    out.print_json(json.dumps(settings.masked(), default=str))


# -- codes ----------------------------------------------------------------------------------
def _signal_names(settings: Settings) -> set[str] | None:
    from detectors.registry import DetectorRegistry

    try:
        return DetectorRegistry.from_settings(settings).signal_names()
    except PantauError:
        return None


def _load_codes(files: list[Path], settings: Settings) -> Any:
    """The codes compiled against the configured detectors' signal names; ``error: ...`` and exit 2 if not."""
    from codes.engine import CodeEngine

    try:
        return CodeEngine.from_files(files, signal_names=_signal_names(settings))
    except PantauError as exc:
        _fail(exc)


@codes_app.command("check")
def codes_check(
    files: Annotated[list[Path], typer.Argument(help="Code-of-conduct YAML files.")],
    config: ConfigOpt = None,
) -> None:
    """Validate codes: YAML, schema, CEL syntax, signal names, types, rules that always fire."""
    settings = _settings(config)
    engine = _load_codes(files, settings)
    for code in engine.codes:
        out.print(f"[green]ok[/green] {code.id} v{code.version}: {len(code.clauses)} clauses")
    for warning in engine.warnings + _cross_check(engine, settings):
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)


def _cross_check(engine: Any, settings: Settings) -> list[str]:
    """Warnings on how the codes fit the configured registry and calendar (``CodeEngine.cross_check``)."""
    from codes.calendar import load_calendar
    from pantau.registry import load_registry

    try:
        return engine.cross_check(
            load_registry(settings.registry_file), load_calendar(settings.calendar_file)
        )
    except PantauError as exc:
        return [f"cannot check the codes against the registry and calendar: {exc}"]


@codes_app.command("test")
def codes_test(
    files: Annotated[list[Path], typer.Argument(help="Code-of-conduct YAML files.")],
    config: ConfigOpt = None,
) -> None:
    """Run the positive and negative examples written in each clause."""
    engine = _load_codes(files, _settings(config))
    rows = engine.run_examples()
    table = Table("clause", "example", "result")
    for clause, name, ok, msg in rows:
        table.add_row(clause, name, "[green]pass[/green]" if ok else f"[red]FAIL[/red] {msg}")
    out.print(table)
    failed = sum(1 for r in rows if not r[2])
    out.print(f"{len(rows) - failed} passed, {failed} failed")
    for warning in engine.warnings:
        err.print(f"[yellow]warning:[/yellow] {warning}", highlight=False)
    if failed:
        raise typer.Exit(1)


@codes_app.command("explain")
def codes_explain(
    item: Annotated[str, typer.Argument(help="A JSON file with one feed record, or the record as JSON.")],
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Run the detectors on one item and show which rules fired and why."""
    from streams.explain import explain_record

    settings = _settings(config)
    path = Path(item)
    try:
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            record = json.loads(text.splitlines()[0] if path.suffix == ".jsonl" else text)
            base = path.resolve().parent
        else:
            record = json.loads(item)
            base = Path.cwd()
        # Loading the detectors' models takes a while the first time: say so rather than stay silent.
        with err.status("Running the detectors on the item (models load on first use)..."):
            result = explain_record(record, settings, base)
    except (PantauError, ValueError) as exc:
        _fail(exc)
    if as_json:
        out.print_json(json.dumps(result, default=str))
        return
    out.print(f"[bold]item[/bold] {result['item_id']}  party={result['party'] or '-'}  "
              f"by_signatory={result['by_signatory']}")
    # Nothing is cut: long cells fold onto more lines (a rule cut short explains nothing).
    sig = Table("signal", "score", "label", title="signals")
    sig.add_column("evidence", overflow="fold")
    for s in result["signals"]:
        sig.add_row(s["detector"], f"{s['score']:.2f}", s["label"], s["evidence"])
    out.print(sig)
    # Each rule in full, as written (a rule cut at the terminal's width explains nothing).
    out.print("[bold]rules[/bold]")
    for r in result["rules"]:
        mark = "[red]BREACH[/red]" if r["fired"] else ("true, not attributable" if r["rule_true"] else "no")
        if r["error"]:
            mark = f"[yellow]error[/yellow] {escape(str(r['error']))}"
        reads = ", ".join(f"{k}={v}" for k, v in r.get("reads", {}).items()) or ", ".join(
            f"{k}={v:.2f}" for k, v in r["signals"].items())
        out.print(f"\n[bold]{escape(r['clause'])}[/bold] {escape(r['title'])} · {mark}", soft_wrap=True)
        out.print(f"  reads: {escape(reads)}", soft_wrap=True, highlight=False)
        rule = escape(r["rule"]).replace("\n", "\n         ")
        out.print(f"  rule:  {rule}", soft_wrap=True, highlight=False)


def _register_optional() -> None:
    """Attach sub-commands that live with their area (claims, users, tipline...), when importable."""
    optional = [
        ("detectors.disinfo.cli", "claims_app", "claims"),
        ("cli.users", "users_app", "users"),
        ("ingest.tipline.cli", "tipline_app", "tipline"),
        ("ingest.connectors.cli", "sources_app", "sources"),
        ("bench.cli", "bench_app", "bench"),
        ("detectors.media.cli", "models_app", "models"),
        ("detectors.media.known_cli", "known_app", "known"),
        ("codes.cli", "registry_app", "registry"),
        ("cli.integrity", "audit_app", "audit"),
        ("cli.integrity", "evidence_app", "evidence"),
        ("cli.backup", "backup_app", "backup"),
        ("cli.backup", "restore_app", "restore"),
        ("cli.protection", "retention_app", "retention"),
        ("cli.protection", "erase_app", "erase"),
        ("cli.protection", "protect_app", "protect"),
    ]
    import importlib

    for module_name, attr, name in optional:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        except Exception as exc:  # noqa: BLE001 - a broken optional area must not break the CLI
            err.print(f"[yellow]warning:[/yellow] `pantau {name}` unavailable: {exc}")
            continue
        sub = getattr(module, attr, None)
        if isinstance(sub, typer.Typer):
            app.add_typer(sub, name=name)


_register_optional()

if __name__ == "__main__":  # pragma: no cover - `python -m cli.main`
    app()
