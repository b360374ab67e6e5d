"""Retries with backoff, on tenacity: the policies Pantau's loops share, in one place.

- :func:`store_retrying` / :func:`store_retrying_async`: retry a store call for as long as the
  store is unavailable (:class:`~pantau.errors.StoreUnavailable`), waiting 0.5 s, then twice as
  long each time, at least the ``retry_after`` the store asked for, never more than a cap. Kafka
  workers use it so that a batch's offsets stay uncommitted until its results are written.
- :func:`delivery_retrying`: a fixed number of tries with doubling waits (alert channels).

Each error is counted and logged by the caller's hooks (``before_sleep``/``after``); any other
exception passes through at once, unchanged.

Example Snippet::

    store_retrying("open store", cap_s=30.0)(store.open)
    await store_retrying_async("index incidents", cap_s=30.0)(asyncio.to_thread, write)
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_never,
    wait_exponential,
)
from tenacity.wait import wait_base

from pantau import metrics
from pantau.errors import StoreUnavailable

__all__ = ["delivery_retrying", "store_retrying", "store_retrying_async", "wait_store"]

log = logging.getLogger(__name__)

FIRST_WAIT_S = 0.5


class wait_store(wait_base):  # noqa: N801 - named like tenacity's own wait strategies
    """0.5 s, doubling with each try, at least the error's ``retry_after``, at most ``cap_s``.

    >>> from unittest.mock import Mock
    >>> state = Mock(attempt_number=3, outcome=Mock(exception=lambda: StoreUnavailable("x", retry_after=1.0)))
    >>> wait_store(30.0)(state), wait_store(1.5)(state)
    (2.0, 1.5)
    """

    def __init__(self, cap_s: float) -> None:
        self.cap_s = cap_s

    def __call__(self, retry_state: RetryCallState) -> float:
        delay = min(FIRST_WAIT_S * 2 ** (retry_state.attempt_number - 1), self.cap_s)
        exc = retry_state.outcome.exception() if retry_state.outcome is not None else None
        return min(max(delay, float(getattr(exc, "retry_after", 0.0) or 0.0)), self.cap_s)


def _count_store_error(state: RetryCallState) -> None:
    """``after``: count each failed try, the last one of a limited policy included."""
    exc = state.outcome.exception() if state.outcome is not None else None
    metrics.STORE_ERRORS.labels(type(exc).__name__).inc()


def _store_unavailable(what: str, doing: str, logger: logging.Logger) -> Callable[[RetryCallState], None]:
    """``before_sleep``: say in the caller's log what happens next."""

    def note(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        pause = state.next_action.sleep if state.next_action is not None else 0.0
        logger.warning("%s: store unavailable (%s); %s in %.1fs", what, exc, doing, pause)

    return note


def store_retrying(
    what: str, cap_s: float, sleep: Callable[[float], None] = time.sleep, logger: logging.Logger = log,
    attempts: int | None = None,
) -> Retrying:
    """Call ``fn(*args)`` through the result until it returns without StoreUnavailable (blocking sleeps).

    ``attempts``: at most this many tries, then the last StoreUnavailable is raised (default: no limit).
    """
    return Retrying(
        retry=retry_if_exception_type(StoreUnavailable),
        stop=stop_after_attempt(attempts) if attempts else stop_never,
        wait=wait_store(cap_s),
        sleep=sleep,
        after=_count_store_error,
        before_sleep=_store_unavailable(what, "retrying", logger),
        reraise=True,
    )


def store_retrying_async(
    what: str, cap_s: float, doing: str = "retrying", logger: logging.Logger = log
) -> Callable[..., Awaitable[Any]]:
    """As :func:`store_retrying`, awaiting ``fn(*args)`` and ``asyncio.sleep`` between tries.

    ``fn`` may be any callable whose result is awaitable (a coroutine function, or a lambda or
    partial that returns a coroutine): tenacity's own ``AsyncRetrying`` awaits only what it
    recognises as a coroutine function and would hand back a lambda's coroutine un-run.
    """
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(StoreUnavailable),
        wait=wait_store(cap_s),
        after=_count_store_error,
        before_sleep=_store_unavailable(what, doing, logger),
        reraise=True,
    )

    async def run(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        async def attempt() -> Any:
            result = fn(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        return await retrying(attempt)

    return run


def delivery_retrying(
    attempts: int,
    first_wait_s: float,
    errors: type[BaseException] | tuple[type[BaseException], ...],
    sleep: Callable[[float], None] = time.sleep,
    **hooks: Any,
) -> Retrying:
    """At most ``attempts`` tries on ``errors``, waiting ``first_wait_s``, then twice as long each time.

    The last error is raised as it is (``reraise``); ``hooks`` are tenacity's ``after`` (each
    failed try) and ``before_sleep`` (each try that will be followed by another).
    """
    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=first_wait_s, exp_base=2),
        retry=retry_if_exception_type(errors),
        sleep=sleep,
        reraise=True,
        **hooks,
    )
