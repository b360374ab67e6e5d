"""The layers and no-circle contracts of pyproject.toml's [tool.importlinter] hold (docs/architecture.md).

``make test`` runs ``lint-imports`` before pytest; this test runs the same check, so a unit run
catches an import that climbs a layer (``pantau`` importing ``streams``) or closes a circle.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

from importlinter.cli import lint_imports  # noqa: E402

REPO = Path(__file__).resolve().parents[3]


def test_the_repository_keeps_its_import_contracts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert lint_imports(no_cache=True) == 0


def test_a_ground_module_importing_streams_breaks_the_layers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The contract can fail: a toy tree with the same layers and one import up is refused."""
    for package in ("pantau", "codes", "ingest", "detectors", "streams", "dashboard", "bench", "cli"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "streams" / "stages.py").write_text("import pantau.schemas\n")
    (tmp_path / "pantau" / "schemas.py").write_text("")
    (tmp_path / "pantau" / "explain.py").write_text("from streams import stages\n")
    config = (REPO / "pyproject.toml").read_text()
    section = config[config.index("[tool.importlinter]"):]
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(section))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in list(__import__("sys").modules):
        if name.split(".")[0] in ("pantau", "codes", "ingest", "detectors", "streams", "dashboard", "bench", "cli"):
            monkeypatch.delitem(__import__("sys").modules, name)
    assert lint_imports(config_filename=str(tmp_path / "pyproject.toml"), no_cache=True) == 1
