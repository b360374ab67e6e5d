"""The command that serves the dashboard."""

from __future__ import annotations

from pathlib import Path

from dashboard.serve import APP_FILE, streamlit_command
from pantau.settings import Settings


def test_streamlit_command_serves_the_app_headless_on_the_configured_port(tmp_path: Path) -> None:
    settings = Settings.load(
        overrides={"data_dir": tmp_path, "dashboard": {"port": 9123, "address": "192.0.2.10"}}
    )
    cmd = streamlit_command(settings)
    assert cmd[1:4] == ["-m", "streamlit", "run"] and cmd[4] == str(APP_FILE) and APP_FILE.is_file()
    flags = dict(zip(cmd[5::2], cmd[6::2], strict=True))
    assert flags["--server.port"] == "9123" and flags["--server.address"] == "192.0.2.10"
    assert flags["--server.headless"] == "true" and flags["--browser.gatherUsageStats"] == "false"
    assert streamlit_command(settings, port=8600, address="127.0.0.1")[6] == "8600"
