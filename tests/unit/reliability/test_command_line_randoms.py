"""Random values fed to a command line are safe by construction (issue 19, row 17).

The KRaft cluster id was urlsafe base64 of 16 random bytes: one in 64 starts with ``-`` and the Kafka
storage tool read it as a flag, so about one CI run in 32 failed at broker start.
"""

from __future__ import annotations

import base64
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
INFRA = REPO / "infra" / "local"


def _kraft_cluster_id() -> Callable[..., str]:
    spec = importlib.util.spec_from_file_location("kraft_cluster_id", INFRA / "kraft_cluster_id.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.kraft_cluster_id  # type: ignore[no-any-return]


def _draws(*chunks: bytes) -> Callable[[int], bytes]:
    it: Iterator[bytes] = iter(chunks)
    return lambda n: next(it)


def test_an_id_that_would_start_with_a_dash_is_drawn_again() -> None:
    dash_first = b"\xf8" + b"\x01" * 15  # 0xF8 -> first six bits 111110 = 62 -> "-"
    assert base64.urlsafe_b64encode(dash_first).decode().startswith("-")
    good = bytes(range(1, 17))
    assert _kraft_cluster_id()(_draws(dash_first, dash_first, good)) == (
        base64.urlsafe_b64encode(good).decode().rstrip("=")
    )


def test_the_all_zero_id_is_drawn_again() -> None:
    good = b"\x11" * 16
    assert _kraft_cluster_id()(_draws(bytes(16), good)) == base64.urlsafe_b64encode(good).decode().rstrip("=")


def test_many_ids_are_valid_kraft_ids_and_never_look_like_flags() -> None:
    make = _kraft_cluster_id()
    for _ in range(3000):  # about 47 of these would start with "-" without the guard
        cid = make()
        assert len(cid) == 22 and not cid.startswith("-")
        assert len(base64.urlsafe_b64decode(cid + "==")) == 16


def _storage_format_calls() -> dict[str, str]:
    up = (INFRA / "up").read_text()
    faults = (REPO / "tests" / "integration" / "faults.py").read_text()
    return {"infra/local/up": up[up.index("StorageTool") : up.index("format.log")],
            "faults.py": faults[faults.index('"kafka.tools.StorageTool"') : faults.index("capture_output")]}


def test_the_storage_tool_gets_the_id_as_one_token() -> None:
    for where, call in _storage_format_calls().items():
        assert "--cluster-id=" in call, where
        assert not re.search(r'(^|[\s"])-t([\s"]|$)', call), f"{where} passes the id as a separate argument"
        assert "kraft_cluster_id" in (INFRA / "up").read_text() if where == "infra/local/up" else True


def test_no_command_line_in_infra_or_tests_is_fed_raw_base64() -> None:
    """urlsafe base64 of random bytes is the one random text here that can start with '-'."""
    offenders = []
    for folder in ("infra", "tests", "bench", ".ci"):
        for path in (REPO / folder).rglob("*"):
            if not path.is_file() or path.suffix not in {"", ".py", ".sh"} or "lib" in path.parts:
                continue
            if path == Path(__file__):
                continue
            text = path.read_text(errors="replace")
            if re.search(r"urlsafe_b64encode\((uuid|os\.urandom|secrets)", text):
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == []
