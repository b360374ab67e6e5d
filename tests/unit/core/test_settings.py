from __future__ import annotations

from pathlib import Path

import pytest

from pantau.errors import ConfigError
from pantau.settings import Settings


def test_environment_beats_file_and_flags_beat_environment(tmp_path: Path) -> None:
    config = tmp_path / "pantau.toml"
    config.write_text('batch_size = 8\nqueue_size = 99\n[store]\nurl = "sqlite:///file.db"\n')
    env = {"PANTAU_BATCH_SIZE": "16", "PANTAU_DATA_DIR": str(tmp_path)}
    settings = Settings.load(config, environ=env)
    assert settings.batch_size == 16
    assert settings.queue_size == 99
    assert settings.store_url == "sqlite:///file.db"
    assert Settings.load(config, overrides={"batch_size": 4}, environ=env).batch_size == 4


def test_default_store_lives_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings.load(environ={"PANTAU_DATA_DIR": str(tmp_path)})
    assert settings.store_url == f"sqlite:///{tmp_path / 'pantau.db'}"


def test_relative_source_paths_resolve_from_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "conf" / "pantau.toml"
    config.parent.mkdir()
    config.write_text('[[sources]]\nkind = "jsonl"\nname = "x"\npath = "feed.jsonl"\n')
    settings = Settings.load(config, environ={})
    assert settings.sources[0].path == str(config.parent / "feed.jsonl")


@pytest.mark.parametrize("text", ["batch_size = [", "batch_size = 0", "unknown_key = 1"])
def test_bad_config_is_a_clear_error(tmp_path: Path, text: str) -> None:
    config = tmp_path / "pantau.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match="pantau.toml"):
        Settings.load(config, environ={})


def test_secrets_are_masked_when_printed() -> None:
    settings = Settings.load(overrides={"alerts": {"webhook_secret": "s3cret"}}, environ={})
    assert "s3cret" not in str(settings.masked())
