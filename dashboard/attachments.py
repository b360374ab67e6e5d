"""Files sent with an answer (proof of takedown): checked by content, kept by SHA-256.

Only PDF, PNG, JPEG and WebP are kept, recognised by their first bytes (the name and the type the
browser claims are not trusted), up to :data:`MAX_BYTES`. A file is written once to
``<data_dir>/attachments/<sha256>``; the answer records its name, size, type and hash, so the
evidence pack names it and anyone can check the file against it.

>>> sniff(b"%PDF-1.7 ..."), sniff(b"MZ...")
('application/pdf', None)
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from pantau.stores.base import Attachment

__all__ = ["MAX_BYTES", "AttachmentRefused", "attachment_path", "save_attachment", "sniff"]

MAX_BYTES = 10 * 1024 * 1024
_MAGIC = [
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
]


class AttachmentRefused(ValueError):
    """The file is not one of the kinds kept, or too large; the message says which."""


def sniff(data: bytes) -> str | None:
    """The MIME type of ``data`` by its first bytes, if it is a kind kept, else ``None``."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def attachment_path(data_dir: Path, sha256: str) -> Path:
    """Where the attachment of this hash is kept (the hash is checked to be one)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise AttachmentRefused("not a SHA-256")
    return Path(data_dir) / "attachments" / sha256


def save_attachment(data_dir: Path, name: str, data: bytes) -> Attachment:
    """Check and keep one file; return what the answer records about it.

    :raises AttachmentRefused: empty, over :data:`MAX_BYTES`, or not a PDF or image.
    """
    if not data:
        raise AttachmentRefused("the file is empty")
    if len(data) > MAX_BYTES:
        raise AttachmentRefused(f"the file is over {MAX_BYTES // (1024 * 1024)} MB")
    mime = sniff(data)
    if mime is None:
        raise AttachmentRefused("only PDF, PNG, JPEG and WebP files are kept (checked by content)")
    sha = hashlib.sha256(data).hexdigest()
    path = attachment_path(data_dir, sha)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    clean = "".join(c for c in Path(name or "attachment").name if c.isprintable())[:200] or "attachment"
    return Attachment(sha256=sha, name=clean, size=len(data), mime=mime)
