"""One index definition and one set of queries for Elasticsearch 8/9 and OpenSearch 2.x.

Everything here is plain data (request bodies as dicts), built by pure functions, so the
same definitions serve every engine and unit tests check them without a server. The client
adapters in :mod:`pantau.stores.search_client` only carry these bodies over HTTP.

Indices, for an index prefix ``p`` (``SearchSettings.index_prefix``):

- ``p-incidents``: an alias whose write index is ``p-incidents-000001`` (then ``-000002``
  after a rollover). An index template ``p-incidents`` gives every ``p-incidents-*`` index
  the same settings and mappings, so ``POST p-incidents/_rollover`` needs nothing else.
- ``p-actions``, ``p-alerts``, ``p-dead-letters``, ``p-audit``, ``p-processed``, ``p-claim-checks``
  (the fact-check queue): one index each.

Text is analysed four ways: a generic ICU-free analyser (standard tokenizer, lower case,
ASCII folding: works for any script and is what every query must match) and English,
Malay and Indonesian stemmers as sub-fields that add recall for inflected forms. Lucene has
no Malay stemmer; Malay shares Indonesian's affixes (me-, ber-, di-, -kan, -an), so the
Malay analyser uses the Indonesian stemmer with Malay stop words.

Example Snippet::

    body = incident_search_body(IncidentQuery(text="pilihan raya", parties=["p1"]), Scope.everything())
    # POST p-incidents/_search with ``body``
"""

from __future__ import annotations

from typing import Any

from pantau.schemas import Incident, IncidentStatus
from pantau.stores.base import IncidentQuery, Scope
from pantau.stores.text import Term, parse_query, redacted_search_text, search_text

__all__ = [
    "FACET_FIELDS",
    "INCIDENT_TEXT_FIELDS",
    "REDACTED_TEXT_FIELDS",
    "DECIDE_CHECK_SCRIPT",
    "KEEP_REVIEW_STATE_SCRIPT",
    "MARK_ALERT_SCRIPT",
    "IndexNames",
    "incident_document",
    "incident_filters",
    "incident_search_body",
    "incident_template",
    "index_bodies",
    "incident_text",
]

FACET_FIELDS = ("family", "party", "platform", "severity", "status", "clause_id")
"""Fields counted in :attr:`SearchResult.facets`, the same as the SQLite store's."""

INCIDENT_TEXT_FIELDS = ("text", "text.en", "text.ms", "text.id")
"""Fields a free-text query reads: the generic analysis and the three language stemmers."""
REDACTED_TEXT_FIELDS = ("text_redacted", "text_redacted.en", "text_redacted.ms", "text_redacted.id")
"""The same over the redacted text: what a journalist's search reads (``Scope.redact``)."""

_MALAY_STOP = [
    "dan",
    "yang",
    "di",
    "ke",
    "dari",
    "ini",
    "itu",
    "untuk",
    "dengan",
    "pada",
    "adalah",
    "akan",
    "tidak",
    "ada",
    "atau",
    "juga",
    "oleh",
    "dalam",
    "kepada",
    "telah",
    "sudah",
    "lagi",
    "saya",
    "kami",
    "kita",
    "mereka",
    "dia",
    "ia",
    "anda",
    "bagi",
    "sebagai",
    "tetapi",
    "kerana",
]

ANALYSIS: dict[str, Any] = {
    "filter": {
        "pantau_en_stop": {"type": "stop", "stopwords": "_english_"},
        "pantau_en_stem": {"type": "stemmer", "language": "english"},
        "pantau_en_possessive": {"type": "stemmer", "language": "possessive_english"},
        "pantau_id_stop": {"type": "stop", "stopwords": "_indonesian_"},
        "pantau_id_stem": {"type": "stemmer", "language": "indonesian"},
        "pantau_ms_stop": {"type": "stop", "stopwords": _MALAY_STOP},
    },
    "analyzer": {
        "pantau_generic": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        },
        "pantau_en": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": [
                "pantau_en_possessive",
                "lowercase",
                "pantau_en_stop",
                "pantau_en_stem",
                "asciifolding",
            ],
        },
        "pantau_id": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "pantau_id_stop", "pantau_id_stem", "asciifolding"],
        },
        "pantau_ms": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "pantau_ms_stop", "pantau_id_stem", "asciifolding"],
        },
    },
}

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
_STORED_ONLY = {"type": "object", "enabled": False}
_ANALYSED_TEXT: dict[str, Any] = {
    "type": "text",
    "analyzer": "pantau_generic",
    "fields": {
        "en": {"type": "text", "analyzer": "pantau_en"},
        "ms": {"type": "text", "analyzer": "pantau_ms"},
        "id": {"type": "text", "analyzer": "pantau_id"},
    },
}

