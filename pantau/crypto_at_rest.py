"""Sensitive media encrypted at rest: intimate-image candidates and doxxing evidence.

Media files live content-addressed in ``<data_dir>/media/ab/cd/<sha256>`` (:mod:`ingest.fetch`).
Once an incident marks a file as sensitive (:func:`sensitive_media`: a signal that says intimate,
or a ``gbv.doxxing`` finding), :func:`seal_incidents` replaces the file by ``<sha256>.enc``:

    MAGIC | key id (8 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext and tag

with the file's SHA-256 as associated data, so a sealed file cannot be swapped for another one
and a decrypted file is the content its name says. The plaintext is then removed.

The key is 32 random bytes, URL-safe base64 (``pantau protect new-key``), given as
``PANTAU_PROTECTION__MEDIA_KEY`` (or a secrets file) or in ``protection.media_key_file``: a file
**outside** the data folder (one inside it is refused: a backup or a stolen disk of the data
folder would carry the key with the files). ``protection.old_media_keys`` still decrypt during a
rotation; ``pantau protect rotate`` re-encrypts every sealed file with the current key.

Readers (the dashboard's pictures, evidence packs) call :func:`read_media` or
:func:`image_source`: the plaintext when there is one, else the sealed file decrypted; a sealed
file without a key raises :class:`MediaKeyMissing`, which says what to set.

Example Snippet::

    keyring = Keyring.from_settings(settings)          # None when no key is configured
    seal_incidents(incidents, settings)                 # after the incidents are stored
    data = read_media(Path(media.path), keyring)        # bytes, from the plain or the sealed file
"""

from __future__ import annotations

import base64
import hashlib
import io
import logging
import os
import secrets
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pantau.access import intimate_media
from pantau.errors import ConfigError, PantauError
from pantau.schemas import Incident

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = [
    "KEY_ENV",
    "Keyring",
    "MediaKeyMissing",
    "SealedMediaError",
    "image_source",
    "is_sealed",
    "new_key",
    "read_media",
    "rotate",
    "seal_file",
    "seal_incidents",
    "sealed_path",
    "sensitive_media",
]

_log = logging.getLogger(__name__)

MAGIC = b"PANTAU-SEALED-1\n"
KEY_ENV = "PANTAU_PROTECTION__MEDIA_KEY"
"""The environment variable holding the media key (the ``protection.media_key`` setting)."""
DOXXING_DETECTOR = "gbv.doxxing"
_NONCE = 12
_KEY_ID = 8


class MediaKeyMissing(ConfigError):
    """Sensitive media are (to be) encrypted, but no media key is configured."""


class SealedMediaError(PantauError):
    """A sealed media file cannot be decrypted (wrong key, damaged or swapped file)."""


