"""The embedded default survives kill -9 mid-run: resumes without loss or duplicates."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

N_ITEMS = 3000


def _feed(path: Path) -> None:
    lines = []
    for n in range(N_ITEMS):
        text = f"post {n}: Aminah Yusof is a stupid bitch" if n % 10 == 0 else f"post {n}: harga beras turun"
        lines.append(json.dumps({"id": f"p{n}", "platform": "x", "account": "@someone", "text": text}))
    path.write_text("\n".join(lines) + "\n")


def _count(db: Path, table: str) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _run(config: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "cli", "run", "--once", "--config", str(config)]
    env = {k: v for k, v in os.environ.items() if k != "PANTAU_DATA_DIR"}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # noqa: S603


@pytest.mark.slow
def test_kill_9_mid_run_then_resume_loses_nothing_and_duplicates_nothing(tmp_path: Path) -> None:
    feed = tmp_path / "feed.jsonl"
    _feed(feed)
    data = tmp_path / "data"
    config = tmp_path / "pantau.toml"
    light = Path(__file__).resolve().parents[2] / "fixtures" / "detectors_light.yaml"
    config.write_text(f'data_dir = "{data}"\nbatch_size = 32\ndetectors_file = "{light}"\n[[sources]]\nkind = "jsonl"\nname = "load"\n'
                      f'path = "{feed}"\n')
    db = data / "pantau.db"
    proc = _run(config)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if db.exists() and _count(db, "processed") >= 200:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed; raise N_ITEMS"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    done_before = _count(db, "processed")
    assert 0 < done_before < N_ITEMS

    resumed = _run(config)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr.decode()
    assert _count(db, "processed") == N_ITEMS
    incidents = _count(db, "incidents")
    assert incidents == N_ITEMS // 10  # one GBV-1 incident per abusive post, none twice
    assert _count(db, "dead_letters") == 0
