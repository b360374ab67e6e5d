"""The fact-check database: claims already checked, in one JSONL file under ``settings.data_dir / "claims"``.

The records are :class:`~detectors.disinfo.factcheck.FactCheck`; the readers of fact-check
sources are :mod:`detectors.disinfo.claimreview` (schema.org ClaimReview: JSON-LD, feeds, pages)
and :mod:`detectors.disinfo.claim_files` (JSONL, CSV, turnbackhoax.id, any kind by name).
:class:`ClaimsDB` imports them incrementally and merges the same fact-check arriving by several
routes (:func:`dedupe_keys`).

Example Snippet::

    db = ClaimsDB.open(settings.data_dir / "claims")
    report = db.import_path(Path("mafindo-feed.json"))
    print(report.added, report.skipped)
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from detectors.disinfo.claim_files import read_claims_file, read_jsonl
from detectors.disinfo.factcheck import FactCheck
from pantau.errors import BadFeed

__all__ = ["ClaimsDB", "ImportReport", "dedupe_keys"]

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What an import did: records read, new, updated or unchanged, and why others were skipped.

    ``already_imported`` is true when the same file (by SHA-256) was imported before: nothing was read.
    """

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    already_imported: bool = False


_URL_NOISE = re.compile(r"^(?:https?://)?(?:www\.|m\.|amp\.)?", re.IGNORECASE)
_TRACKING = re.compile(r"[?#].*$")


def dedupe_keys(claim: FactCheck) -> list[str]:
    """The keys under which two records are the same fact-check, whatever feed they came from.

    The review's URL with the claim (one article may review several claims; scheme, ``www.``,
    query, fragment and a trailing slash do not count), and the claim with its publisher. A
    DataCommons feed, the Fact Check Tools API and the article page give one review three ways,
    with or without an ``identifier``; these keys make them one record.

    >>> a = FactCheck(id="1", claim="Voters can vote by SMS", url="https://www.x.org/c/1/?utm=z")
    >>> b = FactCheck(id="2", claim="voters can vote by  SMS.", url="http://x.org/c/1")
    >>> dedupe_keys(a)[0] == dedupe_keys(b)[0]
    True
    """
    text = " ".join(re.findall(r"\w+", claim.claim.casefold()))
    keys = []
    if claim.url:
        url = _TRACKING.sub("", _URL_NOISE.sub("", claim.url.strip())).rstrip("/").casefold()
        keys.append(f"url\x1f{url}\x1f{text}")
    if claim.publisher:
        keys.append(f"pub\x1f{claim.publisher.strip().casefold()}\x1f{text}")
    return keys


def _merge(old: FactCheck, new: FactCheck) -> FactCheck:
    """``new`` under ``old``'s id, keeping what ``old`` knew and ``new`` lacks (a language...)."""
    update = {k: v for k, v in new.model_dump().items() if v not in ("", None) and k not in ("id", "origin")}
    if not new.rating and new.verdict == "unrated":
        update.pop("verdict", None)
    return old.model_copy(update=update)


_THREAD_LOCK = threading.Lock()


