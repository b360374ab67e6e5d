"""Secrets come from the environment or secret files and are never printed or logged; the Kafka
and search-engine clients carry TLS and API-key or user authentication from the settings."""

from __future__ import annotations

import logging
import os
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pantau.errors import ConfigError, StoreUnavailable
from pantau.settings import Settings
from pantau.stores import by_url
from streams.kafka_producer import kafka_client_options

REPO = Path(__file__).resolve().parents[3]
LIGHT_DETECTORS = REPO / "tests" / "fixtures" / "detectors_light.yaml"

SECRETS = {
    "PANTAU_KAFKA__SASL_PASSWORD": "kafka-pw-7f3a",
    "PANTAU_SEARCH__PASSWORD": "search-pw-91cc",
    "PANTAU_SEARCH__API_KEY": "search-key-b0d2",
    "PANTAU_ALERTS__WEBHOOK_SECRET": "hook-secret-55e1",
    "PANTAU_DASHBOARD__OIDC_CLIENT_SECRET": "oidc-secret-c4a9",
}


def _secret_env(**extra: str) -> dict[str, str]:
    return {
        **SECRETS,
        "PANTAU_KAFKA__SASL_USERNAME": "pantau",
        "PANTAU_KAFKA__SASL_MECHANISM": "SCRAM-SHA-512",
        "PANTAU_KAFKA__SECURITY_PROTOCOL": "SASL_SSL",
        "PANTAU_SEARCH__USERNAME": "pantau",
        **extra,
    }


def _assert_no_secret(text: str) -> None:
    leaked = [name for name, value in SECRETS.items() if value in text]
    assert leaked == [], f"secrets leaked: {leaked}"


# -- where secrets come from ------------------------------------------------------------------
def test_secret_files_fill_nested_secrets_and_the_environment_wins(tmp_path: Path) -> None:
    (tmp_path / "pantau_kafka__sasl_password").write_text("from-file\n")
    (tmp_path / "pantau_search__api_key").write_text("key-from-file")
    settings = Settings.load(
        environ={"PANTAU_SECRETS_DIR": str(tmp_path), "PANTAU_SEARCH__API_KEY": "key-from-env"}
    )
    assert settings.kafka.sasl_password is not None
    assert settings.kafka.sasl_password.get_secret_value() == "from-file"
    assert settings.search.api_key is not None
    assert settings.search.api_key.get_secret_value() == "key-from-env"


def test_a_missing_secrets_folder_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Settings.load(environ={"PANTAU_SECRETS_DIR": str(tmp_path / "absent")})


# -- never printed, never logged ------------------------------------------------------------------
def test_settings_print_masked_in_every_form() -> None:
    settings = Settings.load(environ=_secret_env())
    for shown in (str(settings), repr(settings), str(settings.masked()), settings.model_dump_json()):
        _assert_no_secret(shown)
    assert (
        settings.search.api_key is not None and settings.search.api_key.get_secret_value() in SECRETS.values()
    )


@pytest.mark.parametrize(
    "args",
    [["config"], ["-v", "run", "--once"], ["-v", "deadletters"]],
    ids=["config", "run-once-verbose", "deadletters"],
)
def test_cli_output_and_logs_carry_no_secret(tmp_path: Path, args: list[str]) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")},
        **_secret_env(
            PANTAU_DATA_DIR=str(tmp_path),
            PANTAU_DETECTORS_FILE=str(LIGHT_DETECTORS),
            PANTAU_KAFKA__SECURITY_PROTOCOL="SASL_SSL",
        ),
    }
    done = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout + done.stderr, "the command printed nothing; the test would prove nothing"
    _assert_no_secret(done.stdout + done.stderr)


def test_an_unreachable_search_engine_is_reported_without_its_credentials(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings.load(environ=_secret_env(PANTAU_STORE__URL="opensearch://user:inline-pw@127.0.0.1:9"))
    store = by_url(settings.store_url, settings)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StoreUnavailable) as failure:
        store.open()
        store.processed(["x"])
    _assert_no_secret(str(failure.value) + caplog.text)


