"""Fixtures of the disinfo tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from detectors.disinfo.claim_match import ClaimMatchDetector


@pytest.fixture(scope="module")
def claim_match(tmp_path_factory: pytest.TempPathFactory) -> ClaimMatchDetector:
    """The registered ``disinfo.claim_match`` detector, loaded over a temporary data folder (once a module)."""
    from detectors.disinfo.claim_match import ClaimMatchDetector
    from pantau.settings import Settings

    detector = ClaimMatchDetector()
    detector.settings = Settings.load(overrides={"data_dir": tmp_path_factory.mktemp("data")})
    detector.ensure_loaded()
    return detector
