"""kill -9 at seeded random points of a feed with a slow webhook: no incident or alert lost (issue 19, row 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.alert_soak import soak


@pytest.mark.slow
def test_kill_9_with_a_slow_webhook_loses_no_alert(tmp_path: Path) -> None:
    result = soak(tmp_path, posts=240, kills=3, delay_ms=20, seed=19)
    assert result.incidents == result.expected_incidents == 60
    assert result.alerts_kept == 60 and result.pending == 0
    assert result.lost == 0, result.summary()
    assert result.duplicates <= result.kills, result.summary()  # only the delivery in flight at a kill
