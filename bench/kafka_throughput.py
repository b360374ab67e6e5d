"""Throughput of the Kafka backend against the embedded runner, on the real local servers.

    infra/local/up && nice .venv/bin/python bench/kafka_throughput.py --items 2000

Makes N text items from the sample feed (unique ids), enables only the light plug-ins
(``text.language``, ``text.offensive``: this measures transport and indexing, not models),
then runs the same feed (a) embedded into SQLite and (b) through Kafka + Faust into
OpenSearch with ``run_kafka(once=True)``. Prints items/s and stage seconds for each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from pathlib import Path

import yaml

from pantau.settings import DEFAULT_DETECTORS, PACKAGE_ROOT, SAMPLE_FEED, Settings

LIGHT = {"text.language", "text.offensive"}


def _env_file() -> dict[str, str]:
    path = PACKAGE_ROOT / "infra" / "local" / ".state" / "env"
    if not path.is_file():
        raise SystemExit("run infra/local/up first")
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def main() -> None:
    """Run the benchmark and print one line per backend."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--partitions", type=int, default=2)
    args = parser.parse_args()
    servers = _env_file()
    work = Path(tempfile.mkdtemp(prefix="pantau-bench-"))
    lines = [json.loads(x) for x in SAMPLE_FEED.read_text().splitlines() if x.strip()]
    feed = work / "feed.jsonl"
    with feed.open("w") as out:
        for n in range(args.items):
            rec = dict(lines[n % len(lines)])
            rec["id"] = f"{rec['id']}-{n}"
            rec["text"] = f"{rec.get('text', '')} #{n}"  # distinct content: no de-duplication shortcut
            out.write(json.dumps(rec) + "\n")
    detectors = yaml.safe_load(DEFAULT_DETECTORS.read_text())
    for plugin in detectors["plugins"]:
        plugin["enabled"] = plugin["name"] in LIGHT
    (work / "detectors.yaml").write_text(yaml.safe_dump(detectors))
    name = f"bench{uuid.uuid4().hex[:8]}"
    env = {
        "PANTAU_SOURCES": json.dumps([{"kind": "jsonl", "name": "bench", "path": str(feed)}]),
        "PANTAU_DETECTORS_FILE": str(work / "detectors.yaml"),
        "PANTAU_BATCH_SIZE": str(args.batch_size),
        "PANTAU_KAFKA__BATCH_SIZE": str(args.batch_size),
        "PANTAU_KAFKA__BOOTSTRAP_SERVERS": servers["PANTAU_TEST_KAFKA"],
        "PANTAU_KAFKA__TOPIC_PREFIX": name,
        "PANTAU_KAFKA__CONSUMER_GROUP": name,
        "PANTAU_KAFKA__PARTITIONS": str(args.partitions),
        "PANTAU_SEARCH__INDEX_PREFIX": name,
    }

    from streams.runner import Pipeline

    embedded = Settings.load(
        environ={
            **env,
            "PANTAU_DATA_DIR": str(work / "embedded"),
            "PANTAU_STORE__URL": f"sqlite:///{work / 'embedded.db'}",
        }
    )
    pipeline = Pipeline.from_settings(embedded)
    start = time.perf_counter()
    report = pipeline.run_once()
    secs = time.perf_counter() - start
    print(
        f"embedded+sqlite: {report.items} items, {report.incidents} incidents in {secs:.1f}s "
        f"= {report.items / secs:.0f} items/s"
    )

    from pantau.stores import by_url
    from streams.faust_app import run_kafka

    url = "opensearch://" + servers["PANTAU_TEST_OPENSEARCH_URL"].split("://", 1)[1]
    kafka = Settings.load(environ={**env, "PANTAU_DATA_DIR": str(work / "kafka"), "PANTAU_STORE__URL": url})
    start = time.perf_counter()
    kreport = run_kafka(kafka, once=True, timeout_s=900)
    secs = time.perf_counter() - start
    print(
        f"kafka+faust+opensearch: {kreport.produced} items produced, {kreport.processed} processed, "
        f"{kreport.incidents} incidents in {secs:.1f}s (incl. worker start) = "
        f"{kreport.processed / secs:.0f} items/s; "
        f"stage seconds { ({k: round(v, 2) for k, v in kreport.stage_seconds.items()}) }"
    )
    store = by_url(url, kafka)
    store.drop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
