"""Stream workers against a real server: at-least-once handling, reclaiming, dead letters."""

from __future__ import annotations

import asyncio
import collections
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest

from redis_oxide import GroupConsumer, Redis, StreamEntry, StreamProducer
from redis_oxide._generated._types import XpendingFilters
from redis_oxide.testing import RedisServerInfo
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)

MIN_IDLE = 0.4
MAX_DELIVERIES = 3


def _stream() -> str:
    return f"streams-test:{uuid.uuid4().hex[:8]}"


def _worker(
    client: Redis[str],
    stream: str,
    name: str,
    *,
    count: int = 10,
    min_idle: float = MIN_IDLE,
    max_deliveries: int = MAX_DELIVERIES,
) -> GroupConsumer[str]:
    return GroupConsumer(
        client,
        stream,
        "workers",
        name,
        min_idle=min_idle,
        max_deliveries=max_deliveries,
        count=count,
        group_start="0",
        block_timeout=0.05,
    )


async def test_three_workers_one_cancelled_every_entry_handled_and_acknowledged_once(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    total, poison_every = 10_000, 500
    stream = _stream()
    handled: collections.Counter[str] = collections.Counter()  # by entry number
    attempts: collections.Counter[str] = collections.Counter()
    stuck = asyncio.Event()
    never = asyncio.get_running_loop().create_future()
    host, port = redis_stack.host, redis_stack.port
    async with (
        Redis(host, port, decode_responses=True) as producer_client,
        Redis(host, port, decode_responses=True) as a,
        Redis(host, port, decode_responses=True) as b,
        Redis(host, port, decode_responses=True) as c,
    ):
        producer = StreamProducer(producer_client, stream, maxlen=total * 2)
        await asyncio.gather(*(producer.add({"n": str(i)}) for i in range(total)))
        workers = [
            _worker(client, stream, name, count=50)
            for client, name in ((a, "a"), (b, "b"), (c, "c"))
        ]

        def handler_for(index: int) -> Callable[[StreamEntry[str]], Awaitable[None]]:
            async def handle(entry: StreamEntry[str]) -> None:
                number = entry.fields["n"]
                attempts[number] += 1
                if int(number) % poison_every == 0:
                    raise ValueError(f"poison entry {number}")
                if index == 0 and handled.total() >= total // 4:
                    stuck.set()
                    await never  # in hand until its task is cancelled
                handled[number] += 1
                await asyncio.sleep(0)

            return handle

        tasks = [asyncio.ensure_future(w.run(handler_for(i))) for i, w in enumerate(workers)]
        await asyncio.wait_for(stuck.wait(), 30)
        unacknowledged = await a.xpending(
            stream, "workers", filters=XpendingFilters(start="-", end="+", count=1000, consumer="a")
        )
        tasks[0].cancel()
        await asyncio.gather(tasks[0], return_exceptions=True)

        async def finished() -> bool:
            summary = await a.xpending(stream, "workers")
            return (
                summary.count == 0
                and await a.xlen(f"{stream}:dead-letter") == total // poison_every
            )

        await until(finished, 45, "every entry handled or dead-lettered")
        for worker in workers[1:]:
            worker.stop()
        await asyncio.wait_for(asyncio.gather(*tasks[1:]), 10)
        dead = await a.xrange(f"{stream}:dead-letter", "-", "+")
        info = await a.xpending(stream, "workers")

    poison = {str(i) for i in range(0, total, poison_every)}
    good = {str(i) for i in range(total)} - poison
    acked = sum(w.stats.handled for w in workers)
    late = sum(w.stats.late_acks for w in workers)
    duplicates = sum(n - 1 for n in handled.values())
    assert set(handled) == good  # every entry handled at least once
    assert acked == len(good)  # and acknowledged exactly once (XACK answered 1 once each)
    assert info.count == 0  # nothing left pending
    assert sorted(fields["n"] for _, fields in dead) == sorted(poison)
    assert all(fields["dead-letter-deliveries"] == str(MAX_DELIVERIES) for _, fields in dead)
    assert all(attempts[n] <= MAX_DELIVERIES for n in poison)
    figures("entries", total)
    figures("entries unacknowledged by the cancelled worker", len(unacknowledged))
    figures("handled twice (at least once), late acknowledgements", (duplicates, late))
    figures("claimed from idle consumers", sum(w.stats.claimed for w in workers))
    figures("dead-lettered after 3 deliveries", len(dead))
    assert len(unacknowledged) > 1


async def test_iterating_acknowledges_each_entry_when_the_next_is_asked_for(
    redis_stack: RedisServerInfo,
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=100)
        ids = [await producer.add({"n": str(i)}) for i in range(3)]
        seen = []
        async with _worker(r, stream, "iter", min_idle=30.0) as worker:
            async for entry in worker:
                seen.append(entry.id)
                if len(seen) == 2:
                    break  # the second entry stays in hand, unacknowledged
        assert seen == ids[:2]
        pending = await r.xpending(stream, "workers")
        assert (pending.count, pending.min_id) == (2, ids[1])  # in hand, and fetched with it
        # The same consumer, restarted, first gets what it had not acknowledged.
        again = _worker(r, stream, "iter")
        entry = await anext(again)
        assert (entry.id, entry.deliveries) == (ids[1], 2)
        assert (await anext(again)).id == ids[2]
        again.stop()
        assert await anext(again, None) is None  # stopping acknowledges the one in hand
        assert (await r.xpending(stream, "workers")).count == 0


async def test_stopping_hands_fetched_entries_back_for_others_at_once(
    redis_stack: RedisServerInfo,
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=100)
        for i in range(5):
            await producer.add({"n": str(i)})
        slow = _worker(r, stream, "slow", count=5, min_idle=30.0)
        first = await anext(slow)  # the other four were fetched with it
        slow.stop()
        assert await anext(slow, None) is None
        assert first.fields == {"n": "0"}
        # Handed back: another worker claims them now, not after min_idle (30 s).
        other = _worker(r, stream, "other", min_idle=30.0)
        got = [await asyncio.wait_for(anext(other), 5) for _ in range(4)]
        assert [e.fields["n"] for e in got] == ["1", "2", "3", "4"]
        # The fetch that was handed back is not counted: this is their first delivery.
        assert all(e.deliveries == 1 for e in got)
        other.stop()
        assert await anext(other, None) is None
        assert (await r.xpending(stream, "workers")).count == 0


async def test_rolling_restarts_never_dead_letter_an_entry_that_did_not_fail(
    redis_stack: RedisServerInfo,
) -> None:
    # Each worker handles one entry and stops, handing the rest back; with max_deliveries=1
    # a hand-back that counted as a delivery would send every other entry to dead letters.
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=100)
        for i in range(6):
            await producer.add({"n": str(i)})
        seen: list[str] = []
        for index in range(6):
            worker = _worker(r, stream, f"w{index}", min_idle=30.0, max_deliveries=1)

            async def handle(entry: StreamEntry[str], worker: GroupConsumer[str] = worker) -> None:
                seen.append(entry.fields["n"])
                worker.stop()

            await asyncio.wait_for(worker.run(handle), 5)
            assert worker.stats.dead_lettered == 0
        assert sorted(seen) == [str(i) for i in range(6)]
        assert await r.exists(f"{stream}:dead-letter") == 0
        assert (await r.xpending(stream, "workers")).count == 0


