"""``transaction(func, *keys)`` and ``watch()`` on a cluster keep to the watched keys' slot.

A command for a key of another slot, read while watching or queued after ``multi()``, raw or
generated or a script, raises ``CrossSlotError`` when it is called, before anything is sent:
the key is never written and the server never answers MOVED. Keys sharing the watched keys'
hash tag work as before, and so does a standalone client's transaction over any keys.
"""

from __future__ import annotations

import pytest

from redis_oxide import Redis, RedisCluster, Transaction
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CrossSlotError
from redis_oxide.testing import ClusterInfo, RedisServerInfo

pytestmark = pytest.mark.timeout(30)

WATCHED = "{txfix}:watched"
SAME = "{txfix}:other"
ELSEWHERE = "txfix:elsewhere"


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> RedisCluster[str]:
    assert key_slot(WATCHED) == key_slot(SAME) != key_slot(ELSEWHERE)
    client = RedisCluster.from_url(redis_cluster.startup_url, decode_responses=True)
    await client.delete(WATCHED, SAME, ELSEWHERE)
    return client


async def test_a_queued_command_of_another_slot_raises_before_sending(
    cluster: RedisCluster[str],
) -> None:
    async def queue_elsewhere(tx: Transaction[str]) -> None:
        tx.multi()
        tx.set(WATCHED, "1")
        with pytest.raises(CrossSlotError, match=r"SET: key .* hashes to slot") as caught:
            tx.set(ELSEWHERE, "1")  # raised by the call itself
        assert caught.value.code == "CROSSSLOT"
        raise caught.value

    async with cluster:
        with pytest.raises(CrossSlotError):
            await cluster.transaction(queue_elsewhere, WATCHED)
        assert await cluster.mget(WATCHED, ELSEWHERE) == [None, None]
        assert cluster.stats().moved == 0


async def test_a_read_of_another_slot_while_watching_raises_before_sending(
    cluster: RedisCluster[str],
) -> None:
    async def read_elsewhere(tx: Transaction[str]) -> None:
        await tx.get(ELSEWHERE)

    async with cluster:
        with pytest.raises(CrossSlotError, match="give every key it reads or writes"):
            await cluster.transaction(read_elsewhere, WATCHED)
        assert cluster.stats().moved == 0


async def test_a_watch_block_refuses_raw_commands_and_scripts_of_another_slot(
    cluster: RedisCluster[str],
) -> None:
    script = cluster.register_script("return redis.call('SET', KEYS[1], ARGV[1])")
    async with cluster:
        async with cluster.watch(WATCHED) as tx:
            tx.multi()
            with pytest.raises(CrossSlotError):
                tx.execute_command("SET", ELSEWHERE, "1")
        async with cluster.watch(WATCHED) as tx:
            with pytest.raises(CrossSlotError):
                tx.run_script(script, [ELSEWHERE], ["1"])
        async with cluster.watch(WATCHED) as tx:
            tx.multi()
            with pytest.raises(CrossSlotError):
                tx.run_script(script, [ELSEWHERE], ["1"])
        assert await cluster.get(ELSEWHERE) is None
        assert cluster.stats().moved == 0


async def test_keys_of_the_watched_slot_still_run(cluster: RedisCluster[str]) -> None:
    script = cluster.register_script("return redis.call('SET', KEYS[1], ARGV[1])")

    async def move(tx: Transaction[str]) -> str | None:
        value = await tx.get(WATCHED)
        tx.multi()
        tx.set(SAME, value or "none")
        tx.run_script(script, [WATCHED], ["2"])
        tx.execute_command("INCR", "{txfix}:count")
        tx.ping()  # keyless: no slot to keep to
        return value

    async with cluster:
        await cluster.set(WATCHED, "1")
        assert await cluster.transaction(move, WATCHED) == "1"
        assert await cluster.mget(WATCHED, SAME) == ["2", "1"]
        async with cluster.watch(WATCHED, SAME) as tx:
            tx.multi()
            tx.delete(WATCHED, SAME, "{txfix}:count")
        assert await cluster.exists(WATCHED, SAME) == 0


async def test_a_standalone_transaction_takes_keys_of_any_slot(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis.from_url(flushed_stack.url, decode_responses=True) as client:
        async with client.watch(WATCHED) as tx:
            assert await tx.get(ELSEWHERE) is None
            tx.multi()
            tx.set(ELSEWHERE, "1")
        assert await client.get(ELSEWHERE) == "1"
