"""Files sent with answers: checked by content, kept once by SHA-256, refused otherwise."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from dashboard.attachments import MAX_BYTES, AttachmentRefused, attachment_path, save_attachment

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def test_a_png_is_kept_once_by_its_hash(tmp_path: Path) -> None:
    first = save_attachment(tmp_path, "takedown.png", PNG)
    again = save_attachment(tmp_path, "../../etc/same.png", PNG)
    assert first.sha256 == again.sha256 == hashlib.sha256(PNG).hexdigest()
    assert (first.mime, first.size) == ("image/png", len(PNG))
    assert again.name == "same.png"  # no folders from the browser's name
    assert attachment_path(tmp_path, first.sha256).read_bytes() == PNG
    assert len(list((tmp_path / "attachments").iterdir())) == 1


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("proof.png", b"MZ\x90\x00 a program", "only PDF, PNG, JPEG and WebP"),  # the name lies
        ("proof.pdf", b"", "empty"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_BYTES, "over 10 MB"),
    ],
)
def test_other_files_are_refused(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    with pytest.raises(AttachmentRefused, match=words):
        save_attachment(tmp_path, name, data)
    assert not (tmp_path / "attachments").exists()


def test_a_path_is_only_made_of_a_hash(tmp_path: Path) -> None:
    with pytest.raises(AttachmentRefused):
        attachment_path(tmp_path, "../users.json")
