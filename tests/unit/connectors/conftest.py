"""Fixtures of the connector tests: a replay server and a sleep that records instead of waiting."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ingest.connectors.base import ConnectorSource
from pantau.registry import Account, Registry
from tests.unit.connectors.replay import ReplayServer


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    """A replay server on a free loopback port."""
    with ReplayServer() as srv:
        yield srv


S = TypeVar("S", bound=ConnectorSource)


def api_source(
    cls: type[S],
    name: str,
    options: dict[str, Any],
    credentials: dict[str, str],
    server: ReplayServer,
    tmp_path: Path,
    registry: Registry,
    sleep: Callable[[float], None] | None = None,
) -> S:
    """A platform connector pointed at the replay server, polling at once (``sleep`` none: no waits)."""
    return cls(
        name,
        {"api_base": server.url, "poll_interval_s": 0, **options},
        data_dir=tmp_path,
        credentials=credentials,
        registry=registry,
        sleep=sleep or (lambda _s: None),
    )


class SleepRecorder:
    """Stands in for ``time.sleep``: records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    """A recording sleep."""
    return SleepRecorder()


@pytest.fixture
def registry() -> Registry:
    """Two parties' accounts on several platforms."""
    return Registry(
        accounts=[
            Account(platform="youtube", handle="@pbnofficial", party="pbn"),
            Account(platform="x", handle="@pbn_official", party="pbn"),
            Account(platform="telegram", handle="gerakanrakyat", party="grk"),
            Account(platform="facebook", handle="123456", party="grk"),
            Account(platform="tiktok", handle="pbn.tiktok", party="pbn"),
            Account(platform="web", handle="pbn.example", party="pbn"),
        ]
    )
