"""Stream workers that outlive trouble: a deleted stream, a restarted server, a stop, bad input."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide import GroupConsumer, Redis, Retry, StreamEntry, StreamProducer
from redis_oxide.exceptions import ConnectionError, InvalidUsageError, NoPermError
from redis_oxide.testing import RedisServerInfo
from tests.pubsub._wait import until

if TYPE_CHECKING:
    from redis_oxide.testing.plugin import ServerFactory
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)


def _stream() -> str:
    return f"streams-recovery:{uuid.uuid4().hex[:8]}"


class Recorder:
    """A handler that records the entry numbers it saw, and their delivery counts."""

    def __init__(self) -> None:
        self.numbers: list[int] = []
        self.deliveries: list[int] = []

    async def __call__(self, entry: StreamEntry[str]) -> None:
        self.numbers.append(int(entry.fields["n"]))
        self.deliveries.append(entry.deliveries)


def _has(recorder: Recorder, count: int) -> Callable[[], bool]:
    return lambda: len(recorder.numbers) == count


async def test_a_group_recreated_after_its_stream_was_deleted_gets_every_new_entry(
    redis_stack: RedisServerInfo,
) -> None:
    # group_start="$" (the default) is for the first creation only: once the stream was
    # deleted, every entry of the new stream is new to the group.
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        worker = GroupConsumer(r, stream, "g", "w", block_timeout=0.05)
        assert await worker.ensure_group() is True
        producer = StreamProducer(r, stream, maxlen=1000)
        seen = Recorder()
        in_fifth, go_on = asyncio.Event(), asyncio.Event()

        async def handle(entry: StreamEntry[str]) -> None:
            await seen(entry)
            if entry.fields["n"] == "4":
                in_fifth.set()
                await go_on.wait()  # the stream is replaced while the worker is busy

        task = asyncio.ensure_future(worker.run(handle))
        for i in range(5):
            await producer.add({"n": str(i)})
        await asyncio.wait_for(in_fifth.wait(), 5)
        await r.delete(stream)
        for i in range(5, 15):
            await producer.add({"n": str(i)})  # a new stream, without the group
        go_on.set()
        await until(_has(seen, 15), 5, "the entries of the new stream")
        worker.stop()
        await asyncio.wait_for(task, 5)
        assert seen.numbers == list(range(15))
        assert (await r.xpending(stream, "g")).count == 0
        assert (await r.xinfo_groups(stream))[0].lag == 0


async def test_a_stream_deleted_under_a_waiting_read_is_read_again(
    redis_7: RedisServerInfo,
) -> None:
    # Redis 7.0 ends a blocked XREADGROUP with UNBLOCKED when its stream is deleted.
    stream = _stream()
    async with Redis(redis_7.host, redis_7.port, decode_responses=True) as r:
        worker = GroupConsumer(r, stream, "g", "w", block_timeout=5.0)
        await worker.ensure_group()
        seen = Recorder()
        task = asyncio.ensure_future(worker.run(seen))
        await until(_blocked(r), 5, "the worker waiting in XREADGROUP")
        await r.delete(stream)
        producer = StreamProducer(r, stream, maxlen=100)
        for i in range(5):
            await producer.add({"n": str(i)})
        await until(_has(seen, 5), 10, "the entries of the new stream")
        assert not task.done()
        worker.stop()
        await asyncio.wait_for(task, 10)
        assert seen.numbers == list(range(5))


def _blocked(r: Redis[str]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return "cmd=xreadgroup" in str(await r.execute_command("CLIENT", "LIST"))

    return check


async def test_the_worker_rides_out_a_server_restart(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    stream = _stream()
    async with Redis(info.host, info.port, decode_responses=True) as r:
        worker = GroupConsumer(r, stream, "g", "w", min_idle=1.0, block_timeout=0.2)
        await worker.ensure_group()
        seen = Recorder()
        task = asyncio.ensure_future(worker.run(seen))
        producer = StreamProducer(r, stream, maxlen=10_000)
        for i in range(20):
            await producer.add({"n": str(i)})
        await until(lambda: len(seen.numbers) == 20, 5, "the entries before the restart")
        restarting = time.monotonic()
        await asyncio.to_thread(info.process.restart)  # empty: no persistence
        after: list[int] = []
        for i in range(20, 40):
            for _ in range(100):  # the producer's own writes may meet the restart too
                try:
                    await producer.add({"n": str(i)})
                    break
                except ConnectionError:
                    await asyncio.sleep(0.05)
            after.append(i)
        await until(lambda: set(after) <= set(seen.numbers), 10, "the entries after the restart")
        back = time.monotonic() - restarting
        assert not task.done()  # the run went on
        worker.stop()
        stopping = time.monotonic()
        await asyncio.wait_for(task, 5)
        stopped = time.monotonic() - stopping
        assert seen.numbers == list(range(40))  # nothing skipped, nothing twice
        assert (await r.xpending(stream, "g")).count == 0
    figures("last entry after the restart handled, s after restart() was called", round(back, 3))
    figures("stop() to run() returning, s", round(stopped, 3))


async def test_stop_ends_a_worker_waiting_for_its_server_and_retries_are_bounded(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    assert info.process is not None
    stream = _stream()
    async with (
        Redis(info.host, info.port, decode_responses=True, connect_timeout=0.5) as r,
        Redis(info.host, info.port, decode_responses=True, connect_timeout=0.5) as r2,
    ):
        patient = GroupConsumer(r, stream, "g", "patient", block_timeout=0.1)
        bounded = GroupConsumer(
            r2, stream, "g", "bounded", block_timeout=0.1, reconnect_retry=Retry(attempts=3)
        )
        await patient.ensure_group()
        seen = Recorder()
        tasks = [asyncio.ensure_future(w.run(seen)) for w in (patient, bounded)]
        await asyncio.sleep(0.3)
        info.process.kill()
        killed = time.monotonic()
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(tasks[1], 20)  # gave up after 3 failed reads
        gave_up = time.monotonic() - killed
        await asyncio.sleep(1.0)
        assert not tasks[0].done()  # still waiting for its server
        patient.stop()
        stopping = time.monotonic()
        await asyncio.wait_for(tasks[0], 3)
        stopped = time.monotonic() - stopping
    figures("reconnect_retry=Retry(attempts=3) gave up after, s", round(gave_up, 3))
    figures("stop() of a worker waiting for its server took, s", round(stopped, 3))
    assert stopped < 0.5


async def test_a_run_ended_by_an_error_hands_its_fetched_entries_back(
    redis_stack: RedisServerInfo,
) -> None:
    # The worker's user may not acknowledge: XACK is refused, run() ends with that error,
    # and the four entries fetched with the first go to another worker at once.
    stream = _stream()
    user = f"noack-{uuid.uuid4().hex[:6]}"
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        await r.execute_command("ACL", "SETUSER", user, "on", ">pw", "~*", "+@all", "-xack")
        try:
            producer = StreamProducer(r, stream, maxlen=100)
            for i in range(5):
                await producer.add({"n": str(i)})
            async with Redis(
                redis_stack.host,
                redis_stack.port,
                decode_responses=True,
                username=user,
                password="pw",
            ) as limited:
                worker = GroupConsumer(
                    limited, stream, "g", "w", count=5, min_idle=30.0, group_start="0"
                )
                seen = Recorder()
                with pytest.raises(NoPermError):
                    await asyncio.wait_for(worker.run(seen), 5)
                assert seen.numbers == [0]
            other = GroupConsumer(r, stream, "g", "other", min_idle=30.0, block_timeout=0.05)
            got = [await asyncio.wait_for(anext(other), 5) for _ in range(4)]
            assert [e.fields["n"] for e in got] == ["1", "2", "3", "4"]
            assert all(e.deliveries == 1 for e in got)  # the hand-back counted no delivery
            await other.aclose()
        finally:
            await r.execute_command("ACL", "DELUSER", user)


async def test_a_stopped_worker_runs_again(redis_stack: RedisServerInfo) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=100)
        worker = GroupConsumer(r, stream, "g", "w", group_start="0", block_timeout=0.05)
        seen = Recorder()
        for round_ in range(3):
            await producer.add({"n": str(round_)})
            task = asyncio.ensure_future(worker.run(seen))
            await until(_has(seen, round_ + 1), 5, f"run {round_} handling")
            worker.stop()
            await asyncio.wait_for(task, 5)
        assert seen.numbers == [0, 1, 2]
        # A stop given before the run started ends that run, and only that one.
        task = asyncio.ensure_future(worker.run(seen))
        worker.stop()
        await asyncio.wait_for(task, 5)
        # The iterator form: a new `async with` after the last one closed iterates again.
        await producer.add({"n": "3"})
        async with worker:
            entry = await asyncio.wait_for(anext(worker), 5)
        assert entry.fields == {"n": "3"}
        await producer.add({"n": "4"})
        async with worker:
            entry = await asyncio.wait_for(anext(worker), 5)
        assert entry.fields == {"n": "4"}


async def test_a_second_run_of_a_running_worker_is_refused(redis_stack: RedisServerInfo) -> None:
    # Two runs of one worker would share its fetched entries and its consumer name.
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=100)
        worker = GroupConsumer(r, stream, "g", "w", group_start="0", block_timeout=0.05)
        seen = Recorder()
        task = asyncio.ensure_future(worker.run(seen))
        await producer.add({"n": "0"})
        await until(_has(seen, 1), 5, "the first run handling")
        with pytest.raises(InvalidUsageError, match="another GroupConsumer"):
            await worker.run(seen)
        with pytest.raises(InvalidUsageError, match="iterating on stream worker 'w'"):
            await anext(worker)
        await producer.add({"n": "1"})
        await until(_has(seen, 2), 5, "the first run going on")
        worker.stop()
        await asyncio.wait_for(task, 5)
        await producer.add({"n": "2"})
        task = asyncio.ensure_future(worker.run(seen))  # once it ended, it may run again
        await until(_has(seen, 3), 5, "the next run handling")
        worker.stop()
        await asyncio.wait_for(task, 5)
    assert seen.numbers == [0, 1, 2]


async def test_dead_letters_record_the_deliveries_the_handler_saw(
    redis_stack: RedisServerInfo, figures: Figure
) -> None:
    stream = _stream()
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as r:
        producer = StreamProducer(r, stream, maxlen=100)
        await producer.add({"n": "0"})
        seen: list[int] = []

        async def always_fails(entry: StreamEntry[str]) -> None:
            seen.append(entry.deliveries)
            raise ValueError("poison")

        worker = GroupConsumer(
            r,
            stream,
            "g",
            "w",
            group_start="0",
            min_idle=0.1,
            max_deliveries=3,
            block_timeout=0.05,
        )
        task = asyncio.ensure_future(worker.run(always_fails))
        await until(lambda: worker.stats.dead_lettered == 1, 10, "the entry dead-lettered")
        worker.stop()
        await asyncio.wait_for(task, 5)
        dead = await r.xrange(f"{stream}:dead-letter", "-", "+")
    assert seen == [1, 2, 3]
    assert [fields["dead-letter-deliveries"] for _, fields in dead] == ["3"]
    # Two claims handed the entry out again; the one that buried it is not counted.
    assert (worker.stats.failed, worker.stats.claimed, worker.stats.dead_lettered) == (3, 2, 1)
    figures("stats after one poison entry, max_deliveries=3", worker.stats)


def test_bad_producer_and_worker_arguments_raise_at_construction() -> None:
    r = Redis()
    wrong: tuple[Any, ...] = (1.5, True, "10")  # the mistakes under test
    for maxlen in wrong:
        with pytest.raises(TypeError, match="maxlen must be an int"):
            StreamProducer(r, "s", maxlen=maxlen)
    with pytest.raises(ValueError, match="maxlen must be at least 0"):
        StreamProducer(r, "s", maxlen=-1)
    with pytest.raises(TypeError, match="limit must be an int"):
        StreamProducer(r, "s", maxlen=10, limit=wrong[0])
    for start in ("bogus", "1-", "-1", "", "$0"):
        with pytest.raises(ValueError, match="GroupConsumer group_start must be '\\$'"):
            GroupConsumer(r, "s", "g", "c", group_start=start)
    with pytest.raises(TypeError, match="group_start"):
        GroupConsumer(r, "s", "g", "c", group_start=wrong[0])
    with pytest.raises(TypeError, match="reconnect_retry must be a Retry"):
        GroupConsumer(r, "s", "g", "c", reconnect_retry=wrong[1])
    for start in ("$", "0", "1700000000000", "1700000000000-5"):
        GroupConsumer(r, "s", "g", "c", group_start=start)
