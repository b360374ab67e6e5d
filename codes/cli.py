"""``pantau registry ...``: import the registry from CSV or FollowTheMoney, check registry and calendar files.

Wired into ``pantau`` by :func:`cli.main._register_optional` (``("codes.cli", "registry_app",
"registry")``).

Example Snippet::

    pantau registry import --csv registry-csv/ -o registry.yaml
    pantau registry import --ftm peps.ftm.json --country my --signatory pbn -o registry.yaml
    pantau registry check registry.yaml
    pantau registry check calendar.yaml
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from pantau.errors import PantauError

__all__ = ["registry_app"]

registry_app = typer.Typer(
    help="Import and check the registry of parties and candidates, and the calendar.", no_args_is_help=True
)
_out = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)


def _fail(exc: Exception) -> None:
    _err.print(f"[red]error:[/red] {exc}", highlight=False)
    raise typer.Exit(2)


@registry_app.command("import")
def import_registry(
    output: Annotated[Path, typer.Option("--output", "-o", help="Registry YAML to write.")],
    csv_dir: Annotated[
        Optional[Path],
        typer.Option(  # noqa: UP045 - typer needs Optional
            "--csv", help="Folder with parties.csv, people.csv and optionally accounts.csv, officers.csv."
        ),
    ] = None,
    ftm: Annotated[
        Optional[Path],
        typer.Option(  # noqa: UP045
            "--ftm",
            help="FollowTheMoney entities (JSON Lines or JSON array), e.g. an OpenSanctions PEP export.",
        ),
    ] = None,
    signatory: Annotated[
        Optional[list[str]],
        typer.Option(  # noqa: UP045
            "--signatory", help="Party (id or FtM id) that signed the code; repeat for several. FtM only."
        ),
    ] = None,
    country: Annotated[
        Optional[str],
        typer.Option(  # noqa: UP045
            "--country", help="FtM only: keep people of this country code (e.g. my, id, ph)."
        ),
    ] = None,
    jurisdiction: Annotated[
        Optional[str],
        typer.Option(  # noqa: UP045
            "--jurisdiction", help="FtM only: calendar jurisdiction of the imported parties."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the output file.")] = False,
) -> None:
    """Build a registry YAML from CSV files or a FollowTheMoney export (formats: docs/codes.md)."""
    from codes.importers import registry_from_csv, registry_from_ftm, write_registry
    from pantau.registry import load_registry

    if (csv_dir is None) == (ftm is None):
        _fail(ValueError("give exactly one of --csv DIR or --ftm FILE"))
    if output.exists() and not force:
        _fail(ValueError(f"{output} exists; use --force to overwrite it"))
    try:
        if csv_dir is not None:
            registry = registry_from_csv(csv_dir)
            source = f"CSV files in {csv_dir}"
        else:
            assert ftm is not None  # noqa: S101 - checked above
            registry = registry_from_ftm(
                ftm, signatories=signatory or (), country=country, jurisdiction=jurisdiction
            )
            source = f"FollowTheMoney entities in {ftm}"
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        write_registry(registry, output, header=f"Registry imported from {source} on {stamp}.")
        load_registry(output)  # what the pipeline will read: same checks, with lines
    except PantauError as exc:
        _fail(exc)
    _out.print(
        f"[green]wrote[/green] {output}: {len(registry.parties)} parties, {len(registry.people)} people, "
        f"{len(registry.accounts) + sum(len(p.accounts) for p in registry.people)} accounts"
    )


@registry_app.command("check")
def check(
    files: Annotated[list[Path], typer.Argument(help="Registry or calendar YAML files.")],
) -> None:
    """Validate registry or calendar files (told apart by their top-level keys) and list gaps worth fixing."""
    import yaml

    from pantau.yaml_limits import load_bounded

    failed = False
    for path in files:
        try:
            text = path.read_text(encoding="utf-8") if path.is_file() else ""
            head = load_bounded(text, path, ValueError)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
            head = None
        is_calendar = isinstance(head, dict) and "elections" in head
        try:
            lines = _check_calendar(path) if is_calendar else _check_registry(path)
        except PantauError as exc:
            _err.print(f"[red]error:[/red] {exc}", highlight=False)
            failed = True
            continue
        for line in lines:
            _out.print(line, highlight=False)
    if failed:
        raise typer.Exit(2)


def _check_registry(path: Path) -> list[str]:
    from pantau.registry import load_registry

    registry = load_registry(path)
    lines = [
        f"[green]ok[/green] {path}: {len(registry.parties)} parties "
        f"({len(registry.signatories())} signatories), {len(registry.people)} people, "
        f"{len(registry.accounts)} party accounts"
    ]
    for party in registry.parties:
        if party.signatory and not party.officers:
            lines.append(
                f"[yellow]warning:[/yellow] {path}: party {party.id} signed the code but has no "
                "compliance officer: its breaches reach the commission only"
            )
        if (
            party.signatory
            and not any(a.party == party.id for a in registry.accounts)
            and not any(p.party == party.id and p.accounts for p in registry.people)
        ):
            lines.append(
                f"[yellow]warning:[/yellow] {path}: party {party.id} has no accounts: nothing it posts "
                "can be attributed to it"
            )
    unknown_gender = [p.id for p in registry.people if p.gender == "unknown"]
    if unknown_gender:
        lines.append(
            f"[yellow]warning:[/yellow] {path}: gender unknown for {', '.join(unknown_gender[:10])}"
            f"{' ...' if len(unknown_gender) > 10 else ''}: rules on gendered abuse cannot see them"
        )
    missing = [str(f) for p in registry.people for f in registry.photo_paths(p) if not f.is_file()]
    if missing:
        lines.append(
            f"[yellow]warning:[/yellow] {path}: {len(missing)} reference photo(s) not found, e.g. "
            f"{missing[0]}"
        )
    return lines


def _check_calendar(path: Path) -> list[str]:
    from codes.calendar import load_calendar

    calendar = load_calendar(path)
    now = datetime.now(UTC)
    lines = [f"[green]ok[/green] {path}: {len(calendar.elections)} election(s)"]
    for e in calendar.elections:
        lines.append(
            f"  {e.id} ({e.jurisdiction or 'everywhere'}, {e.timezone}): polling {e.polling_day}, "
            f"now {e.phase(now)}"
        )
        if e.silence_start is None:
            lines.append(
                f"[yellow]warning:[/yellow] {path}: election {e.id} has no silence_start: rules on the "
                "silence period see it only on polling day"
            )
    return lines
