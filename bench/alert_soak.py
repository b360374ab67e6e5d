"""kill -9 soak of the embedded default with a slow webhook: no incident and no alert lost, none doubled.

Runs ``pantau run --once`` on a generated feed (one post in four abusive, so one incident and one
commission alert each) with a signed webhook on loopback that answers slowly, kills the run with
SIGKILL at seeded random points (by alerts received or items processed), then runs it to the end and
counts: incidents, alerts kept, alerts delivered per id, pending alerts, and the seconds the last run
took to recover (redeliver what was pending and finish the feed).

    python -m bench.alert_soak --posts 3000 --kills 10 --delay-ms 20

``tests/unit/reliability/test_alert_soak.py`` runs a small one in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["SoakResult", "soak"]

REPO = Path(__file__).resolve().parents[1]
LIGHT = REPO / "tests" / "fixtures" / "detectors_light.yaml"
SECRET = "soak-secret"  # noqa: S105 - a loopback test webhook


@dataclass
class SoakResult:
    """What one soak measured."""

    posts: int
    kills: int
    incidents: int
    expected_incidents: int
    alerts_kept: int
    delivered: Counter[str] = field(default_factory=Counter)
    pending: int = 0
    recover_s: float = 0.0
    kill_points: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Alerts kept but never delivered."""
        return self.alerts_kept - len(self.delivered)

    @property
    def duplicates(self) -> int:
        """Deliveries beyond the first per alert id (at most one per kill: the one in flight)."""
        return sum(self.delivered.values()) - len(self.delivered)

    def summary(self) -> str:
        """One line for the console."""
        return (f"{self.posts} posts, {self.kills} kills ({', '.join(self.kill_points)}): incidents "
                f"{self.incidents}/{self.expected_incidents}, alerts kept {self.alerts_kept}, delivered "
                f"{len(self.delivered)}, lost {self.lost}, duplicates {self.duplicates}, pending {self.pending}, "
                f"last run {self.recover_s:.1f}s")


class _Webhook(BaseHTTPRequestHandler):
    delay_s = 0.02
    seen: Counter[str]
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(self.delay_s)
        with self.lock:
            self.seen[json.loads(body)["id"]] += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return int(conn.execute(sql).fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _run(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "PANTAU_DATA_DIR"}
    env.setdefault("OMP_NUM_THREADS", "1")
    return subprocess.Popen(  # noqa: S603 - our own module
        [sys.executable, "-m", "cli", "run", "--once", "--config", str(config)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=REPO,
    )


def soak(work: Path, posts: int = 400, kills: int = 3, delay_ms: float = 20.0, seed: int = 19,
         timeout_s: float = 300.0) -> SoakResult:
    """Run the soak in ``work``; return what it measured."""
    feed = work / "feed.jsonl"
    with feed.open("w") as fh:
        for n in range(posts):
            text = f"post {n}: Aminah Yusof is a stupid bitch" if n % 4 == 0 else f"post {n}: harga beras turun"
            fh.write(json.dumps({"id": f"p{n}", "platform": "x", "account": "@someone", "text": text}) + "\n")
    seen: Counter[str] = Counter()
    handler = type("Webhook", (_Webhook,), {"delay_s": delay_ms / 1000, "seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    data = work / "data"
    config = work / "pantau.toml"
    config.write_text(
        f'data_dir = "{data}"\nbatch_size = 16\ndetectors_file = "{LIGHT}"\n'
        f'[alerts]\nwebhook_url = "http://127.0.0.1:{server.server_address[1]}/hook"\nwebhook_secret = "{SECRET}"\n'
        "max_per_recipient_per_hour = 1000000\n"  # every alert goes to the commission: no rate limit here
        f'[[sources]]\nkind = "jsonl"\nname = "soak"\npath = "{feed}"\n'
    )
    db = data / "pantau.db"
    rng = random.Random(seed)
    points: list[str] = []
    try:
        for _ in range(kills):
            proc = _run(config)
            by_alerts = rng.random() < 0.7
            base = sum(seen.values())
            target = rng.randint(1, max(2, posts // (4 * (kills + 1))))
            deadline = time.monotonic() + timeout_s
            while proc.poll() is None and time.monotonic() < deadline:
                if (by_alerts and sum(seen.values()) - base >= target) or (
                        not by_alerts and _count(db, "SELECT count(*) FROM processed") >= target * 4):
                    break
                time.sleep(0.002)
            if proc.poll() is not None:
                points.append("ended before the kill")
                continue
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            points.append(f"after {target} alerts" if by_alerts else f"at {target * 4} items")
        start = time.monotonic()
        last = _run(config)
        _, stderr = last.communicate(timeout=timeout_s)
        recover = time.monotonic() - start
        if last.returncode != 0:
            raise RuntimeError(f"the last run failed: {stderr.decode()[-2000:]}")
    finally:
        server.shutdown()
        server.server_close()
    return SoakResult(
        posts=posts, kills=kills, incidents=_count(db, "SELECT count(*) FROM incidents"),
        expected_incidents=(posts + 3) // 4, alerts_kept=_count(db, "SELECT count(*) FROM alerts"),
        delivered=seen, pending=_count(db, "SELECT count(*) FROM alerts WHERE delivered_at IS NULL"),
        recover_s=recover, kill_points=points,
    )


def main() -> None:
    """Command line: run one soak in a temporary folder and print what it measured."""
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--delay-ms", type=float, default=20.0, help="webhook answer delay")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pantau-soak-") as tmp:
        result = soak(Path(tmp), args.posts, args.kills, args.delay_ms, args.seed, timeout_s=1800)
    print(result.summary())


if __name__ == "__main__":
    main()
