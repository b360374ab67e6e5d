"""What full-text search reads, and the small query language both engines understand.

**Searchable text** (:func:`search_text`): the item's title and text, OCR and transcripts, the
account, the clause (id and title), the family and the words people use for it ("deepfake" finds
synthetic incidents), the item's labels, and every detector's name, label and evidence. The
**redacted** variant (:func:`redacted_search_text`) is the same text after
:func:`pantau.access.redact_incident`: a journalist's search runs on it, so searching a phone
number or a street name that the page shows as ``[redacted]`` finds nothing.

**Queries** (:func:`parse_query`): words are all required; ``"two words"`` is a phrase; ``a OR b``
needs either; ``-word`` and ``-"a phrase"`` exclude. Anything else is read as words, so no input
is a syntax error.

>>> q = parse_query('kitchen OR parliament "vote buying" -satire')
>>> [[t.text for t in group] for group in q.groups], [t.text for t in q.excluded]
([['kitchen', 'parliament'], ['vote buying']], ['satire'])
>>> q.groups[1][0].phrase
True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from pantau.schemas import Family, Incident

if TYPE_CHECKING:
    from pantau.registry import Registry

__all__ = [
    "FAMILY_TERMS",
    "MAX_TERMS",
    "Query",
    "Term",
    "cached_registry",
    "parse_query",
    "redacted_search_text",
    "search_text",
]

FAMILY_TERMS: dict[Family, str] = {
    Family.SYNTHETIC: "synthetic deepfake deep fake AI-generated manipulated media simulation",
    Family.DISINFO: "disinformation misinformation false claim",
    Family.GBV: "gender-based violence TFGBV abuse harassment",
    Family.CAMPAIGN: "campaign conduct",
    Family.META: "",
}
"""Words of each family added to its incidents' searchable text (what people type for it)."""

MAX_TERMS = 32
"""Terms read from one query; the rest are ignored (as the engines' clause limits would)."""

_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORD = re.compile(r"\w+", re.UNICODE)


class Term(NamedTuple):
    """One term as typed: a word (``rina@mail.example`` is one, the engine splits it as it indexes)
    or a quoted phrase (its words in this order)."""

    text: str
    phrase: bool = False

    def words(self) -> list[str]:
        """The term's words, split as SQLite's tokenizer splits text."""
        return _WORD.findall(self.text)


@dataclass
class Query:
    """A parsed query: every group must match, a group when any of its terms does; no excluded term may."""

    groups: list[list[Term]] = field(default_factory=list)
    excluded: list[Term] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Whether the query asks for nothing (no term at all)."""
        return not self.groups and not self.excluded

    def terms(self) -> list[str]:
        """Every positive term's text, for highlighting."""
        return [t.text for g in self.groups for t in g]


def parse_query(text: str) -> Query:
    """Parse words, ``"phrases"``, ``OR`` and ``-exclusions`` (see the module docstring)."""
    query = Query()
    join_next = last_positive = False
    count = 0
    for negated, phrase, bare in _TOKEN.findall(text):
        if count >= MAX_TERMS:
            break
        if bare == "OR":
            join_next = last_positive
            continue
        if bare.startswith("-") and len(bare) > 1:
            negated, bare = "-", bare[1:]
        term = Term(phrase.strip(), True) if not bare else Term(bare.strip('"'), False)
        if not term.words():
            continue
        count += 1
        if negated:
            query.excluded.append(term)
        elif join_next:
            query.groups[-1].append(term)
        else:
            query.groups.append([term])
        join_next, last_positive = False, not negated
    return query


def search_text(incident: Incident) -> str:
    """The text an incident is found by (see the module docstring)."""
    item, breach = incident.item, incident.breach
    parts = [item.title or "", item.text]
    parts += [p.text for p in incident.text_parts if p.origin not in ("caption", "title")]
    parts += [item.account or "", item.account_name or ""]
    parts += [breach.clause_id, breach.clause_title, incident.family.value]
    parts.append(FAMILY_TERMS.get(incident.family, ""))
    parts += list(item.labels)
    for signal in incident.signals:
        parts += [signal.detector, signal.label, signal.evidence]
    return "\n".join(p for p in parts if p)


def redacted_search_text(incident: Incident, registry: Registry | None = None) -> str:
    """The searchable text of the incident as a journalist sees it (victims' data redacted)."""
    from pantau.access import redact_incident  # access imports the stores: import here

    return search_text(redact_incident(incident, registry))


def cached_registry(path: Path | None) -> Registry:
    """The registry of ``path`` (``None``: empty), loaded once per file version (path and mtime)."""
    mtime = path.stat().st_mtime if path is not None and path.exists() else 0.0
    return _load_registry(str(path) if path is not None else None, mtime)


@functools.lru_cache(maxsize=4)
def _load_registry(path: str | None, _mtime: float) -> Registry:
    from pantau.registry import load_registry

    return load_registry(Path(path) if path else None)
