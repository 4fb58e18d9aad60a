"""A steady load on every shard of a cluster, with every call's outcome kept for the verdict.

Each worker owns a few keys of one shard and alternates a write (the key's next value) and a
read of it, at a fixed pace (``per_second`` calls): the load stays well below what the
machine can do, so a drop in a shard's throughput means its callers were held up, not that
another process took the CPU on a shared machine.

A write that failed in a way that may have run leaves the key with two possible values; a
read must return one of them. A read older than the last acknowledged write is
counted apart ("lost"): Redis replicates asynchronously, so a primary killed right after it
acknowledged a write may take that write with it, and no client can prevent that.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import ConnectionLostError
from redis_oxide.testing import ClusterInfo, NodeInfo, raw_command

__all__ = ["Call", "Load", "keys_on", "promotion_after", "watch_promotion"]


@dataclass
class Call:
    """One call: when it started and ended, on which shard, and how it went."""

    shard: int
    started: float
    ended: float
    error: BaseException | None = None


@dataclass
class Load:
    """Workers on every shard, and what they saw."""

    client: RedisCluster[bytes]
    shard_keys: Sequence[Sequence[str]]
    workers_per_shard: int = 8
    per_second: float = 400.0
    calls: list[Call] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self) -> None:
        """Start every worker."""
        for shard, keys in enumerate(self.shard_keys):
            for index in range(self.workers_per_shard):
                mine = list(keys[index :: self.workers_per_shard])
                self._tasks.append(asyncio.ensure_future(self._worker(shard, mine)))

    async def stop(self) -> None:
        """Stop every worker and wait for it."""
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _worker(self, shard: int, keys: list[str]) -> None:
        acked = dict.fromkeys(keys, 0)
        maybe: dict[str, set[int]] = {key: set() for key in keys}
        written = dict.fromkeys(keys, 0)
        client = self.client
        period = 1.0 / self.per_second
        due = time.monotonic()
        while not self._stop.is_set():
            for key in keys:
                due += 2 * period  # a write and a read
                pause = due - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                else:
                    due = time.monotonic()  # late (the shard was held up): no catching up
                value = written[key] + 1
                written[key] = value
                started = time.monotonic()
                try:
                    await client.set(key, str(value))
                except BaseException as exc:
                    self.calls.append(Call(shard, started, time.monotonic(), exc))
                    if isinstance(exc, ConnectionLostError) and not exc.may_have_executed:
                        continue
                    maybe[key].add(value)  # a timeout or a lost write may have run
                    continue
                self.calls.append(Call(shard, started, time.monotonic()))
                acked[key] = value
                maybe[key] = set()
                started = time.monotonic()
                try:
                    got = await client.get(key)
                except BaseException as exc:
                    self.calls.append(Call(shard, started, time.monotonic(), exc))
                    continue
                self.calls.append(Call(shard, started, time.monotonic()))
                read = int(got) if got is not None else 0
                if read == acked[key] or read in maybe[key]:
                    acked[key], maybe[key] = read, set()
                elif read < acked[key] and all(read < m for m in maybe[key] | {acked[key]}):
                    self.lost.append(f"{key}: acknowledged {acked[key]}, read {read}")
                    acked[key] = read
                else:
                    self.wrong.append(f"{key}: acknowledged {acked[key]}, read {got!r}")

    def rate(self, shards: set[int], start: float, end: float) -> float:
        """Calls completed per second on ``shards`` between ``start`` and ``end``."""
        done = [c for c in self.calls if c.shard in shards and start <= c.ended < end]
        return sum(1 for c in done if c.error is None) / (end - start)

    def errors(self, shard: int) -> list[Call]:
        """The failed calls on ``shard``, in the order they started."""
        return sorted(
            (c for c in self.calls if c.shard == shard and c.error), key=lambda c: c.started
        )


def keys_on(cluster: ClusterInfo, owners: list[int], primary: NodeInfo, count: int) -> list[str]:
    """``count`` keys in slots ``primary`` serves (``owners``: port per slot)."""
    keys: list[str] = []
    index = 0
    while len(keys) < count:
        key = f"load:{primary.port}:{index}"
        index += 1
        if owners[key_slot(key)] == primary.port:
            keys.append(key)
    return keys


def watch_promotion(replica: NodeInfo, until: float) -> tuple[threading.Thread, list[float]]:
    """Poll ``ROLE`` on ``replica`` from a thread; the list gets the time it became primary."""
    seen: list[float] = []

    def poll() -> None:
        while time.monotonic() < until:
            try:
                role = raw_command(replica.endpoint, "ROLE", timeout=0.5)
            except Exception:  # the poll goes on whatever one probe met
                role = None
            if isinstance(role, list) and role and role[0] == b"master":
                seen.append(time.monotonic())
                return
            time.sleep(0.005)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    return thread, seen


async def promotion_after(
    replica: NodeInfo, fault: Callable[[], object], within: float = 20.0
) -> tuple[float, float]:
    """Cause ``fault`` (a kill, ``CLUSTER FAILOVER``) and wait for ``replica`` to be promoted.

    Returns:
        When the fault was caused and when ``ROLE`` first showed the replica as a primary.

    Raises:
        AssertionError: No promotion within ``within`` seconds.
    """
    started = time.monotonic()
    watcher, promoted_at = watch_promotion(replica, started + within)
    fault()
    await asyncio.to_thread(watcher.join, within)
    assert promoted_at, "the replica was never promoted"
    return started, promoted_at[0]
