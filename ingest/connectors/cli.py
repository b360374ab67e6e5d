"""``pantau sources``: the health of every connector, and the one-time Telegram login."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["sources_app"]

sources_app = typer.Typer(help="Platform connectors: health and set-up.", no_args_is_help=True)

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", "-c", help="Settings TOML file.")]  # noqa: UP045


@sources_app.command("status")
def status_command(
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show each connector's last state, error and counts (what the dashboard shows)."""
    from rich.console import Console
    from rich.table import Table

    from ingest.connectors import read_statuses
    from pantau.errors import PantauError
    from pantau.settings import Settings

    try:
        settings = Settings.load(config)
    except PantauError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    statuses = read_statuses(settings.data_dir)
    if as_json:
        typer.echo(json.dumps(statuses, indent=2, default=str))
        return
    table = Table(title=f"{len(statuses)} sources")
    for column in ("source", "state", "last success", "last error", "items", "dead letters", "unavailable"):
        table.add_column(column)
    for name, status in sorted(statuses.items()):
        counts = status.get("counts") or {}
        table.add_row(
            name,
            str(status.get("state")),
            str(status.get("last_success_at") or "-")[:19],
            str(status.get("last_error") or "-")[:80],
            str(counts.get("items", 0)),
            str(counts.get("dead_letters", 0)),
            str(counts.get("unavailable", 0)),
        )
    Console().print(table)
    bad = [n for n, s in statuses.items() if s.get("state") in ("auth-failed", "failing", "format-changed")]
    if bad:
        raise typer.Exit(1)


@sources_app.command("telegram-login")
def telegram_login_command() -> None:
    """Make a Telethon session string interactively (phone number and code), printed once."""
    from ingest.connectors.telegram import telegram_login

    telegram_login()
