"""synthetic.hf for voice clones: a tiny audio classifier (random weights) loaded by folder and by hub id.

No offline voice-clone model exists, so the loading code is proven on a 2-layer Wav2Vec2 sequence
classifier built from a config and saved with ``save_pretrained``, labelled like ASVspoof models
(``bonafide``/``spoof``). The hub-id test lays that folder out as the Hugging Face cache does and
loads ``pantau-test/tiny-voice-clone`` with the hub switched off: the path a user's model id takes
on an offline machine. Skipped without torch and transformers (``pip install 'pantau[hf]'``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from detectors.synthetic.hf import HuggingFaceDetector
from pantau.errors import BadMedia
from pantau.schemas import Modality

from .conftest import DEMO, REPO, item_with

HUB_ID = "pantau-test/tiny-voice-clone"


def _wav(path: Path, seconds: float = 1.0, rate: int = 16000, hz: float = 220.0) -> Path:
    """A mono 16-bit WAV: a tone with a little noise (a stand-in voice note)."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(0)
    samples = 0.3 * np.sin(2 * np.pi * hz * t) + 0.02 * rng.standard_normal(t.size)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((samples * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture(scope="module")
def tiny_voice_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A randomly initialised 2-layer Wav2Vec2 classifier with labels bonafide/spoof, saved like a hub model."""
    torch = pytest.importorskip("torch", reason="torch not installed: pip install 'pantau[hf]' to run this test")
    transformers = pytest.importorskip(
        "transformers", reason="transformers not installed: pip install 'pantau[hf]'"
    )
    pytest.importorskip("librosa", reason="librosa not installed: pip install 'pantau[synthetic]'")
    torch.manual_seed(0)
    config = transformers.Wav2Vec2Config(
        vocab_size=32,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        conv_dim=(32, 32),
        conv_stride=(5, 4),
        conv_kernel=(10, 8),
        num_conv_pos_embeddings=16,
        num_conv_pos_embedding_groups=2,
        classifier_proj_size=16,
        num_labels=2,
        id2label={0: "bonafide", 1: "spoof"},
        label2id={"bonafide": 0, "spoof": 1},
    )
    folder = tmp_path_factory.mktemp("tiny-voice")
    transformers.Wav2Vec2ForSequenceClassification(config).eval().save_pretrained(folder)
    transformers.Wav2Vec2FeatureExtractor(
        feature_size=1, sampling_rate=16000, padding_value=0.0, do_normalize=True, return_attention_mask=True
    ).save_pretrained(folder)
    return folder


def _options(model: str, **more: object) -> dict[str, object]:
    return {"model": model, "task": "audio-classification", "device": "cpu", **more}


def test_tiny_voice_model_scores_audio_with_its_spoof_probability(tiny_voice_model: Path, tmp_path: Path) -> None:
    detector = HuggingFaceDetector(_options(str(tiny_voice_model)))
    [[signal]] = detector.detect([item_with(_wav(tmp_path / "note.wav"))])
    top = {t["label"]: t["score"] for t in signal.details["top"]}
    assert set(top) == {"bonafide", "spoof"}
    # "spoof" is among the default synthetic labels: the score is its probability.
    assert signal.score == pytest.approx(top["spoof"], abs=1e-3)
    assert signal.label == ("model-synthetic" if signal.score >= 0.5 else "model-real")
    assert signal.details["model"] == str(tiny_voice_model) and signal.media_sha256
    # An audio model reads audio only: an image in the item gets no signal.
    assert detector.detect([item_with(DEMO / "photo_plain.jpg")]) == [[]]
    as_real = HuggingFaceDetector(_options(str(tiny_voice_model), synthetic_labels=["bonafide"]))
    [[other]] = as_real.detect([item_with(tmp_path / "note.wav")])
    assert signal.score + other.score == pytest.approx(1.0, abs=1e-3)


def test_undecodable_audio_is_bad_media_not_a_crash(tiny_voice_model: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt garbage")
    with pytest.raises(BadMedia, match="broken.wav: cannot decode audio"):
        HuggingFaceDetector(_options(str(tiny_voice_model))).judge_file(broken, Modality.AUDIO)


def _hub_cache(model: Path, cache: Path, hub_id: str) -> None:
    """Lay ``model`` out as the Hugging Face hub cache holds a downloaded model (refs/main -> snapshot)."""
    repo = cache / f"models--{hub_id.replace('/', '--')}"
    revision = "0" * 40
    shutil.copytree(model, repo / "snapshots" / revision)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision, encoding="utf-8")


_RUN = """
import json, sys
from detectors.synthetic.hf import HuggingFaceDetector
from pantau.schemas import EnrichedItem, MediaFile, MediaItem
model, local_only, wav = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
item = EnrichedItem(item=MediaItem(id="t", source="t", native_id="1", media=[MediaFile(path=wav)]))
detector = HuggingFaceDetector({"model": model, "task": "audio-classification", "device": "cpu",
                                "local_files_only": local_only})
[[signal]] = detector.detect([item])
print(json.dumps({"score": signal.score, "model": signal.details["model"]}))
"""


@pytest.mark.parametrize("local_files_only", [True, False], ids=["local-files-only", "hub-offline"])
def test_a_hub_id_loads_from_the_cache_with_the_hub_off(
    tiny_voice_model: Path, tmp_path: Path, local_files_only: bool
) -> None:
    """The id goes through snapshot_download (local_files_only) or transformers' own resolution (offline)."""
    cache = tmp_path / "hub"
    _hub_cache(tiny_voice_model, cache, HUB_ID)
    wav = _wav(tmp_path / "note.wav")
    [[by_folder]] = HuggingFaceDetector(_options(str(tiny_voice_model))).detect([item_with(wav)])
    # A fresh interpreter, so that the hub's cache location and offline switch apply from import on.
    env = {**os.environ, "HF_HUB_CACHE": str(cache), "HF_HOME": str(tmp_path / "hf-home"),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _RUN, HUB_ID, "1" if local_files_only else "0", str(wav)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    by_id = json.loads(done.stdout.strip().splitlines()[-1])
    assert by_id["model"] == HUB_ID
    assert by_id["score"] == pytest.approx(by_folder.score, abs=1e-4)  # the same weights were loaded


def test_an_id_missing_from_the_cache_is_unavailable_offline(tiny_voice_model: Path, tmp_path: Path) -> None:
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "empty"), "HF_HOME": str(tmp_path / "hf-home"),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    script = (
        "from detectors.synthetic.hf import HuggingFaceDetector\n"
        "from pantau.errors import DetectorUnavailable\n"
        "try:\n"
        f"    HuggingFaceDetector({{'model': {HUB_ID!r}, 'task': 'audio-classification', 'device': 'cpu',"
        " 'local_files_only': True}).ensure_loaded()\n"
        "except DetectorUnavailable as exc:\n"
        "    print('unavailable:', exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"unavailable: synthetic.hf cannot load model {HUB_ID!r}" in done.stdout