INCIDENT_MAPPINGS: dict[str, Any] = {
    # Unknown top-level fields are kept in _source but not indexed: a new schema field never
    # breaks indexing, and only the fields below cost index space.
    "dynamic": False,
    "properties": {
        "id": _KEYWORD,
        "item_id": _KEYWORD,
        "family": _KEYWORD,
        "party": _KEYWORD,
        "platform": _KEYWORD,
        "account": _KEYWORD,
        "language": _KEYWORD,
        "severity": _KEYWORD,
        "severity_rank": {"type": "integer"},
        "status": _KEYWORD,
        "clause_id": _KEYWORD,
        "code_id": _KEYWORD,
        "detectors": _KEYWORD,
        "targets": _KEYWORD,
        "published_at": _DATE,
        "created_at": _DATE,
        "updated_at": _DATE,
        "text": _ANALYSED_TEXT,
        "text_redacted": _ANALYSED_TEXT,
        "doc": _STORED_ONLY,
    },
}

_SIMPLE_MAPPINGS: dict[str, dict[str, Any]] = {
    "actions": {
        "incident_id": _KEYWORD,
        "action": _KEYWORD,
        "actor": _KEYWORD,
        "at": _DATE,
        "doc": _STORED_ONLY,
    },
    "alerts": {
        "incident_id": _KEYWORD,
        "party": _KEYWORD,
        "recipient": _KEYWORD,
        "created_at": _DATE,
        "delivered_at": _DATE,
        "delivery_error": {"type": "keyword", "index": False},
        "acknowledged_at": _DATE,
        "responded_at": _DATE,
        "doc": _STORED_ONLY,
    },
    "dead-letters": {
        "stage": _KEYWORD,
        "error_type": _KEYWORD,
        "item_id": _KEYWORD,
        "created_at": _DATE,
        "doc": _STORED_ONLY,
    },
    "audit": {
        "actor": _KEYWORD,
        "event": _KEYWORD,
        "target": _KEYWORD,
        "at": _DATE,
        "seq": {"type": "long"},
        "doc": _STORED_ONLY,
    },
    "processed": {"item_id": _KEYWORD, "at": _DATE, "timings": _STORED_ONLY},
    "claim-checks": {
        "item_id": _KEYWORD,
        "party": _KEYWORD,
        "status": _KEYWORD,
        "checkworthy": {"type": "float"},
        "created_at": _DATE,
        "doc": _STORED_ONLY,
    },
}

KEEP_REVIEW_STATE_SCRIPT = (
    # A re-upsert (replay, re-scan) replaces the document but keeps what reviewers decided.
    "def status = ctx._source.status; def created = ctx._source.created_at;"
    " ctx._source.clear(); ctx._source.putAll(params.doc);"
    " if (status != null) { ctx._source.status = status; ctx._source.created_at = created; }"
)
"""Painless script of the incident upsert: both engines ship Painless."""

MARK_ALERT_SCRIPT = (
    "if (params.delivered == true) {"
    " ctx._source.delivered_at = params.now; ctx._source.delivery_error = null; }"
    " else if (params.delivered == false) { ctx._source.delivery_error = params.error; }"
    " if (params.acknowledged && ctx._source.acknowledged_at == null) {"
    " ctx._source.acknowledged_at = params.now; }"
    " if (params.responded && ctx._source.responded_at == null) {"
    " ctx._source.responded_at = params.now; }"
)
"""Painless script of :meth:`IncidentStore.mark_alert`: first acknowledgement and answer win."""

