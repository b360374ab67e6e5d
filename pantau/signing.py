"""Ed25519 signatures on evidence packs: an edited pack cannot be passed off as the commission's.

A pack's ``pack_sha256`` shows it was not damaged, but anyone who edits a pack can recompute it.
The deployment therefore signs every pack with its own Ed25519 key:

- the private key is ``<data_dir>/keys/evidence-ed25519.key`` (PKCS#8 PEM, mode 0600), made on
  first use; it never leaves the server;
- the public key is ``<data_dir>/keys/evidence-ed25519.pub`` (PEM); ``pantau evidence key``
  prints it with its key id for the commission to publish (website, gazette, court filing), so
  that a reader can check a pack without trusting the copy inside the pack;
- a pack carries ``signature: {algorithm: "Ed25519", key_id, value}`` (``value`` base64) over
  the canonical JSON of the pack without ``pack_sha256`` and ``signature``; ``pack_sha256`` is
  computed last, over everything including the signature;
- ``pantau evidence verify PACK [--public-key FILE]`` (:func:`verify_signed_pack`) checks the
  hash and the signature against the deployment's public key, or the one given.

Example Snippet::

    signer = pack_signer(settings.data_dir)
    pack = evidence_pack(incident, history, exported_by="ana", signer=signer)
    verdict = verify_signed_pack(pack_bytes(pack), load_public_key(public_key_file(settings.data_dir)))
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pantau.errors import ConfigError

__all__ = [
    "PackVerdict",
    "canonical",
    "key_id",
    "load_public_key",
    "pack_signer",
    "private_key_file",
    "public_key_file",
    "signing_key",
    "verify_signed_pack",
]

ALGORITHM = "Ed25519"


def canonical(doc: dict[str, Any]) -> bytes:
    """The bytes that are hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def private_key_file(data_dir: Path) -> Path:
    """Where the deployment's signing key is kept."""
    return Path(data_dir) / "keys" / "evidence-ed25519.key"


def public_key_file(data_dir: Path) -> Path:
    """Where the deployment's public key is written (publish this one)."""
    return Path(data_dir) / "keys" / "evidence-ed25519.pub"


def key_id(public: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key (names the key in a pack)."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signing_key(data_dir: Path) -> Ed25519PrivateKey:
    """Load the deployment's private key, making it (and the public key file) on first use."""
    path = private_key_file(data_dir)
    try:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            tmp = path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
            os.replace(tmp, path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read or make the evidence signing key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path}: not an Ed25519 private key")
    public = public_key_file(data_dir)
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if not public.exists() or public.read_bytes() != pem:
        public.write_bytes(pem)
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """Read a PEM public key; :class:`ConfigError` naming the file when it is not an Ed25519 key."""
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the public key: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path}: not an Ed25519 public key")
    return key


@cache
def _cached_key(data_dir: str) -> Ed25519PrivateKey:
    return signing_key(Path(data_dir))


def pack_signer(data_dir: Path) -> Callable[[bytes], dict[str, str]]:
    """A function that signs a pack's canonical bytes with the deployment's key (loaded once)."""
    key = _cached_key(str(Path(data_dir).resolve()))
    kid = key_id(key.public_key())

    def sign(message: bytes) -> dict[str, str]:
        return {"algorithm": ALGORITHM, "key_id": kid, "value": base64.b64encode(key.sign(message)).decode()}

    return sign


@dataclass(frozen=True)
class PackVerdict:
    """What :func:`verify_signed_pack` found: ``ok`` only when hash and signature both hold."""

    ok: bool
    hash_ok: bool
    signed: bool
    signature_ok: bool
    key_id: str | None
    reason: str


def verify_signed_pack(data: bytes | dict[str, Any], public: Ed25519PublicKey) -> PackVerdict:
    """Check a pack's ``pack_sha256`` and its signature against ``public`` (the deployment's key)."""
    try:
        doc = dict(json.loads(data)) if isinstance(data, bytes | bytearray) else dict(data)
    except (ValueError, TypeError, RecursionError) as exc:
        return PackVerdict(False, False, False, False, None, f"not a JSON object: {exc}")
    claimed = doc.pop("pack_sha256", None)
    hash_ok = isinstance(claimed, str) and claimed == hashlib.sha256(canonical(doc)).hexdigest()
    signature = doc.pop("signature", None)
    if not isinstance(signature, dict) or not isinstance(signature.get("value"), str):
        reason = "the pack is not signed" + ("" if hash_ok else ", and its hash does not match its content")
        return PackVerdict(False, hash_ok, False, False, None, reason)
    kid = str(signature.get("key_id"))
    expected = key_id(public)
    try:
        public.verify(base64.b64decode(signature["value"], validate=True), canonical(doc))
        signature_ok = signature.get("algorithm") == ALGORITHM
    except (InvalidSignature, ValueError):
        signature_ok = False
    if not signature_ok:
        reason = (
            f"the signature does not verify with key {expected}"
            + (f" (the pack names key {kid})" if kid != expected else "")
            + ": the pack was edited after signing, or signed by another key"
        )
    elif not hash_ok:
        reason = "the signature holds but pack_sha256 does not match the content"
    else:
        reason = f"hash matches and the signature verifies with key {expected}"
    return PackVerdict(signature_ok and hash_ok, hash_ok, True, signature_ok, kid, reason)
