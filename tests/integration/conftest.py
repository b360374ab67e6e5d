"""Real servers for the integration tests, started once per test run.

Servers come from the environment (``PANTAU_TEST_KAFKA=host:port``,
``PANTAU_TEST_OPENSEARCH_URL=http://host:port``, optionally
``PANTAU_TEST_ELASTICSEARCH_URL``); otherwise this file runs ``infra/local/up`` (which leaves
servers that already run alone) and, if that started them, ``infra/local/down`` at the end.
Without Java and Maven the integration tests fail with ``up``'s reason rather than pass silently.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra" / "local"


@dataclass(frozen=True)
class Servers:
    """Addresses of the real servers under test."""

    kafka: str
    opensearch_url: str
    elasticsearch_url: str | None = None


def _read_env_file(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


@pytest.fixture(scope="session")
def servers() -> Iterator[Servers]:
    """The Kafka broker and search engines to test against (started here if need be)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("PANTAU_TEST_")}
    started = False
    if not ("PANTAU_TEST_KAFKA" in env and "PANTAU_TEST_OPENSEARCH_URL" in env):
        # `up` is idempotent and quick when both servers run; it restarts them after a reboot.
        done = subprocess.run(  # noqa: S603 - our own script
            [str(INFRA / "up")], capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0:
            pytest.fail(f"infra/local/up failed:\n{done.stderr[-4000:]}")
        started = done.stderr.count("already running") < 2  # stop at the end only what this run started
        env = {**_read_env_file(INFRA / ".state" / "env"), **env}
    try:
        yield Servers(
            kafka=env["PANTAU_TEST_KAFKA"],
            opensearch_url=env["PANTAU_TEST_OPENSEARCH_URL"],
            elasticsearch_url=env.get("PANTAU_TEST_ELASTICSEARCH_URL") or None,
        )
    finally:
        if started:
            subprocess.run([str(INFRA / "down")], capture_output=True, timeout=120, check=False)  # noqa: S603


@pytest.fixture
def unique_name() -> str:
    """A short unique name for indices, topics and consumer groups of one test."""
    return f"t{uuid.uuid4().hex[:10]}"
