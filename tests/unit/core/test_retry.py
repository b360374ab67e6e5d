"""The shared retry policies (pantau/retry.py, on tenacity): waits, what is retried and what is not."""

from __future__ import annotations

import asyncio

import pytest

from pantau import metrics
from pantau.errors import StoreUnavailable
from pantau.retry import delivery_retrying, store_retrying, store_retrying_async


def _flaky(failures: list[BaseException], result: str = "ok"):  # noqa: ANN202 - a test double
    calls: list[int] = []

    def call() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return result

    return call, calls


def test_store_calls_wait_longer_each_time_at_least_what_the_store_asks_and_at_most_the_cap() -> None:
    sleeps: list[float] = []
    errors = [StoreUnavailable("down", retry_after=0.0) for _ in range(5)]
    errors[1] = StoreUnavailable("busy", retry_after=1.7)
    call, calls = _flaky(errors)
    assert store_retrying("test", cap_s=3.0, sleep=sleeps.append)(call) == "ok"
    assert len(calls) == 6
    assert sleeps == [0.5, 1.7, 2.0, 3.0, 3.0]


def test_other_errors_pass_through_at_once() -> None:
    sleeps: list[float] = []
    call, calls = _flaky([ValueError("bug")])
    with pytest.raises(ValueError, match="bug"):
        store_retrying("test", cap_s=1.0, sleep=sleeps.append)(call)
    assert (len(calls), sleeps) == (1, [])


def test_the_async_policy_retries_the_same_way() -> None:
    call, calls = _flaky([StoreUnavailable("down", retry_after=0.0)] * 2)

    async def run() -> str:
        async def body() -> str:
            return call()

        return await store_retrying_async("test", cap_s=0.01)(body)

    assert asyncio.run(run()) == "ok"
    assert len(calls) == 3


def test_the_async_policy_awaits_a_lambda_that_returns_a_coroutine() -> None:
    """The Faust worker's batch guard passes ``lambda: batch(values)``: every try must run it.

    (tenacity's AsyncRetrying alone calls such a lambda and returns its coroutine un-awaited:
    the worker then dropped every batch without a word.)
    """
    call, calls = _flaky([StoreUnavailable("down", retry_after=0.0)])
    ran: list[str] = []

    async def batch(values: list[str]) -> str:
        ran.extend(values)
        return call()

    async def run() -> str:
        return await store_retrying_async("test", cap_s=0.01)(lambda v=["a"]: batch(v))

    assert asyncio.run(run()) == "ok"
    assert ran == ["a", "a"] and len(calls) == 2


def test_the_async_policy_takes_a_plain_function_and_its_arguments() -> None:
    async def run() -> int:
        return await store_retrying_async("test", cap_s=0.01)(lambda x, y=1: x + y, 2, y=3)

    assert asyncio.run(run()) == 5


def test_a_store_policy_with_attempts_raises_the_last_error_after_them() -> None:
    sleeps: list[float] = []
    call, calls = _flaky([StoreUnavailable(str(n), retry_after=0.0) for n in range(5)])
    counted = metrics.STORE_ERRORS.labels("StoreUnavailable")._value.get()
    with pytest.raises(StoreUnavailable, match="2"):
        store_retrying("test", cap_s=30.0, sleep=sleeps.append, attempts=3)(call)
    assert len(calls) == 3 and sleeps == [0.5, 1.0]
    assert metrics.STORE_ERRORS.labels("StoreUnavailable")._value.get() - counted == 3, "every failed try counts"


def test_deliveries_stop_after_the_attempts_and_raise_the_last_error() -> None:
    sleeps: list[float] = []
    failed: list[int] = []
    call, calls = _flaky([ConnectionError(str(n)) for n in range(5)])
    with pytest.raises(ConnectionError, match="2"):
        delivery_retrying(
            3, 0.25, ConnectionError, sleeps.append, after=lambda state: failed.append(state.attempt_number)
        )(call)
    assert (len(calls), sleeps, failed) == (3, [0.25, 0.5], [1, 2, 3])
