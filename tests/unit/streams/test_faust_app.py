"""The Faust app's wiring and message decoding, without a broker."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

pytest.importorskip("faust", reason="the Kafka backend needs the 'scale' extra")

from pantau.errors import StoreUnavailable  # noqa: E402
from pantau.schemas import EnrichedItem, MediaItem  # noqa: E402
from streams.faust_agents import PantauStreams, SignalsMessage  # noqa: E402


@pytest.fixture
def streams(settings: Any) -> PantauStreams:
    return PantauStreams(settings, pipeline=object())  # type: ignore[arg-type]


def test_agents_read_the_three_stage_topics(streams: PantauStreams) -> None:
    topics = {agent.channel.get_topic_name() for agent in streams.app.agents.values()}
    assert topics == {streams.topics.raw_items, streams.topics.enriched_items, streams.topics.signals}


@pytest.mark.parametrize(
    ("raw", "error_type"),
    [
        (b"not json {", "ValidationError"),
        (b'{"id": 42}', "ValidationError"),
        (b"\xff\xfe", "ValidationError"),
    ],
)
def test_poison_messages_become_dead_letters_with_their_payload(
    streams: PantauStreams, raw: bytes, error_type: str
) -> None:
    good = MediaItem(id="i1", source="feed:t", native_id="1", text="hello")
    ok, dead = streams._decode([good.model_dump_json().encode(), raw], MediaItem, "decode:raw-items")  # noqa: SLF001
    assert ok == [good]
    (letter,) = dead
    assert (letter.stage, letter.error_type) == ("decode:raw-items", error_type)
    assert letter.payload == raw.decode("utf-8", "backslashreplace")


def test_signals_message_round_trips() -> None:
    item = EnrichedItem(item=MediaItem(id="i1", source="feed:t", native_id="1", text="hello"))
    message = SignalsMessage(item=item, signals=[])
    assert SignalsMessage.model_validate_json(message.model_dump_json()) == message


class _Recorder(PantauStreams):
    """Keeps dead letters in a list instead of the store and the topic."""

    recorded: list[Any]

    async def _dead_letter(self, letters: Any) -> None:
        self.recorded = [*getattr(self, "recorded", []), *letters]


@pytest.fixture
def recorder(settings: Any) -> _Recorder:
    return _Recorder(settings, pipeline=object(), retry_cap_s=0.01)  # type: ignore[arg-type]


def test_a_batch_that_raises_is_dead_lettered_and_the_agent_carries_on(recorder: _Recorder) -> None:
    async def body() -> None:
        raise RuntimeError("detector bug")

    asyncio.run(recorder._guard("detect", [b"a", b"b"], body))  # noqa: SLF001
    assert [(d.stage, d.reason, d.payload) for d in recorder.recorded] == [
        ("detect", "RuntimeError: detector bug", "a"),
        ("detect", "RuntimeError: detector bug", "b"),
    ]


def test_a_batch_is_rerun_while_the_store_is_unavailable(recorder: _Recorder) -> None:
    calls: list[int] = []

    async def body() -> None:
        calls.append(1)
        if len(calls) < 3:
            raise StoreUnavailable("down", retry_after=0.0)

    asyncio.run(recorder._guard("judge", [b"a"], body))  # noqa: SLF001
    assert len(calls) == 3
    assert getattr(recorder, "recorded", []) == []
