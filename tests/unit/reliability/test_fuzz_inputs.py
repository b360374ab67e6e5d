"""Property-based fuzzing, round two (issue 19): folder sidecars, hostile JSONL, tipline JSON and the
codes/registry/calendar YAML loaders. Each generated input is processed or refused with a reason (a
dead letter, a 4xx answer, a PantauError): never another exception.

Deterministic (``derandomize=True``: the same examples on every run, so CI never flakes) with a small
fixed budget per test; hostile shapes (lone surrogate escapes, deep nesting, aliases, raw bytes) are
drawn on purpose, since random text alone rarely reaches them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codes.calendar import load_calendar
from codes.engine import CodeEngine
from ingest.folder import FolderSource
from ingest.jsonl import JsonlSource
from ingest.tipline.app import create_app
from ingest.tipline.intake import TiplineOptions
from pantau.errors import PantauError
from pantau.registry import load_registry
from pantau.schemas import DeadLetter, MediaItem
from pantau.settings import Settings

FUZZ = settings(
    max_examples=120,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)

# -- hostile JSON text ------------------------------------------------------------------------------
SURROGATES = st.sampled_from(["\\ud800", "\\udfff", "\\ud83d", "\\udc00x", "ok \\ud800 ok"])
json_strings = st.one_of(st.text(max_size=30).map(json.dumps), SURROGATES.map(lambda s: f'"{s}"'))
json_scalars = st.one_of(json_strings, st.sampled_from(["null", "true", "1e999", "-0", "123456789012345678901234567890"]))


def _deep(depth: int, opener: str) -> str:
    closer = {"[": "]", "{": "}"}[opener]
    inner = '"k": ' if opener == "{" else ""
    return (opener + inner) * depth + "1" + closer * depth if opener == "{" else opener * depth + closer * depth


json_values = st.one_of(
    json_scalars,
    st.builds(_deep, st.integers(min_value=1, max_value=3000), st.sampled_from(["[", "{"])),
    st.lists(json_scalars, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
)
FIELDS = st.sampled_from(["text", "title", "account", "party", "platform", "labels", "language", "url",
                          "mentions", "sponsor", "paid", "id", "media", "extra", "published_at", "contact"])


@st.composite
def json_objects(draw: Any) -> str:
    pairs = draw(st.lists(st.tuples(FIELDS, json_values), max_size=5))
    return "{" + ", ".join(f'"{k}": {v}' for k, v in pairs) + "}"


json_documents = st.one_of(json_objects(), json_values, st.binary(max_size=60).map(lambda b: b.decode("latin-1")))


@FUZZ
@given(sidecar=json_documents, caption=st.binary(max_size=80), with_json=st.booleans())
def test_folder_sidecars_give_an_item_or_a_dead_letter(
    tmp_path_factory: Any, sidecar: str, caption: bytes, with_json: bool
) -> None:
    folder = tmp_path_factory.mktemp("folder")
    (folder / "a.png").write_bytes(PNG)
    (folder / "a.txt").write_bytes(caption)
    if with_json:
        (folder / "a.json").write_text(sidecar, encoding="utf-8", errors="surrogatepass")
    [record] = list(FolderSource("f", folder).read())
    assert isinstance(record, MediaItem | DeadLetter)
    if isinstance(record, DeadLetter):
        assert record.reason and record.stage == "ingest"
    else:
        json.loads(record.model_dump_json())  # every later step that writes it can


@FUZZ
@given(lines=st.lists(json_documents, min_size=1, max_size=5))
def test_hostile_jsonl_lines_are_items_or_dead_letters_one_each(tmp_path_factory: Any, lines: list[str]) -> None:
    feed = tmp_path_factory.mktemp("jsonl") / "feed.jsonl"
    body = "\n".join(re.sub(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", " ", line) for line in lines)
    feed.write_text(body + "\n", encoding="utf-8", errors="surrogatepass")
    out = list(JsonlSource("fuzz", feed).read())
    assert len(out) == sum(1 for line in feed.read_bytes().split(b"\n") if line.strip())
    for record in out:
        assert isinstance(record, MediaItem | DeadLetter)
        if isinstance(record, MediaItem):
            json.loads(record.model_dump_json())


@FUZZ
@given(body=json_documents)
def test_tipline_json_is_acknowledged_or_refused_and_a_refusal_writes_nothing(
    tmp_path_factory: Any, body: str
) -> None:
    data_dir = tmp_path_factory.mktemp("tipline")
    client = TestClient(create_app(Settings(data_dir=data_dir, registry_file=None), TiplineOptions(),
                                   clock=lambda: 0.0), raise_server_exceptions=False)
    answer = client.post("/tips", content=body.encode("utf-8", "surrogatepass"),
                         headers={"content-type": "application/json"})
    assert answer.status_code in (202, 400, 413, 415, 422), answer.text
    spool = data_dir / "tipline" / "spool.jsonl"
    if answer.status_code == 202:
        assert answer.json()["ack_id"].startswith("TIP-")
        [line] = spool.read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["id"] == answer.json()["ack_id"]
    else:
        assert answer.json()["error"]
        assert not spool.exists()
        contacts = data_dir / "tipline" / "contacts.sqlite"
        if contacts.exists():
            with sqlite3.connect(contacts) as conn:
                assert conn.execute("SELECT count(*) FROM contacts").fetchone()[0] == 0


# -- hostile YAML -----------------------------------------------------------------------------------
yaml_scalars = st.one_of(
    st.sampled_from(["x", "1", "2026-11-02", "[", "{", "*a", "&a x", "!!python/object:os.system", "~", "'",
                     '"\\ud800"', "? x", "- -", "<<: *a"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12).map(json.dumps),
)


@st.composite
def yaml_documents(draw: Any) -> str:
    kind = draw(st.sampled_from(["bomb", "deep", "block", "mapping"]))
    if kind == "bomb":
        levels, fan = draw(st.integers(2, 9)), draw(st.integers(2, 12))
        text = "a0: &a0 [" + ", ".join(["lol"] * fan) + "]\n"
        for n in range(1, levels):
            text += f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * fan) + "]\n"
        return text
    if kind == "deep":
        depth = draw(st.integers(1, 60_000))
        return "x: " + "[" * depth + "]" * depth + "\n"
    if kind == "block":
        depth = draw(st.integers(1, 300))
        return "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v: 1\n"
    keys = st.sampled_from(["id", "title", "version", "clauses", "parties", "people", "accounts", "elections",
                            "timezone", "rule", "name", "&a base", "<<"])
    pairs = draw(st.lists(st.tuples(keys, yaml_scalars), max_size=6))
    return "".join(f"{k}: {v}\n" for k, v in pairs)


@FUZZ
@given(text=yaml_documents(), loader=st.sampled_from(["code", "registry", "calendar"]))
def test_yaml_loaders_accept_or_refuse_with_a_pantau_error(tmp_path_factory: Any, text: str, loader: str) -> None:
    path: Path = tmp_path_factory.mktemp("yaml") / f"{loader}.yaml"
    path.write_text(text, encoding="utf-8")
    load = {
        "code": lambda p: CodeEngine.from_files([p], signal_names=None),
        "registry": load_registry,
        "calendar": load_calendar,
    }[loader]
    try:
        load(path)
    except PantauError as exc:
        assert str(exc).startswith(str(path)), str(exc)[:300]  # names the file (and the line, when known)