async def test_the_group_is_created_once_and_again_after_the_stream_is_deleted(
    redis_stack: RedisServerInfo,
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        worker = _worker(r, stream, "w")
        assert await worker.ensure_group() is True
        assert await worker.ensure_group() is False  # idempotent
        assert await r.xlen(stream) == 0  # MKSTREAM
        await r.delete(stream)
        producer = StreamProducer(r, stream, maxlen=10)
        await producer.add({"after": "delete"})
        task = asyncio.ensure_future(anext(worker))
        entry = await asyncio.wait_for(task, 5)  # NOGROUP: recreated from "0"
        assert entry.fields == {"after": "delete"}


async def test_bytes_clients_get_bytes_entries(redis_stack: RedisServerInfo) -> None:
    stream = _stream().encode()
    async with Redis(redis_stack.host, redis_stack.port) as r:
        await StreamProducer(r, stream, maxlen=10).add({b"k": b"\xff"})
        worker = GroupConsumer(r, stream, b"g", b"w", group_start="0", block_timeout=0.05)
        entry = await anext(worker)
        assert entry.fields == {b"k": b"\xff"}
        assert isinstance(entry.id, bytes)
        worker.stop()
        assert await anext(worker, None) is None
        assert await r.exists(stream + b":dead-letter") == 0


async def test_producer_trims_by_length_and_by_age(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        exact, rough, aged = _stream(), _stream(), _stream()
        by_length = StreamProducer(r, exact, maxlen=10, exact=True)
        for i in range(50):
            await by_length.add({"n": str(i)})
        assert await r.xlen(exact) == 10
        approximate = StreamProducer(r, rough, maxlen=10, limit=100)
        for i in range(500):
            await approximate.add({"n": str(i)})
        assert 10 <= await r.xlen(rough) < 500  # whole macro nodes go at once
        by_age = StreamProducer(r, aged, max_age=60, exact=True)
        await by_age.add({"old": "1"}, id="1-1")  # an ID from 1970: far older than 60 s
        await by_age.add({"new": "1"})
        assert [fields for _, fields in await r.xrange(aged, "-", "+")] == [{"new": "1"}]


def test_bad_arguments_raise_at_construction() -> None:
    r = Redis()
    with pytest.raises(ValueError, match="exactly one"):
        StreamProducer(r, "s")
    with pytest.raises(ValueError, match="exactly one"):
        StreamProducer(r, "s", maxlen=1, max_age=1)
    with pytest.raises(ValueError, match="limit"):
        StreamProducer(r, "s", maxlen=1, exact=True, limit=10)
    with pytest.raises(ValueError, match="max_age"):
        StreamProducer(r, "s", max_age=0)
    with pytest.raises(ValueError, match="max_deliveries must be at least 1"):
        GroupConsumer(r, "s", "g", "c", max_deliveries=0)
    with pytest.raises(ValueError, match="claim_interval"):
        GroupConsumer(r, "s", "g", "c", claim_interval=0)
    with pytest.raises(ValueError, match="min_idle must be more than 0 seconds and finite"):
        GroupConsumer(r, "s", "g", "c", min_idle=float("inf"))
    with pytest.raises(TypeError, match="count must be an int"):
        GroupConsumer(r, "s", "g", "c", count=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_age must be more than 0 seconds and finite"):
        StreamProducer(r, "s", max_age=float("inf"))
