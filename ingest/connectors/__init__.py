"""Platform connectors: YouTube, Telegram, X, Meta, TikTok, web pages, and the citizen tipline.

Kinds map to lazy ``"module:Class"`` strings, so listing them imports no HTTP library;
:func:`build_source` imports the one a ``SourceConfig`` asks for.

Example Snippet::

    from ingest.connectors import build_source

    for config in settings.sources:
        if config.kind in CONNECTOR_KINDS:
            source = build_source(config, settings)
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pantau.errors import ConfigError

if TYPE_CHECKING:
    from ingest.base import Source
    from pantau.registry import Registry
    from pantau.settings import Settings, SourceConfig

__all__ = ["CONNECTOR_KINDS", "build_source", "read_statuses"]

CONNECTOR_KINDS: dict[str, str] = {
    "youtube": "ingest.connectors.youtube:YouTubeSource",
    "telegram": "ingest.connectors.telegram:TelegramSource",
    "x": "ingest.connectors.x:XSource",
    "meta": "ingest.connectors.meta:MetaSource",
    "tiktok": "ingest.connectors.tiktok:TikTokSource",
    "web": "ingest.connectors.web:WebSource",
    "tipline": "ingest.tipline.source:TiplineSource",
}
"""Source kinds this package builds, and the class of each."""


@lru_cache(maxsize=8)
def _registry(path: Path | None) -> Registry:
    from pantau.registry import load_registry

    return load_registry(path)


def build_source(config: SourceConfig, settings: Settings, registry: Registry | None = None) -> Source:
    """Build the connector a ``SourceConfig`` names; raise :class:`ConfigError` when it cannot be.

    :param config: the configured source (kind, name, options, credentials, defaults).
    :param settings: the settings (``data_dir`` for checkpoints and the tipline spool).
    :param registry: parties and accounts; loaded from ``settings.registry_file`` when omitted.
    """
    target = CONNECTOR_KINDS.get(config.kind)
    if target is None:
        raise ConfigError(f"source {config.name!r}: kind {config.kind!r} is not a connector kind")
    module_name, _, class_name = target.partition(":")
    cls: Any = getattr(importlib.import_module(module_name), class_name)
    if registry is None:
        registry = _registry(settings.registry_file)
    return cls.from_config(config, settings, registry)  # type: ignore[no-any-return]


def read_statuses(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Return the last saved health of every connector, the tipline and its bot, by source.

    Each status has ``state`` (``ok``, ``degraded``, ``rate-limited``, ``auth-failed``, ``stopped``,
    ``format-changed``, ``failing``, ``running``), ``last_error``, ``last_error_at``,
    ``last_success_at`` and ``counts``: what the dashboard's pipeline-health view shows.
    """
    from ingest.connectors.base import read_statuses as read

    return read(data_dir)
