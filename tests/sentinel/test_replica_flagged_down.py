"""Replica clients leave a replica the sentinels flag down, and find names any sentinel knows.

A frozen replica (SIGSTOP) keeps its port open: no connection to it ends by itself, so a
multiplexed replica client would go on sending it a share of the reads, each timing out.
The sentinels' ``+sdown`` for that replica moves the client's connections to the others.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from redis_oxide import Sentinel
from redis_oxide.exceptions import PrimaryNotFoundError
from redis_oxide.testing import SentinelInfo, raw_command
from redis_oxide.testing.plugin import SentinelFactory

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

COMMAND_TIMEOUT = 2.0
FROZEN_FOR = 6.0
# Time a busy two-core machine may add on top of the sentinels' down-after.
SLACK = 1.5


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_reads_leave_a_frozen_replica_once_the_sentinels_flag_it_down(
    redis_sentinel_factory: SentinelFactory, strategy: str, figures: Any
) -> None:
    group = redis_sentinel_factory(replicas=2)
    victim = group.replicas[0]
    assert victim.process is not None
    options: dict[str, Any] = (
        {"multiplexed_connections": 2} if strategy == "multiplexed" else {"strategy": "pooled"}
    )
    async with Sentinel(_sentinels(group)) as sentinel:
        primary = sentinel.primary_for(group.master_name)
        await primary.set("flagged:k", "v")
        assert await primary.wait(2, 2000) == 2
        reader = sentinel.replica_for(group.master_name, command_timeout=COMMAND_TIMEOUT, **options)
        assert await asyncio.gather(*(reader.get("flagged:k") for _ in range(20))) == [b"v"] * 20
        failures: list[tuple[float, str]] = []
        reads: list[tuple[float, float]] = []  # (start, end) relative to the freeze
        stop = asyncio.Event()
        frozen_at = 0.0

        async def read() -> None:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    assert await reader.get("flagged:k") == b"v"
                    reads.append((started - frozen_at, time.monotonic() - frozen_at))
                except Exception as exc:  # every failure is judged below
                    failures.append((time.monotonic() - frozen_at, repr(exc)[:160]))
                await asyncio.sleep(0.005)

        victim.process.suspend()
        try:
            frozen_at = time.monotonic()
            tasks = [asyncio.create_task(read()) for _ in range(4)]
            await asyncio.sleep(FROZEN_FOR)
            stop.set()
            async with asyncio.timeout(COMMAND_TIMEOUT + 5):
                await asyncio.gather(*tasks)
        finally:
            victim.process.resume()
    moved_by = group.down_after_ms / 1000 + SLACK
    late = [f for f in failures if f[0] > moved_by]
    slowest = max(end - start for start, end in reads)
    settled = [r for r in reads if r[0] > moved_by]
    figures(
        f"replica flagged down ({strategy})",
        f"{len(reads)} reads in {FROZEN_FOR:.0f} s with one of 2 replicas frozen, "
        f"{len(failures)} failed (last at +{max((f[0] for f in failures), default=0):.2f} s), "
        f"slowest {slowest:.2f} s; {len(settled)} reads after +{moved_by:.1f} s",
    )
    assert not late, late
    assert len(settled) > 100
    # No read started after the move waited for the frozen replica.
    assert max(end - start for start, end in settled) < 0.5


async def test_replica_lookups_pass_over_a_sentinel_that_does_not_monitor_the_name(
    redis_sentinel_factory: SentinelFactory,
) -> None:
    group = redis_sentinel_factory()
    first = group.sentinels[0]
    assert raw_command(first.endpoint, "SENTINEL", "REMOVE", group.master_name) == b"OK"
    # A Sentinel that only knows the sentinels in this order asks the first one first.
    async with Sentinel(_sentinels(group), command_timeout=5.0) as sentinel:
        replica = sentinel.replica_for(group.master_name)  # held: Sentinel.aclose closes it
        assert await replica.get("partial:k") is None
    async with Sentinel(_sentinels(group)) as sentinel:
        report = await sentinel.check(group.master_name)
        assert report.primary.port == group.primary.port
    async with Sentinel(_sentinels(group)) as sentinel:
        unknown = sentinel.replica_for("nope", command_timeout=5.0)
        with pytest.raises(PrimaryNotFoundError) as caught:
            await unknown.get("k")
        message = str(caught.value)
        for s in group.sentinels:
            assert f"{s.host}:{s.port}: does not monitor 'nope'" in message
        with pytest.raises(PrimaryNotFoundError) as checked:
            await sentinel.check("nope")
        assert all(f"{s.host}:{s.port}" in str(checked.value) for s in group.sentinels)
