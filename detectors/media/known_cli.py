"""``pantau known``: put confirmed media on a known-media list, and see what is there.

::

    pantau known add --incident 3f2a...            # media of a confirmed incident -> known-fakes
    pantau known add --incident ID --list ncii --label "Reported 2026-11-02"
    pantau known add photo.jpg clip.mp4 --label "Doctored rally photo (fact-check 123)"
    pantau known list [--list known-fakes] [--json]
    pantau known remove --incident ID               # e.g. after the incident was overturned
    pantau known remove HASH...

The list is ``<data_dir>/known_media.csv`` unless ``--file`` names another; ``media.hashes``
reads it on the next batch (docs/media.md, "Known fakes"). The logic is in
:mod:`detectors.media.known_list`.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from detectors.media.known_list import (
    DEFAULT_LIST,
    KnownListError,
    add_rows,
    default_list_file,
    file_rows,
    incident_rows,
    read_rows,
    remove_rows,
)
from pantau.errors import PantauError
from pantau.settings import Settings

__all__ = ["known_app"]

known_app = typer.Typer(
    help="Known-media lists (known fakes, NCII): add a confirmed incident's media, list, remove.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional here
    typer.Option("--config", "-c", help="TOML settings file (default: $PANTAU_CONFIG or ./pantau.toml)."),
]
FileOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional here
    typer.Option("--file", help="List file (default: known_media.csv in the data folder)."),
]


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(2)


def _settings(config: Path | None) -> Settings:
    try:
        return Settings.load(config)
    except PantauError as exc:
        raise _fail(exc) from exc


def _audit(settings: Settings, event: str, target: str, detail: str) -> None:
    """Record the change in the store's audit log (best effort: the list itself is the record)."""
    from pantau.stores import by_url
    from pantau.stores.base import AuditEvent

    try:
        actor = getpass.getuser()
    except (OSError, KeyError):
        actor = "cli"
    try:
        with by_url(settings.store_url, settings) as store:
            store.audit(AuditEvent(actor=actor, role="cli", event=event, target=target, detail=detail))
    except Exception as exc:  # noqa: BLE001 - the list was written; say the audit failed, do not fail
        typer.echo(f"warning: not recorded in the audit log: {exc}", err=True)


@known_app.command("add")
def add(
    files: Annotated[Optional[list[Path]], typer.Argument(help="Local image or video files.")] = None,  # noqa: UP045
    incident: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--incident", "-i", help="Id of a confirmed incident whose media to add (repeatable)."),
    ] = None,
    list_name: Annotated[str, typer.Option("--list", help="List name rules read.")] = DEFAULT_LIST,
    label: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--label", help="Text reviewers see (default: the incident, or the file name)."),
    ] = None,
    list_file: FileOption = None,
    config: ConfigOption = None,
) -> None:
    """Hash media (SHA-256, and PDQ of images and video keyframes) and add it to a list."""
    if not files and not incident:
        raise _fail(ValueError("name files to hash or --incident ID"))
    settings = _settings(config)
    path = list_file or default_list_file(settings)
    rows: list[dict[str, str]] = []
    notes: list[str] = []
    try:
        if incident:
            from pantau.stores import by_url

            with by_url(settings.store_url, settings) as store:
                for incident_id in incident:
                    found, said = incident_rows(store, incident_id, settings, list_name, label)
                    rows += found
                    notes += said
        if files:
            found, said = file_rows(files, settings, list_name, label)
            rows += found
            notes += said
        added, already = add_rows(path, rows)
    except PantauError as exc:
        raise _fail(exc) from exc
    for note in notes:
        typer.echo(f"note: {note}", err=True)
    typer.echo(f"added {added} row(s) to {list_name} in {path} ({already} already listed)")
    if added:
        targets = ",".join(incident or []) or ",".join(f.name for f in files or [])
        _audit(settings, "known_add", targets, f"{added} row(s) to {list_name} in {path}")


@known_app.command("list")
def list_(
    list_name: Annotated[
        Optional[str], typer.Option("--list", help="Only this list.")  # noqa: UP045
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per row.")] = False,
    list_file: FileOption = None,
    config: ConfigOption = None,
) -> None:
    """Show the rows of the list file."""
    path = list_file or default_list_file(_settings(config))
    try:
        rows = [r for r in read_rows(path) if list_name is None or r["list"] == list_name]
    except KnownListError as exc:
        raise _fail(exc) from exc
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        typer.echo(f"no rows in {path}" + (f" on list {list_name}" if list_name else ""))
        return
    for row in rows:
        typer.echo(
            f"{row['list']:<12} {row['kind']:<6} {row['hash'][:16]}…  {row.get('added_at', ''):<25} "
            f"{row.get('source', '')}  {row.get('label', '')}"
        )
    typer.echo(f"{len(rows)} row(s) in {path}")


@known_app.command("remove")
def remove(
    hashes: Annotated[Optional[list[str]], typer.Argument(help="Hashes (SHA-256 or PDQ) to remove.")] = None,  # noqa: UP045
    incident: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--incident", "-i", help="Remove every row added from this incident."),
    ] = None,
    list_name: Annotated[
        Optional[str], typer.Option("--list", help="Only from this list (default: every list).")  # noqa: UP045
    ] = None,
    list_file: FileOption = None,
    config: ConfigOption = None,
) -> None:
    """Remove rows by hash or by the incident they came from (e.g. an incident overturned on appeal)."""
    if not hashes and not incident:
        raise _fail(ValueError("name hashes to remove or --incident ID"))
    settings = _settings(config)
    path = list_file or default_list_file(settings)
    wanted = {h.strip().lower() for h in hashes or []}

    def drop(row: dict[str, str]) -> bool:
        if list_name is not None and row["list"] != list_name:
            return False
        return row["hash"].strip().lower() in wanted or (
            incident is not None and row.get("source") == f"incident:{incident}"
        )

    try:
        removed = remove_rows(path, drop)
    except PantauError as exc:
        raise _fail(exc) from exc
    typer.echo(f"removed {removed} row(s) from {path}")
    if removed:
        target = incident or ",".join(sorted(wanted))
        _audit(settings, "known_remove", target, f"{removed} row(s) from {path}")
