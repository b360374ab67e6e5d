"""Tipline rate limit behind a proxy: the right-most untrusted X-Forwarded-For hop, IPv6 by /64 (issue 19, row 6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ingest.tipline.app import create_app
from ingest.tipline.intake import TiplineOptions
from pantau.errors import ConfigError
from pantau.settings import Settings


def _client(tmp_path: Path, **options: object) -> TestClient:
    settings = Settings(data_dir=tmp_path, registry_file=None)
    opts = TiplineOptions(trust_forwarded_for=True, ip_limit=3, **options)  # type: ignore[arg-type]
    return TestClient(create_app(settings, opts, clock=lambda: 0.0))


def _accepted(client: TestClient, forwarded: list[str]) -> int:
    return sum(
        client.post("/tips", data={"text": "a tip"}, headers={"X-Forwarded-For": f}).status_code == 202
        for f in forwarded
    )


def test_rotating_the_left_most_entry_does_not_pass_the_rate_limit(tmp_path: Path) -> None:
    client = _client(tmp_path)  # one proxy in front: it appends what it saw, on the right
    rotating = [f"10.9.{n // 250}.{n % 250}, 198.51.100.7" for n in range(50)]
    assert _accepted(client, rotating) == 3


def test_listed_proxies_are_skipped_from_the_right(tmp_path: Path) -> None:
    # (The test client's peer is not an address, so the chain is given to client_key directly.)
    import ipaddress

    from ingest.tipline.app import client_key

    proxies = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("192.168.1.1")]
    keys = {client_key("10.0.0.2", f"6.6.6.{n}, 203.0.113.50, 192.168.1.1, 10.1.1.1", proxies) for n in range(50)}
    assert keys == {"203.0.113.50"}
    with pytest.raises(ConfigError, match="trusted_proxies"):
        _client(tmp_path, trusted_proxies=["not a network"])


def test_ipv6_clients_are_limited_per_64(tmp_path: Path) -> None:
    client = _client(tmp_path)
    same_64 = [f"2001:db8:7:8:{n:x}::1" for n in range(1, 40)]
    assert _accepted(client, same_64) == 3
    assert _accepted(client, ["2001:db8:7:9::1"]) == 1  # another /64 is another client
