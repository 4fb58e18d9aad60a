"""A client outliving its event loop: refused before anything is sent, and closable.

A client belongs to the event loop its connections were opened on. A program that runs
``asyncio.run()`` twice (or a test suite with a loop per test) and keeps one client across
them used to write the next command on the dead loop's socket and then fail with asyncio's
"attached to a different loop", the command already run by the server.
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, Literal

import pytest
import uvloop

from redis_oxide import Redis
from redis_oxide.exceptions import InvalidUsageError
from redis_oxide.testing import RedisServerInfo, raw_command

# The first loop ends with the client's sockets open, on purpose: both loops warn about them
# (uvloop in loop.close(), where an error instead of a warning leaves it waiting forever).
pytestmark = [pytest.mark.timeout(30), pytest.mark.filterwarnings("ignore::ResourceWarning")]

Factory = Callable[[], asyncio.AbstractEventLoop]
LOOPS: dict[str, Factory] = {"asyncio": asyncio.new_event_loop, "uvloop": uvloop.new_event_loop}


def _run(factory: Factory, coro: Coroutine[Any, Any, Any]) -> Any:
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)


def _named_connections(server: RedisServerInfo, name: str) -> int:
    listing = raw_command(server.endpoint, "CLIENT", "LIST")
    assert isinstance(listing, bytes)
    return listing.decode().count(f" name={name} ")


def _outlive_a_loop(client: Redis[bytes], factory: Factory, key: str, cache: bool) -> list[str]:
    """Use ``client`` on one loop, then on a second; return what the second was told."""

    async def first() -> None:
        await client.set(key, "1")
        async with client.pipeline() as pipe:
            pipe.incr(key)

    _run(factory, first())  # asyncio leaves the sockets open; uvloop's close() closes them

    async def second() -> list[str]:
        refused: list[str] = []
        for name, args in (("INCR", (key,)), ("SET", (key, "99"))):
            with pytest.raises(InvalidUsageError, match="closed") as caught:
                await client.execute_command(name, *args)
            refused.append(str(caught.value))
        if cache:
            # The cache's first loop flushed it as it ended; its reads connect again, on
            # this loop, and are tracked there: what they return is the server's value.
            assert await client.get(key) == b"2"
        else:
            with pytest.raises(InvalidUsageError, match="closed"):
                await client.get(key)
        with pytest.raises(InvalidUsageError, match="closed"):
            async with client.pipeline() as pipe:
                pipe.incr(key)
        await client.aclose()  # works from the new loop: it hangs up
        return refused

    refused: list[str] = _run(factory, second())
    return refused


@pytest.mark.parametrize("loop", sorted(LOOPS))
@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
@pytest.mark.parametrize("cache", [False, True])
def test_a_client_used_after_its_loop_closed_refuses_and_sends_nothing(
    redis_7: RedisServerInfo,
    loop: str,
    strategy: Literal["multiplexed", "pooled"],
    cache: bool,
) -> None:
    key, name = f"loops:{uuid.uuid4().hex}", f"loops-{uuid.uuid4().hex[:12]}"
    refused = _outlive_a_loop(
        Redis(redis_7.host, redis_7.port, strategy=strategy, cache=cache, client_name=name),
        LOOPS[loop],
        key,
        cache,
    )
    gc.collect()  # the first loop's transports go now, while their warnings are ignored
    assert refused[0].startswith("INCR was not sent"), refused[0]
    assert "asyncio.run()" in refused[0]
    # Nothing reached the server: the value is the first loop's.
    assert raw_command(redis_7.endpoint, "GET", key) == b"2"
    deadline = time.monotonic() + 5
    while _named_connections(redis_7, name) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _named_connections(redis_7, name) == 0, "aclose() left connections open"
