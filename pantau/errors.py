"""Pantau's exceptions: one root, one named class per known problem.

Stages raise these where the problem is known; :func:`pantau.deadletters.dead_letter`
turns any exception into a :class:`~pantau.schemas.DeadLetter` so that one bad item
never stops the pipeline.
"""

from __future__ import annotations

__all__ = [
    "BadFeed",
    "BadMedia",
    "ConfigError",
    "DetectorUnavailable",
    "MediaTooLarge",
    "PantauError",
    "RuleError",
    "StoreUnavailable",
    "UnsafeURL",
]


class PantauError(Exception):
    """Root of Pantau's own errors."""


class ConfigError(PantauError):
    """Settings or a configuration file are invalid."""


class BadFeed(PantauError):
    """A feed or one of its records could not be parsed."""


class BadMedia(PantauError):
    """A media file is corrupt, of an unsupported type, or hostile."""


class MediaTooLarge(BadMedia):
    """A media file exceeds a configured size, pixel or duration limit."""


class UnsafeURL(PantauError):
    """A URL was refused: bad scheme, or it resolves to a private, loopback or link-local address."""


class RuleError(PantauError):
    """A code-of-conduct rule is invalid (syntax, unknown signal, type error)."""


class DetectorUnavailable(PantauError):
    """A detector cannot load: missing extra, model file or system package."""


class StoreUnavailable(PantauError):
    """The store cannot be reached now; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
