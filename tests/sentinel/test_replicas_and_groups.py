"""Replica clients and several monitored names, on disposable sentinel groups."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from redis_oxide import Sentinel
from redis_oxide.exceptions import ReplicaNotFoundError
from redis_oxide.testing import RedisServerInfo, SentinelInfo, raw_command
from redis_oxide.testing.plugin import SentinelFactory
from tests.sentinel._failover import SetGetLoop, looping, switch_log

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]

COMMAND_TIMEOUT = 5.0


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


def _gets(server: RedisServerInfo) -> int:
    stats = raw_command(server.endpoint, "INFO", "commandstats")
    assert isinstance(stats, bytes)
    for row in stats.decode().splitlines():
        if row.startswith("cmdstat_get:"):
            return int(row.split("calls=", 1)[1].split(",", 1)[0])
    return 0


async def test_replica_reads_spread_skip_down_replicas_and_fall_back(
    redis_sentinel_factory: SentinelFactory, figures: Any
) -> None:
    group = redis_sentinel_factory(replicas=2)
    first, second = group.replicas
    async with Sentinel(_sentinels(group)) as sentinel:
        primary = sentinel.primary_for(group.master_name)
        await primary.set("replicas:k", "v")
        assert await primary.wait(2, 2000) == 2
        options: dict[str, Any] = {"multiplexed_connections": 2, "command_timeout": 5.0}
        strict = sentinel.replica_for(group.master_name, **options)
        lenient = sentinel.replica_for(group.master_name, fallback_to_primary=True, **options)
        before = {r.port: _gets(r) for r in group.replicas}
        for _ in range(10):
            assert (
                await asyncio.gather(*(strict.get("replicas:k") for _ in range(20))) == [b"v"] * 20
            )
        spread = {r.port: _gets(r) - before[r.port] for r in group.replicas}
        # With one replica down, reads go to the other one.
        assert first.process is not None
        assert second.process is not None
        first.process.kill()
        assert await strict.get("replicas:k") == b"v"
        assert await lenient.get("replicas:k") == b"v"
        assert (await strict.role()).master_port == group.primary.port  # still a replica
        # With the last replica down too, reads fail clearly, or go to the primary if asked.
        second.process.kill()
        primary_gets = _gets(group.primary)
        started = time.monotonic()
        with pytest.raises(ReplicaNotFoundError) as caught:
            await strict.get("replicas:k")
        refused_after = time.monotonic() - started
        assert f"no healthy replica of {group.master_name!r}" in caught.value.message
        assert await lenient.get("replicas:k") == b"v"
        assert (await lenient.role()).role == "master"
        assert _gets(group.primary) > primary_gets
    figures(
        "replica reads",
        f"200 GETs over 2 connections: {spread[first.port]} on replica {first.port}, "
        f"{spread[second.port]} on replica {second.port}; no replica up: ReplicaNotFoundError "
        f"after {refused_after * 1000:.0f} ms, fallback read from the primary",
    )
    assert spread[first.port] > 0
    assert spread[second.port] > 0
    assert sum(spread.values()) == 200


async def test_failover_of_one_name_leaves_the_other_alone(
    redis_sentinel_factory: SentinelFactory, figures: Any
) -> None:
    group = redis_sentinel_factory(names=("oxide-a", "oxide-b"))
    a, b = group.groups
    assert a.primary.process is not None
    async with Sentinel(_sentinels(group)) as sentinel, switch_log(group.sentinels) as switches:
        loops = {
            name: SetGetLoop(
                sentinel.primary_for(name, command_timeout=COMMAND_TIMEOUT), f"{name}:k"
            )
            for name in ("oxide-a", "oxide-b")
        }
        async with looping(*loops.values()):
            await asyncio.sleep(0.3)
            killed = time.monotonic()
            a.primary.process.kill()
            switched = await switches.wait_first("oxide-a", 20)
            await asyncio.sleep(0.3)
        other = loops["oxide-b"]
        during = [c for c in other.calls if killed <= c.started <= switched + 0.5]
        assert other.client.stats().reconnects == 0
    slowest = max(c.ended - c.started for c in during)
    failed_a = loops["oxide-a"].failures(killed)
    figures(
        "two names",
        f"oxide-a failed over (+switch-master at +{switched - killed:.3f} s, failed calls "
        f"{len(failed_a)}); oxide-b meanwhile: {len(during)} calls, 0 reconnects, "
        f"{len(other.failures())} failed, slowest {slowest * 1000:.1f} ms",
    )
    assert switches.first("oxide-b") is None
    assert other.failures() == []
    assert other.wrong == []
    assert loops["oxide-a"].wrong == []
    assert raw_command(b.primary.endpoint, "GET", "oxide-b:k") == str(other.acked).encode()
    assert (
        raw_command(a.replicas[0].endpoint, "GET", "oxide-a:k")
        == str(loops["oxide-a"].acked).encode()
    )
