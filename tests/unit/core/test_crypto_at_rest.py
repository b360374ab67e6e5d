"""Encryption at rest of sensitive media: round trip, missing key, key inside the data folder, rotation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ingest.fetch import content_path as ingest_content_path
from pantau.content import content_path
from pantau.crypto_at_rest import (
    KEY_ENV,
    Keyring,
    MediaKeyMissing,
    SealedMediaError,
    image_source,
    new_key,
    read_media,
    rotate,
    seal_incidents,
    sealed_path,
    sensitive_media,
)
from pantau.errors import ConfigError
from pantau.schemas import Family, Signal
from pantau.settings import Settings
from tests.mocks.incidents import image_file, make_incident

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def _settings(data: Path, encrypt: bool = True, environ: dict[str, str] | None = None, **prot: object) -> Settings:
    return Settings.load(overrides={"data_dir": str(data),
                                    "protection": {"encrypt_sensitive_media": encrypt, **prot}},
                         environ=environ or {})


def _stored(media_dir: Path, data: bytes = PNG) -> tuple[str, Path]:
    sha = hashlib.sha256(data).hexdigest()
    path = content_path(media_dir, sha)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha, path


def _doxxing(sha: str, path: Path):  # noqa: ANN202 - an Incident
    return make_incident("dox", media=[image_file(sha, str(path))], signals=[
        Signal(item_id="x", detector="gbv.doxxing", version="1", family=Family.GBV, score=0.9, label="doxxing")])


def test_the_ground_and_ingest_agree_on_where_media_live(tmp_path: Path) -> None:
    assert content_path(tmp_path, "ab" * 32) == ingest_content_path(tmp_path, "ab" * 32)


def test_sensitive_media_are_sealed_and_read_back_with_the_key(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data", environ={KEY_ENV: new_key()})
    sha, path = _stored(settings.media_dir)
    other_sha, other = _stored(settings.media_dir, PNG + b"other")
    inc = _doxxing(sha, path)
    plain = make_incident("plain", media=[image_file(other_sha, str(other))])
    assert sensitive_media(inc) == {sha} and sensitive_media(plain) == set()
    sealed = seal_incidents([inc, plain], settings)
    assert sealed == [sealed_path(path)]
    assert not path.exists() and other.is_file()  # only the sensitive file is sealed
    blob = sealed_path(path).read_bytes()
    assert PNG[8:] not in blob
    keyring = Keyring.from_settings(settings)
    assert read_media(path, keyring) == PNG
    source = image_source(path, keyring)
    assert source is not None and not isinstance(source, Path) and source.read() == PNG
    assert seal_incidents([inc], settings) == []  # sealing twice changes nothing


def test_missing_key_is_a_clear_error(tmp_path: Path) -> None:
    settings = _settings(tmp_path / "data")
    sha, path = _stored(settings.media_dir)
    with pytest.raises(MediaKeyMissing, match=KEY_ENV):
        seal_incidents([_doxxing(sha, path)], settings)
    assert path.is_file()  # nothing sealed without a key
    keyed = _settings(tmp_path / "data", environ={KEY_ENV: new_key()})
    seal_incidents([_doxxing(sha, path)], keyed)
    with pytest.raises(MediaKeyMissing, match="encrypted at rest"):
        read_media(path, None)


def test_a_key_file_inside_the_data_folder_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    inside = data / "keys" / "media.key"
    inside.parent.mkdir(parents=True)
    inside.write_text(new_key())
    with pytest.raises(ConfigError, match="inside the data folder"):
        Keyring.from_settings(_settings(data, media_key_file=str(inside)))
    outside = tmp_path / "etc" / "media.key"
    outside.parent.mkdir()
    outside.write_text(new_key() + "\n")
    assert Keyring.from_settings(_settings(data, media_key_file=str(outside))) is not None


def test_a_malformed_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="32 bytes"):
        Keyring.from_settings(_settings(Path("/tmp/unused-data"), environ={KEY_ENV: "c2hvcnQ="}))  # noqa: S108


def test_wrong_key_and_swapped_file_are_refused_and_rotation_keeps_files_readable(tmp_path: Path) -> None:
    old, new = new_key(), new_key()
    settings = _settings(tmp_path / "data", environ={KEY_ENV: old})
    sha, path = _stored(settings.media_dir)
    seal_incidents([_doxxing(sha, path)], settings)
    with pytest.raises(SealedMediaError, match="neither the current"):
        read_media(path, Keyring.from_settings(_settings(tmp_path / "data", environ={KEY_ENV: new})))
    # A sealed file put under another file's name does not decrypt.
    other = content_path(settings.media_dir, "e" * 64)
    other.parent.mkdir(parents=True, exist_ok=True)
    sealed_path(other).write_bytes(sealed_path(path).read_bytes())
    with pytest.raises(SealedMediaError, match="swapped"):
        read_media(other, Keyring.from_settings(settings))
    sealed_path(other).unlink()
    rotating = _settings(tmp_path / "data", environ={KEY_ENV: new}, old_media_keys=[old])
    assert rotate(settings.media_dir, Keyring.from_settings(rotating)) == 1
    only_new = Keyring.from_settings(_settings(tmp_path / "data", environ={KEY_ENV: new}))
    assert read_media(path, only_new) == PNG


def test_the_dashboard_shows_a_sealed_picture_with_the_key_and_says_why_not_without(tmp_path: Path) -> None:
    from dashboard.render import media_keyring, picture

    settings = _settings(tmp_path / "data", environ={KEY_ENV: new_key()})
    sha, path = _stored(settings.media_dir)
    seal_incidents([_doxxing(sha, path)], settings)
    source, why = picture(path, media_keyring(settings))
    assert source is not None and source.read() == PNG and why == ""
    source, why = picture(path, media_keyring(_settings(tmp_path / "data")))
    assert source is None and "no key" in why


def test_the_pipeline_refuses_to_start_when_it_must_encrypt_without_a_key(tmp_path: Path) -> None:
    from streams.runner import Pipeline

    with pytest.raises(MediaKeyMissing, match=KEY_ENV):
        Pipeline.from_settings(_settings(tmp_path / "data"))
