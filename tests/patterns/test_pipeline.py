"""Pipelines on real servers: batching, ordering, typed handles, per-slot errors."""

from __future__ import annotations

import asyncio
import math
import time
from typing import TYPE_CHECKING, Any, cast

import pytest

from redis_oxide._client import Redis
from redis_oxide._connection import Connection
from redis_oxide._exceptions import InvalidUsageError, ServerError, WrongTypeError
from redis_oxide._pipeline import PipelineResult
from redis_oxide._pool._batch import CHUNK_COMMANDS as _CHUNK_COMMANDS
from redis_oxide.testing._info import RedisServerInfo

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(30)


def _client(info: RedisServerInfo, **options: Any) -> Redis[bytes]:
    return Redis(info.host, info.port, **options)


async def test_large_pipeline_is_sent_in_few_writes_in_order(
    flushed_stack: RedisServerInfo, figures: Figure
) -> None:
    async with _client(flushed_stack) as client:
        await client.execute_command("SET", "text", "hello")
        conn = cast(Connection, await client._server.strategy.shared_connection(None))
        assert conn is not None
        pipe = client.pipeline()
        counters = [pipe.incr(f"counter:{i % 100}") for i in range(9_999)]
        text = pipe.get("text")
        writes_before = conn.write_count
        results = await pipe.execute()
        writes = conn.write_count - writes_before
        figures("writes for a 10,000-command pipeline", writes)
        assert len(results) == 10_000
        assert 1 <= writes <= math.ceil(10_000 / _CHUNK_COMMANDS)
        assert results[:3] == [1, 1, 1]
        assert results[-2] == 100
        assert results[-1] == b"hello"
        assert await counters[0] == 1
        assert await counters[-1] == 100
        assert pipe.result(text).value == b"hello"
        assert isinstance(counters[5], PipelineResult)


@pytest.mark.parametrize("transaction", [False, True])
async def test_commands_framed_at_execute_and_at_queueing_keep_their_order(
    flushed_stack: RedisServerInfo, transaction: bool
) -> None:
    # bytes-only SET/GET are framed by execute(), chunk by chunk; str keys, int values and
    # options are framed when queued. Interleaved over several chunks, every slot still gets
    # its own reply.
    async with _client(flushed_stack) as client:
        pipe = client.pipeline(transaction=transaction)
        total = 3 * _CHUNK_COMMANDS + 7
        for i in range(total):
            if i % 3 == 0:
                pipe.set(b"late:%d" % i, b"v%d" % i)
            elif i % 3 == 1:
                pipe.set(f"early:{i}", i, seconds=60)
            else:
                pipe.get(b"late:%d" % (i - 2))
        results = await pipe.execute()
        assert len(results) == total
        for i, result in enumerate(results):
            if i % 3 == 2:
                assert result == b"v%d" % (i - 2), i
            else:
                assert result is True, i
        assert await client.get("early:1") == b"1"
        assert await client.ttl("early:1") > 0


async def test_other_callers_keep_completing_while_a_pipeline_is_in_flight(
    flushed_stack: RedisServerInfo,
) -> None:
    async with _client(flushed_stack) as client:
        await client.execute_command("SET", "probe", "x")
        completed: list[float] = []
        stop = asyncio.Event()

        async def get_loop() -> None:
            while not stop.is_set():
                assert await client.get("probe") == b"x"
                completed.append(time.monotonic())

        task = asyncio.create_task(get_loop())
        await asyncio.sleep(0.01)
        pipe = client.pipeline()
        for i in range(10_000):
            pipe.set(f"bulk:{i}", "v" * 100)
        started = time.monotonic()
        await pipe.execute()
        finished = time.monotonic()
        stop.set()
        await task
        during = [t for t in completed if started < t < finished]
        # The batch goes out in ~20 chunks with at most two unanswered: GETs written between
        # chunks are answered before the pipeline ends.
        assert len(during) >= 2, (len(during), finished - started)


async def test_errors_stay_in_their_slots_without_raise_on_error(
    flushed_stack: RedisServerInfo,
) -> None:
    async with _client(flushed_stack) as client:
        await client.execute_command("SET", "s", "text")
        pipe = client.pipeline(raise_on_error=False)
        first = pipe.incr("n")
        wrong = pipe.lpush("s", "x")
        last = pipe.get("s")
        results = await pipe.execute()
        assert results[0] == 1
        assert results[2] == b"text"
        assert isinstance(results[1], WrongTypeError)
        assert results[1].command == "LPUSH"
        assert await first == 1
        assert await last == b"text"
        with pytest.raises(WrongTypeError):
            await wrong


async def test_first_error_is_raised_after_every_slot_is_set(
    flushed_stack: RedisServerInfo,
) -> None:
    async with _client(flushed_stack) as client:
        await client.execute_command("SET", "s", "text")
        pipe = client.pipeline()
        wrong = pipe.incr("s")
        after = pipe.set("t", "v")
        with pytest.raises(ServerError):
            await pipe.execute()
        assert await after is True
        assert isinstance(pipe.result(wrong), PipelineResult)
        with pytest.raises(ServerError):
            _ = pipe.result(wrong).value
        assert await client.get("t") == b"v"


