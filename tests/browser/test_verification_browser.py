"""The reviewer's verification panel and "Add media to known fakes", in a real browser (issue 18).

The module seeds the incidents of :mod:`tests.mocks.verification` (a confirmed synthetic image
with its C2PA report, a re-encoded re-share, an unrelated picture, a video with keyframes and a
transcript) and runs its own server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from detectors.media.known_list import default_list_file, read_rows
from pantau.settings import Settings
from pantau.stores.base import Scope
from tests.browser.conftest import WAIT_MS, shot, wait_idle
from tests.mocks.verification import ORIGINAL_NAME, SIGNER, seed_verification
from tests.unit.dashboard.conftest import Seeded

pytestmark = pytest.mark.browser

FOUND: dict[str, Any] = {}


def _more(seeded: Seeded) -> None:
    FOUND.update(seed_verification(seeded.data_dir, seeded.store))


@pytest.fixture(scope="module")
def seed_more() -> Callable[[Seeded], None]:
    pytest.importorskip("pdqhash")
    return _more


def _tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    wait_idle(page, 200)


def _panel_text(page: Any) -> str:
    """The text of the tab panel now shown."""
    return page.locator('[role="tabpanel"]:visible').first.inner_text()


def test_commission_sees_provenance_scores_faces_similar_and_account(open_page: Callable[..., Any]) -> None:
    fake, reshare = FOUND["fake"], FOUND["reshare"]
    page = open_page(f"/?incident={fake.id}", user="ana")
    page.get_by_role("tab", name="Media", exact=True).wait_for(timeout=WAIT_MS)
    _tab(page, "Media")
    page.locator('[role="tabpanel"]:visible [data-testid="stJson"]').first.get_by_text(SIGNER).wait_for(
        timeout=WAIT_MS
    )
    media = _panel_text(page)
    assert SIGNER in media and ORIGINAL_NAME in media, "the provenance tree and the file's metadata"
    _tab(page, "Scores")
    page.locator('[role="tabpanel"]:visible .js-plotly-plot').first.wait_for(timeout=WAIT_MS)
    assert "Score set by: ai-declared, forensic-synthetic" in _panel_text(page)
    _tab(page, "Faces")
    assert "Hafiz Rahim" in _panel_text(page)
    _tab(page, "Seen before")
    seen = _panel_text(page)
    assert "looks the same (PDQ)" in seen and reshare.id[:8] in seen
    assert FOUND["unrelated"].id[:8] not in seen
    shot(page, "verification-seen-before")
    _tab(page, "Same account")
    assert "other post(s) of pbn.official" in _panel_text(page)
    # A row opens the similar incident.
    _tab(page, "Seen before")
    page.get_by_role("button", name=re.compile(f"Open SIM-1 · {reshare.id[:8]}")).click()
    wait_idle(page)
    body = page.inner_text("body")
    assert "Gambar eksklusif calon" in body
    # A non-signatory party's official channel is named as such, not as an unknown account.
    assert "non-signatory official channel" in body and "has not signed the code" in body


def test_video_keyframes_carry_their_transcript_lines(open_page: Callable[..., Any]) -> None:
    page = open_page(f"/?incident={FOUND['video'].id}", user="ana")
    page.get_by_role("tab", name="Keyframes", exact=True).wait_for(timeout=WAIT_MS)
    _tab(page, "Keyframes")
    text = _panel_text(page)
    assert "2 keyframes" in text and "0.0 s" in text and "4.0 s" in text
    assert text.index("Saudara saudari") < text.index("4.0 s") < text.index("Pusat mengundi")
    shot(page, "verification-keyframes")


def test_journalist_sees_no_provenance_no_file_name_and_no_unconfirmed_match(
    open_page: Callable[..., Any],
) -> None:
    page = open_page(f"/?incident={FOUND['fake'].id}", user="jo")
    page.get_by_role("tab", name="Media", exact=True).wait_for(timeout=WAIT_MS)
    body = page.inner_text("body")
    _tab(page, "Media")
    media = _panel_text(page)
    assert SIGNER not in body and ORIGINAL_NAME not in media
    assert "not shown in the redacted view" in media
    _tab(page, "Scores")
    page.locator('[role="tabpanel"]:visible .js-plotly-plot').first.wait_for(timeout=WAIT_MS)
    _tab(page, "Seen before")
    assert FOUND["reshare"].id[:8] not in _panel_text(page), "a new incident is not a journalist's to see"
    assert page.get_by_role("button", name="Add media to known fakes").count() == 0


def test_add_media_to_known_fakes_names_the_incident_and_adds_once(
    served: tuple[str, Seeded], open_page: Callable[..., Any]
) -> None:
    _, seeded = served
    fake = FOUND["fake"]
    path = default_list_file(Settings.load(overrides={"data_dir": seeded.data_dir}))
    page = open_page(f"/?incident={fake.id}", user="ana")
    page.get_by_role("tab", name="Seen before", exact=True).wait_for(timeout=WAIT_MS)
    _tab(page, "Seen before")
    button = page.get_by_role("button", name="Add media to known fakes")
    button.click()
    wait_idle(page)
    assert "Tick the box" in page.locator('[data-testid="stAlertContentError"]').first.inner_text()
    assert read_rows(path) == []

    def add() -> str:
        _tab(page, "Seen before")
        page.get_by_text(re.compile("I confirm that the media of SIM-1 on @pbn.official")).click()
        page.get_by_role("button", name="Add media to known fakes").click()
        wait_idle(page)
        return page.locator('[data-testid="stAlert"]').first.inner_text()

    first = add()
    assert "Added the media of SIM-1 on @pbn.official to known-fakes" in first
    rows = read_rows(path)
    assert {r["kind"] for r in rows} == {"sha256", "pdq"}
    assert {r["source"] for r in rows} == {f"incident:{fake.id}"}, "only the incident shown"
    second = add()
    assert "already on known-fakes" in second and "SIM-1 on @pbn.official" in second
    assert read_rows(path) == rows, "a second submission adds nothing"
    events = [e for e in seeded.store.audit_log() if e.event == "known_add"]
    assert [e.target for e in events] == [fake.id, fake.id]
    shot(page, "verification-known-fakes")
    # Not offered on an incident that is not confirmed.
    other = open_page(f"/?incident={FOUND['reshare'].id}", user="ana")
    other.get_by_role("tab", name="Seen before", exact=True).wait_for(timeout=WAIT_MS)
    _tab(other, "Seen before")
    assert other.get_by_role("button", name="Add media to known fakes").count() == 0
    assert seeded.store.get_incident(FOUND["reshare"].id, Scope.everything()) is not None
