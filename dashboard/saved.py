"""Saved searches: a user's named searches, kept on the server next to the users file.

A saved search is the search page's URL state (``q``, ``sort``, ``dates`` and the facets), so it
reopens the same query, sort and filters; the date window is not kept (a search saved in
November and opened in December looks at December's last 30 days). Each user sees only their
own. The file (``saved_searches.json``, mode 0600) is written atomically under a lock.

Saving is idempotent: the same name with the same search is recorded once ("unchanged"); the
same name with another search replaces it ("replaced").
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

__all__ = ["MAX_PER_USER", "PARAMS", "SavedSearches"]

PARAMS = ("q", "sort", "dates", "family", "severity", "party", "platform", "clause_id", "status")
"""URL parameters of the search page a saved search keeps."""
MAX_PER_USER = 50
_MAX_NAME = 80
_MAX_VALUE = 500
_LOCK = threading.Lock()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One writer at a time: a thread lock, and ``flock`` on ``<path>.lock`` across processes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, open(path.with_name(path.name + ".lock"), "a") as lock:
        try:
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX: the thread lock only
            pass
        yield


def clean_params(params: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    """Keep the search page's parameters only, as lists of short strings, empty ones left out.

    >>> clean_params({"q": "deepfake", "family": ["gbv", "synthetic"], "incident": "x", "sort": ""})
    {'q': ['deepfake'], 'family': ['gbv', 'synthetic']}
    """
    kept: dict[str, list[str]] = {}
    for key in PARAMS:
        value = params.get(key)
        values = [value] if isinstance(value, str) else list(value or [])
        values = [str(v)[:_MAX_VALUE] for v in values if str(v)]
        if values:
            kept[key] = values
    return kept


class SavedSearches:
    """The saved searches of every user of one dashboard (``<folder>/saved_searches.json``)."""

    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / "saved_searches.json"

    def _read(self) -> dict[str, list[dict[str, object]]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            return {}  # a damaged file loses the saved searches, never the page
        return data if isinstance(data, dict) else {}

    def _write(self, data: dict[str, list[dict[str, object]]]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, ensure_ascii=False, sort_keys=True)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def list(self, username: str) -> list[tuple[str, dict[str, list[str]]]]:
        """The user's saved searches, as (name, parameters), in the order saved."""
        out = []
        for entry in self._read().get(username, []):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                params = entry.get("params")
                out.append((str(entry["name"]), clean_params(params if isinstance(params, dict) else {})))
        return out

    def save(
        self, username: str, name: str, params: Mapping[str, str | Sequence[str]]
    ) -> Literal["saved", "replaced", "unchanged"]:
        """Save a search under ``name`` (trimmed, at most 80 characters); raise ValueError when refused."""
        name = " ".join(name.split())[:_MAX_NAME]
        if not name:
            raise ValueError("give the search a name")
        kept = clean_params(params)
        with _locked(self.path):
            data = self._read()
            mine = [e for e in data.get(username, []) if isinstance(e, dict)]
            for entry in mine:
                if entry.get("name") == name:
                    if entry.get("params") == kept:
                        return "unchanged"
                    entry["params"] = kept
                    data[username] = mine
                    self._write(data)
                    return "replaced"
            if len(mine) >= MAX_PER_USER:
                raise ValueError(f"at most {MAX_PER_USER} saved searches: delete one first")
            data[username] = [*mine, {"name": name, "params": kept}]
            self._write(data)
            return "saved"

    def delete(self, username: str, name: str) -> bool:
        """Delete the user's search ``name``; return whether it was there."""
        with _locked(self.path):
            data = self._read()
            mine = [e for e in data.get(username, []) if isinstance(e, dict)]
            kept = [e for e in mine if e.get("name") != name]
            if len(kept) == len(mine):
                return False
            data[username] = kept
            self._write(data)
            return True