# -- TLS and authentication reach the clients --------------------------------------------------
def test_kafka_python_clients_carry_sasl_and_tls(tmp_path: Path) -> None:
    kafka = Settings.load(environ=_secret_env(PANTAU_KAFKA__SSL_CAFILE=str(tmp_path / "ca.pem"))).kafka
    options = kafka_client_options(kafka)
    assert options["security_protocol"] == "SASL_SSL"
    assert (options["sasl_mechanism"], options["sasl_plain_username"]) == ("SCRAM-SHA-512", "pantau")
    assert options["sasl_plain_password"] == SECRETS["PANTAU_KAFKA__SASL_PASSWORD"]
    assert options["ssl_cafile"] == str(tmp_path / "ca.pem")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"PANTAU_KAFKA__SECURITY_PROTOCOL": "SSL", "PANTAU_KAFKA__SASL_MECHANISM": ""}, "ssl"),
        ({}, "sasl_ssl"),
        ({"PANTAU_KAFKA__SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "sasl"),
        ({"PANTAU_KAFKA__SECURITY_PROTOCOL": "PLAINTEXT", "PANTAU_KAFKA__SASL_MECHANISM": ""}, None),
    ],
)
def test_faust_worker_carries_sasl_and_tls(extra: dict[str, str], expected: str | None) -> None:
    pytest.importorskip("faust")
    from streams.faust_config import broker_credentials

    env = {k: v for k, v in _secret_env(**extra).items() if v}
    settings = Settings.load(environ=env)
    credentials = broker_credentials(settings.kafka)  # what faust.App receives
    if expected is None:
        assert credentials is None
    elif expected == "ssl":
        assert isinstance(credentials, ssl.SSLContext)
    else:
        assert credentials.username == "pantau"
        assert credentials.password == SECRETS["PANTAU_KAFKA__SASL_PASSWORD"]
        assert getattr(credentials.mechanism, "value", credentials.mechanism) == "SCRAM-SHA-512"
        assert isinstance(credentials.ssl_context, ssl.SSLContext) == (expected == "sasl_ssl")


class _Recorder:
    """Stands in for a search client class and keeps its constructor arguments."""

    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        _Recorder.calls.append((args, kwargs))


@pytest.mark.parametrize(
    ("url", "module", "cls", "auth_key", "auth_value"),
    [
        (
            "opensearch+https://os.example:9200",
            "opensearchpy",
            "OpenSearch",
            "http_auth",
            ("pantau", SECRETS["PANTAU_SEARCH__PASSWORD"]),
        ),
        (
            "elasticsearch+https://es.example:9243",
            "elasticsearch",
            "Elasticsearch",
            "api_key",
            SECRETS["PANTAU_SEARCH__API_KEY"],
        ),
    ],
)
def test_search_clients_carry_tls_and_credentials(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    url: str,
    module: str,
    cls: str,
    auth_key: str,
    auth_value: Any,
) -> None:
    lib = pytest.importorskip(module)
    monkeypatch.setattr(lib, cls, _Recorder)
    _Recorder.calls = []
    ca = str(tmp_path / "ca.pem")
    settings = Settings.load(environ=_secret_env(PANTAU_STORE__URL=url, PANTAU_SEARCH__CA_CERTS=ca))
    store = by_url(settings.store_url, settings)
    store.client.open()  # type: ignore[attr-defined]
    (args, kwargs), *_ = _Recorder.calls
    assert kwargs[auth_key] == auth_value
    assert kwargs["verify_certs"] is True and kwargs["ca_certs"] == ca
    assert "https://" in str(args) + str(kwargs.get("hosts"))
    if module == "opensearchpy":
        assert kwargs["headers"]["Authorization"] == f"ApiKey {SECRETS['PANTAU_SEARCH__API_KEY']}"
