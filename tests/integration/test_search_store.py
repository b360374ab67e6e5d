"""The store contract on real search engines: OpenSearch always, Elasticsearch when configured."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from pantau.errors import ConfigError, StoreUnavailable
from pantau.stores import by_url
from pantau.stores.base import IncidentQuery, Scope
from pantau.stores.search import SearchStore
from tests.integration.conftest import Servers
from tests.store_contract import StoreContract, make_incident

pytestmark = pytest.mark.integration


def _store_url(servers: Servers, engine: str) -> str:
    if engine == "opensearch":
        base = servers.opensearch_url
    else:
        if not servers.elasticsearch_url:
            pytest.skip("PANTAU_TEST_ELASTICSEARCH_URL is not set (infra/docker-compose.yml starts one)")
        base = servers.elasticsearch_url
    scheme, rest = base.split("://", 1)
    return f"{engine}{'+https' if scheme == 'https' else ''}://{rest}"


def _open_store(servers: Servers, engine: str, prefix: str) -> SearchStore:
    store = by_url(_store_url(servers, engine))
    assert isinstance(store, SearchStore)
    store.names.prefix = prefix  # one set of indices per test
    store.open()
    return store


ENGINES = ["opensearch"] + (["elasticsearch"] if os.environ.get("PANTAU_TEST_ELASTICSEARCH_URL") else [])
"""OpenSearch always (infra/local/up starts it); Elasticsearch when a URL for one is given."""


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """The engine under test."""
    return str(request.param)


def test_elasticsearch_runs_the_suite_when_configured() -> None:
    if "elasticsearch" not in ENGINES:
        pytest.skip(
            "PANTAU_TEST_ELASTICSEARCH_URL is not set: the store suite ran on OpenSearch only "
            "(infra/docker-compose.yml starts an Elasticsearch)"
        )
    assert ENGINES == ["opensearch", "elasticsearch"]


@pytest.fixture(scope="module")
def _stores() -> Iterator[dict[str, SearchStore]]:
    """One opened store per engine for the whole module (dropped at the end)."""
    opened: dict[str, SearchStore] = {}
    yield opened
    for store in opened.values():
        store.drop()
        store.close()


class TestSearchStore(StoreContract):
    """Every store assertion, on each real engine.

    Indices are created once per engine and emptied between tests (creating six indices per
    test would dominate the run time on a 2-core machine).
    """

    @pytest.fixture
    def store(self, servers: Servers, engine: str, _stores: dict[str, SearchStore]) -> SearchStore:
        if engine not in _stores:
            _stores[engine] = _open_store(servers, engine, f"t{uuid.uuid4().hex[:10]}")
        store = _stores[engine]
        # Refresh first: delete-by-query only sees documents that a refresh made searchable.
        store.client.request("POST", f"/{store.names.prefix}-*/_refresh", params={"expand_wildcards": "open"})
        store.client.request(
            "POST",
            f"/{store.names.prefix}-*/_delete_by_query",
            body={"query": {"match_all": {}}},
            params={"refresh": "true", "conflicts": "proceed", "expand_wildcards": "open"},
        )
        return store


def test_upsert_after_rollover_updates_in_place(servers: Servers, engine: str, unique_name: str) -> None:
    store = _open_store(servers, engine, unique_name)
    try:
        incidents = [make_incident(n) for n in range(3)]
        store.upsert_incidents(incidents)
        store.flush()
        assert store.rollover(max_docs=1)
        assert store.upsert_incidents(incidents + [make_incident(9)]) == 1
        store.flush()
        assert store.search(IncidentQuery(), Scope.everything()).total == 4
    finally:
        store.drop()
        store.close()


def test_unreachable_engine_raises_store_unavailable(engine: str) -> None:
    # Port 9 (discard) is closed on loopback: the client cannot connect.
    store = by_url(f"{engine}://127.0.0.1:9")
    with pytest.raises(StoreUnavailable) as caught:
        store.open()
    assert caught.value.retry_after > 0


def test_elasticsearch_url_on_an_opensearch_node_is_refused_clearly(servers: Servers) -> None:
    store = by_url("elasticsearch://" + servers.opensearch_url.split("://", 1)[1])
    with pytest.raises(ConfigError, match="not Elasticsearch"):
        store.open()
