"""``pantau sources`` and ``pantau tipline`` commands, and connector settings."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from ingest.connectors import build_source
from ingest.connectors.base import Checkpoint
from ingest.connectors.cli import sources_app
from ingest.tipline.cli import tipline_app
from ingest.tipline.intake import TipIntake, TiplineOptions, hash_api_key
from pantau.errors import ConfigError
from pantau.settings import Settings, SourceConfig


def _config(tmp_path, monkeypatch, extra: str = "") -> str:
    # The suite's conftest points PANTAU_DATA_DIR elsewhere; the environment beats the file.
    monkeypatch.setenv("PANTAU_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "pantau.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\nregistry_file = ""\n{extra}')
    return str(path)


def test_new_key_prints_a_key_and_its_hash():
    result = CliRunner().invoke(tipline_app, ["new-key", "factcheck-org"])
    assert result.exit_code == 0
    key = result.output.split("shown once): ")[1].split()[0]
    assert hash_api_key(key) in result.output


def test_contact_lookup(tmp_path, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", registry_file=None)
    ack = TipIntake(settings.data_dir, TiplineOptions()).submit(text="t", contact="me@example.org")["ack_id"]
    runner = CliRunner()
    found = runner.invoke(tipline_app, ["contact", ack, "--config", _config(tmp_path, monkeypatch)])
    assert found.exit_code == 0 and found.output.strip() == "me@example.org"
    missing = runner.invoke(
        tipline_app, ["contact", "TIP-NONE-NONE", "--config", _config(tmp_path, monkeypatch)]
    )
    assert missing.exit_code == 1


def test_sources_status_fails_when_a_source_is_auth_failed(tmp_path, monkeypatch):
    cp = Checkpoint.for_source(tmp_path / "data", "x:parties")
    cp.status = {
        "source": "x:parties",
        "state": "auth-failed",
        "last_error": "TokenExpired",
        "counts": {"items": 3},
    }
    cp.save()
    result = CliRunner().invoke(sources_app, ["status", "--json", "--config", _config(tmp_path, monkeypatch)])
    assert json.loads(result.output)["x:parties"]["state"] == "auth-failed"
    assert (
        CliRunner().invoke(sources_app, ["status", "--config", _config(tmp_path, monkeypatch)]).exit_code == 1
    )


def test_credentials_are_masked_when_settings_are_printed(tmp_path):
    config = SourceConfig(
        kind="x", name="x", options={"accounts": ["@a"]}, credentials={"bearer_token": "AAAA-secret"}
    )
    settings = Settings(data_dir=tmp_path, registry_file=None, sources=[config])
    assert "AAAA-secret" not in json.dumps(settings.masked())
    assert build_source(config, settings).secret("bearer_token") == "AAAA-secret"


def test_token_file_holds_the_main_credential(tmp_path):
    secret = tmp_path / "yt.key"
    secret.write_text("AIza-from-file\n")
    settings = Settings(data_dir=tmp_path, registry_file=None)
    config = SourceConfig(kind="youtube", name="yt", options={"channels": ["UCx"], "token_file": str(secret)})
    assert build_source(config, settings).secret("api_key") == "AIza-from-file"


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("x", {"accounts": ["@a"], "page_sise": 10}, "page_sise"),
        ("x", {}, "bearer_token"),
        ("tiktok", {"usernames": ["a"]}, "client_key"),
        ("meta", {"pages": []}, "access_token"),
        ("telegram", {"channels": ["a"]}, "api_id"),
        ("web", {"urls": ["ftp://x"]}, "http"),
        ("jsonl", {}, "not a connector kind"),
    ],
)
def test_bad_connector_config_fails_loudly_at_load(tmp_path, kind, options, message):
    settings = Settings(data_dir=tmp_path, registry_file=None)
    with pytest.raises(ConfigError, match=message):
        build_source(SourceConfig(kind=kind, name="s", options=options), settings)


def test_the_runner_builds_connector_kinds(tmp_path):
    from ingest.connectors.youtube import YouTubeSource
    from ingest.tipline.source import TiplineSource
    from streams.runner import build_sources

    settings = Settings(
        data_dir=tmp_path,
        registry_file=None,
        sources=[
            SourceConfig(
                kind="youtube", name="yt", options={"channels": ["UCx"]}, credentials={"api_key": "k"}
            ),
            SourceConfig(kind="tipline", name="tips"),
        ],
    )
    built = build_sources(settings)
    assert [type(s) for s in built] == [YouTubeSource, TiplineSource]
    assert built[0].settings is settings  # media downloads and the safe fetcher need it
