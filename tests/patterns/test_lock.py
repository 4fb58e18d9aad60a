"""Locks on real servers: exclusion, waits, expiry, extension, cancellation, a cluster.

Cancellation cases hold the lock's ``SET`` (or its release) on the server with ``CLIENT PAUSE
... WRITE`` from another client, cancel the caller meanwhile, and check once the pause ends
that nothing is left held: the key must be gone within a bounded wait.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal

import pytest

from redis_oxide import Lock, Redis, RedisCluster
from redis_oxide.exceptions import CommandTimeoutError, LockError, LockNotOwnedError
from redis_oxide.testing import ClusterInfo
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(30)

PAUSE_MS = 300


async def _gone(client: Redis[Any], name: str, within: float = 2.0) -> float:
    """Seconds until ``name`` no longer exists; fails after ``within``."""
    started = time.perf_counter()
    while await client.exists(name):
        assert time.perf_counter() - started < within, f"{name!r} still held after {within} s"
        await asyncio.sleep(0.01)
    return time.perf_counter() - started


@asynccontextmanager
async def _writes_paused(control: Redis[Any]) -> AsyncIterator[None]:
    """Holds every write on the server for PAUSE_MS (reads go on); unpauses on exit."""
    assert await control.client_pause(PAUSE_MS, mode="WRITE")
    try:
        yield
    finally:
        await control.client_unpause()


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_async_with_lets_one_task_in_at_a_time(
    flushed_stack: RedisServerInfo, strategy: Literal["multiplexed", "pooled"], figures: Figure
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, strategy=strategy) as client:
        inside = peak = counter = 0

        async def work() -> None:
            nonlocal inside, peak, counter
            async with client.lock("job", timeout=10):
                inside += 1
                peak = max(peak, inside)
                seen = counter
                await asyncio.sleep(0.001)  # every other task gets to try meanwhile
                counter = seen + 1
                inside -= 1

        started = time.perf_counter()
        await asyncio.gather(*(work() for _ in range(40)))
        elapsed = time.perf_counter() - started
        figures(
            f"40 tasks through one lock ({strategy})", f"{elapsed:.3f} s, at most {peak} inside"
        )
        assert (counter, peak) == (40, 1)
        assert await client.exists("job") == 0


async def test_a_held_lock_is_refused_or_waited_for_as_asked(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        holder = client.lock("busy", timeout=10)
        assert await holder.acquire()
        other = client.lock("busy")
        started = time.perf_counter()
        assert not await other.acquire(blocking=False)
        assert not await other.acquire(blocking_timeout=0.2)
        waited = time.perf_counter() - started
        assert 0.2 <= waited < 1.5
        with pytest.raises(LockError, match=r"'busy'.*blocking_timeout"):
            async with client.lock("busy", blocking_timeout=0.05):
                pytest.fail("entered a held lock")
        with pytest.raises(LockError, match=r"blocking=False"):
            async with client.lock("busy", blocking=False):
                pytest.fail("entered a held lock")
        assert other.token is None
        await holder.release()
        assert await other.acquire(blocking=False)
        await other.release()


async def test_a_waiter_gets_the_lock_soon_after_its_release(
    flushed_stack: RedisServerInfo, figures: Figure
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        holder = client.lock("handoff", timeout=10)
        await holder.acquire()
        waiter = asyncio.create_task(client.lock("handoff", sleep=0.05).acquire())
        await asyncio.sleep(0.3)  # the waiter's pause has grown to its 50 ms cap
        released = time.perf_counter()
        await holder.release()
        assert await asyncio.wait_for(waiter, 1)
        handoff = time.perf_counter() - released
        figures("hand-over to a waiter polling every 50 ms", f"{handoff * 1000:.1f} ms")
        assert handoff < 0.2


async def _expired_then_taken(client: Redis[bytes], name: str) -> tuple[Lock, Lock]:
    """A holder whose 50 ms lease ran out, and the holder that took the lock after it."""
    first = client.lock(name, timeout=0.05)
    assert await first.acquire()
    await asyncio.sleep(0.15)
    second = client.lock(name, timeout=10)
    assert await second.acquire(blocking=False)
    return first, second


async def test_an_expired_holder_leaves_the_next_holder_alone(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        extender, extended_over = await _expired_then_taken(client, "lease")
        assert not await extender.owned()
        with pytest.raises(LockNotOwnedError, match="expired before it was extended"):
            await extender.extend(5)
        assert extender.token is None  # it knows it lost the lock
        with pytest.raises(LockError, match="does not hold"):
            await extender.release()

        releaser, released_over = await _expired_then_taken(client, "lease2")
        with pytest.raises(LockNotOwnedError, match="expired before its release"):
            await releaser.release()

        assert await client.get("lease") == extended_over.token
        assert await client.get("lease2") == released_over.token
        assert await extended_over.owned()
        assert await released_over.owned()
        await extended_over.release()
        await released_over.release()


async def test_a_lock_lost_inside_async_with_raises_lock_not_owned_error(
    flushed_stack: RedisServerInfo,
) -> None:
    # The watchdog pattern: extend inside the block; once the lease ran out, the block's
    # LockNotOwnedError is what comes out of it, not the exit's "does not hold".

    async def hold(client: Redis[bytes], renew: str) -> None:
        async with client.lock(f"watchdog:{renew}", timeout=0.05) as lock:
            await asyncio.sleep(0.15)
            if renew == "extend":
                await lock.extend(5)
            elif renew == "reacquire":
                await lock.reacquire()
            else:
                await lock.release()

    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        for renew in ("extend", "reacquire"):
            with pytest.raises(LockNotOwnedError, match="expired before it was extended"):
                await hold(client, renew)
        with pytest.raises(LockNotOwnedError, match="expired before its release"):
            await hold(client, "release")  # released by hand, late: the block's error


@pytest.mark.parametrize("topology", ["standalone", "cluster"])
async def test_a_caching_client_checks_its_lock_on_the_server(
    redis_server_factory: ServerFactory, redis_cluster: ClusterInfo, topology: str
) -> None:
    # hz 1: the server's active expiry seldom reaches the key within the test, so the key
    # expires without the deletion (and invalidation) a cached GET would need to notice.
    if topology == "standalone":
        info = redis_server_factory("7", config=[("hz", "1")])
        client: Redis[bytes] | RedisCluster[bytes] = Redis(info.host, info.port, cache=True)
    else:
        seed = redis_cluster.primaries[0]
        client = RedisCluster(seed.host, seed.port, cache=True)
    async with client:
        lock = client.lock("cached-lock", timeout=0.1)
        await lock.acquire()
        assert await lock.owned()
        assert await lock.locked()
        await asyncio.sleep(0.3)  # expired on the server
        assert not await lock.owned()
        assert not await lock.locked()
        assert client.cache is not None
        assert len(client.cache) == 0  # nothing of the lock's was kept


@pytest.mark.parametrize("decode", [False, True])
async def test_extend_reacquire_owned_and_locked(
    flushed_stack: RedisServerInfo, decode: bool
) -> None:
    client: Redis[Any] = (
        Redis(flushed_stack.host, flushed_stack.port, decode_responses=True)
        if decode
        else Redis(flushed_stack.host, flushed_stack.port)
    )
    async with client:
        lock = client.lock("ttl", timeout=1)
        assert not await lock.locked()
        assert not await lock.owned()
        await lock.acquire()
        assert await lock.locked()
        assert await lock.owned()
        assert 900 < await client.pttl("ttl") <= 1000
        await lock.extend(2)
        assert 2900 < await client.pttl("ttl") <= 3000
        await lock.extend(0.5, replace_ttl=True)
        assert 400 < await client.pttl("ttl") <= 500
        await lock.reacquire()
        assert 900 < await client.pttl("ttl") <= 1000
        await lock.release()
        assert not await lock.locked()
        with pytest.raises(LockError, match="does not hold"):
            await lock.extend(1)

        forever = client.lock("forever")
        await forever.acquire()
        assert await client.pttl("forever") == -1
        with pytest.raises(LockError, match="no timeout"):
            await forever.extend(1)
        with pytest.raises(LockError, match="no timeout"):
            await forever.reacquire()
        await forever.release()


async def test_a_lock_is_one_holder_and_any_task_may_extend_or_release_it(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        lock = client.lock("mine", timeout=0.3)
        async with lock:
            with pytest.raises(LockError, match="not reentrant"):
                await lock.acquire(blocking_timeout=5)

            async def watchdog() -> None:
                for _ in range(5):
                    await asyncio.sleep(0.1)
                    await lock.reacquire()

            await asyncio.create_task(watchdog())  # 0.5 s: past the timeout, kept alive
            assert await lock.owned()
        assert not await client.exists("mine")

        given = client.lock("given", timeout=10)
        await given.acquire(token=b"worker-7")
        assert await client.get("given") == b"worker-7"
        await asyncio.create_task(given.release())  # released by another task
        assert not await client.exists("given")


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"timeout": 0}, ValueError, "timeout must be more than 0 seconds and finite"),
        ({"timeout": -1.5}, ValueError, "timeout must be more than 0 seconds and finite"),
        ({"timeout": math.nan}, ValueError, "timeout must be more than 0 seconds and finite"),
        ({"timeout": math.inf}, ValueError, "timeout must be more than 0 seconds and finite"),
        ({"timeout": "5"}, TypeError, "timeout must be a number"),
        ({"timeout": True}, TypeError, "timeout must be a number"),
        ({"sleep": 0}, ValueError, "sleep must be more than 0 seconds and finite"),
        ({"blocking_timeout": -1}, ValueError, "blocking_timeout must be 0 or more seconds"),
        ({"blocking_timeout": "1"}, TypeError, "blocking_timeout must be a number"),
    ],
)
async def test_bad_options_are_refused_when_the_lock_is_made(
    flushed_stack: RedisServerInfo, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        with pytest.raises(error, match=match):
            client.lock("bad", **options)
        with pytest.raises(TypeError, match="name must be str or bytes"):
            client.lock(5)  # type: ignore[arg-type]
        lock = client.lock("bad")
        with pytest.raises(TypeError, match="token must be bytes"):
            await lock.acquire(token="text")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="blocking_timeout must be 0 or more seconds"):
            await lock.acquire(blocking_timeout=-2)
        with pytest.raises(LockError, match="does not hold"):
            await lock.release()
        assert not await client.exists("bad")


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_a_cancelled_acquisition_leaves_nothing_held(
    flushed_stack: RedisServerInfo, strategy: Literal["multiplexed", "pooled"], figures: Figure
) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port, strategy=strategy) as client,
        Redis(flushed_stack.host, flushed_stack.port) as control,
    ):
        lock = client.lock("cancelled")  # no timeout: a leftover would be held forever
        async with _writes_paused(control):
            attempt = asyncio.create_task(lock.acquire())
            await asyncio.sleep(0.05)  # its SET waits on the paused server
            assert not attempt.done()
            attempt.cancel()
            with pytest.raises(asyncio.CancelledError):
                await attempt
            assert lock.token is None
            assert not await control.exists("cancelled")
        # The pause ends: the SET runs and takes the lock, and its undo releases it.
        after = await _gone(control, "cancelled")
        figures(f"cancelled acquisition: lock released ({strategy})", f"{after:.3f} s after")
        assert await client.lock("cancelled").acquire(blocking=False)


async def test_an_acquisition_that_times_out_leaves_nothing_held(
    flushed_stack: RedisServerInfo,
) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port, command_timeout=0.05) as client,
        Redis(flushed_stack.host, flushed_stack.port) as control,
    ):
        lock = client.lock("slow")
        async with _writes_paused(control):
            with pytest.raises(CommandTimeoutError):
                await lock.acquire()
            assert lock.token is None
        await _gone(control, "slow")


async def test_a_cancelled_release_still_releases(flushed_stack: RedisServerInfo) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port) as client,
        Redis(flushed_stack.host, flushed_stack.port) as control,
    ):
        lock = client.lock("leaving")  # no timeout: a leftover would be held forever
        assert await lock.acquire(blocking=False)
        async with _writes_paused(control):
            leaving = asyncio.create_task(lock.release())
            await asyncio.sleep(0.05)  # the release script waits on the paused server
            leaving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await leaving
            assert await control.exists("leaving")
        # The pause ends: the release goes on without its caller.
        await _gone(control, "leaving")
        assert lock.token is None


async def test_locks_on_a_cluster_run_on_their_keys_nodes(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port) as cluster:
        names = [f"lock:{index}" for index in range(12)]  # slots on every primary
        locks: list[Lock] = [cluster.lock(name, timeout=10) for name in names]
        for lock in locks:
            assert await lock.acquire(blocking=False)
        assert [await cluster.exists(name) for name in names] == [1] * len(names)
        assert not await cluster.lock(names[0]).acquire(blocking=False)
        await cluster.script_flush()  # the release script is loaded again where needed
        for lock in locks:
            await lock.extend(1)
            await lock.release()
        assert await cluster.exists(*names) == 0
        counter = 0

        async def work() -> None:
            nonlocal counter
            async with cluster.lock("lock:shared", timeout=10):
                seen = counter
                await asyncio.sleep(0.001)
                counter = seen + 1

        await asyncio.gather(*(work() for _ in range(20)))
        assert counter == 20
