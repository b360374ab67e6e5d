"""The known-media list Pantau keeps (``pantau known``): hashing, no duplicates, atomic writes, reload."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from detectors.media.hashes import HashEnricher, hamming, pdq_hex
from detectors.media.known_list import (
    FILE_NAME,
    KnownListError,
    add_rows,
    default_list_file,
    file_rows,
    read_rows,
    remove_rows,
)
from detectors.media.known_match import KnownMediaDetector
from detectors.media.probe import MediaProbeEnricher
from pantau.settings import Settings

from .conftest import item_with, textured_picture

runner = CliRunner()



def _saved(image: Image.Image, path: Path) -> Path:
    image.save(path)
    return path


def test_when_an_image_is_added_then_its_sha256_and_pdq_are_listed(tmp_path: Path, settings: Settings) -> None:
    path = _saved(textured_picture(1), tmp_path / "fake.png")
    rows, notes = file_rows([path], settings, label="Doctored\nrally photo")
    assert [r["kind"] for r in rows] == ["sha256", "pdq"] and not notes
    assert rows[1]["hash"] == pdq_hex(np.asarray(textured_picture(1)))[0]
    assert {r["list"] for r in rows} == {"known-fakes"} and rows[0]["label"] == "Doctored rally photo"
    assert rows[0]["source"] == "file:fake.png"


def test_when_a_flat_picture_is_added_then_only_its_sha256_is_listed(tmp_path: Path, settings: Settings) -> None:
    path = _saved(Image.new("RGB", (64, 64), (10, 10, 10)), tmp_path / "flat.png")
    rows, notes = file_rows([path], settings)
    assert [r["kind"] for r in rows] == ["sha256"] and "flat" in notes[0]


def test_when_a_file_is_not_media_or_missing_then_refused(tmp_path: Path, settings: Settings) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(KnownListError, match="not an image, video or audio"):
        file_rows([text], settings)
    with pytest.raises(KnownListError, match="no such file"):
        file_rows([tmp_path / "gone.png"], settings)
    with pytest.raises(KnownListError, match="list name 'Known Fakes' is not allowed"):
        file_rows([text], settings, list_name="Known Fakes")


def test_when_rows_are_added_twice_then_the_file_holds_them_once(tmp_path: Path, settings: Settings) -> None:
    path = _saved(textured_picture(2), tmp_path / "a.png")
    rows, _ = file_rows([path], settings)
    target = default_list_file(settings)
    assert target == settings.data_dir / FILE_NAME
    assert add_rows(target, rows) == (2, 0)
    assert add_rows(target, rows) == (0, 2)
    # The same hash on another list is another row.
    assert add_rows(target, [{**rows[0], "list": "ncii"}]) == (1, 0)
    listed = read_rows(target)
    assert len(listed) == 3 and [r["kind"] for r in listed] == ["sha256", "pdq", "sha256"]
    with target.open(encoding="utf-8") as handle:
        assert next(csv.reader(handle)) == ["kind", "hash", "list", "label", "source", "added_at"]
    # Atomic writes leave no temporary file behind.
    assert sorted(p.name for p in target.parent.iterdir() if p.name.startswith(".")) == []


def test_when_rows_are_removed_then_only_those_go(tmp_path: Path, settings: Settings) -> None:
    target = default_list_file(settings)
    a, _ = file_rows([_saved(textured_picture(3), tmp_path / "a.png")], settings)
    b, _ = file_rows([_saved(textured_picture(4), tmp_path / "b.png")], settings)
    add_rows(target, a + b)
    assert remove_rows(target, lambda r: r["source"] == "file:a.png") == 2
    assert [r["source"] for r in read_rows(target)] == ["file:b.png", "file:b.png"]


def test_when_the_list_file_is_malformed_then_a_clear_error(settings: Settings) -> None:
    target = default_list_file(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("kind,hash,list,label\npdq,abc,known-fakes,x\n", encoding="utf-8")
    with pytest.raises(KnownListError, match=r"invalid known-media list .*fix or move it aside"):
        add_rows(target, [])


def test_when_media_is_added_while_running_then_the_next_batch_matches(tmp_path: Path, settings: Settings) -> None:
    """media.hashes reads the data folder's list with no configuration, and again when it changes."""
    fake = _saved(textured_picture(5), tmp_path / "fake.png")
    repost = tmp_path / "repost.jpg"
    textured_picture(5).resize((200, 200)).save(repost, quality=70)
    assert 0 < hamming(pdq_hex(np.asarray(textured_picture(5)))[0], pdq_hex(np.asarray(Image.open(repost)))[0]) <= 31
    plugins = [MediaProbeEnricher(), HashEnricher()]
    for plugin in plugins:
        plugin.settings = settings
        plugin.ensure_loaded()

    def judge() -> tuple[str, dict]:
        enriched = item_with(repost)
        for plugin in plugins:
            plugin.enrich([enriched])
        [signal] = KnownMediaDetector().detect([enriched])[0]
        return signal.label, signal.details

    assert judge()[0] == "no-match"
    add_rows(default_list_file(settings), file_rows([fake], settings, label="Doctored rally photo")[0])
    label, details = judge()
    assert label == "known-fakes" and details["lists"] == ["known-fakes"]
    assert details["matches"][0]["label"] == "Doctored rally photo" and details["matches"][0]["kind"] == "pdq"
    # A list broken while running is reported; the rows read before stay in force.
    default_list_file(settings).write_text("kind,hash\nnonsense\n", encoding="utf-8")
    assert judge()[0] == "known-fakes"


