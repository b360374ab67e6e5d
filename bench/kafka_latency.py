"""Latency on Kafka + OpenSearch at a steady arrival rate: p50/p95/p99 from ingest to searchable.

    infra/local/up
    nice .venv/bin/python bench/kafka_latency.py --rate 200 --seconds 60
    nice .venv/bin/python bench/kafka_latency.py --rate 200 --seconds 60 --naive-seconds 10

Writes a text workload (``bench/workload.py``: share cascades, duplicate rate 0.6), then
sends it to the raw-items topic at ``--rate`` items per second, each item stamped
``ingested_at`` as it is sent, while one Faust worker (this process, the detectors of
``detectors/detectors.yaml`` unless ``--detectors``) enriches, scores, judges and indexes into
the real OpenSearch started by ``infra/local/up``. The worker records, per item, the time from
ingest to processed (judged, results durable) and, per item with incidents, to searchable
(indexed and refreshed) and to alert sent.

``--naive-seconds N`` then runs the naive baseline at the same rate for N seconds: batches of
one item, no de-duplication (``batch_size=1``, ``dedupe=false``). A pipeline that cannot keep
up shows it as latency that grows with time; the report gives the achieved rate as well.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.embedded import percentile
from bench.workload import write_workload
from pantau.settings import PACKAGE_ROOT, Settings


def _servers() -> dict[str, str]:
    path = PACKAGE_ROOT / "infra" / "local" / ".state" / "env"
    if not path.is_file():
        raise SystemExit("run infra/local/up first (real Kafka and OpenSearch)")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def run(feed: Path, work: Path, rate: float, seconds: float, naive: bool, args: argparse.Namespace) -> dict[str, Any]:
    """Send ``rate * seconds`` items at ``rate``/s through one worker; return the figures."""
    from ingest.jsonl import JsonlSource
    from pantau.schemas import DeadLetter, utcnow
    from pantau.stores import by_url
    from streams.faust_agents import PantauStreams
    from streams.kafka_producer import KafkaItemProducer, ensure_topics

    servers = _servers()
    name = f"lat{uuid.uuid4().hex[:8]}"
    environ = {
        "PANTAU_DATA_DIR": str(work / name),
        "PANTAU_STORE__URL": "opensearch://" + servers["PANTAU_TEST_OPENSEARCH_URL"].split("://", 1)[1],
        "PANTAU_KAFKA__BOOTSTRAP_SERVERS": servers["PANTAU_TEST_KAFKA"],
        "PANTAU_KAFKA__TOPIC_PREFIX": name,
        "PANTAU_KAFKA__CONSUMER_GROUP": name,
        "PANTAU_KAFKA__PARTITIONS": str(args.partitions),
        "PANTAU_KAFKA__BATCH_WAIT_S": str(args.batch_wait),
        "PANTAU_SEARCH__INDEX_PREFIX": name,
        "PANTAU_BATCH_SIZE": "1" if naive else str(args.batch_size),
        "PANTAU_KAFKA__BATCH_SIZE": "1" if naive else str(args.batch_size),
        "PANTAU_KAFKA__COMPRESSION": args.compression,
        "PANTAU_DEDUPE": "false" if naive else "true",
        "PANTAU_THREADS": str(args.threads),
        "PANTAU_BLAS_THREADS": str(args.blas_threads),
    }
    if args.detectors:
        environ["PANTAU_DETECTORS_FILE"] = str(args.detectors)
    settings = Settings.load(environ=environ)
    n_items = int(rate * seconds)
    source = JsonlSource(name="bench", path=feed)
    items = [r for r in source.read() if not isinstance(r, DeadLetter)][:n_items]
    ensure_topics(settings.kafka)
    streams = PantauStreams(settings)
    load_start = time.perf_counter()
    streams.open_store()
    load_s = time.perf_counter() - load_start
    sent_done = threading.Event()
    send_window: list[float] = []

    def produce() -> None:
        producer = KafkaItemProducer(settings.kafka, linger_ms=5)
        producer.open()
        start = time.perf_counter()
        send_window.append(time.time())
        for i, item in enumerate(items):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            producer.send_items([item.model_copy(update={"ingested_at": utcnow()})])
        producer.flush()
        send_window.append(time.time())
        sent_done.set()

    threading.Thread(target=produce, name="bench-producer", daemon=True).start()
    deadline = time.monotonic() + seconds + args.drain

    def finished() -> bool:
        report = streams.report
        return (sent_done.is_set() and report.processed + report.dead_letters >= len(items)) or (
            time.monotonic() > deadline
        )

    streams.run(until=finished, poll_s=0.5)
    report = streams.report
    finished_at = time.time()
    try:
        by_url(settings.store_url, settings).drop()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - cleaning up a benchmark index is best effort
        print(f"could not drop the benchmark indices: {exc}")
    span = (finished_at - send_window[0]) if send_window else 0.0
    out: dict[str, Any] = {
        "mode": "naive" if naive else "optimised",
        "offered_rate": rate,
        "items": len(items),
        "processed": report.processed,
        "dead_letters": report.dead_letters,
        "incidents": report.incidents,
        "achieved_rate": round(report.processed / span, 1) if span else 0.0,
        "model_load_s": round(load_s, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "stage_seconds": {k: round(v, 2) for k, v in sorted(report.stage_seconds.items())},
    }
    for label, values in (("processed", report.latency_processed), ("searchable", report.latency_searchable),
                          ("alerted", report.latency_alerted)):
        for q in (50, 95, 99):
            out[f"p{q}_{label}_s"] = round(percentile(values, q), 3)
        out[f"n_{label}"] = len(values)
    return out


def main() -> None:
    """Parse options, run the optimised (and optionally naive) scenario, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="items per second sent")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send")
    parser.add_argument("--naive-seconds", type=float, default=0.0, help="naive baseline run length (0: skip)")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds allowed after sending ends")
    parser.add_argument("--batch-size", type=int, default=256, help="kafka.batch_size (and batch_size)")
    parser.add_argument("--batch-wait", type=float, default=0.15, help="kafka.batch_wait_s")
    parser.add_argument("--compression", choices=["none", "gzip"], default="none", help="kafka.compression")
    parser.add_argument("--partitions", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="model threads of the worker (settings.threads)")
    parser.add_argument("--blas-threads", type=int, default=1, help="settings.blas_threads")
    parser.add_argument("--duplicate-rate", type=float, default=0.6)
    parser.add_argument("--detectors", type=Path, default=None, help="detector list (default: the shipped one)")
    parser.add_argument("--only", choices=["optimised", "naive"], default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.only is None:  # each scenario in its own process: a Faust worker runs once per event loop
        modes = ["optimised"] + (["naive"] if args.naive_seconds else [])
        for mode in modes:
            proc = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--only", mode],  # noqa: S603
                                  capture_output=True, text=True, check=False)
            lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            if proc.returncode != 0 or not lines:
                raise SystemExit(f"{mode} run failed: {proc.stderr[-3000:]}")
            print(lines[-1], flush=True)
        return
    work = Path(tempfile.mkdtemp(prefix="pantau-latency-"))
    naive = args.only == "naive"
    seconds = args.naive_seconds if naive else args.seconds
    feed = write_workload(work / "workload", kind="text", n_items=int(args.rate * seconds),
                          duplicate_rate=args.duplicate_rate)
    print(json.dumps(run(feed, work, args.rate, seconds, naive, args)), flush=True)


if __name__ == "__main__":
    main()