def new_key() -> str:
    """A new random media key (32 bytes, URL-safe base64), for ``PANTAU_PROTECTION__MEDIA_KEY``.

    >>> len(base64.urlsafe_b64decode(new_key()))
    32
    """
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _decode_key(text: str, where: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise ConfigError(
            f"{where}: not URL-safe base64 ({exc}); make one with `pantau protect new-key`"
        ) from None
    if len(raw) != 32:
        raise ConfigError(f"{where}: a media key is 32 bytes (44 base64 characters), got {len(raw)} bytes; "
                          "make one with `pantau protect new-key`")
    return raw


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"pantau-media-key\n" + key).digest()[:_KEY_ID]


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Keyring:
    """The current media key (encrypts) and older ones (still decrypt), by key id."""

    current: bytes
    older: tuple[bytes, ...] = field(default_factory=tuple)

    @property
    def key_id(self) -> str:
        """Hex id of the current key (printed, never the key)."""
        return _key_id(self.current).hex()

    def key_for(self, key_id: bytes) -> bytes | None:
        """The key with this id, current or older."""
        for key in (self.current, *self.older):
            if _key_id(key) == key_id:
                return key
        return None

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring | None:
        """The keyring the settings give, or ``None`` when no key is configured.

        :raises ConfigError: a key that is not 32 bytes of base64, an unreadable key file, or a
            key file inside the data folder.
        """
        prot = settings.protection
        keys: list[bytes] = []
        if prot.media_key is not None:
            keys.append(_decode_key(prot.media_key.get_secret_value(), KEY_ENV))
        if prot.media_key_file is not None:
            path = Path(prot.media_key_file)
            if _inside(path, settings.data_dir):
                raise ConfigError(
                    f"protection.media_key_file {path} is inside the data folder {settings.data_dir}: a copy "
                    "of the data folder would carry the key with the files it protects; keep it elsewhere "
                    "(e.g. /etc/pantau/media.key, mode 0400) or use PANTAU_PROTECTION__MEDIA_KEY"
                )
            try:
                text = path.read_text(encoding="ascii")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"protection.media_key_file {path}: cannot read: {exc}") from None
            keys.append(_decode_key(text, str(path)))
        if len(keys) > 1 and keys[0] != keys[1]:
            raise ConfigError("both PANTAU_PROTECTION__MEDIA_KEY and protection.media_key_file are set, to "
                              "different keys: set one (put the old key in protection.old_media_keys)")
        if not keys:
            return None
        older = tuple(
            _decode_key(k.get_secret_value(), "protection.old_media_keys") for k in prot.old_media_keys
        )
        return cls(keys[0], older)

    @classmethod
    def require(cls, settings: Settings) -> Keyring:
        """The keyring, or :class:`MediaKeyMissing` naming what to set."""
        keyring = cls.from_settings(settings)
        if keyring is None:
            raise MediaKeyMissing(
                f"no media key: set {KEY_ENV} (a key from `pantau protect new-key`) or "
                "protection.media_key_file (a file outside the data folder); sensitive media are encrypted "
                "with it and readable only with it"
            )
        return keyring


def sealed_path(path: Path) -> Path:
    """Where the sealed copy of a media file lives: ``<file>.enc`` beside it."""
    return path.with_name(path.name + ".enc")


def is_sealed(path: Path) -> bool:
    """Whether the media file at ``path`` is kept sealed (no plaintext, a ``.enc`` beside it)."""
    return not path.is_file() and sealed_path(path).is_file()


def _aad(sha256: str) -> bytes:
    return b"pantau-media\n" + sha256.encode("ascii")


