"""YAML alias bombs and deep nesting are refused with file:line, never crash (issue 19, row 10)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codes.calendar import load_calendar
from codes.engine import CodeEngine
from detectors.registry import DetectorRegistry
from pantau.errors import ConfigError, PantauError, RuleError
from pantau.registry import load_registry
from pantau.yaml_limits import MAX_DEPTH, check_shape

REPO = Path(__file__).resolve().parents[3]


def alias_bomb(levels: int = 6, fan: int = 10) -> str:
    """``levels`` anchors, each a list aliasing the one before ``fan`` times: ``fan ** levels`` scalars."""
    text = "a0: &a0 [" + ", ".join(["lol"] * fan) + "]\n"
    for n in range(1, levels):
        text += f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * fan) + "]\n"
    return text


def deep_flow(depth: int) -> str:
    return "x: " + "[" * depth + "]" * depth + "\n"


def deep_block(depth: int) -> str:
    return "x:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, depth)) + "  " * depth + "end: 1\n"


LOADERS: list[tuple[str, Callable[[Path], Any], type[PantauError]]] = [
    ("code", lambda p: CodeEngine.from_files([p], signal_names=None), RuleError),
    ("registry", load_registry, ConfigError),
    ("calendar", load_calendar, ConfigError),
    ("detectors", DetectorRegistry.from_file, ConfigError),
]


@pytest.mark.parametrize(("kind", "load", "error"), LOADERS, ids=[k for k, _, _ in LOADERS])
def test_an_alias_bomb_is_refused_at_once_naming_file_and_line(
    tmp_path: Path, kind: str, load: Callable[[Path], Any], error: type[PantauError]
) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text(alias_bomb())  # a million scalars from 6 lines
    with pytest.raises(error, match=rf"{kind}.yaml:\d+: .*aliases .*expanded"):
        load(path)


@pytest.mark.parametrize(("kind", "load", "error"), LOADERS, ids=[k for k, _, _ in LOADERS])
@pytest.mark.parametrize("text", [deep_flow(1_000), deep_flow(50_000), deep_block(1_000)],
                         ids=["flow-1000", "flow-50000", "block-1000"])
def test_deep_nesting_is_refused_naming_file_and_line(
    tmp_path: Path, kind: str, load: Callable[[Path], Any], error: type[PantauError], text: str
) -> None:
    path = tmp_path / f"{kind}.yaml"
    path.write_text(text)
    with pytest.raises(error, match=rf"{kind}.yaml:\d+: nested deeper than {MAX_DEPTH} levels"):
        load(path)


@pytest.mark.parametrize("command", [["codes", "check"], ["registry", "check"]])
def test_the_cli_on_50000_deep_yaml_exits_with_a_clear_error_not_a_crash(
    tmp_path: Path, command: list[str]
) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(deep_flow(50_000))
    done = subprocess.run(
        [sys.executable, "-m", "cli", *command, str(path)],
        capture_output=True, text=True, cwd=REPO, timeout=120,
    )
    assert done.returncode == 2, done.stderr[-2000:]  # not -11 (SIGSEGV) nor 1 (a traceback)
    assert "nested deeper than" in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_ordinary_anchors_and_the_shipped_files_pass() -> None:
    check_shape("base: &b {x: 1, y: [1, 2]}\nother: *b\nmore: {<<: *b, z: 3}\n", "f.yaml", ValueError)
    for name in ("codes/model_code.yaml", "codes/samples/registry.yaml", "codes/samples/calendar.yaml",
                 "detectors/detectors.yaml"):
        check_shape((REPO / name).read_text(encoding="utf-8"), name, ValueError)
