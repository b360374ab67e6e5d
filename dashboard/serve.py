"""Serve the dashboard: the body of ``pantau dashboard``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["APP_FILE", "serve", "streamlit_command"]

APP_FILE = Path(__file__).resolve().parent / "app.py"

# Wall-screen theme: dark, high contrast; passed as flags so no config file is needed.
THEME = {"theme.base": "dark", "theme.primaryColor": "#f46036"}


def streamlit_command(settings: Settings, port: int | None = None, address: str | None = None) -> list[str]:
    """Return the argv that serves the dashboard headless."""
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_FILE),
        "--server.port",
        str(port or settings.dashboard.port),
        "--server.address",
        address or settings.dashboard.address,
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.enableXsrfProtection",
        "true",
        "--client.toolbarMode",
        "minimal",
    ]
    for key, value in THEME.items():
        cmd += [f"--{key}", value]
    return cmd


def serve(
    settings: Settings, port: int | None = None, address: str | None = None, config_file: Path | None = None
) -> int:
    """Run Streamlit in the foreground and return its exit code.

    :param config_file: the settings file, passed to the app as ``PANTAU_CONFIG``.
    """
    env = dict(os.environ)
    if config_file is not None:
        env["PANTAU_CONFIG"] = str(Path(config_file).resolve())
    return subprocess.call(streamlit_command(settings, port, address), env=env)  # noqa: S603 - fixed argv
