"""Text normalisation shared by the gendered-abuse detectors.

Two forms are produced from one raw text:

- :func:`clean_text` keeps the words as written (case, accents) but removes what only
  serves to evade or to blow up cost: zero-width and control characters, compatibility
  forms (full-width letters, ligatures), URLs and @handles (replaced by ``[URL]`` and
  ``[USER]``, as in EDOS), runs of whitespace; it bounds the length. The classifiers
  (encoder and character n-grams) read this form, in training and at inference alike.
- :func:`fold_for_matching` goes further for lexicon and pattern matching: lower case,
  accents stripped (Vietnamese tone marks too), homoglyphs mapped to Latin letters,
  leetspeak decoded (``5lut`` -> ``slut``), letters repeated three or more times squeezed to
  two (``sluuuut`` -> ``sluut``; the lexicon matcher also tries one), and single letters
  separated by spaces, dots or dashes joined (``s l u t`` / ``s.l.u.t`` -> ``slut``). The
  result is for matching only, never for display.

>>> clean_text("s\\u200bl\\u200bu\\u200bt @bob https://x.co/a")
'slut [USER] [URL]'
>>> fold_for_matching("S L U T")
'slut'
>>> fold_for_matching("5lúüüt")
'sluut'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "MAX_CLEAN_CHARS",
    "ZERO_WIDTH",
    "clean_text",
    "fold_for_matching",
    "squeeze_repeats",
]

MAX_CLEAN_CHARS = 2_000
"""Longest text the classifiers read: head and tail of longer texts (abuse sits at either end)."""

ZERO_WIDTH = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d"
    "\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0"
)
"""Invisible characters used to split words past filters (soft hyphen, joiners, bidi marks, fillers)."""

_INVISIBLE = re.compile(
    f"[{re.escape(ZERO_WIDTH)}]|[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f]|[\\ufe00-\\ufe0f]"
)
_SURROGATES = re.compile("[\ud800-\udfff]")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{2,}")
_SPACES = re.compile(r"\s+")
# Placeholders that datasets and exporters put where a handle or link was (``USER``, ``<USERNAME>``,
# ``URL``), retweet prefixes, and byte escapes of emoji written out as text (``\xf0\x9f\x98\x82``)
# or literal ``\n``: brought to one form so that training and live text read alike.
_PLACEHOLDER_USER = re.compile(r"<USERNAME>|<USER>|\[USERNAME\]|@?(?<!\[)\bUSER\b(?!\])")
_PLACEHOLDER_URL = re.compile(r"<URL>|(?<!\[)\bURL\b(?!\])")
_RETWEET = re.compile(r"^\s*RT\s+(?=\[USER\]|@)")
_BYTE_ESCAPES = re.compile(r"(?:\\x[0-9a-fA-F]{2})+|\\[nrt](?![a-z])")

# Look-alike letters from Cyrillic, Greek and others that evaders swap in for Latin ones.
_HOMOGLYPHS = str.maketrans(
    {
        "а": "a",
        "е": "e",
        "о": "o",
        "р": "p",
        "с": "c",
        "у": "y",
        "х": "x",
        "і": "i",
        "ј": "j",
        "ѕ": "s",
        "ԁ": "d",
        "ɡ": "g",
        "һ": "h",
        "ӏ": "l",
        "ո": "n",
        "ս": "u",
        "ν": "v",
        "ο": "o",
        "α": "a",
        "ε": "e",
        "ι": "i",
        "κ": "k",
        "τ": "t",
        "υ": "u",
        "ρ": "p",
        "χ": "x",
        "в": "b",
        "к": "k",
        "м": "m",
        "н": "h",
        "т": "t",
        "ℓ": "l",
        "ı": "i",
        "ł": "l",
        "đ": "d",
        "ø": "o",
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
    }
)
_HOMOGLYPHS_KEEP_ACCENTS = {k: v for k, v in _HOMOGLYPHS.items() if k != ord("đ")}
# Leetspeak: digits and symbols standing for letters (only applied inside words, see below).
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "9": "g",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
        "€": "e",
        "£": "l",
    }
)
_LEET_WORD = re.compile(r"[\w@$!|+€£]+")
_REPEATS = re.compile(r"(\w)\1{2,}")
# Three or more single letters separated by one space, dot, dash, star or underscore: "s l u t".
_SPACED = re.compile(r"(?<!\w)(?:\w[ .\-*_]){2,}\w(?!\w)")


def _head_tail(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + " … " + text[-half:]


def clean_text(text: str, limit: int = MAX_CLEAN_CHARS) -> str:
    """Return ``text`` without invisible characters, URLs or handles, in NFKC form, bounded in length.

    :param text: any string (``None`` and non-strings are treated as empty).
    :param limit: longest result; longer texts keep their head and tail.
    """
    if not isinstance(text, str) or not text:
        return ""
    text = _head_tail(text, limit * 4)  # bound the work before the regexes run
    text = _SURROGATES.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _BYTE_ESCAPES.sub(" ", text)
    text = _URL.sub("[URL]", text)
    text = _HANDLE.sub("[USER]", text)
    text = _PLACEHOLDER_USER.sub("[USER]", text)
    text = _PLACEHOLDER_URL.sub("[URL]", text)
    text = _RETWEET.sub("", text)
    text = _SPACES.sub(" ", text).strip()
    return _head_tail(text, limit)


def squeeze_repeats(text: str, keep: int = 2) -> str:
    """Shorten runs of one repeated letter to ``keep`` letters (``"sluuut"`` -> ``"sluut"``)."""
    return _REPEATS.sub(lambda m: m.group(1) * keep, text)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _decode_leet(match: re.Match[str]) -> str:
    word = match.group(0)
    trail = len(word) - len(word.rstrip("!"))
    word, tail = word[: len(word) - trail], word[len(word) - trail :]
    # Only words that mix letters with digits or symbols are decoded, so "2024" stays a number.
    if any(c.isalpha() for c in word) and any(not c.isalpha() for c in word):
        return word.translate(_LEET) + tail
    return word + tail


def fold_for_matching(text: str, limit: int = MAX_CLEAN_CHARS * 5, keep_accents: bool = False) -> str:
    """Return the matching form of ``text``: cleaned, lower case, no accents, homoglyphs and leetspeak undone.

    Thai and other scripts without case or combining accents pass through unchanged except
    for invisible characters, so Thai lexicon entries still match.

    :param keep_accents: keep Latin accents and ``đ`` (Vietnamese words differ only by them:
        ``đĩ`` "whore" vs ``đi`` "go").
    """
    text = clean_text(text, limit=limit).lower()
    if keep_accents:
        return _finish(text.translate(_HOMOGLYPHS_KEEP_ACCENTS))
    text = text.translate(_HOMOGLYPHS)
    # Thai vowels and tone marks are combining characters: keep them, strip only Latin-script accents.
    text = "".join(_strip_accents(c) if _is_latin(c) else c for c in text)
    return _finish(text)


def _is_latin(char: str) -> bool:
    return char.isascii() or "\u00c0" <= char <= "\u024f" or "\u1e00" <= char <= "\u1eff"


def _join_spaced(match: re.Match[str]) -> str:
    joined = re.sub(r"[ .\-*_]", "", match.group(0))
    # "a s l u t": an English article or pronoun before the spelt-out word stays a word of its own.
    return f"{joined[0]} {joined[1:]}" if len(joined) > 3 and joined[0] in "ai" else joined


def _finish(text: str) -> str:
    text = _LEET_WORD.sub(_decode_leet, text)
    text = _SPACED.sub(_join_spaced, text)
    text = squeeze_repeats(text)
    return _SPACES.sub(" ", text).strip()