DECIDE_CHECK_SCRIPT = (
    "if (ctx._source.status == 'waiting') {"
    " ctx._source.status = params.status; ctx._source.doc = params.doc; }"
    " else { ctx.op = 'noop'; }"
)
"""Painless script of :meth:`IncidentStore.decide_claim_check`: only a waiting entry takes a verdict."""


class IndexNames:
    """Index, alias and template names for one prefix.

    >>> IndexNames("pantau").incidents, IndexNames("pantau").index("audit")
    ('pantau-incidents', 'pantau-audit')
    """

    KINDS = tuple(_SIMPLE_MAPPINGS)

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix.lower()

    @property
    def incidents(self) -> str:
        """Read and write alias of the incident indices."""
        return f"{self.prefix}-incidents"

    @property
    def first_incident_index(self) -> str:
        """The first concrete incident index (rollover appends -000002, ...)."""
        return f"{self.prefix}-incidents-000001"

    @property
    def incident_template(self) -> str:
        """Name of the index template matching every incident index."""
        return f"{self.prefix}-incidents"

    def index(self, kind: str) -> str:
        """Name of one of the simple indices (``actions``, ``alerts``, ...)."""
        if kind not in _SIMPLE_MAPPINGS:
            raise KeyError(f"unknown index kind {kind!r}; expected one of {', '.join(self.KINDS)}")
        return f"{self.prefix}-{kind}"

    def all_patterns(self) -> list[str]:
        """Every index this prefix owns (for clean-up in tests)."""
        return [f"{self.prefix}-incidents-*", *(self.index(k) for k in self.KINDS)]


def _index_settings(shards: int) -> dict[str, Any]:
    # 0-1 replicas: green on a single node, one replica as soon as a second node joins.
    return {"number_of_shards": shards, "auto_expand_replicas": "0-1", "analysis": ANALYSIS}


def incident_template(names: IndexNames, shards: int = 1) -> dict[str, Any]:
    """Return the composable index template of the incident indices (``PUT _index_template/NAME``)."""
    return {
        "index_patterns": [f"{names.incidents}-*"],
        "priority": 200,
        "template": {"settings": _index_settings(shards), "mappings": INCIDENT_MAPPINGS},
        "_meta": {"owner": "pantau", "about": "incidents; roll over with POST <alias>/_rollover"},
    }


def index_bodies(names: IndexNames, shards: int = 1) -> dict[str, dict[str, Any]]:
    """Return ``{index name: create-index body}`` for the simple indices."""
    return {
        names.index(kind): {
            "settings": _index_settings(shards),
            "mappings": {"dynamic": False, "properties": props},
        }
        for kind, props in _SIMPLE_MAPPINGS.items()
    }


def incident_text(incident: Incident) -> str:
    """Return the searchable text of an incident (:func:`pantau.stores.text.search_text`)."""
    return search_text(incident)


def incident_document(incident: Incident, redacted_text: str | None = None) -> dict[str, Any]:
    """Return the indexed document of an incident: filter fields, searchable text and the full record.

    :param redacted_text: the searchable text as a journalist sees it
        (:func:`pantau.stores.text.redacted_search_text`); ``None`` computes it without a registry.
    """
    doc = incident.model_dump(mode="json")
    return {
        "id": incident.id,
        "item_id": incident.item.id,
        "family": incident.family.value,
        "party": incident.party,
        "platform": incident.item.platform,
        "account": incident.item.account,
        "language": incident.item.language,
        "severity": incident.breach.severity.value,
        "severity_rank": incident.breach.severity.rank,
        "status": incident.status.value,
        "clause_id": incident.breach.clause_id,
        "code_id": incident.breach.code_id,
        "detectors": sorted({s.detector for s in incident.signals}),
        "targets": incident.targets,
        "published_at": doc["item"].get("published_at"),
        "created_at": doc["created_at"],
        "updated_at": doc["updated_at"],
        "text": incident_text(incident),
        "text_redacted": redacted_text if redacted_text is not None else redacted_search_text(incident),
        "doc": doc,
    }


def _terms(field: str, values: list[str] | frozenset[str] | set[str]) -> dict[str, Any]:
    return {"terms": {field: sorted(values)}}


_MATCH_NOTHING: dict[str, Any] = {"bool": {"must_not": {"match_all": {}}}}


