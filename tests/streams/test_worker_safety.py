"""Stream workers never lose an entry: failed dead-letter moves, loops left early, re-runs."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from redis_oxide import GroupConsumer, Redis, RedisCluster, Retry, StreamEntry, StreamProducer
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import ConnectionError, InvalidUsageError
from redis_oxide.testing import RedisServerInfo
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from redis_oxide.testing import ClusterInfo, ServerFactory

pytestmark = pytest.mark.timeout(60)


def _stream() -> str:
    return f"streams-safety:{uuid.uuid4().hex[:8]}"


def _worker(
    r: Redis[str],
    stream: str,
    *,
    min_idle: float,
    max_deliveries: int = 5,
    count: int = 10,
    claim_interval: float | None = None,
) -> GroupConsumer[str]:
    return GroupConsumer(
        r,
        stream,
        "g",
        "w",
        group_start="0",
        block_timeout=0.05,
        min_idle=min_idle,
        max_deliveries=max_deliveries,
        count=count,
        claim_interval=claim_interval,
    )


async def _failing(entry: StreamEntry[str]) -> None:
    raise ValueError(f"cannot handle {entry.id}")


async def _run_until(
    worker: GroupConsumer[str],
    handler: Callable[[StreamEntry[str]], Awaitable[object] | None],
    done: Callable[[], bool],
) -> None:
    task = asyncio.ensure_future(worker.run(handler))
    try:
        await until(done, 10, "the worker")
    finally:
        worker.stop()
        await asyncio.wait_for(task, 5)


async def test_a_dead_letter_move_that_fails_leaves_the_entry_pending_and_the_run_going(
    redis_stack: RedisServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    # The dead-letter key holds a string: the move fails, and must not acknowledge the entry.
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        await r.set(f"{stream}:dead-letter", "not a stream")
        poison = await r.xadd(stream, {"n": "poison"})
        worker = _worker(r, stream, min_idle=0.1, max_deliveries=1, claim_interval=0.05)
        handled: list[str] = []

        async def handle(entry: StreamEntry[str]) -> None:
            if entry.id == poison:
                raise ValueError("poison")
            handled.append(entry.fields["n"])

        with caplog.at_level(logging.ERROR, "redis_oxide.streams"):
            task = asyncio.ensure_future(worker.run(handle))
            await until(lambda: "failed (WrongTypeError" in caplog.text, 10, "the failed move")
            await r.xadd(stream, {"n": "next"})  # the run goes on with other entries
            await until(lambda: handled == ["next"], 10, "the next entry")
            pending = await r.xpending(stream, "g")
            assert (pending.count, pending.min_id) == (1, poison)
            assert worker.stats.dead_lettered == 0
            await until(
                lambda: caplog.text.count("failed (WrongTypeError") >= 2, 10, "a retried move"
            )
            # Once the key is fixed, a later sweep moves it.
            await r.delete(f"{stream}:dead-letter")
            await until(lambda: worker.stats.dead_lettered == 1, 10, "the move")
            worker.stop()
            await asyncio.wait_for(task, 5)
        assert "stays pending" in caplog.text
        dead = await r.xrange(f"{stream}:dead-letter", "-", "+")
        assert [(f["dead-letter-id"], f["n"]) for _, f in dead] == [(poison, "poison")]
        # The claims that retried the failed move handed it to no handler: one delivery.
        assert dead[0][1]["dead-letter-deliveries"] == "1"
        assert (await r.xpending(stream, "g")).count == 0


@pytest.mark.parametrize("pairs", [100, 5_000])
async def test_an_entry_of_any_size_is_dead_lettered_whole(
    redis_stack: RedisServerInfo, pairs: int
) -> None:
    # 5,000 pairs: more values than one Lua call can unpack.
    stream = _stream()
    fields = {f"f{i}": str(i) for i in range(pairs)}
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        id = await r.xadd(stream, fields)
        worker = _worker(r, stream, min_idle=0.1, max_deliveries=1, claim_interval=0.05)
        await _run_until(worker, _failing, lambda: worker.stats.dead_lettered == 1)
        dead = await r.xrange(f"{stream}:dead-letter", "-", "+")
        assert len(dead) == 1
        moved = dead[0][1]
        assert moved["dead-letter-id"] == id
        assert moved["dead-letter-stream"] == stream
        assert moved["dead-letter-deliveries"] == "1"
        assert {k: v for k, v in moved.items() if not k.startswith("dead-letter-")} == fields
        assert (await r.xpending(stream, "g")).count == 0


async def test_a_big_entry_finished_by_another_worker_meanwhile_is_not_dead_lettered(
    redis_stack: RedisServerInfo,
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        await r.xadd(stream, {f"f{i}": "v" for i in range(5_000)})
        await r.xgroup_create(stream, "g", id="0")
        await r.xreadgroup(("g", "other"), {stream: ">"})
        worker = _worker(r, stream, min_idle=30.0, max_deliveries=1)
        # What the worker does once it decided to bury: the entry was acknowledged first.
        [(id, fields)] = await r.xrange(stream, "-", "+")
        await r.xack(stream, "g", id)
        await worker._dead.move(id, fields, 1)
        assert worker.stats.dead_lettered == 0
        assert await r.xlen(f"{stream}:dead-letter") == 0


async def _fail_in_loop(worker: GroupConsumer[str], *, session: bool) -> None:
    if session:
        async with worker:
            await _fail_in_loop(worker, session=False)
    async for entry in worker:
        raise RuntimeError(f"transient failure on {entry.id}")


async def test_a_loop_left_by_an_error_leaves_its_entry_pending_when_iterated_again(
    redis_stack: RedisServerInfo,
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        ids = [await r.xadd(stream, {"n": str(i)}) for i in range(5)]
        # min_idle 30 s: nothing left pending comes back during the test.
        worker = _worker(r, stream, min_idle=30.0, count=3, claim_interval=0.01)
        with pytest.raises(RuntimeError):
            await _fail_in_loop(worker, session=True)  # on entry 0
        seen = []
        async with worker:  # a supervisor trying again, in a new `async with`
            async for entry in worker:
                seen.append(entry.fields["n"])
                if len(seen) == 2:
                    break  # the first was handled, the second stays in hand
            with pytest.raises(RuntimeError):  # the same session, a new loop
                await _fail_in_loop(worker, session=False)
            async for entry in worker:
                seen.append(entry.fields["n"])
                break
        assert len(seen) == 3
        assert "0" not in seen
        pending = await r.xpending(stream, "g")
        assert (pending.count, pending.min_id) == (4, ids[0])  # all but the one handled
        assert worker.stats.handled == 1


async def test_a_second_concurrent_iteration_is_refused(redis_stack: RedisServerInfo) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        for i in range(4):
            await r.xadd(stream, {"n": str(i)})
        worker = _worker(r, stream, min_idle=30.0)
        holding, release = asyncio.Event(), asyncio.Event()

        async def first_loop() -> list[str]:
            seen = []
            async for entry in worker:
                seen.append(entry.fields["n"])
                holding.set()
                await release.wait()
                if len(seen) == 2:
                    break
            return seen

        task = asyncio.ensure_future(first_loop())
        await holding.wait()
        with pytest.raises(InvalidUsageError, match="another task iterates it"):
            async for _ in worker:
                pass
        with pytest.raises(InvalidUsageError, match="another task iterates it"):
            await worker.run(_failing)
        assert (await r.xpending(stream, "g")).count == 4  # nothing acknowledged behind it
        release.set()
        assert await asyncio.wait_for(task, 5) == ["0", "1"]
        assert worker.stats.handled == 1


async def test_a_worker_runs_again_after_its_async_with_was_left(
    redis_stack: RedisServerInfo,
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        await r.xadd(stream, {"n": "0"})
        worker = _worker(r, stream, min_idle=30.0)
        async with worker:
            async for _entry in worker:
                break
        await r.xadd(stream, {"n": "1"})
        seen: list[str] = []

        async def handle(entry: StreamEntry[str]) -> None:
            seen.append(entry.fields["n"])

        await _run_until(worker, handle, lambda: seen == ["1"])
        await r.xadd(stream, {"n": "2"})
        got = await asyncio.wait_for(anext(worker), 5)  # and iterates again
        assert got.fields == {"n": "2"}
        await worker.aclose()


async def test_a_destroyed_group_is_created_again_after_the_last_entry_handled(
    redis_stack: RedisServerInfo, caplog: pytest.LogCaptureFixture
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        for i in range(5):
            await r.xadd(stream, {"n": str(i)})
        worker = _worker(r, stream, min_idle=30.0)
        seen: list[str] = []

        async def handle(entry: StreamEntry[str]) -> None:
            seen.append(entry.fields["n"])

        with caplog.at_level(logging.WARNING, "redis_oxide.streams"):
            task = asyncio.ensure_future(worker.run(handle))
            await until(lambda: len(seen) == 5, 10, "the first entries")
            assert await r.xgroup_destroy(stream, "g")
            for i in range(5, 8):
                await r.xadd(stream, {"n": str(i)})
            await until(lambda: len(seen) == 8, 10, "the entries after the destroy")
            await asyncio.sleep(0.2)
            worker.stop()
            await asyncio.wait_for(task, 5)
        assert seen == [str(i) for i in range(8)]  # nothing handled twice, nothing skipped
        assert "was destroyed while the stream stays" in caplog.text
        assert "deleted" not in caplog.text


async def test_a_plain_function_handles_entries(redis_stack: RedisServerInfo) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        await r.xadd(stream, {"n": "0"})
        worker = _worker(r, stream, min_idle=0.1, max_deliveries=1)
        calls: list[int] = []

        def handle(entry: StreamEntry[str]) -> None:
            calls.append(entry.deliveries)

        await _run_until(worker, handle, lambda: worker.stats.handled == 1)
        assert calls == [1]
        assert (worker.stats.failed, worker.stats.dead_lettered) == (0, 0)


def test_a_producer_limit_below_a_macro_node_is_refused() -> None:
    r = Redis()
    for limit in (1, 50, 99):
        with pytest.raises(ValueError, match=f"limit={limit} is below 100"):
            StreamProducer(r, "s", maxlen=10, limit=limit)


async def test_a_producer_limit_of_a_macro_node_trims(redis_stack: RedisServerInfo) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=10, limit=100)
        for i in range(500):
            await producer.add({"n": str(i)})
        assert await r.xlen(stream) <= 200


async def test_on_a_cluster_the_dead_letter_stream_shares_the_stream_slot(
    redis_cluster: ClusterInfo,
) -> None:
    stream = _stream()
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as c:
        with pytest.raises(ValueError, match="must share a slot") as refused:
            GroupConsumer(c, stream, "g", "w", dead_letter=f"{stream}:dead-letter")
        assert f"slot {key_slot(stream)}" in str(refused.value)
        await c.xadd(stream, {"n": "poison"})
        worker = GroupConsumer(
            c, stream, "g", "w", group_start="0", block_timeout=0.05, min_idle=0.1,
            max_deliveries=1, claim_interval=0.05,
        )  # fmt: skip
        await _run_until(worker, _failing, lambda: worker.stats.dead_lettered == 1)
        dead = await c.xrange(f"{{{stream}}}:dead-letter", "-", "+")
        assert [f["n"] for _, f in dead] == ["poison"]
        tagged = GroupConsumer(c, "{orders}", "g", "w")
        assert tagged._dead.key == "{orders}:dead-letter"


async def test_an_outage_warning_says_when_the_worker_will_give_up(
    redis_server_factory: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    stream = _stream()
    async with Redis(info.host, info.port, decode_responses=True) as r:
        worker = GroupConsumer(
            r, stream, "g", "c", block_timeout=0.05, reconnect_retry=Retry(attempts=3)
        )
        await worker.ensure_group()
        with caplog.at_level(logging.WARNING, "redis_oxide.streams"):
            task = asyncio.ensure_future(worker.run(_failing))
            await asyncio.sleep(0.2)
            info.process.kill()
            with pytest.raises(ConnectionError):
                await asyncio.wait_for(task, 10)
        assert "retrying until stop() or 3 failures in a row" in caplog.text
