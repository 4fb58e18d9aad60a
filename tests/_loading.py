"""A server that loads its data set slowly, answering ``LOADING`` once per pass of its load.

``DEBUG RELOAD`` with ``key-load-delay``: the server reads ``delay_us`` apart each key it
holds and handles its clients once per 1,024 bytes read (about 42 small keys): 7 ms per key
answers every ~0.3 s, 16 ms every ~0.7 s.
"""

from __future__ import annotations

import asyncio
import time

from redis_oxide.testing import Endpoint, RawValue, parse_info, raw_command

__all__ = ["HURRIED", "SLOW_DELAY_US", "SLOW_KEYS", "is_loading", "reload_slowly"]

#: A load that answers LOADING about every 0.7 s, for about 7.5 s: a read given ``HURRIED``
#: seconds gets its first LOADING in time, and its retry waits for the next pass.
SLOW_KEYS = 480
SLOW_DELAY_US = 16_000
HURRIED = 1.0


def is_loading(endpoint: Endpoint) -> bool:
    """Whether the server is loading its data set now."""
    return parse_info(raw_command(endpoint, "INFO", "persistence"))["loading"] == "1"


async def reload_slowly(endpoint: Endpoint, keys: int, delay_us: int) -> asyncio.Task[RawValue]:
    """Give the server ``keys`` more keys and reload them ``delay_us`` apart.

    Returns:
        The reload (``DEBUG RELOAD``'s reply), once the server is seen loading.
    """
    raw_command(endpoint, "CONFIG", "SET", "key-load-delay", str(delay_us))
    raw_command(endpoint, "CONFIG", "SET", "loading-process-events-interval-bytes", "1024")
    raw_command(endpoint, "DEBUG", "POPULATE", str(keys), "filler")
    reload = asyncio.create_task(
        asyncio.to_thread(raw_command, endpoint, "DEBUG", "RELOAD", timeout=30)
    )
    deadline = time.monotonic() + 10
    while not is_loading(endpoint):
        assert time.monotonic() < deadline, "the server did not start loading"
        assert not reload.done(), "the reload ended before it was seen loading"
        await asyncio.sleep(0.01)
    return reload
