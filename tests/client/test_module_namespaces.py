"""Module namespaces (``r.json``, ``r.bf`` ...) run through their owner's executor.

A namespace holds nothing but its owner's bound ``_execute``: on a client it sends, in a
pipeline it queues, in a transaction it queues inside MULTI, and on a ``with_options`` view it
uses the view's settings. Bad JSON values fail before anything is sent.
"""

from __future__ import annotations

import asyncio
import math
import uuid

import pytest

from redis_oxide import Redis
from redis_oxide.exceptions import CommandTimeoutError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


def _key() -> str:
    return f"ns-test:{uuid.uuid4().hex}"


async def test_client_namespace_sends_through_the_client(redis_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        # The owner's bound executor itself, not a wrapper around it.
        assert r.json._execute == r._execute
        assert await r.json.set(key, "$", {"a": [1, 2]}) is True
        assert await r.json.get(key, "$.a") == [[1, 2]]
        assert await r.json.set(key, "$.b", b'{"raw": true}') is True
        assert await r.json.get(key, ".b") == {"raw": True}


async def test_pipeline_and_transaction_namespaces_queue(redis_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(redis_stack.host, redis_stack.port) as r:
        async with r.pipeline() as pipe:
            added = pipe.bf.add(key, "x")
            seen = pipe.bf.exists(key, "x")
            assert len(pipe) == 2
        assert (await added, await seen) == (True, True)
        async with r.pipeline(transaction=True) as tx:
            tx.json.set(key + ":j", "$", [1])
            appended = tx.json.arrappend(key + ":j", "$", 2, 3)
        assert await appended == [3]


async def test_a_view_namespace_uses_the_views_settings(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as r:
        view = r.with_options(command_timeout=0.05)
        await r.execute_command("DEBUG", "SLEEP", "0")
        slow = asyncio.ensure_future(r.execute_command("DEBUG", "SLEEP", "0.3"))
        await asyncio.sleep(0.01)
        # Queued behind the sleep on the shared connection: only the view's call times out.
        with pytest.raises(CommandTimeoutError):
            await view.bf.exists(_key(), "x")
        await slow


async def test_json_values_that_cannot_be_sent_fail_before_sending(
    redis_stack: RedisServerInfo,
) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as r:
        with pytest.raises(TypeError, match=r"JSON\.SET: value is not JSON-serialisable"):
            r.json.set(_key(), "$", {"when": object()})
        with pytest.raises(ValueError, match=r"JSON\.SET: value cannot be sent as JSON"):
            r.json.set(_key(), "$", [math.nan])
        with pytest.raises(TypeError, match=r"JSON\.ARRINDEX: stop needs start"):
            r.json.arrindex(_key(), "$", 1, stop=2)
        with pytest.raises(TypeError, match=r"FT\.AGGREGATE: read_size needs withcursor"):
            r.ft.aggregate("idx", "*", read_size=10)
        assert r.stats().pending == 0


async def test_ft_info_field_statistics_are_alike_on_both_protocols(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as setup:
        await setup.execute_command(
            "FT.CREATE", "idx:stats", "PREFIX", "1", "stats:", "SCHEMA", "n", "NUMERIC"
        )
        await setup.hset("stats:1", {"n": "not a number"})
        await asyncio.sleep(0.1)  # indexed in the background
    seen = []
    for protocol in (2, 3):
        async with Redis(
            flushed_stack.host, flushed_stack.port, decode_responses=True, protocol=protocol
        ) as client:
            info = await client.ft.info("idx:stats")
            assert info.field_statistics is not None
            (stats,) = info.field_statistics
            assert (stats.identifier, stats.attribute) == ("n", "n")
            assert stats.index_errors["indexing failures"] == 1
            assert stats.index_errors["last indexing error key"] == "stats:1"
            seen.append(info.field_statistics)
    assert seen[0] == seen[1]
