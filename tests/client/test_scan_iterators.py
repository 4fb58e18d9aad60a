"""scan_iter, hscan_iter, sscan_iter and zscan_iter on real servers, standalone and cluster."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from redis_oxide import Redis, RedisCluster
from redis_oxide.testing import ClusterInfo
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

KEYS = 1200


async def _fill(client: Redis[Any] | RedisCluster[Any]) -> None:
    await client.hset("h", {f"f:{i}": f"v:{i}" for i in range(KEYS)})
    await client.sadd("s", *(f"m:{i}" for i in range(KEYS)))
    await client.zadd("z", {f"m:{i}": i + 0.5 for i in range(KEYS)})


async def test_scan_iter_yields_every_key_and_filters_server_side(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        await client.mset({f"user:{i}": "x" for i in range(KEYS)})
        await client.mset({f"other:{i}": "x" for i in range(100)})
        await client.hset("user:hash", {"a": "1"})
        everything = Counter([key async for key in client.scan_iter(count=100)])
        assert set(everything) == {f"user:{i}" for i in range(KEYS)} | {
            f"other:{i}" for i in range(100)
        } | {"user:hash"}
        users = {key async for key in client.scan_iter("user:*")}
        assert users == {f"user:{i}" for i in range(KEYS)} | {"user:hash"}
        hashes = [key async for key in client.scan_iter(type="hash")]
        assert hashes == ["user:hash"]
        assert [key async for key in client.scan_iter("nothing:*")] == []


async def test_keys_present_throughout_are_seen_while_others_come_and_go(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.mset({f"stay:{i}": "x" for i in range(KEYS)})
        seen: set[bytes] = set()
        added = 0
        async for key in client.scan_iter(count=50):
            seen.add(key)
            if added < 2000:  # the table grows (and rehashes) under the cursor
                await client.set(f"new:{added}", "x")
                added += 1
        assert {f"stay:{i}".encode() for i in range(KEYS)} <= seen


async def test_collection_iterators_yield_every_element(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await _fill(client)
        pairs = dict([pair async for pair in client.hscan_iter("h", count=100)])
        assert pairs == {f"f:{i}".encode(): f"v:{i}".encode() for i in range(KEYS)}
        fields = {field async for field in client.hscan_iter("h", "f:1*", novalues=True)}
        assert fields == {f"f:{i}".encode() for i in range(KEYS) if str(i).startswith("1")}
        members = {member async for member in client.sscan_iter("s", count=100)}
        assert members == {f"m:{i}".encode() for i in range(KEYS)}
        scored = dict([pair async for pair in client.zscan_iter("z", b"m:7*")])
        assert scored == {f"m:{i}".encode(): i + 0.5 for i in range(KEYS) if str(i)[0] == "7"}
        assert [pair async for pair in client.hscan_iter("missing")] == []
        small = [pair async for pair in client.zscan_iter(memoryview(b"z"))]
        assert len(small) == KEYS


async def _sscan_calls(client: Redis[bytes]) -> int:
    stats = await client.info(section=["commandstats"])
    line = str(stats["commandstats"].get("cmdstat_sscan", "calls=0"))
    return int(line.split(",")[0].removeprefix("calls="))


async def test_leaving_early_sends_nothing_more(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await _fill(client)
        before = await _sscan_calls(client)
        async for _ in client.sscan_iter("s", count=10):
            break
        assert await _sscan_calls(client) - before == 1


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda c: c.scan_iter(count=0), ValueError, "count must be at least 1"),
        (lambda c: c.scan_iter(count="10"), TypeError, "count must be an int"),
        (lambda c: c.scan_iter(count=True), TypeError, "count must be an int"),
        (lambda c: c.scan_iter(match=5), TypeError, "match must be str or bytes"),
        (lambda c: c.scan_iter(type=b"hash"), TypeError, "type must be a str"),
        (lambda c: c.hscan_iter("h", count=-1), ValueError, "count must be at least 1"),
        (lambda c: c.sscan_iter("s", 3.5), TypeError, "match must be str or bytes"),
        (lambda c: c.zscan_iter("z", count=1.0), TypeError, "count must be an int"),
    ],
)
async def test_bad_options_raise_when_the_iterator_is_made(
    flushed_stack: RedisServerInfo, call: Any, error: type[Exception], match: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        with pytest.raises(error, match=match):
            call(client)


async def test_collection_iterators_on_a_cluster(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as cluster:
        with pytest.raises(ValueError, match="count must be at least 1"):
            cluster.scan_iter(count=0)  # its own scan_iter checks alike
        await cluster.delete("h", "s", "z")
        await _fill(cluster)
        pairs = dict([pair async for pair in cluster.hscan_iter("h", count=200)])
        assert pairs == {f"f:{i}": f"v:{i}" for i in range(KEYS)}
        members = {member async for member in cluster.sscan_iter("s")}
        assert members == {f"m:{i}" for i in range(KEYS)}
        scored = dict([pair async for pair in cluster.zscan_iter("z", count=500)])
        assert scored == {f"m:{i}": i + 0.5 for i in range(KEYS)}
        await cluster.delete("h", "s", "z")
