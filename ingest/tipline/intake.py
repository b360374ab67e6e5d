"""Where tips land: a JSONL spool for the pipeline, a file store, and a private contacts table.

Both front ends (the HTTP endpoint and the Telegram bot) call :meth:`TipIntake.submit`, which
checks the tip, stores an attached file content-addressed, appends one record to
``<data_dir>/tipline/spool.jsonl`` (read by :class:`~ingest.tipline.source.TiplineSource`) and
returns an acknowledgement id. The reporter's contact goes to
``<data_dir>/tipline/contacts.sqlite`` (mode 0600), keyed by that id, and nowhere else: not in
the spool, so never in an item, an incident, a log line or an alert.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import hmac
import io
import json
import os
import secrets
import sqlite3
import tempfile
import threading
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field

from pantau.errors import ConfigError, PantauError
from pantau.metrics import TIPS
from pantau.schemas import utcnow

__all__ = [
    "TipIntake",
    "TipRejected",
    "TiplineOptions",
    "hash_api_key",
    "new_api_key",
    "tipline_options",
]

_ALLOWED_MIME_PREFIXES = ("image/", "video/", "audio/")
_BLOCK = 1 << 20


class TipRejected(PantauError):
    """A tip was refused (empty, too large, unsupported file, bad link)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class TiplineOptions(BaseModel):
    """Options of the tipline (``options`` of the ``kind = "tipline"`` source)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_text_chars: int = Field(20_000, ge=1, description="Longest tip text.")
    max_file_bytes: int = Field(25 * 1024 * 1024, ge=1, description="Largest attached file.")
    max_concurrent_uploads: int = Field(
        4, ge=1, description="Uploads (multipart requests) handled at once; more get 503 with Retry-After."
    )
    ip_limit: int = Field(20, ge=1, description="Tips per client IP per window (anonymous).")
    key_limit: int = Field(2000, ge=1, description="Tips per partner API key per window.")
    window_s: float = Field(3600.0, gt=0, description="Rate-limit window.")
    require_api_key: bool = Field(False, description="Accept tips from partners only.")
    api_keys: dict[str, str] = Field(
        default_factory=dict,
        description="Partner name -> SHA-256 hex of its key (hash_api_key); never the key.",
    )
    trust_forwarded_for: bool = Field(
        False, description="Take the client IP from X-Forwarded-For (behind a proxy)."
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks (CIDR) of your proxies. X-Forwarded-For is read from the right "
        "and the first hop not in this list is the client; empty: the right-most entry (what your one proxy "
        "saw).",
    )
    bot_api_base: str = Field(
        "https://api.telegram.org", description="Telegram Bot API root (tests: a local fake)."
    )
    bot_poll_timeout_s: int = Field(30, ge=0, le=50, description="getUpdates long-poll timeout.")
    chat_limit: int = Field(10, ge=1, description="Tips per Telegram chat or WhatsApp sender per window.")
    whatsapp_api_base: str = Field("https://graph.facebook.com", description="WhatsApp Cloud API root.")
    whatsapp_api_version: str = Field("v23.0", description="Graph API version of the WhatsApp calls.")
    spool: str | None = Field(None, description="Spool file; default <data_dir>/tipline/spool.jsonl.")


def tipline_options(settings: Any) -> tuple[TiplineOptions, dict[str, str]]:
    """Return the tipline options and credentials from the first ``kind = "tipline"`` source.

    Without such a source the defaults apply and there are no credentials (no bot).
    """
    for config in getattr(settings, "sources", []):
        if config.kind == "tipline":
            try:
                options = TiplineOptions.model_validate(config.options)
            except ValueError as exc:
                raise ConfigError(f"tipline source {config.name!r}: invalid options: {exc}") from exc
            return options, {k: v.get_secret_value() for k, v in config.credentials.items()}
    return TiplineOptions(), {}


def hash_api_key(key: str) -> str:
    """Return the SHA-256 hex digest stored in ``api_keys`` for a partner key.

    >>> len(hash_api_key("ptk_example"))
    64
    """
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> tuple[str, str]:
    """Return a new random partner key and its hash (give the key, configure the hash)."""
    key = "ptk_" + secrets.token_urlsafe(24)
    return key, hash_api_key(key)


def _new_ack_id() -> str:
    raw = base64.b32encode(secrets.token_bytes(5)).decode("ascii")
    return f"TIP-{raw[:4]}-{raw[4:8]}"


def _check_unicode(name: str, value: str | None) -> None:
    """Refuse a field that cannot be written as UTF-8 (a lone surrogate such as ``"\\ud800"`` in JSON).

    >>> _check_unicode("text", "ok \u00e9")
    >>> _check_unicode("text", "bad " + chr(0xD800))
    Traceback (most recent call last):
    ...
    ingest.tipline.intake.TipRejected: text is not valid Unicode (a lone surrogate such as \\ud800)
    """
    if value is None:
        return
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise TipRejected(f"{name} is not valid Unicode (a lone surrogate such as \\ud800)") from None


def _has_content(stream: BinaryIO) -> bool:
    """Whether a file object has any bytes left (an empty upload field is no file); rewinds it."""
    start = stream.tell()
    found = bool(stream.read(1))
    stream.seek(start)
    return found


def _sniff(data: bytes) -> str | None:
    import filetype

    kind = filetype.guess(data)
    return kind.mime if kind else None


class TipIntake:
    """Accept tips into the spool; keep contacts apart.

    :param data_dir: ``settings.data_dir``; everything goes under ``<data_dir>/tipline``.
    :param options: the tipline options.
    :param media_max_bytes: the global media limit (``settings.media.max_bytes``).
    """

    def __init__(self, data_dir: Path, options: TiplineOptions, media_max_bytes: int | None = None) -> None:
        self.root = Path(data_dir) / "tipline"
        self.options = options
        self.spool = Path(options.spool) if options.spool else self.root / "spool.jsonl"
        self.files = self.root / "files"
        self.contacts_path = self.root / "contacts.sqlite"
        self.max_file_bytes = min(options.max_file_bytes, media_max_bytes or options.max_file_bytes)
        self._lock = threading.Lock()

    def partner(self, key: str | None) -> str | None:
        """Return the partner a presented key belongs to, or None (constant-time comparison)."""
        if not key:
            return None
        presented = hash_api_key(key)
        found = None
        for name, stored in self.options.api_keys.items():
            if hmac.compare_digest(presented, stored.lower()):
                found = name
        return found

    def submit(
        self,
        *,
        text: str | None = None,
        url: str | None = None,
        file: bytes | BinaryIO | None = None,
        contact: str | None = None,
        channel: str = "web",
        partner: str | None = None,
        language: str | None = None,
        dedupe_key: str | None = None,
    ) -> dict[str, Any]:
        """Check and store one tip; return ``{"ack_id", "received_at"}``. Raises :class:`TipRejected`.

        :param file: the attached file, as bytes or as a binary file object read in blocks (an
            upload spooled to disk is copied to the file store without being held in memory).
        :param dedupe_key: the front end's own message id (a webhook delivered twice); a key
            seen before returns the first acknowledgement and files nothing.
        """
        if dedupe_key is not None:
            earlier = self._seen(dedupe_key)
            if earlier is not None:
                return earlier
        for name, value in (("text", text), ("url", url), ("contact", contact), ("language", language)):
            _check_unicode(name, value)
        if file is not None and not isinstance(file, bytes | bytearray) and not _has_content(file):
            file = None  # an empty upload field
        text = (text or "").strip()
        url = (url or "").strip() or None
        if not text and not url and not file:
            raise TipRejected("a tip needs a link, a text or a file")
        if len(text) > self.options.max_text_chars:
            raise TipRejected(f"text over {self.options.max_text_chars} characters", status=413)
        if url is not None and (
            len(url) > 2048 or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname
        ):
            raise TipRejected("the link must be an http(s) URL")
        if contact is not None and len(contact) > 500:
            raise TipRejected("contact over 500 characters")
        media: list[dict[str, Any]] = []
        if file:
            media.append(self._store_file(file))  # content-addressed: a tip refused later leaves no name
        ack_id = _new_ack_id()
        received = utcnow().isoformat()
        record = {
            "id": ack_id,
            "platform": "tip",
            "is_tip": True,
            "text": text,
            "url": url,
            "media": media,
            "published_at": received,
            "channel": channel,
            "partner": partner,
        }
        if language:
            record["language"] = language[:8]
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self._file(line, ack_id, received, contact.strip() if contact else None, channel, dedupe_key)
        TIPS.labels(channel).inc()
        return {"ack_id": ack_id, "received_at": received}

    def check(self) -> None:
        """Raise ``OSError`` or ``sqlite3.Error`` unless a tip can be filed now (spool folder
        writable, contacts database answering): the tipline's readiness."""
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        self.files.mkdir(parents=True, exist_ok=True)
        for folder in (self.spool.parent, self.files):
            if not os.access(folder, os.W_OK | os.X_OK):
                raise PermissionError(f"{folder} is not writable")
        conn = self._connect()
        try:
            conn.execute("SELECT count(*) FROM contacts").fetchone()
        finally:
            conn.close()

    def _file(
        self,
        line: bytes,
        ack_id: str,
        received: str,
        contact: str | None,
        channel: str,
        dedupe_key: str | None,
    ) -> None:
        """Spool one tip with its contact and dedupe key, so that a spooled tip always gets its ack id.

        Everything that can refuse a tip was checked before; the contact and the dedupe key are
        written in a transaction that stays open while the spool line is appended and commits only
        after it: a failed append rolls them back (nothing written, the caller gets the error),
        and nothing that can fail for a reason of the tip remains after the append.
        """
        if contact is None and dedupe_key is None:
            self._append(line)
            return
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            if contact:
                conn.execute(
                    "INSERT OR REPLACE INTO contacts VALUES (?, ?, ?, ?)",
                    (ack_id, contact, channel, received),
                )
            if dedupe_key is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO delivered VALUES (?, ?, ?)",
                    (hash_api_key(dedupe_key), ack_id, received),
                )
            try:
                self._append(line)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        finally:
            conn.close()

    def _seen(self, key: str) -> dict[str, Any] | None:
        if not self.contacts_path.exists():
            return None
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT ack_id, received_at FROM delivered WHERE key = ?", (hash_api_key(key),)
            ).fetchone()
        finally:
            conn.close()
        return {"ack_id": row[0], "received_at": row[1]} if row else None

    def _store_file(self, data: bytes | BinaryIO) -> dict[str, Any]:
        """Sniff, hash and store a file content-addressed, in blocks (at most 1 MiB held at a time)."""
        stream: BinaryIO = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        head = stream.read(_BLOCK)
        mime = _sniff(head)
        if mime is None or not mime.startswith(_ALLOWED_MIME_PREFIXES):
            raise TipRejected(
                f"unsupported file type ({mime or 'unknown'}); send an image, video or audio", status=415
            )
        self.files.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.files, suffix=".part")
        tmp = Path(tmp_name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                block = head
                while block:
                    size += len(block)
                    if size > self.max_file_bytes:
                        raise TipRejected(f"file over {self.max_file_bytes} bytes", status=413)
                    digest.update(block)
                    out.write(block)
                    block = stream.read(_BLOCK)
            sha = digest.hexdigest()
            path = self.files / sha
            if path.exists():
                tmp.unlink()
            else:
                os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return {"path": str(path), "mime": mime, "sha256": sha}

    def _append(self, line: bytes) -> None:
        self.spool.parent.mkdir(parents=True, exist_ok=True)
        with self.spool.open("ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # several server processes may share one spool
            try:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        new = not self.contacts_path.exists()
        conn = sqlite3.connect(self.contacts_path)
        if new:
            os.chmod(self.contacts_path, 0o600)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS contacts (ack_id TEXT PRIMARY KEY, contact TEXT NOT NULL, "
            "channel TEXT, received_at TEXT)"
        )
        # Message ids of front ends that may deliver twice (webhook retries): hashed, no content.
        conn.execute(
            "CREATE TABLE IF NOT EXISTS delivered (key TEXT PRIMARY KEY, ack_id TEXT, received_at TEXT)"
        )
        return conn

    def contact(self, ack_id: str) -> str | None:
        """Return the contact left with a tip (for the commission's follow-up only)."""
        if not self.contacts_path.exists():
            return None
        conn = self._connect()
        try:
            row = conn.execute("SELECT contact FROM contacts WHERE ack_id = ?", (ack_id,)).fetchone()
        finally:
            conn.close()
        return row[0] if row else None