def test_when_the_matches_differ_then_known_match_caches_apart(tmp_path: Path) -> None:
    path = _saved(textured_picture(6), tmp_path / "a.png")
    before, after = item_with(path), item_with(path)
    for enriched in (before, after):
        enriched.item.media[0].sha256 = "ab" * 32
    after.enrichment.media_meta["ab" * 32] = {"known_matches": [{"list": "known-fakes", "distance": 3}]}
    detector = KnownMediaDetector()
    assert detector.cache_key(before) != detector.cache_key(after)


def test_cli_adds_lists_and_removes_files(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {"PANTAU_DATA_DIR": str(data)}
    fake = _saved(textured_picture(7), tmp_path / "fake.png")
    first = runner.invoke(app, ["known", "add", str(fake), "--label", "Doctored rally photo"], env=env)
    assert first.exit_code == 0, first.output
    assert "added 2 row(s) to known-fakes" in first.output
    again = runner.invoke(app, ["known", "add", str(fake)], env=env)
    assert again.exit_code == 0 and "added 0 row(s)" in again.output and "2 already listed" in again.output
    shown = runner.invoke(app, ["known", "list", "--json"], env=env)
    assert shown.exit_code == 0 and shown.output.count('"known-fakes"') == 2
    nothing = runner.invoke(app, ["known", "add"], env=env)
    assert nothing.exit_code == 2 and "name files to hash or --incident ID" in nothing.output
    gone = runner.invoke(app, ["known", "remove", read_rows(data / FILE_NAME)[0]["hash"]], env=env)
    assert gone.exit_code == 0 and "removed 1 row(s)" in gone.output
    assert len(read_rows(data / FILE_NAME)) == 1


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed (infra/apt-packages.txt)")
def test_when_a_video_is_added_then_its_keyframes_are_listed(tmp_path: Path, settings: Settings) -> None:
    import subprocess

    video = tmp_path / "clip.mp4"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
         "-t", "1", "-pix_fmt", "yuv420p", str(video)],
        check=True, timeout=60,
    )
    rows, _ = file_rows([video], settings)
    assert rows[0]["kind"] == "sha256" and any(r["kind"] == "pdq" for r in rows[1:])


@pytest.mark.parametrize(
    "text",
    ["kind,hash\npdq\n", "kind,hash,list\nmd5," + "a" * 64 + ",x\n", "kind,hash,list\npdq," + "z" * 64 + ",x\n",
     "kind,hash,list\nsha256," + "a" * 64 + ",\n"],
    ids=["short-row", "unknown-kind", "not-hex", "no-list"],
)
def test_when_a_list_row_is_malformed_then_config_error_names_the_file(tmp_path: Path, text: str) -> None:
    from detectors.media.hashes import KnownMediaIndex
    from pantau.errors import ConfigError

    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.csv: invalid known-media list"):
        KnownMediaIndex.from_files([path])
