"""Bounded polling for the pub/sub tests: every wait ends, with a message saying what failed."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

POLL = 0.005


async def until(condition: Callable[[], bool | Awaitable[bool]], within: float, what: str) -> float:
    """Poll ``condition`` every 5 ms until it holds; return how long that took.

    Raises:
        AssertionError: It did not hold within ``within`` seconds.
    """
    started = time.monotonic()
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return time.monotonic() - started
        assert time.monotonic() - started < within, f"{what} did not happen within {within} s"
        await asyncio.sleep(POLL)
