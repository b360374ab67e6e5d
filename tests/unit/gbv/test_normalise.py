"""Normalisation undoes the usual evasions and bounds hostile input."""

from __future__ import annotations

import pytest

from detectors.gbv.normalise import MAX_CLEAN_CHARS, clean_text, fold_for_matching


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("s\u200bl\u200bu\u200bt", "slut"),  # zero-width spaces
        ("s\u00adl\u2060ut", "slut"),  # soft hyphen, word joiner
        ("S L U T", "slut"),  # spaced letters
        ("s.l.u.t", "slut"),
        ("she is a s l u t", "she is a slut"),  # the article stays a word
        ("5lut", "slut"),  # leetspeak
        ("b1tch!!", "bitch!!"),  # leetspeak, trailing punctuation kept
        ("sluuuuuut", "sluut"),  # repeated letters
        ("ѕlut", "slut"),  # Cyrillic dze
        ("ＳＬＵＴ", "slut"),  # full-width
        ("Sl\u00fct", "slut"),  # accent
        ("2024 election", "2024 election"),  # numbers are not leetspeak
        ("อีตัว", "อีตัว"),  # Thai unchanged
    ],
)
def test_fold_undoes_evasion(raw: str, folded: str) -> None:
    assert fold_for_matching(raw) == folded


def test_fold_keeps_vietnamese_tones_when_asked() -> None:
    assert fold_for_matching("Con ĐĨ", keep_accents=True) == "con đĩ"
    assert fold_for_matching("Con ĐĨ") == "con di"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("hi @someone see https://t.co/x", "hi [USER] see [URL]"),
        ("a\n\n\tb", "a b"),
        ("\ud800bad surrogate", "bad surrogate"),
        ("😀😀😀", "😀😀😀"),
        ("", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_bounds_50kb_input_keeping_head_and_tail() -> None:
    text = "start " + "x" * 50_000 + " end"
    out = clean_text(text)
    assert len(out) <= MAX_CLEAN_CHARS + 3
    assert out.startswith("start") and out.endswith("end")


def test_clean_text_treats_non_strings_as_empty() -> None:
    assert clean_text(None) == ""  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RT USER: dasar lonte \\xf0\\x9f\\x98\\x82 URL", "[USER]: dasar lonte [URL]"),
        ("<USERNAME> TOLOL!!", "[USER] TOLOL!!"),
        ("USER USER kamu bodoh\\n iya", "[USER] [USER] kamu bodoh iya"),
        ("@budi_x lihat https://t.co/x", "[USER] lihat [URL]"),
    ],
)
def test_dataset_placeholders_and_written_out_escapes_read_like_live_text(raw: str, expected: str) -> None:
    assert clean_text(raw) == expected