async def test_handle_refuses_to_resolve_before_the_pipeline_ran(
    flushed_stack: RedisServerInfo,
) -> None:
    async with _client(flushed_stack) as client:
        pipe = client.pipeline()
        handle = pipe.get("k")
        with pytest.raises(InvalidUsageError, match="has not run yet"):
            await handle
        assert not pipe.result(handle).is_ready()
        await pipe.execute()
        assert await handle is None


async def test_bad_argument_raises_at_the_call_and_queues_nothing(
    flushed_stack: RedisServerInfo,
) -> None:
    async with _client(flushed_stack) as client:
        pipe = client.pipeline()
        with pytest.raises(TypeError):
            pipe.execute_command("SET", "k", None)  # type: ignore[call-overload]  # the point
        assert len(pipe) == 0
        with pytest.raises(InvalidUsageError):
            pipe.execute_command("MULTI")


async def test_context_manager_runs_on_clean_exit_only(flushed_stack: RedisServerInfo) -> None:
    async with _client(flushed_stack) as client:
        async with client.pipeline() as pipe:
            pipe.set("ran", "1")
        pipe = client.pipeline()
        dropped = pipe.set("dropped", "1")

        async def failing_block() -> None:
            async with pipe:
                raise RuntimeError("user code failed")

        with pytest.raises(RuntimeError):
            await failing_block()
        with pytest.raises(InvalidUsageError):
            await dropped
        assert await client.get("ran") == b"1"
        assert await client.get("dropped") is None


async def test_pipeline_is_reusable_after_execute(flushed_stack: RedisServerInfo) -> None:
    async with _client(flushed_stack) as client:
        pipe = client.pipeline()
        first = pipe.incr("n")
        assert await pipe.execute() == [1]
        second = pipe.incr("n")
        assert await pipe.execute() == [2]
        assert (await first, await second) == (1, 2)
        assert await pipe.execute() == []


@pytest.mark.parametrize("transaction", [False, True])
async def test_pooled_client_runs_pipelines_on_a_lease(
    flushed_stack: RedisServerInfo, transaction: bool
) -> None:
    async with _client(flushed_stack, strategy="pooled") as client:
        pipe = client.pipeline(transaction=transaction)
        for _ in range(3):
            pipe.incr("n")
        assert await pipe.execute() == [1, 2, 3]
        assert client.stats().leased == 0


async def test_blocking_command_in_a_pipeline_uses_a_dedicated_connection(
    flushed_stack: RedisServerInfo,
) -> None:
    async with _client(flushed_stack) as client:
        await client.execute_command("RPUSH", "q", "a")
        pipe = client.pipeline()
        popped = pipe.blpop(["q"], 1)
        await pipe.execute()
        assert await popped == (b"q", b"a")
        assert client.stats().leased == 0


@pytest.mark.parametrize("protocol", [2, 3])
async def test_transaction_pipeline_runs_atomically_with_typed_slots(
    flushed_stack: RedisServerInfo, protocol: Any
) -> None:
    async with _client(flushed_stack, protocol=protocol) as client:
        async with client.pipeline(transaction=True) as tx:
            added = tx.sadd("set", "a", "b")
            members = tx.smembers("set")
            score = tx.zincrby("z", 2, "m")
        assert await added == 2
        assert await members == {b"a", b"b"}
        assert await score == 2.0


async def test_errors_name_their_position_in_the_pipeline(flushed_stack: RedisServerInfo) -> None:
    async with _client(flushed_stack) as client:
        await client.execute_command("SET", "text", "hello")
        pipe = client.pipeline()
        pipe.set("a", "1")
        pipe.incr("text")  # position 1: not an integer
        pipe.lpush("text", "x")  # position 2: wrong type
        with pytest.raises(ServerError) as caught:
            await pipe.execute()
        assert caught.value.position == 1
        assert "position=1" in str(caught.value)
        again = client.pipeline(raise_on_error=False)
        again.get("a")
        bad = again.lpush("text", "x")
        results = await again.execute()
        assert isinstance(results[1], WrongTypeError)
        assert results[1].position == 1
        with pytest.raises(WrongTypeError) as from_handle:
            await bad
        assert from_handle.value.position == 1


async def test_handles_of_a_cancelled_run_raise_a_clear_error(
    flushed_stack: RedisServerInfo, tcp_proxy: Any
) -> None:
    proxy = await tcp_proxy(flushed_stack)
    async with Redis(proxy.host, proxy.port) as client:
        await client.ping()
        proxy.stall()
        pipe = client.pipeline()
        handle = pipe.get("a")
        run = asyncio.ensure_future(pipe.execute())
        await asyncio.sleep(0.05)
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

        async def reader() -> object:
            return await handle

        # Another task awaits the handle: it must not see a cancellation of its own.
        with pytest.raises(InvalidUsageError, match="cancelled"):
            await asyncio.ensure_future(reader())
        proxy.resume()


async def test_executing_inside_the_block_sends_one_transaction(
    flushed_stack: RedisServerInfo,
) -> None:
    # redis-py's habit: execute() inside the block. The block's end has nothing left to run
    # and sends nothing (an empty MULTI/EXEC before).
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.config_resetstat()
        async with client.pipeline(transaction=True) as pipe:
            pipe.set("inside", "1")
            assert await pipe.execute() == [True]
        async with client.pipeline(transaction=True):
            pass
        calls = (await client.info(section=["commandstats"]))["commandstats"]
        assert str(calls["cmdstat_multi"]).startswith("calls=1,")
        assert str(calls["cmdstat_exec"]).startswith("calls=1,")
