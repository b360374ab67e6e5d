"""``pantau config`` never prints a token or password, not even inside a URL (issue 19, row 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from pantau.settings import Settings, mask_url

SECRETS = ("s3cretpw", "hooktok", "tgtoken123", "slackTok", "mailpw", "kafkapw")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://pantau:s3cretpw@search.example:9200", "https://pantau:***@search.example:9200"),
        ("https://hooks.example/in?token=hooktok&x=1", "https://hooks.example/in?token=***&x=1"),
        ("https://h.example/p?api_key=k1&Signature=s2", "https://h.example/p?api_key=***&Signature=***"),
        ("https://tok@h.example/", "https://***@h.example/"),
        ("sqlite:///data/pantau.db", "sqlite:///data/pantau.db"),
        ("not a url", "not a url"),
    ],
)
def test_mask_url(url: str, shown: str) -> None:
    assert mask_url(url) == shown


def test_pantau_config_masks_secrets_inside_urls(tmp_path: Path) -> None:
    config = tmp_path / "pantau.toml"
    config.write_text(
        f'data_dir = "{tmp_path / "d"}"\n'
        '[store]\nurl = "opensearch://pantau:s3cretpw@127.0.0.1:9200"\n'
        '[alerts]\nwebhook_url = "https://hooks.example/in?token=hooktok"\nwebhook_secret = "x"\n'
        'channels = ["tgram://tgtoken123/12345", "slack://slackTok/B/C", "mailto://me:mailpw@mail.example"]\n'
    )
    result = CliRunner().invoke(app, ["config", "--config", str(config)])
    assert result.exit_code == 0, result.output
    for secret in SECRETS:
        assert secret not in result.output
    shown = json.loads(result.output)
    assert shown["alerts"]["channels"] == ["tgram://***", "slack://***", "mailto://***"]
    assert shown["store"]["url"] == "opensearch://pantau:***@127.0.0.1:9200"


def test_masked_settings_keep_what_is_not_secret() -> None:
    settings = Settings.load(overrides={"alerts": {"webhook_url": "https://hooks.example/in?page=2"}}, environ={})
    assert settings.masked()["alerts"]["webhook_url"] == "https://hooks.example/in?page=2"
