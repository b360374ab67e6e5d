"""Shared fixtures: an isolated data folder and settings for every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from pantau.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test writes under its own data folder, never in the user's."""
    data = tmp_path_factory.mktemp("pantau-data")
    monkeypatch.setenv("PANTAU_DATA_DIR", str(data))
    monkeypatch.delenv("PANTAU_CONFIG", raising=False)
    return data


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a fresh data folder under the test's tmp path."""
    return Settings.load(overrides={"data_dir": tmp_path / "data"})


@pytest.fixture
def shared_data() -> Path:
    """The shared labelled data folder; skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


def _hypothesis_profiles() -> None:
    """In CI, property tests draw the same examples every run (reproducible builds); locally they explore."""
    import os

    from hypothesis import settings as hypothesis_settings

    hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
    if os.environ.get("CI"):
        hypothesis_settings.load_profile("ci")


_hypothesis_profiles()