def _write_atomic(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".seal-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _encrypt(data: bytes, key: bytes, sha256: str) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(_NONCE)
    return MAGIC + _key_id(key) + nonce + AESGCM(key).encrypt(nonce, data, _aad(sha256))


def _decrypt(blob: bytes, keyring: Keyring, sha256: str, where: Path) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if not blob.startswith(MAGIC):
        raise SealedMediaError(f"{where}: not a sealed Pantau media file")
    head = len(MAGIC)
    key_id, nonce = blob[head:head + _KEY_ID], blob[head + _KEY_ID:head + _KEY_ID + _NONCE]
    key = keyring.key_for(key_id)
    if key is None:
        raise SealedMediaError(f"{where}: sealed with key {key_id.hex()}, which is neither the current "
                               f"media key ({keyring.key_id}) nor one of protection.old_media_keys")
    try:
        return AESGCM(key).decrypt(nonce, blob[head + _KEY_ID + _NONCE:], _aad(sha256))
    except InvalidTag:
        raise SealedMediaError(
            f"{where}: does not decrypt to the content its name says (damaged or swapped)"
        ) from None


def seal_file(path: Path, keyring: Keyring) -> Path | None:
    """Encrypt one content-addressed media file in place; return the sealed path (None: no such file).

    The file's name is its SHA-256; content that does not hash to it is refused (not a Pantau
    media file). Sealing twice is a no-op.
    """
    path = Path(path)
    target = sealed_path(path)
    if not path.is_file():
        return target if target.is_file() else None
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    if sha256 != path.name:
        raise SealedMediaError(
            f"{path}: content does not hash to its name; only media-folder files are sealed"
        )
    _write_atomic(target, _encrypt(data, keyring.current, sha256))
    path.unlink()
    return target


def read_media(path: Path, keyring: Keyring | None) -> bytes:
    """The content of a media file: the plaintext, or the sealed copy decrypted.

    :raises MediaKeyMissing: the file is sealed and there is no key.
    :raises FileNotFoundError: neither exists.
    """
    path = Path(path)
    if path.is_file():
        return path.read_bytes()
    target = sealed_path(path)
    if not target.is_file():
        raise FileNotFoundError(str(path))
    if keyring is None:
        raise MediaKeyMissing(f"{path.name[:16]}… is encrypted at rest and no media key is configured "
                              f"(set {KEY_ENV} or protection.media_key_file)")
    return _decrypt(target.read_bytes(), keyring, path.name, target)


def image_source(path: Path | None, keyring: Keyring | None) -> Path | io.BytesIO | None:
    """What ``PIL.Image.open`` should read for a media path: the file, the decrypted bytes, or None.

    None when neither the file nor a sealed copy exists. Raises :class:`MediaKeyMissing` or
    :class:`SealedMediaError` for a sealed file that cannot be read.
    """
    if path is None:
        return None
    path = Path(path)
    if path.is_file():
        return path
    if not sealed_path(path).is_file():
        return None
    return io.BytesIO(read_media(path, keyring))


def sensitive_media(incident: Incident) -> set[str]:
    """SHA-256 of the incident's files to keep encrypted: intimate candidates and doxxing evidence."""
    found = {s for s in intimate_media(incident) if len(s) == 64}
    for signal in incident.signals:
        if signal.detector == DOXXING_DETECTOR and signal.score >= 0.5:
            if signal.media_sha256:
                found.add(signal.media_sha256)
            else:  # found in the text or OCR: every image of the post carries the evidence
                found.update(m.sha256 for m in incident.item.media if m.sha256)
    return found


def _media_paths(incident: Incident, media_dir: Path) -> dict[str, Path]:
    from pantau.content import content_path

    paths: dict[str, Path] = {}
    for m in incident.item.media:
        if m.sha256:
            paths[m.sha256] = Path(m.path) if m.path else content_path(media_dir, m.sha256)
    return paths


def seal_incidents(incidents: Iterable[Incident], settings: Settings) -> list[Path]:
    """Seal the sensitive media of these incidents (when ``protection.encrypt_sensitive_media``).

    :raises MediaKeyMissing: encryption is on and no key is configured (loud: sensitive files
        would otherwise stay in clear).
    """
    if not settings.protection.encrypt_sensitive_media:
        return []
    incidents = list(incidents)
    wanted = [(inc, sensitive_media(inc)) for inc in incidents]
    if not any(shas for _, shas in wanted):
        return []
    keyring = Keyring.require(settings)
    sealed: list[Path] = []
    for inc, shas in wanted:
        paths = _media_paths(inc, settings.media_dir)
        for sha in sorted(shas):
            path = paths.get(sha)
            if path is None or not path.is_file() or path.name != sha:
                continue
            try:
                done = seal_file(path, keyring)
            except (OSError, SealedMediaError) as exc:  # calm in the stream: logged, left for `protect seal`
                _log.warning("could not seal %s of incident %s: %s", sha[:16], inc.id, exc)
                continue
            if done is not None:
                sealed.append(done)
    return sealed


def rotate(media_dir: Path, keyring: Keyring) -> int:
    """Re-encrypt every sealed file under ``media_dir`` not sealed with the current key; return how many."""
    current = _key_id(keyring.current)
    count = 0
    for target in sorted(Path(media_dir).rglob("*.enc")):
        blob = target.read_bytes()
        if blob[len(MAGIC):len(MAGIC) + _KEY_ID] == current:
            continue
        sha = target.name[: -len(".enc")]
        data = _decrypt(blob, keyring, sha, target)
        _write_atomic(target, _encrypt(data, keyring.current, sha))
        count += 1
    return count


def check_startup(settings: Settings) -> None:
    """Fail at start, not mid-stream, when encryption is on and the key is missing or misplaced."""
    if settings.protection.encrypt_sensitive_media:
        Keyring.require(settings)


def sealed_files(media_dir: Path) -> Sequence[Path]:
    """Every sealed file under the media folder."""
    return sorted(Path(media_dir).rglob("*.enc"))
