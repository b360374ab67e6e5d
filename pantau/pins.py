"""sha256 pins for model files read from installed packages: a file that is not the one measured is refused.

A package can be replaced (a compromised release, a mirror, a hand edit in site-packages); a pin
turns that into a clear error at load instead of a model that silently judges differently.

"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from pantau.errors import DetectorUnavailable

__all__ = ["check_pin", "sha256_of"]

_VERIFIED: set[tuple[tuple[tuple[str, int, int], ...], str]] = set()
"""Files checked already, by path, size and modification time (a model is read many times)."""


def sha256_of(paths: Iterable[Path]) -> str:
    """The sha256 of the files' bytes, one after the other (a model split over several files)."""
    digest = hashlib.sha256()
    for path in paths:
        with Path(path).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def check_pin(path: Path | Iterable[Path], expected: str, what: str,
              fix: str = "reinstall the package that ships it") -> None:
    """Raise :class:`DetectorUnavailable` unless the file (or files, concatenated) hash to ``expected``."""
    paths = [Path(path)] if isinstance(path, str | Path) else [Path(p) for p in path]
    stamp = tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in paths)
    if (stamp, expected) in _VERIFIED:
        return
    found = sha256_of(paths)
    if found != expected:
        shown = paths[0] if len(paths) == 1 else f"{paths[0]} (+{len(paths) - 1} parts)"
        raise DetectorUnavailable(f"{what}: {shown} has sha256 {found}, expected {expected[:12]}...; {fix}")
    _VERIFIED.add((stamp, expected))
