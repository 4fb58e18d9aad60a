"""The generated command methods run through the client's executor on both protocols."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from redis_oxide._client import Redis
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("protocol", [2, 3])
async def test_typed_methods_give_the_same_values_on_resp2_and_resp3(
    redis_stack: RedisServerInfo, protocol: Any
) -> None:
    key = f"gen-test:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, protocol=protocol) as raw:
        assert await raw.set(key, "1") is True
        assert await raw.incr(key) == 2
        assert await raw.get(key) == b"2"
        await raw.execute_command("HSET", key + ":h", "f", "v")
        assert await raw.hgetall(key + ":h") == {b"f": b"v"}
    async with Redis(
        redis_stack.host, redis_stack.port, protocol=protocol, decode_responses=True
    ) as text:
        assert await text.get(key) == "2"
        assert await text.hgetall(key + ":h") == {"f": "v"}


async def test_generated_blocking_method_uses_a_dedicated_connection(
    redis_stack: RedisServerInfo,
) -> None:
    key = f"gen-test:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port) as client:
        popped = asyncio.ensure_future(client.blpop([key], 2))
        await asyncio.sleep(0.05)
        assert client.stats().leased == 1
        started = time.monotonic()
        await asyncio.gather(*(client.get(key) for _ in range(200)))
        assert time.monotonic() - started < 0.5
        await client.execute_command("RPUSH", key, "x")
        assert await popped == (key.encode(), b"x")


async def test_empty_mappings_are_refused_before_anything_is_sent(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.config_resetstat()
        calls: list[tuple[str, Callable[[], object]]] = [
            ("HSET", lambda: client.hset("h", {})),
            ("ZADD", lambda: client.zadd("z", {})),
            ("XADD", lambda: client.xadd("s", {})),
            ("MSET", lambda: client.mset({})),
            ("XREAD", lambda: client.xread({})),
        ]
        for name, call in calls:
            with pytest.raises(ValueError, match=f"{name}: .* must not be empty"):
                call()
        stats = await client.info(section=["commandstats"])
        sent = {name for name in stats["commandstats"] if name.startswith("cmdstat_")}
        assert sent <= {"cmdstat_config|resetstat", "cmdstat_info"}
