"""Stores by URL: ``sqlite:///path.db`` (embedded default), ``opensearch://``, ``elasticsearch://``.

Engines are imported only when a URL asks for them, so the embedded default needs no
search-engine client.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pantau.errors import ConfigError
from pantau.stores.base import IncidentQuery, IncidentStore, Scope, SearchResult

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["IncidentQuery", "IncidentStore", "Scope", "SearchResult", "by_url"]


def by_url(url: str, settings: Settings | None = None) -> IncidentStore:
    """Return the store a URL names (not yet opened)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ConfigError(f"store URL must look like scheme://..., got {url!r}")
    if scheme == "sqlite":
        from pantau.stores.sqlite import SQLiteStore

        # sqlite:///relative.db and sqlite:////absolute/path.db, as in SQLAlchemy.
        path = Path(rest[1:] if rest.startswith("/") else rest)
        if settings is None:
            return SQLiteStore(path)
        return SQLiteStore(path, registry_file=settings.registry_file)  # whom journalists' search hides
    if scheme.split("+")[0] in ("opensearch", "elasticsearch"):
        from pantau.stores.search import search_store_from_url

        return search_store_from_url(url, settings)
    raise ConfigError(f"unknown store scheme {scheme!r} in {url!r}; use sqlite, opensearch or elasticsearch")