class ClaimsDB:
    """Fact-checks kept as one JSONL file (``claims.jsonl``) in a folder, keyed by id.

    Small and dependency-free on purpose: a million claims is ~300 MB of JSONL, read once at
    load; the vector index (built by :class:`~detectors.disinfo.matcher.ClaimMatcher`) is what
    has to be fast. Writers (imports, verdicts of the fact-check queue) go through
    :meth:`editing`, which holds a lock across threads and processes. Imports are incremental:
    a file imported before (same SHA-256, ``imported.json``) is not read again, and a record that
    is a fact-check already kept (:func:`dedupe_keys`) updates it instead of adding a copy.
    """

    FILE = "claims.jsonl"
    LOG = "imported.json"

    def __init__(self, folder: Path | None, claims: Iterable[FactCheck] = ()) -> None:
        self.folder = folder
        self._claims: dict[str, FactCheck] = {c.id: c for c in claims}
        self._keys: dict[str, str] | None = None

    @classmethod
    def open(cls, folder: Path) -> ClaimsDB:
        """Open (or start) the database in ``folder``."""
        db = cls(folder)
        main = folder / cls.FILE
        if main.is_file():
            claims, skipped = read_jsonl(main)
            db._claims.update((c.id, c) for c in claims)
            for reason in skipped[:5]:
                log.warning("claims DB: %s", reason)
        return db

    @classmethod
    @contextmanager
    def editing(cls, folder: Path) -> Iterator[ClaimsDB]:
        """The database of ``folder``, opened under an exclusive lock and saved when the block ends.

        An exception inside the block leaves the file as it was.

        Example Snippet::

            with ClaimsDB.editing(settings.data_dir / "claims") as db:
                db.add([fact_check])
        """
        folder.mkdir(parents=True, exist_ok=True)
        with _THREAD_LOCK, open(folder / (cls.FILE + ".lock"), "a") as lock:
            try:
                import fcntl

                fcntl.flock(lock, fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - not POSIX: the thread lock only
                pass
            db = cls.open(folder)
            yield db
            db.save()

    @classmethod
    def from_file(cls, path: Path, kind: str = "auto") -> ClaimsDB:
        """An in-memory database of one claims file (for ``pantau claims match``)."""
        claims, skipped = read_claims_file(path, kind)
        for reason in skipped[:5]:
            log.warning("claims: %s", reason)
        if not claims:
            raise BadFeed(f"{path}: no usable claim ({len(skipped)} skipped; first: {skipped[:1]})")
        return cls(None, claims)

    def __len__(self) -> int:
        return len(self._claims)

    def __iter__(self) -> Iterator[FactCheck]:
        return iter(self._claims.values())

    def get(self, claim_id: str) -> FactCheck | None:
        """The claim with this id, if present."""
        return self._claims.get(claim_id)

    def _key_index(self) -> dict[str, str]:
        if self._keys is None:
            self._keys = {}
            for claim in self._claims.values():
                for key in dedupe_keys(claim):
                    self._keys.setdefault(key, claim.id)
        return self._keys

    def add(self, claims: Iterable[FactCheck], report: ImportReport | None = None) -> int:
        """Add claims, or update the record they duplicate (same id, or :func:`dedupe_keys`).

        Returns how many were new or changed; ``report`` gets new, updated and unchanged counts.
        """
        changed = 0
        keys = self._key_index()
        for claim in claims:
            known = claim.id if claim.id in self._claims else None
            if known is None:
                known = next((keys[k] for k in dedupe_keys(claim) if k in keys), None)
            if known is not None:
                old = self._claims[known]
                claim = _merge(old, claim)
                if claim == old:
                    if report is not None:
                        report.unchanged += 1
                    continue
                if report is not None:
                    report.updated += 1
            elif report is not None:
                report.added += 1
            self._claims[claim.id] = claim
            for key in dedupe_keys(claim):
                keys.setdefault(key, claim.id)
            changed += 1
        return changed

    def remove(self, claim_id: str) -> bool:
        """Drop a claim by id; return whether it was there."""
        if self._claims.pop(claim_id, None) is None:
            return False
        self._keys = None
        return True

    def imported(self) -> dict[str, dict[str, Any]]:
        """Files imported so far, by SHA-256: name, when, records read and new."""
        if self.folder is None or not (self.folder / self.LOG).is_file():
            return {}
        try:
            data = json.loads((self.folder / self.LOG).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("claims DB: %s is unreadable; files will be imported again", self.folder / self.LOG)
            return {}
        return data if isinstance(data, dict) else {}

    def import_path(self, path: Path, kind: str = "auto", again: bool = False) -> ImportReport:
        """Import a file into the database and save it; a file imported before is skipped unless ``again``.

        Records keep their publisher, rating and language; ``origin`` says which file they came from.
        """
        path = Path(path)
        if not path.is_file():
            raise BadFeed(f"{path}: no such file")
        try:
            sha = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            raise BadFeed(f"{path}: cannot read ({exc.strerror or exc})") from exc
        done = self.imported()
        if sha in done and not again:
            return ImportReport(already_imported=True)
        claims, skipped = read_claims_file(path, kind)
        origin = f"import:{path.name}"[:500]
        claims = [c if c.origin else c.model_copy(update={"origin": origin}) for c in claims]
        report = ImportReport(read=len(claims) + len(skipped), skipped=skipped)
        self.add(claims, report)
        self.save()
        if self.folder is not None:
            done[sha] = {
                "name": path.name,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "records": report.read,
                "added": report.added,
                "updated": report.updated,
            }
            tmp = self.folder / (self.LOG + ".tmp")
            tmp.write_text(json.dumps(done, indent=1, ensure_ascii=False), encoding="utf-8")
            tmp.replace(self.folder / self.LOG)
        return report

    def save(self) -> None:
        """Write the database atomically (no-op for an in-memory one)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (self.FILE + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            for claim in self._claims.values():
                fh.write(claim.model_dump_json() + "\n")
        tmp.replace(self.folder / self.FILE)

    def stats(self) -> dict[str, Any]:
        """Counts by verdict, language, publisher and origin (``import:<file>``, ``queue``...)."""
        by: dict[str, dict[str, int]] = {"verdict": {}, "language": {}, "publisher": {}, "origin": {}}
        for claim in self._claims.values():
            for key, value in (
                ("verdict", claim.verdict),
                ("language", claim.language or "?"),
                ("publisher", claim.publisher or "?"),
                ("origin", claim.origin or "?"),
            ):
                by[key][value] = by[key].get(value, 0) + 1
        return {"claims": len(self._claims), **by}
