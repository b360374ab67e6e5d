"""The verification panel's computations (dashboard/verification.py) and its place on the incident page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dashboard.render import escape
from dashboard.verification import (
    account_standing,
    keyframes,
    matched_faces,
    media_facts,
    media_pdqs,
    other_posts,
    provenance_reports,
    same_post,
    similar_media,
    sub_score_chart,
    sub_scores,
)
from detectors.media.known_list import default_list_file, read_rows
from pantau.access import redact_incident
from pantau.registry import load_registry
from pantau.schemas import Family, Incident, TextPart
from pantau.settings import DEFAULT_REGISTRY, Settings
from pantau.stores.sqlite import SQLiteStore
from tests.mocks.incidents import make_incident
from tests.mocks.verification import ORIGINAL_NAME, SIGNER, seed_verification
from tests.unit.dashboard.conftest import Seeded

pytest.importorskip("pdqhash")


@pytest.fixture
def seeded_media(tmp_path: Path) -> tuple[Path, dict[str, Incident]]:
    store = SQLiteStore(tmp_path / "v.db")
    store.open()
    try:
        return tmp_path, seed_verification(tmp_path, store)
    finally:
        store.close()


def _pdqs(data: Path) -> Callable[[Any], list[str]]:
    return lambda m: media_pdqs(m, data / "media")


def test_provenance_subscores_and_faces_come_from_the_signals(
    seeded_media: tuple[Path, dict[str, Incident]],
) -> None:
    _, found = seeded_media
    fake = found["fake"]
    reports = provenance_reports(fake)
    assert reports[str(fake.item.media[0].sha256)]["signer"] == SIGNER
    rows = sub_scores(fake)
    assert {r["sub-signal"]: r["score"] for r in rows} == {
        "learned": 0.83,
        "spectral": 0.41,
        "watermark": 0.02,
        "forensic": 0.83,
        "provenance": 1.0,
    }
    chart = sub_score_chart(rows, "synthetic.image")
    bars = chart.data[0]
    colours = dict(zip(bars.y, bars.marker.color, strict=True))
    assert len(bars.x) == 5 and colours["spectral"] == colours["learned"] == "#2e86ab"
    # Drivers ai-declared and forensic-synthetic: the provenance and forensic bars are red.
    assert colours["provenance"] == colours["forensic"] == "#d7263d"
    assert [f["registry id"] for f in matched_faces(fake)] == ["hafiz-rahim"]


def test_subscores_skip_what_is_not_a_score() -> None:
    incident = make_incident("s", family=Family.SYNTHETIC)
    incident.signals[0].details = {
        "signals": {"ok": 0.5, "flag": True, "text": "x", "big": 7},
        "drivers": ["ok"],
    }
    assert [r["sub-signal"] for r in sub_scores(incident)] == ["ok"]


def test_journalist_sees_scores_but_no_provenance_or_file_name(
    seeded_media: tuple[Path, dict[str, Incident]],
) -> None:
    _, found = seeded_media
    shown = redact_incident(found["fake"], load_registry(DEFAULT_REGISTRY))
    assert provenance_reports(shown) == {}
    assert len(sub_scores(shown)) == 5
    facts = media_facts(shown.item.media[0], redact=True)
    assert ORIGINAL_NAME not in json.dumps(facts) and facts["width"] == 320
    assert media_facts(found["fake"].item.media[0], redact=False)["original_name"] == ORIGINAL_NAME


def test_similar_media_finds_the_reencoded_copy_not_the_other_picture(
    seeded_media: tuple[Path, dict[str, Incident]],
) -> None:
    data, found = seeded_media
    others = list(found.values())
    similar = similar_media(found["fake"], others, _pdqs(data))
    assert [s.incident.id for s in similar] == [found["reshare"].id]
    assert similar[0].how == "looks the same (PDQ)" and similar[0].distance <= 31
    same = found["reshare"].model_copy(
        update={
            "id": "same-file",
            "item": found["reshare"].item.model_copy(
                update={"id": "other-item", "media": found["fake"].item.media}
            ),
        }
    )
    exact = similar_media(found["fake"], [same], _pdqs(data))
    assert [(s.how, s.distance) for s in exact] == [("same file", 0)]
    # Another incident of the same post is not "seen before".
    sibling = found["fake"].model_copy(update={"id": "sibling"})
    assert similar_media(found["fake"], [sibling], _pdqs(data)) == []


def test_keyframes_carry_the_transcript_lines_they_cover(
    seeded_media: tuple[Path, dict[str, Incident]],
) -> None:
    data, found = seeded_media
    video = found["video"]
    sha = str(video.item.media[0].sha256)
    frames = keyframes(data / "media", sha, video.text_parts)
    assert [f.time for f in frames] == [0.0, 4.0]
    assert [[line.text for line in f.lines] for f in frames] == [
        ["Saudara saudari, undi kami"],
        ["Pusat mengundi ditutup esok"],
    ]
    assert len(media_pdqs(video.item.media[0], data / "media")) == 2


def test_keyframes_refuse_bad_digests_and_files_outside_the_folder(tmp_path: Path) -> None:
    assert keyframes(tmp_path, "../../etc") == []
    sha = "ab" * 32
    folder = tmp_path / "derived" / sha[:2] / sha
    folder.mkdir(parents=True)
    (tmp_path / "secret.jpg").write_bytes(b"x")
    manifest = {"keyframes": [{"time": 0, "path": str(tmp_path / "secret.jpg")}, {"time": "x"}]}
    (folder / "video-1.1.0.json").write_text(json.dumps(manifest))
    (folder / "video-0.json").write_text("not json")
    assert keyframes(tmp_path, sha, [TextPart(origin="transcript", text="t", media_sha256=sha)]) == []


def test_other_posts_of_the_same_account_and_platform() -> None:
    mine = make_incident("a-1", account="@pbn.official")
    same_item_other_clause = mine.model_copy(update={"id": "other-clause"})
    older = make_incident("a-2", account="PBN.official")
    elsewhere = make_incident("a-3", account="pbn.official", platform="x")
    stranger = make_incident("a-4", account="someone")
    pool = [mine, same_item_other_clause, older, elsewhere, stranger]
    assert [g[0].id for g in other_posts(mine, pool)] == [older.id]
    assert [i.id for i in same_post(mine, pool)] == ["other-clause"]
    assert other_posts(make_incident("a-5", account=""), pool) == []


def _tab(at: Any, label: str) -> Any:
    return next(t for t in at.tabs if t.label == label)


def test_panel_on_the_incident_page(seeded: Seeded, app: Callable[..., Any]) -> None:
    found = seed_verification(seeded.data_dir, seeded.store)
    at = app("ana", incident=found["fake"].id)
    assert not at.exception
    assert [t.label for t in at.tabs][:6] == [
        "Media",
        "Scores",
        "Faces",
        "Keyframes",
        "Seen before",
        "Same account",
    ]
    assert SIGNER in json.dumps([j.value for j in at.json])
    seen = _tab(at, "Seen before")
    assert any(found["reshare"].id[:8] in b.label for b in seen.button)
    assert any("Add media to known fakes" in b.label for b in at.button)
    journalist = app("jo", incident=found["fake"].id)
    assert not journalist.exception
    assert SIGNER not in json.dumps([j.value for j in journalist.json])
    assert not any("Add media to known fakes" in b.label for b in journalist.button)
    # Journalists compare with confirmed incidents only: the new re-share is not theirs to see.
    assert not any(found["reshare"].id[:8] in b.label for b in _tab(journalist, "Seen before").button)


def test_known_fakes_form_adds_once_and_names_the_incident(seeded: Seeded, app: Callable[..., Any]) -> None:
    found = seed_verification(seeded.data_dir, seeded.store)
    at = app("ana", incident=found["fake"].id)
    form_key = f"known-{found['fake'].id}"
    submit = next(b for b in at.button if "Add media to known fakes" in b.label)
    at = submit.click().run()
    assert any("Tick the box" in e.value for e in at.error)
    path = default_list_file(Settings.load(overrides={"data_dir": seeded.data_dir}))
    assert read_rows(path) == []
    at.checkbox(key=f"{form_key}-sure").check()
    at = next(b for b in at.button if "Add media to known fakes" in b.label).click().run()
    named = escape("SIM-1 on @pbn.official")  # messages are escaped Markdown
    assert any(named in s.value and "known-fakes" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    rows = read_rows(path)
    assert {r["kind"] for r in rows} == {"sha256", "pdq"}
    assert {r["source"] for r in rows} == {f"incident:{found['fake'].id}"}
    at.checkbox(key=f"{form_key}-sure").check()
    at = next(b for b in at.button if "Add media to known fakes" in b.label).click().run()
    assert any(named in i.value and "already on known-fakes" in i.value for i in at.info), [
        i.value for i in at.info
    ]
    assert read_rows(path) == rows
    new = app("ana", incident=found["reshare"].id)
    assert not any("Add media to known fakes" in b.label for b in new.button), (
        "not for an unconfirmed incident"
    )


def test_a_non_signatorys_channel_is_not_an_unknown_account() -> None:
    registry = load_registry(DEFAULT_REGISTRY)
    party, standing, said = account_standing(registry, "telegram", "gpm_channel")
    assert (party, standing) == ("GPM", "non-signatory official channel")
    assert "has not signed the code" in said and "no party officer" in said
    assert account_standing(registry, "facebook", "pbn.official")[:2] == ("PBN", "signatory official channel")
    assert account_standing(registry, "x", "@aminahyusof")[1] == "signatory personal account"
    assert "Aminah Yusof (PKR2)" in account_standing(registry, "x", "@aminahyusof")[2]
    assert account_standing(registry, "x", "@nobody")[:2] == ("", "unknown account")
    assert account_standing(None, "x", None)[1] == "unknown account"


def test_incident_page_says_who_the_account_is(seeded: Seeded, app: Callable[..., Any]) -> None:
    found = seed_verification(seeded.data_dir, seeded.store)
    text = " ".join(m.value for m in app("ana", incident=found["reshare"].id).markdown)
    assert "non&#45;signatory official channel" in text and "GPM" in " ".join(
        str(m.value) for m in app("ana", incident=found["reshare"].id).metric
    )
    assert "unknown account" in " ".join(m.value for m in app("ana", incident=found["unrelated"].id).markdown)
