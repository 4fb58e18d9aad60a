"""The Redis Cluster part of the typed tour (``tour.py`` runs it last).

Runs against the cluster named by ``REDIS_CLUSTER_URL`` (any one node); without it, starts a
local six-node cluster (three primaries, one replica each) on free loopback ports and stops it
afterwards. The same command surface as ``Redis``, with the same types: keys go to their
slot's node, multi-key commands split per slot, keyless commands fan out by their policy.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis_oxide
from redis_oxide.exceptions import CrossSlotError


def show(label: str, value: object) -> None:
    print(f"  {label:<48} {value!r}")


@contextmanager
def cluster_url() -> Iterator[str]:
    url = os.environ.get("REDIS_CLUSTER_URL")
    if url:
        print(f"Using REDIS_CLUSTER_URL ({url.split('@')[-1]})")
        yield url
        return
    from redis_oxide.testing import start_cluster

    started = time.perf_counter()
    cluster = start_cluster(modules=False)
    try:
        print(
            f"Started a local cluster ({len(cluster.primaries)} primaries, "
            f"{len(cluster.replicas)} replicas) in {time.perf_counter() - started:.2f} s"
        )
        yield cluster.startup_url
    finally:
        for node in cluster.nodes:
            if node.process is not None:
                node.process.close()
        print("Stopped the local cluster.")


async def routing(r: redis_oxide.RedisCluster[str]) -> None:
    print("Keys go to their slot's node")
    primaries = await r.nodes("primaries")
    show("nodes('primaries') -> list[ClusterMember]", [m.address for m in primaries])
    show("set('tour:greeting', 'hello') -> bool", await r.set("tour:greeting", "hello"))
    greeting: str | None = await r.get("tour:greeting")
    show("get('tour:greeting') -> str | None", greeting)
    keys = [f"tour:k{i}" for i in range(12)]
    show("mset 12 keys (split per slot) -> bool", await r.mset({k: k[-2:] for k in keys}))
    values: list[str | None] = await r.mget(*keys)
    show("mget(...) in key order -> list[str | None]", values[:4])
    show("dbsize() summed over primaries -> int", await r.dbsize())
    show("exists(*keys) summed over slots -> int", await r.exists(*keys))
    try:
        await r.sunionstore("tour:dst", "tour:a", "tour:b")
    except CrossSlotError as error:
        show("CrossSlotError before anything is sent", str(error)[:48] + "...")
    show(
        "sunionstore with a hash tag -> int", await r.sunionstore("{tour}dst", "{tour}a", "{tour}b")
    )
    show("delete(*keys) summed -> int", await r.delete(*keys, "tour:greeting"))


async def patterns(r: redis_oxide.RedisCluster[str]) -> None:
    print("Pipelines, transactions, per-node views, the whole keyspace")
    async with r.pipeline() as pipe:
        counters = [pipe.incr(f"tour:counter:{i}") for i in range(5)]
        total = pipe.dbsize()
    show("pipeline over every node, in order", [await c for c in counters])
    show("  and a fanned-out dbsize() in it -> int", await total)
    transaction = r.pipeline(transaction=True)
    transaction.set("{tour:acct}balance", 100)
    transaction.incrby("{tour:acct}balance", -30)
    show("MULTI/EXEC on one slot's primary", await transaction.execute())
    first = (await r.nodes("primaries"))[0]
    port = (await r.on(first).info(section=["server"]))["server"]["tcp_port"]
    show("on(node).info(section=['server']): the node's tcp_port", port)
    seen = [key async for key in r.scan_iter(match="tour:*")]
    show("scan_iter(match='tour:*') over every primary", len(seen))
    await r.delete(*seen, "{tour}dst", "{tour:acct}balance")


async def shard_channels(r: redis_oxide.RedisCluster[str]) -> None:
    print("Sharded pub/sub: each channel on its slot's primary")
    async with r.pubsub() as p:
        await p.ssubscribe("tour:orders:{eu}", "tour:orders:{us}")
        show("ssubscribe(...) confirmed by both owners", sorted(p.shard_channels))
        show("spublish(...) routed by slot -> int", await r.spublish("tour:orders:{eu}", "sent"))
        message: redis_oxide.Message[str] | None = await p.get_message(timeout=5.0)
        show("get_message(timeout=5.0) -> Message[str] | None", message)
    async with r.pubsub() as p:
        await p.subscribe("tour:news")
        for n in range(3):  # PUBLISH goes to the channel's slot's primary: in order
            await r.publish("tour:news", str(n))
        news = [m.data for m in [await p.get_message(timeout=5.0) for _ in range(3)] if m]
        show("3 awaited publish() calls arrive in order", news)
        counts: dict[str, int] = await r.pubsub_numsub(channel=["tour:news"])
        show("pubsub_numsub(...) summed over every node", counts)


async def caching(url: str) -> None:
    print("A client-side cache per node")
    async with redis_oxide.RedisCluster.from_url(url, decode_responses=True, cache=True) as r:
        await r.set("tour:cached", "kept")
        reads = [await r.get("tour:cached") for _ in range(10)]
        cache = r.cache
        assert cache is not None
        show("10 x get('tour:cached') -> str | None", reads[0])
        show("cache.hits / (hits + misses)", f"{cache.hits / (cache.hits + cache.misses):.0%}")
        # A view with other per-call settings, over the same connections and slot map.
        fresh = r.with_options(cache=False, command_timeout=2.0)
        show("with_options(cache=False).get(...) reads the node", await fresh.get("tour:cached"))
        show("hits unchanged by the view", cache.hits)
        await r.delete("tour:cached")


async def _tour(url: str) -> None:
    async with redis_oxide.RedisCluster.from_url(url, decode_responses=True) as r:
        await routing(r)
        await patterns(r)
        await shard_channels(r)
        health = await r.health()
        assert health.cluster is not None
        show(
            "health(): healthy, nodes answering, slots covered",
            (health.healthy, sum(n.reachable for n in health.nodes), health.cluster.slots_covered),
        )
        stats = r.stats()
        print(f"Client: {r!r}, {len(stats.nodes)} node connections, {stats.moved} MOVED")
    await caching(url)


def cluster_tour() -> None:
    """Run the cluster tour against ``REDIS_CLUSTER_URL`` or a local cluster it starts."""
    print("Redis Cluster")
    with cluster_url() as url:
        asyncio.run(_tour(url))


if __name__ == "__main__":
    cluster_tour()
