"""Scripts on clients whose commands land on several servers: NOSCRIPT recovery anywhere."""

from __future__ import annotations

import pytest

from redis_oxide import Sentinel
from redis_oxide._client import Redis
from redis_oxide.testing import SentinelFactory, SentinelInfo
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(60)


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


async def test_read_only_scripts_recover_on_replicas_of_a_multiplexed_replica_client(
    redis_sentinel_factory: SentinelFactory,
) -> None:
    group = redis_sentinel_factory(replicas=2)
    async with Sentinel(_sentinels(group)) as sentinel:
        reader = sentinel.replica_for(
            group.master_name, decode_responses=True, multiplexed_connections=2
        )
        try:
            ports = {str(await reader.execute_command("CONFIG", "GET", "port")) for _ in range(4)}
            assert len(ports) == 2, "the two connections should be on two replicas"
            for i in range(6):
                fresh = reader.register_script(f"return {i}", read_only=True)
                assert [await fresh() for _ in range(3)] == [i, i, i]
            # load() reaches one replica: calls still succeed wherever they land.
            preloaded = reader.register_script("return 'preloaded'", read_only=True)
            assert await preloaded.load() == preloaded.sha
            assert [await preloaded() for _ in range(4)] == ["preloaded"] * 4
            await reader.execute_command("SCRIPT", "FLUSH")
            assert [await preloaded() for _ in range(4)] == ["preloaded"] * 4
            # A pipeline loads its scripts on the connection that runs its batch.
            await reader.execute_command("SCRIPT", "FLUSH")
            async with reader.pipeline() as pipe:
                handles = [preloaded(pipeline=pipe) for _ in range(3)]
            assert [await h for h in handles] == ["preloaded"] * 3
        finally:
            await reader.aclose()


async def test_scripts_recover_on_every_connection_of_a_multiplexed_client(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(
        flushed_stack.host, flushed_stack.port, decode_responses=True, multiplexed_connections=3
    ) as client:
        for i in range(4):
            script = client.register_script(f"return redis.call('INCRBY', KEYS[1], {i + 1})")
            await client.execute_command("SCRIPT", "FLUSH")
            values = [await script(["rs:n"]) for _ in range(3)]
            assert values == [(i + 1) * k + sum(range(1, i + 1)) * 3 for k in (1, 2, 3)]
