"""Text clean-up shared by the claim matcher, the check-worthiness classifier and the tests.

Social posts carry URLs, ``pic.twitter.com`` links, handles and invisible characters that
say nothing about the claim; fact-check claims carry none. Both sides go through
:func:`clean_text` before encoding or indexing, so that one function decides what the
models read.

>>> clean_text("Polls moved!!  https://t.co/abc pic.twitter.com/xyz")
'Polls moved!!'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["MAX_TEXT_CHARS", "clean_text", "tokenize"]

MAX_TEXT_CHARS = 5_000
"""Longer texts are cut: a claim is a sentence or two, and a 100 KB post must not stall a batch."""

_URL = re.compile(r"(?:https?://|www\.)\S+|pic\.twitter\.com/\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(i for i in (0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD))
_TOKEN = re.compile(r"\w+", re.UNICODE)


def clean_text(text: str | None, limit: int = MAX_TEXT_CHARS) -> str:
    """Return ``text`` without URLs, invisible characters and repeated spaces.

    NFKC-normalised, cut at ``limit``.
    """
    if not text:
        return ""
    text = text[: limit * 2]
    text = unicodedata.normalize("NFKC", text).translate(_INVISIBLE)
    text = _URL.sub(" ", text)
    text = _SPACE.sub(" ", text).strip()
    return text[:limit]


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens in any script (``\\w+``); digits kept, since numbers decide many claims."""
    return _TOKEN.findall(text.lower())
