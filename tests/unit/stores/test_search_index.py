"""The search store's index definition, queries and URLs, checked without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from pantau.errors import ConfigError
from pantau.schemas import IncidentStatus
from pantau.stores import by_url
from pantau.stores.base import IncidentQuery, Scope
from pantau.stores.search import SearchStore
from pantau.stores.search_client import ElasticsearchClient, OpenSearchClient, engine_client_from_url
from pantau.stores.search_index import (
    FACET_FIELDS,
    INCIDENT_MAPPINGS,
    INCIDENT_TEXT_FIELDS,
    REDACTED_TEXT_FIELDS,
    IndexNames,
    incident_document,
    incident_filters,
    incident_search_body,
    incident_template,
    index_bodies,
)
from tests.store_contract import make_incident


@pytest.mark.parametrize(
    ("url", "client", "base"),
    [
        ("opensearch://127.0.0.1:9201", OpenSearchClient, "http://127.0.0.1:9201"),
        ("opensearch+https://search.example", OpenSearchClient, "https://search.example:9200"),
        ("elasticsearch://es:9200", ElasticsearchClient, "http://es:9200"),
        ("elasticsearch+https://es.example:9243/ignored", ElasticsearchClient, "https://es.example:9243"),
        ("es://[::1]:9200", ElasticsearchClient, "http://[::1]:9200"),
    ],
)
def test_store_urls_pick_the_engine_client(url: str, client: type, base: str) -> None:
    engine = engine_client_from_url(url)
    assert type(engine) is client
    assert engine.url == base


@pytest.mark.parametrize(
    "url", ["opensearch+ftp://x:1", "solr://x:8983", "opensearch://", "elasticsearch:///x"]
)
def test_bad_store_urls_are_refused_with_a_reason(url: str) -> None:
    with pytest.raises(ConfigError):
        engine_client_from_url(url)


def test_by_url_builds_an_unopened_search_store(settings: Any) -> None:
    store = by_url("opensearch://127.0.0.1:9", settings)
    assert isinstance(store, SearchStore)
    assert store.names.prefix == settings.search.index_prefix
    assert store.client._client is None  # noqa: SLF001 - nothing connects before open()


def test_index_names_share_one_prefix() -> None:
    names = IndexNames("Pantau")
    assert names.incidents == "pantau-incidents"
    assert names.first_incident_index == "pantau-incidents-000001"
    assert set(index_bodies(names)) == {names.index(k) for k in IndexNames.KINDS}
    assert incident_template(names)["index_patterns"] == ["pantau-incidents-*"]
    with pytest.raises(KeyError):
        names.index("incidents")


def test_template_defines_language_analysers_on_the_text() -> None:
    template = incident_template(IndexNames("p"))["template"]
    text = template["mappings"]["properties"]["text"]
    assert text["analyzer"] == "pantau_generic"
    assert {f: v["analyzer"] for f, v in text["fields"].items()} == {
        "en": "pantau_en",
        "ms": "pantau_ms",
        "id": "pantau_id",
    }
    assert set(template["settings"]["analysis"]["analyzer"]) == {
        "pantau_generic",
        "pantau_en",
        "pantau_ms",
        "pantau_id",
    }


def test_incident_document_carries_filters_text_and_the_record() -> None:
    inc = make_incident(3, text="Hoaks tentang pemilu", ocr="teks gambar")
    doc = incident_document(inc)
    assert (doc["id"], doc["party"], doc["severity_rank"], doc["status"]) == (inc.id, "party-a", 1, "new")
    assert "Hoaks tentang pemilu" in doc["text"] and "teks gambar" in doc["text"]
    assert doc["doc"]["id"] == inc.id and doc["detectors"] == ["test.detector"]


def _filters(body: dict[str, Any]) -> list[dict[str, Any]]:
    return list(body["query"]["bool"]["filter"])


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope.everything(), []),
        (Scope(parties=frozenset({"b", "a"})), [{"terms": {"party": ["a", "b"]}}]),
        (Scope(parties=frozenset()), [{"bool": {"must_not": {"match_all": {}}}}]),
        (Scope(statuses=frozenset({IncidentStatus.CONFIRMED})), [{"terms": {"status": ["confirmed"]}}]),
    ],
)
def test_scope_becomes_a_filter_before_anything_else(scope: Scope, expected: list[dict[str, Any]]) -> None:
    body = incident_search_body(IncidentQuery(families=["gbv"]), scope)
    assert _filters(body) == [*expected, {"terms": {"family": ["gbv"]}}]


def test_text_query_requires_every_word_and_asks_for_highlights() -> None:
    body = incident_search_body(IncidentQuery(text="  pilihan raya "), Scope.everything())
    (match,) = body["query"]["bool"]["must"]
    assert match["multi_match"]["query"] == "pilihan raya"
    assert match["multi_match"]["operator"] == "and"
    assert body["highlight"]["pre_tags"] == ["<mark>"]


def test_query_without_text_matches_all_and_counts_facets() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    body = incident_search_body(
        IncidentQuery(since=since, limit=5, offset=10, sort="severity"), Scope.everything()
    )
    assert body["query"]["bool"]["must"] == [{"match_all": {}}]
    assert "highlight" not in body
    assert _filters(body) == [{"range": {"created_at": {"gte": since.isoformat()}}}]
    assert (body["from"], body["size"], body["sort"][0]) == (10, 5, {"severity_rank": "desc"})
    assert set(body["aggs"]) == set(FACET_FIELDS)
    assert body["track_total_hits"] is True


def test_boolean_query_becomes_must_should_and_must_not() -> None:
    body = incident_search_body(
        IncidentQuery(text='kitchen OR parliament "vote buying" -satire'), Scope.everything()
    )
    boolean = body["query"]["bool"]
    either, phrase = boolean["must"]
    assert [q["multi_match"]["query"] for q in either["bool"]["should"]] == ["kitchen", "parliament"]
    assert either["bool"]["minimum_should_match"] == 1
    assert phrase["multi_match"] == {"query": "vote buying", "fields": list(INCIDENT_TEXT_FIELDS), "type": "phrase"}
    (excluded,) = boolean["must_not"]
    assert excluded["multi_match"]["query"] == "satire"


def test_a_redacting_scope_queries_and_highlights_the_redacted_text() -> None:
    body = incident_search_body(IncidentQuery(text="6789"), Scope(redact=True))
    (match,) = body["query"]["bool"]["must"]
    assert match["multi_match"]["fields"] == list(REDACTED_TEXT_FIELDS)
    assert set(body["highlight"]["fields"]) == set(REDACTED_TEXT_FIELDS)


def test_the_document_carries_the_redacted_text_and_the_mapping_indexes_it() -> None:
    inc = make_incident(0, text="Rumah di Jalan Mawar 12, telefon +60 12-345 6789")
    doc = incident_document(inc)
    assert "6789" in doc["text"] and "Mawar" in doc["text"]
    assert "6789" not in doc["text_redacted"] and "Mawar" not in doc["text_redacted"]
    assert INCIDENT_MAPPINGS["properties"]["text_redacted"] == INCIDENT_MAPPINGS["properties"]["text"]


def test_a_publication_window_falls_back_to_detection_when_unknown() -> None:
    since, until = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC)
    window = {"gte": since.isoformat(), "lt": until.isoformat()}
    published = incident_filters(IncidentQuery(since=since, until=until, dates="published"), Scope.everything())
    assert published[-1] == {"bool": {"minimum_should_match": 1, "should": [
        {"range": {"published_at": window}},
        {"bool": {"must_not": [{"exists": {"field": "published_at"}}], "filter": [{"range": {"created_at": window}}]}},
    ]}}
    detected = incident_filters(IncidentQuery(since=since, until=until), Scope.everything())
    assert detected[-1] == {"range": {"created_at": window}}
