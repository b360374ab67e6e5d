"""Helpers of the fault tests: a Kafka broker the test can kill and restart, a replicated feed, and
an account of where every ingested item ended.

The shared broker from ``infra/local/up`` is thrown away at each start (a clean cluster), so a
broker restart that keeps its topics and committed offsets needs a broker of its own:
:class:`RestartableBroker` runs one from the same jars in a temporary folder and restarts it on
the same port with the same log folder, as a crashed broker comes back in production.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from pantau.settings import SAMPLE_FEED
from pantau.stores.base import IncidentQuery, IncidentStore, Scope
from tests.integration.conftest import INFRA

__all__ = ["Outcome", "RecordingWebhook", "RestartableBroker", "account", "replicated_feed"]

KAFKA_LIB = INFRA / "lib" / "kafka"
JAVA = shutil.which("java") or "java"


def _load_kraft_cluster_id() -> Callable[[], str]:
    """``kraft_cluster_id`` from ``infra/local/kraft_cluster_id.py`` (the one ``infra/local/up`` runs)."""
    spec = importlib.util.spec_from_file_location("kraft_cluster_id", INFRA / "kraft_cluster_id.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.kraft_cluster_id  # type: ignore[no-any-return]


_kraft_cluster_id = _load_kraft_cluster_id()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RestartableBroker:
    """A single-node KRaft Kafka broker in ``folder`` that keeps its data across kill and restart."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.controller_port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def address(self) -> str:
        """``host:port`` of the broker."""
        return f"127.0.0.1:{self.port}"

    def _configure(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "server.properties"
        # The same settings as infra/local/up, plus quick session timeouts so a lost member is noticed fast.
        conf.write_text(
            "\n".join(
                [
                    "process.roles=broker,controller",
                    "node.id=1",
                    f"listeners=PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
                    f"advertised.listeners=PLAINTEXT://127.0.0.1:{self.port}",
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    f"controller.quorum.bootstrap.servers=127.0.0.1:{self.controller_port}",
                    f"log.dirs={self.folder / 'data'}",
                    "num.partitions=1",
                    "auto.create.topics.enable=true",
                    "offsets.topic.replication.factor=1",
                    "offsets.topic.num.partitions=4",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "transaction.state.log.num.partitions=4",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                ]
            )
            + "\n"
        )
        cluster_id = _kraft_cluster_id()
        done = subprocess.run(  # noqa: S603 - the Kafka jars gathered by infra/local/up
            [
                JAVA,
                "-cp",
                f"{KAFKA_LIB}/*",
                "kafka.tools.StorageTool",
                "format",
                "--standalone",
                f"--cluster-id={cluster_id}",  # one token: never read as a flag (and the id cannot start with -)
                f"--config={conf}",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kafka storage format failed: {done.stdout[-2000:]}{done.stderr[-2000:]}")
        return conf

    def start(self, timeout_s: float = 120.0) -> float:
        """Start the broker (formatting its storage the first time); return seconds until it listened."""
        conf = self.folder / "server.properties"
        if not conf.exists():
            conf = self._configure()
        log = (self.folder / f"server-{self.starts}.log").open("wb")
        began = time.monotonic()
        self.process = subprocess.Popen(  # noqa: S603
            [
                JAVA,
                "-Xms128m",
                "-Xmx384m",
                "-XX:+UseSerialGC",
                "-Djava.net.preferIPv4Stack=true",
                f"-Dlog4j2.configurationFile={INFRA / 'conf' / 'kafka-log4j2.properties'}",
                "-cp",
                f"{KAFKA_LIB}/*",
                "kafka.Kafka",
                str(conf),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.starts += 1
        deadline = began + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kafka exited with {self.process.returncode}; log in {log.name}")
            if b"Kafka Server started" in Path(log.name).read_bytes():
                return time.monotonic() - began
            time.sleep(0.25)
        raise TimeoutError(f"kafka did not start within {timeout_s:.0f}s; log in {log.name}")

    def kill(self) -> None:
        """Kill the broker with SIGKILL (no clean shutdown, as in a crash)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the broker for good (end of the test)."""
        self.kill()


def replicated_feed(path: Path, copies: int) -> list[str]:
    """Write the sample feed's text-only items ``copies`` times under new ids; return the ids.

    Each copy also carries one item whose media file does not exist, so the run has dead letters
    (with their item ids) to count.
    """
    lines = [json.loads(line) for line in SAMPLE_FEED.read_text().splitlines() if line.strip()]
    texts = [line for line in lines if not line.get("media")]
    ids: list[str] = []
    with path.open("w") as fh:
        for n in range(copies):
            for line in texts:
                item = {**line, "id": f"{line['id']}~{n}"}
                if "url" in item:
                    item["url"] = f"{item['url']}?copy={n}"
                ids.append(item["id"])
                fh.write(json.dumps(item) + "\n")
            broken = {
                "id": f"broken-media~{n}",
                "text": "Lihat gambar ini",
                "media": [str(path.parent / "missing.png")],
            }
            ids.append(broken["id"])
            fh.write(json.dumps(broken) + "\n")
    return ids


@dataclass
class Outcome:
    """Where every ingested item ended."""

    items: int
    incidents: int = 0
    """Items that raised at least one incident."""
    incident_documents: int = 0
    incident_ids: set[str] = field(default_factory=set)
    dead_letters: int = 0
    clean: int = 0
    """Items processed without a breach."""
    lost: list[str] = field(default_factory=list)
    duplicates: int = 0
    """Incident documents beyond one per incident id (must be 0)."""
    both: list[str] = field(default_factory=list)
    """Items that are both an incident and a dead letter (must be empty)."""

    def as_row(self) -> dict[str, int]:
        """The figures for docs/reliability.md."""
        return {
            "items": self.items,
            "incident items": self.incidents,
            "incidents": self.incident_documents,
            "dead letters": self.dead_letters,
            "clean": self.clean,
            "lost": len(self.lost),
            "duplicates": self.duplicates,
        }


def account(store: IncidentStore, item_ids: Sequence[str]) -> Outcome:
    """Count what became of each item: one incident item, one dead letter, or processed clean."""
    found = store.search(IncidentQuery(limit=10_000), Scope.everything())
    by_id = Counter(i.id for i in found.incidents)
    incident_items = {i.item.id for i in found.incidents}
    dead_items = {d.item_id for d in store.dead_letters(limit=10_000) if d.item_id}
    processed = store.processed(list(item_ids))
    wanted = set(item_ids)
    outcome = Outcome(items=len(wanted))
    outcome.incident_ids = set(by_id)
    outcome.incident_documents = found.total
    outcome.duplicates = found.total - len(by_id) + sum(n - 1 for n in by_id.values())
    for item_id in wanted:
        if item_id in incident_items and item_id in dead_items:
            outcome.both.append(item_id)
        if item_id in incident_items:
            outcome.incidents += 1
        elif item_id in dead_items:
            outcome.dead_letters += 1
        elif item_id in processed:
            outcome.clean += 1
        else:
            outcome.lost.append(item_id)
    return outcome


class RecordingWebhook:
    """A slow alert webhook on loopback: answers each POST after ``delay_s`` and records
    ``(alert id, incident id, recipient)`` of every alert it received (duplicates included).

    The first POST is held until :attr:`release` is set (at most 60 s), so a test can kill the
    worker while that delivery is certainly in flight (:attr:`first` is set when it arrives).
    """

    def __init__(self, delay_s: float = 0.2) -> None:
        self.received: list[tuple[str, str, str]] = []
        self.first = threading.Event()
        self.release = threading.Event()
        lock = threading.Lock()
        received = self.received
        first, release = self.first, self.release

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
                with lock:
                    received.append((body["id"], body["incident_id"], body["recipient"]))
                    hold = not first.is_set()
                    first.set()
                if hold:
                    release.wait(60)
                time.sleep(delay_s)  # a slow channel
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the worker was killed meanwhile

            def log_message(self, *_args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/alerts"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop serving."""
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
