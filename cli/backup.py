"""``pantau backup`` and ``pantau restore``: a consistent copy of the data folder, and its return.

::

    pantau backup /backups/pantau-2026-05-01      # SQLite by its online backup API, other files copied
    pantau restore /backups/pantau-2026-05-01     # checked first; the old data folder is kept aside

The logic is :mod:`pantau.backup`; the search index has its own snapshots (docs/operations.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.common import ConfigOpt, err, load_settings, user_errors

__all__ = ["backup_app", "restore_app"]

backup_app = typer.Typer(help="Back up the data folder (SQLite by its online backup API).")
restore_app = typer.Typer(help="Restore the data folder from a backup made by `pantau backup`.")


@backup_app.callback(invoke_without_command=True)
def backup_command(
    dest: Annotated[Path, typer.Argument(help="New folder to write the backup into.")],
    config: ConfigOpt = None,
) -> None:
    """Copy the data folder into DEST while Pantau may keep running (databases stay consistent)."""
    from pantau.backup import backup

    settings = load_settings(config)
    with user_errors():
        report = backup(settings.data_dir, dest)
    err.print(f"backed up {settings.data_dir} to {dest}: {report.summary()}")


@restore_app.callback(invoke_without_command=True)
def restore_command(
    src: Annotated[Path, typer.Argument(help="Folder written by `pantau backup`.")],
    config: ConfigOpt = None,
) -> None:
    """Restore SRC as the data folder (stop the runner, workers and dashboard first)."""
    from pantau.backup import restore

    settings = load_settings(config)
    with user_errors():
        report = restore(src, settings.data_dir)
    err.print(f"restored {src} to {settings.data_dir}: {report.summary()}")
