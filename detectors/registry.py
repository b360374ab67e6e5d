"""The detector registry: plug-ins by name, wired from ``detectors.yaml``.

Each YAML entry names a plug-in, the ``"module:Class"`` that implements it, whether it is
enabled, and its options (checked by the class's own pydantic ``Options``). The class is
imported only when enabled, so listing detectors loads no model. Outside packages add
plug-ins through the entry-point group ``pantau.detectors`` (``name = "module:Class"``).

Example Snippet::

    registry = DetectorRegistry.from_file(Path("detectors/detectors.yaml"))
    registry.describe()                      # what ``pantau detectors`` prints
    registry.only(["gbv.text"])              # a registry with one detector and the enrichers it needs

Tests build one from objects: ``DetectorRegistry([FakeDetector()])``.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from detectors.base import Detector, Enricher, Plugin
from pantau.errors import ConfigError
from pantau.yaml_limits import load_bounded

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = ["DetectorRegistry", "PluginEntry", "load_class"]

ENTRY_POINT_GROUP = "pantau.detectors"


class PluginEntry(BaseModel):
    """One entry of ``detectors.yaml``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["enricher", "detector"]
    cls: str = Field(alias="class", description="'module:Class'")
    enabled: bool = True
    options: dict[str, Any] = Field(default_factory=dict)


def load_class(path: str) -> type[Plugin]:
    """Import ``"module:Class"`` and check that it is an enricher or detector class."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"plug-in class must be 'module:Class', got {path!r}")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module_name!r} for {path!r}: {exc}") from exc
    cls = getattr(module, attr, None)
    if not (isinstance(cls, type) and issubclass(cls, Plugin)):
        raise ConfigError(f"{path!r} is not a Detector or Enricher class")
    return cls


class DetectorRegistry:
    """Holds ready plug-in objects; selects the enrichers each detector needs."""

    def __init__(self, plugins: Iterable[Plugin] = (), settings: Settings | None = None) -> None:
        self.settings = settings
        if settings is not None:  # the shared text encoder's engine and threads come from the settings
            from detectors.text_embedding import DEFAULT_CACHE_ENTRIES, configure

            configure(settings.text_engine, settings.threads,
                      cache_entries=DEFAULT_CACHE_ENTRIES if settings.dedupe else 0)
        self.enrichers: list[Enricher] = []
        self.detectors: list[Detector] = []
        self.declared_signals: set[str] = set()
        """Detector names declared in the YAML, enabled or not: what rules may read."""
        self.disabled: list[PluginEntry] = []
        """Entries of the YAML that are switched off (never imported): listed by ``pantau detectors``."""
        for plugin in plugins:
            self.add(plugin)

    def add(self, plugin: Plugin) -> None:
        """Register a plug-in object (names must be unique)."""
        if plugin.name in self.names():
            raise ConfigError(f"plug-in {plugin.name!r} is registered twice")
        plugin.settings = self.settings
        if isinstance(plugin, Enricher):
            self.enrichers.append(plugin)
        elif isinstance(plugin, Detector):
            self.detectors.append(plugin)
        else:
            raise ConfigError(f"{plugin!r} is neither an Enricher nor a Detector")

    def names(self) -> list[str]:
        """Names of every registered plug-in."""
        return [p.name for p in (*self.enrichers, *self.detectors)]

    def get(self, name: str) -> Plugin:
        """Return the plug-in called ``name``."""
        for plugin in (*self.enrichers, *self.detectors):
            if plugin.name == name:
                return plugin
        raise ConfigError(f"unknown detector or enricher {name!r}; known: {', '.join(self.names())}")

    def detector(self, name: str) -> Detector:
        """Return the detector called ``name``."""
        plugin = self.get(name)
        if not isinstance(plugin, Detector):
            raise ConfigError(f"{name!r} is an enricher, not a detector")
        return plugin

    def only(self, detector_names: Sequence[str]) -> DetectorRegistry:
        """Return a registry with these detectors and the enrichers they need (in order)."""
        chosen = [self.detector(n) for n in detector_names]
        needed = self._needed_enrichers(chosen)
        sub = DetectorRegistry(settings=self.settings)
        sub.enrichers = [e for e in self.enrichers if e.name in needed]
        sub.detectors = chosen
        sub.declared_signals = set(self.declared_signals)
        return sub

    def _needed_enrichers(self, plugins: Sequence[Plugin]) -> set[str]:
        by_name = {e.name: e for e in self.enrichers}
        needed: set[str] = set()
        stack = [n for p in plugins for n in p.needs]
        while stack:
            name = stack.pop()
            if name in needed:
                continue
            if name not in by_name:
                raise ConfigError(
                    f"a plug-in needs enricher {name!r}, which is not registered or not enabled"
                )
            needed.add(name)
            stack.extend(by_name[name].needs)
        return needed

    def load(self) -> None:
        """Load every plug-in once (models, assets)."""
        for plugin in (*self.enrichers, *self.detectors):
            plugin.ensure_loaded()

    @property
    def loaded(self) -> bool:
        """Whether every plug-in is loaded (a worker's readiness)."""
        return all(plugin.loaded for plugin in (*self.enrichers, *self.detectors))

    def describe(self) -> list[dict[str, Any]]:
        """Describe every plug-in: kind, name, version, modalities, needs."""
        rows = [{"kind": "enricher", **e.describe()} for e in self.enrichers]
        rows += [{"kind": "detector", **d.describe()} for d in self.detectors]
        return rows

    def signal_names(self) -> set[str]:
        """Names of the signals rules may read: every declared detector, enabled or not."""
        return {d.name for d in self.detectors} | self.declared_signals

    @classmethod
    def from_file(cls, path: Path, settings: Settings | None = None) -> DetectorRegistry:
        """Build a registry from a ``detectors.yaml`` (enabled entries only) plus entry points."""
        try:
            raw = load_bounded(path.read_text(encoding="utf-8"), path, ConfigError) or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read detector list: {exc}") from exc
        if not isinstance(raw, dict) or not isinstance(raw.get("plugins"), list):
            raise ConfigError(f"{path}: expected a mapping with a 'plugins' list")
        registry = cls(settings=settings)
        for index, entry_raw in enumerate(raw["plugins"]):
            try:
                entry = PluginEntry.model_validate(entry_raw)
            except ValidationError as exc:
                raise ConfigError(f"{path}: plugins[{index}]: {exc}") from exc
            if entry.kind == "detector":
                registry.declared_signals.add(entry.name)
            if not entry.enabled:
                registry.disabled.append(entry)
                continue
            plugin_cls = load_class(entry.cls)
            if plugin_cls.name != entry.name:
                raise ConfigError(
                    f"{path}: entry {entry.name!r} points to {entry.cls}, named {plugin_cls.name!r}"
                )
            try:
                plugin = plugin_cls(entry.options)
            except ValidationError as exc:
                raise ConfigError(f"{path}: options of {entry.name!r}: {exc}") from exc
            registry.add(plugin)
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name not in registry.names():
                registry.add(load_class(ep.value)())
        registry._needed_enrichers([*registry.enrichers, *registry.detectors])
        return registry

    @classmethod
    def from_settings(cls, settings: Settings) -> DetectorRegistry:
        """Build the registry the settings name."""
        return cls.from_file(settings.detectors_file, settings=settings)
