"""Hostile input at Pantau's edges: the tipline endpoint (bodies, content types, multipart framing,
file names), platform connector payloads, and file names that try to leave the data folder.

Every generated request must get a 2xx or a 4xx with a JSON reason, never a 500; every generated
connector page must end as items or dead letters, never as an exception; nothing is written outside
the data folder whatever the file name says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pantau.schemas import DeadLetter, MediaItem
from pantau.settings import Settings

HOSTILE = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)
TRAVERSING_NAMES = [
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "/etc/cron.d/evil",
    "a/../../b.png",
    "%2e%2e%2fx.png",
    "\x00.png",
    "con.png",
    ".",
    "..",
    "x" * 300 + ".png",
    "good.png",
]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)


def _files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()}


# -- the tipline endpoint -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def tipline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from ingest.tipline.app import create_app
    from ingest.tipline.intake import TiplineOptions

    root = tmp_path_factory.mktemp("tipline")
    data = root / "data"
    options = TiplineOptions(ip_limit=1_000_000, max_file_bytes=4096, max_text_chars=500)
    with TestClient(create_app(Settings(data_dir=data, registry_file=None), options)) as client:
        yield client, root


def _multipart(boundary: str, parts: list[tuple[str, str | None, bytes]]) -> bytes:
    body = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        body += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode("utf-8", "surrogatepass")
        body += content + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


content_types = st.sampled_from(
    [
        "application/json",
        "multipart/form-data; boundary=XyZ",
        "multipart/form-data",
        "multipart/form-data; boundary=",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/xml",
        "",
        "multipart/mixed; boundary=XyZ",
    ]
)
form_values = st.one_of(
    text.map(str.encode), st.sampled_from([b"https://example.org/a", b"javascript:alert(1)", b"x" * 5000])
)
file_values = st.one_of(st.binary(max_size=80), st.just(PNG), st.just(PNG + b"x" * 5000))
field_parts = st.tuples(
    st.sampled_from(["text", "url", "contact", "language", "x", ""]), st.none(), form_values
)
file_parts = st.tuples(st.just("file"), st.one_of(st.none(), st.sampled_from(TRAVERSING_NAMES)), file_values)
parts = st.one_of(
    # The shape a browser sends (one file at most)...
    st.tuples(st.lists(field_parts, max_size=4), st.lists(file_parts, max_size=1)).map(lambda t: t[0] + t[1]),
    # ...and too many fields or files.
    st.lists(st.one_of(field_parts, file_parts), min_size=5, max_size=14),
)


MULTIPART = "multipart/form-data; boundary=XyZ"
json_tips = (
    st.dictionaries(st.sampled_from(["text", "url", "contact", "language"]), text | st.integers(), max_size=4)
    .map(json.dumps)
    .map(str.encode)
)
requests = st.one_of(
    # Well-framed enough to reach the form and tip checks...
    st.tuples(st.just(MULTIPART), parts.map(lambda p: _multipart("XyZ", p))),
    st.tuples(st.just("application/json"), st.one_of(json_tips, st.just(b"{" * 5000))),
    st.tuples(st.just("application/json"), st.just(b'{"text": "' + b"a" * 6000 + b'"}')),
    # ...and anything at all.
    st.tuples(content_types, st.one_of(st.binary(max_size=300), parts.map(lambda p: _multipart("XyZ", p)))),
)


@HOSTILE
@given(request=requests, truncate=st.integers(min_value=0, max_value=40))
def test_tipline_answers_any_request_with_an_ack_or_a_reason(
    tipline: tuple[Any, Path], request: tuple[str, bytes], truncate: int
) -> None:
    client, root = tipline
    content_type, body = request
    if truncate and truncate % 3 == 0:
        body = body[:-truncate]
    answer = client.post(
        "/tips", content=body, headers={"content-type": content_type} if content_type else {}
    )
    assert answer.status_code in (202, 400, 413, 415, 422), answer.text
    if answer.status_code != 202:
        assert answer.json()["error"], "a refusal must say why"
    outside = {p for p in _files_under(root) if not p.is_relative_to(root / "data")}
    assert outside == set()


@pytest.mark.parametrize("filename", TRAVERSING_NAMES)
def test_tipline_uploads_are_stored_content_addressed_whatever_their_name(
    tipline: tuple[Any, Path], filename: str
) -> None:
    client, root = tipline
    answer = client.post(
        "/tips",
        content=_multipart("XyZ", [("text", None, b"lihat ini"), ("file", filename, PNG)]),
        headers={"content-type": "multipart/form-data; boundary=XyZ"},
    )
    assert answer.status_code == 202, answer.text
    stored = _files_under(root)
    assert all(p.is_relative_to(root / "data") for p in stored)
    assert not any(Path(filename).name in p.name for p in stored if filename not in (".", ".."))


# -- the media store ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url", [f"https://cdn.example/{n}" for n in TRAVERSING_NAMES] + ["file:///etc/passwd"]
)
def test_media_store_names_files_by_content_never_by_the_given_name(tmp_path: Path, url: str) -> None:
    from ingest.fetch import store_bytes

    settings = Settings(data_dir=tmp_path / "data", registry_file=None)
    media = store_bytes(PNG, settings, url=url)
    assert media.path is not None
    path = Path(media.path).resolve()
    assert path.is_relative_to(settings.media_dir.resolve())
    assert path.name == media.sha256
    assert _files_under(tmp_path) == {path}


# -- platform connector payloads ------------------------------------------------------------------
tweet = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(text, st.integers(), st.none()),
        "text": st.one_of(text, st.integers(), st.none(), st.lists(text, max_size=2)),
        "created_at": st.one_of(st.just("2024-05-01T10:00:00.000Z"), text, st.integers()),
        "author_id": st.one_of(st.just("111"), text, st.none()),
        "lang": st.one_of(text, st.none()),
        "attachments": st.one_of(
            st.fixed_dictionaries({"media_keys": st.lists(st.one_of(text, st.integers()), max_size=3)}), text
        ),
        "entities": st.one_of(
            st.fixed_dictionaries(
                {"mentions": st.lists(st.dictionaries(text, text, max_size=3), max_size=2)}
            ),
            st.none(),
        ),
        "in_reply_to_user_id": st.one_of(text, st.none()),
    },
)
media_entry = st.dictionaries(
    st.sampled_from(["media_key", "type", "url", "preview_image_url", "variants"]),
    st.one_of(
        text,
        st.sampled_from(["3_1", "photo", "video", "http://127.0.0.1/x", "file:///etc/passwd"]),
        st.lists(
            st.dictionaries(
                st.sampled_from(["content_type", "bit_rate", "url"]), text | st.integers(), max_size=3
            ),
            max_size=2,
        ),
    ),
    max_size=5,
)
pages = st.one_of(
    st.fixed_dictionaries(
        {
            "meta": st.dictionaries(
                st.sampled_from(["result_count", "next_token", "newest_id"]), text | st.integers(), max_size=2
            )
        },
        optional={
            "data": st.one_of(st.lists(st.one_of(tweet, text), max_size=4), text, st.none()),
            "includes": st.fixed_dictionaries(
                {},
                optional={
                    "media": st.lists(media_entry, max_size=3),
                    "users": st.lists(st.dictionaries(text, text, max_size=3), max_size=2),
                },
            ),
        },
    ),
    st.lists(st.integers(), max_size=2),
    text,
)


@pytest.fixture(scope="module")
def replay() -> Iterator[Any]:
    from tests.unit.connectors.replay import ReplayServer

    with ReplayServer() as server:
        yield server


@HOSTILE
@given(page=pages, status=st.sampled_from([200, 200, 200, 400, 404, 500]))
def test_x_connector_turns_any_page_into_items_or_dead_letters(
    replay: Any, tmp_path_factory: pytest.TempPathFactory, page: Any, status: int
) -> None:
    from ingest.connectors.x import XSource
    from tests.unit.connectors.replay import Reply

    replay.routes.clear()
    replay.add(
        "GET", "/2/users/by/username/pbn_official", Reply({"data": {"id": "111", "username": "pbn_official"}})
    )
    replay.add("GET", "/2/users/111/tweets", Reply(page, status=status))
    source = XSource(
        "x",
        {"accounts": ["@pbn_official"], "api_base": replay.url, "poll_interval_s": 0, "max_retries": 0},
        data_dir=tmp_path_factory.mktemp("x"),
        credentials={"bearer_token": "b-secret"},
        sleep=lambda _s: None,
    )
    records = list(source.read())
    assert all(isinstance(r, MediaItem | DeadLetter) for r in records)
    for record in records:
        if isinstance(record, DeadLetter):
            assert record.reason and "b-secret" not in record.model_dump_json()
