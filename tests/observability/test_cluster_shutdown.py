"""``RedisCluster.aclose(grace=...)`` on the six-node cluster.

1,000 commands in flight over every shard when ``aclose(grace=1)`` is called, held up by
every primary being busy (``DEBUG SLEEP 0.5``), all complete: the close waits for them;
a command issued afterwards raises ``ConnectionClosedError`` saying the client is closed;
no task of the client is left and no ``ResourceWarning`` is emitted.
"""

from __future__ import annotations

import asyncio
import gc
import time
import uuid
import warnings

import pytest

from redis_oxide import RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import ConnectionClosedError
from redis_oxide.testing import ClusterInfo, raw_command
from tests.cluster._migrate import slot_owners
from tests.conftest import Figure

pytestmark = pytest.mark.timeout(60)


async def test_aclose_with_grace_lets_1000_commands_in_flight_finish(
    redis_cluster: ClusterInfo, figures: Figure
) -> None:
    owners = slot_owners(redis_cluster)
    tag = uuid.uuid4().hex
    keys = [f"close:{tag}:{i}" for i in range(1000)]
    assert {owners[key_slot(k)] for k in keys} == {p.port for p in redis_cluster.primaries}
    seed = redis_cluster.primaries[0]
    before = asyncio.all_tasks()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        cluster = RedisCluster(seed.host, seed.port)
        await cluster.set(f"close:{tag}:seed", "x")
        await cluster.dbsize()  # the map is loaded, every primary has a connection
        stalls = [
            asyncio.ensure_future(
                asyncio.to_thread(raw_command, p.endpoint, "DEBUG", "SLEEP", "0.5", timeout=5.0)
            )
            for p in redis_cluster.primaries
        ]
        await asyncio.sleep(0.15)  # every primary is asleep
        in_flight = [asyncio.ensure_future(cluster.incr(key)) for key in keys]
        await asyncio.sleep(0)  # every INCR is written before the close starts
        started = time.monotonic()
        await cluster.aclose(grace=1.0)
        took = time.monotonic() - started
        values = await asyncio.gather(*in_flight, return_exceptions=True)
        await asyncio.gather(*stalls)
        with pytest.raises(ConnectionClosedError, match="closed"):
            await cluster.get(keys[0])
        with pytest.raises(ConnectionClosedError, match="closed"):
            await cluster.mget(*keys[:10])
        await cluster.aclose()  # harmless
        del cluster
        gc.collect()
    errors = [v for v in values if isinstance(v, BaseException)]
    assert not errors, errors[:3]
    assert values == [1] * 1000
    assert 0.1 < took < 1.5  # it waited for the sleeping primaries, within the grace
    left = [t for t in asyncio.all_tasks() - before if t is not asyncio.current_task()]
    assert not left, left
    async with RedisCluster(seed.host, seed.port) as check:
        assert await check.delete(*keys, f"close:{tag}:seed") == 1001
    figures("aclose(grace=1) with 1,000 commands in flight", f"{took:.3f} s")


async def test_aclose_rejects_a_negative_grace(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    cluster = RedisCluster(seed.host, seed.port)
    with pytest.raises(ValueError, match="grace"):
        await cluster.aclose(grace=-1)
    await cluster.aclose(grace=0)
