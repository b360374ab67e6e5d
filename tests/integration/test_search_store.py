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
from tests.integration.es_shim import ElasticsearchShim
from tests.store_contract import StoreContract, make_incident

pytestmark = pytest.mark.integration


ENGINES = ["opensearch", "elasticsearch-client"] + (
    ["elasticsearch"] if os.environ.get("PANTAU_TEST_ELASTICSEARCH_URL") else []
)
"""What the suite runs on: OpenSearch (started by infra/local/up); the Elasticsearch 8 client against
that OpenSearch node through :class:`ElasticsearchShim` (the adapter's whole client path); and real
Elasticsearch when ``PANTAU_TEST_ELASTICSEARCH_URL`` gives one."""


@pytest.fixture(scope="module")
def shim_url(servers: Servers) -> Iterator[str]:
    """URL of the Elasticsearch-client shim in front of the OpenSearch node."""
    host, port = servers.opensearch_url.split("://", 1)[1].split(":")
    shim = ElasticsearchShim(host, int(port))
    yield shim.start()
    shim.stop()


@pytest.fixture(params=ENGINES)
def engine_url(request: pytest.FixtureRequest, servers: Servers) -> str:
    """Store URL of the engine under test."""
    engine = str(request.param)
    if engine == "opensearch":
        base, scheme = servers.opensearch_url, "opensearch"
    elif engine == "elasticsearch-client":
        base, scheme = request.getfixturevalue("shim_url"), "elasticsearch"
    else:
        base, scheme = str(servers.elasticsearch_url), "elasticsearch"
    transport, rest = base.split("://", 1)
    return f"{scheme}{'+https' if transport == 'https' else ''}://{rest}"


def _open_store(url: str, prefix: str) -> SearchStore:
    store = by_url(url)
    assert isinstance(store, SearchStore)
    store.names.prefix = prefix  # one set of indices per test
    store.open()
    return store


def test_elasticsearch_runs_the_suite_when_configured() -> None:
    if "elasticsearch" not in ENGINES:
        pytest.skip(
            "PANTAU_TEST_ELASTICSEARCH_URL is not set: the store suite ran on OpenSearch, directly and "
            "through the Elasticsearch client (infra/docker-compose.yml starts a real Elasticsearch)"
        )
    assert ENGINES[-1] == "elasticsearch"


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
    def store(self, engine_url: str, _stores: dict[str, SearchStore]) -> SearchStore:
        if engine_url not in _stores:
            _stores[engine_url] = _open_store(engine_url, f"t{uuid.uuid4().hex[:10]}")
        store = _stores[engine_url]
        # Refresh first: delete-by-query only sees documents that a refresh made searchable.
        store.client.request("POST", f"/{store.names.prefix}-*/_refresh", params={"expand_wildcards": "open"})
        store.client.request(
            "POST",
            f"/{store.names.prefix}-*/_delete_by_query",
            body={"query": {"match_all": {}}},
            params={"refresh": "true", "conflicts": "proceed", "expand_wildcards": "open"},
        )
        return store


def test_upsert_after_rollover_updates_in_place(engine_url: str, unique_name: str) -> None:
    store = _open_store(engine_url, unique_name)
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


@pytest.mark.parametrize("scheme", ["opensearch", "elasticsearch"])
def test_unreachable_engine_raises_store_unavailable(scheme: str) -> None:
    # Port 9 (discard) is closed on loopback: the client cannot connect.
    store = by_url(f"{scheme}://127.0.0.1:9")
    with pytest.raises(StoreUnavailable) as caught:
        store.open()
    assert caught.value.retry_after > 0


def test_elasticsearch_url_on_an_opensearch_node_is_refused_clearly(servers: Servers) -> None:
    store = by_url("elasticsearch://" + servers.opensearch_url.split("://", 1)[1])
    with pytest.raises(ConfigError, match="not Elasticsearch"):
        store.open()


def test_indices_of_an_older_version_get_the_redacted_field(engine_url: str, unique_name: str) -> None:
    import copy

    from pantau.stores.search_index import incident_template

    store = by_url(engine_url)
    assert isinstance(store, SearchStore)
    store.names.prefix = unique_name
    store.client.open()
    # What an older version made: the incident index and alias, its mapping without text_redacted.
    old = copy.deepcopy(incident_template(store.names)["template"])
    del old["mappings"]["properties"]["text_redacted"]
    old["aliases"] = {store.names.incidents: {"is_write_index": True}}
    store.client.request("PUT", f"/{store.names.first_incident_index}", body=old)
    try:
        store.open()  # the alias exists: the redacted field's mapping is added
        mapping = store.client.request("GET", f"/{store.names.first_incident_index}/_mapping")
        assert "text_redacted" in mapping[store.names.first_incident_index]["mappings"]["properties"]
        store.upsert_incidents([make_incident(0, text="Jalan Mawar 12, pilihan raya")])
        store.flush()
        assert store.search(IncidentQuery(text="pilihan raya"), Scope(redact=True)).total == 1
        assert store.search(IncidentQuery(text="Mawar"), Scope(redact=True)).total == 0
        assert store.search(IncidentQuery(text="Mawar"), Scope.everything()).total == 1
    finally:
        store.drop()
        store.close()