def incident_filters(query: IncidentQuery, scope: Scope) -> list[dict[str, Any]]:
    """Return the filter clauses of a search: the scope first (access control), then the query's."""
    filters: list[dict[str, Any]] = []
    if scope.parties is not None:
        filters.append(_terms("party", scope.parties) if scope.parties else _MATCH_NOTHING)
    if scope.statuses is not None:
        statuses = {IncidentStatus(s).value for s in scope.statuses}
        filters.append(_terms("status", statuses) if statuses else _MATCH_NOTHING)
    for field, values in (
        ("family", query.families),
        ("party", query.parties),
        ("platform", query.platforms),
        ("severity", query.severities),
        ("status", query.statuses),
        ("clause_id", query.clause_ids),
    ):
        if values:
            filters.append(_terms(field, values))
    window: dict[str, str] = {}
    if query.since:
        window["gte"] = query.since.isoformat()
    if query.until:
        window["lt"] = query.until.isoformat()
    if window and query.dates == "published":
        # Publication time, or detection time when the post's publication time is unknown.
        filters.append({"bool": {"minimum_should_match": 1, "should": [
            {"range": {"published_at": window}},
            {"bool": {"must_not": [{"exists": {"field": "published_at"}}],
                      "filter": [{"range": {"created_at": window}}]}},
        ]}})
    elif window:
        filters.append({"range": {"created_at": window}})
    return filters


_SORTS: dict[str, list[dict[str, Any]]] = {
    "newest": [{"created_at": "desc"}, {"id": "asc"}],
    "oldest": [{"created_at": "asc"}, {"id": "asc"}],
    "severity": [{"severity_rank": "desc"}, {"created_at": "desc"}, {"id": "asc"}],
}


def incident_search_body(query: IncidentQuery, scope: Scope) -> dict[str, Any]:
    """Return the ``_search`` body of an incident query: filters, full text, sort, facets, highlights.

    The text is read as :func:`pantau.stores.text.parse_query` reads it (words all required,
    ``"phrases"``, ``OR``, ``-exclusions``), as in the SQLite store; the stemmed sub-fields only
    add matches for other forms of the same words. A redacting scope searches the redacted text.
    """
    fields = list(REDACTED_TEXT_FIELDS if scope.redact else INCIDENT_TEXT_FIELDS)
    parsed = parse_query(query.text)
    text = query.text.strip()
    must: list[dict[str, Any]] = []
    # Required words go in one query (every word must occur); phrases and OR groups get their own.
    words = [g[0].text for g in parsed.groups if len(g) == 1 and not g[0].phrase]
    if words:
        must.append(_term_query(Term(" ".join(words)), fields))
    for group in parsed.groups:
        if len(group) == 1 and not group[0].phrase:
            continue
        should = [_term_query(term, fields) for term in group]
        either = {"bool": {"should": should, "minimum_should_match": 1}}
        must.append(should[0] if len(should) == 1 else either)
    must_not = [_term_query(term, fields) for term in parsed.excluded]
    if text and parsed.empty:
        must.append(_MATCH_NOTHING)
    boolean: dict[str, Any] = {"filter": incident_filters(query, scope), "must": must or [{"match_all": {}}]}
    if must_not:
        boolean["must_not"] = must_not
    body: dict[str, Any] = {
        "query": {"bool": boolean},
        "from": query.offset,
        "size": query.limit,
        "sort": _SORTS[query.sort],
        "track_total_hits": True,
        "_source": ["doc", "status", "created_at"],
        "aggs": {field: {"terms": {"field": field, "size": 50, "missing": ""}} for field in FACET_FIELDS},
    }
    if parsed.groups:
        body["highlight"] = {
            "pre_tags": ["<mark>"],
            "post_tags": ["</mark>"],
            "fields": {f: {"fragment_size": 160, "number_of_fragments": 1} for f in fields},
        }
    return body


def _term_query(term: Term, fields: list[str]) -> dict[str, Any]:
    """A term of a parsed query, analysed by the engine: a phrase's words in order, a word's all required."""
    if term.phrase:
        return {"multi_match": {"query": term.text, "fields": fields, "type": "phrase"}}
    return {"multi_match": {"query": term.text, "fields": fields, "type": "most_fields", "operator": "and"}}
