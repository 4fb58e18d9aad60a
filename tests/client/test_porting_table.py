"""Each line of docs/differences.md "Calling differences": the redis-py form is refused before
anything is sent, and the redis-oxide form does what the table says."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import pytest

import redis_oxide
from redis_oxide.exceptions import CommandError, WatchError
from redis_oxide.testing import RedisServerInfo, SentinelInfo
from redis_oxide.types import (
    BitcountRange,
    BitposRange,
    BitposRangeEndUnitBlock,
    GeosearchCountBlock,
)

pytestmark = pytest.mark.timeout(60)


def refused(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        call()


def test_redis_py_option_names_are_refused_with_the_option_to_use() -> None:
    with pytest.raises(TypeError, match="command_timeout"):
        redis_oxide.Redis(socket_timeout=1)  # type: ignore[call-overload]


async def test_every_calling_difference_holds(flushed_stack: RedisServerInfo) -> None:
    url = flushed_stack.url
    async with redis_oxide.from_url(url, decode_responses=True) as r:
        # option keywords
        refused(lambda: r.set("k", "v", ex=60))  # type: ignore
        assert await r.set("k", "v", seconds=60)
        assert await r.set("k2", "v", milliseconds=2000)
        assert await r.set("k3", "v", unix_time_seconds=int(time.time()) + 60)
        assert await r.set("k4", "v", unix_time_milliseconds=int(time.time() * 1000) + 60000)
        refused(lambda: r.set("k", "v", nx=True))  # type: ignore
        assert await r.set("k", "w", condition="NX") is False
        assert await r.expire("k", 100, condition="GT") is True
        refused(lambda: r.expire("k", 100, gt=True))  # type: ignore
        assert await r.getex("k", seconds=30) == "v"
        refused(lambda: r.zadd("z", {"a": 1}, nx=True))  # type: ignore
        assert await r.zadd("z", {"a": 1.0, "b": 2.0, "c": 3.0}) == 3
        assert await r.zadd("z", {"a": 5.0}, comparison="GT", change=True) == 1
        assert await r.zadd("z", {"a": 1.0}, condition="XX", increment=True) == 6.0
        refused(lambda: r.zadd("zx", {"a": 1}, xx=True, gt=True, ch=True, incr=True))  # type: ignore
        assert await r.zadd("zx", {"a": 1.0}) == 1
        assert (
            await r.zadd(
                "zx", {"a": 7.0}, condition="XX", comparison="GT", change=True, increment=True
            )
            == 8.0
        )
        # hset
        refused(lambda: r.hset("h", "f", "v"))  # type: ignore
        refused(lambda: r.hset("h", mapping={"f": "v"}))  # type: ignore
        assert await r.hset("h", {"f": "v", "n": 1}) == 2
        refused(lambda: r.hincrby("h", "n"))  # type: ignore
        assert await r.hincrby("h", "n", 1) == 2
        # ranges
        refused(lambda: r.zrange("z", 0, -1, desc=True))  # type: ignore
        assert await r.zrange("z", 0, -1, rev=True) == ["a", "c", "b"]
        assert await r.zrange("z", 0, 10, sortby="BYSCORE", limit=(0, 1)) == ["b"]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert await r.zrangebyscore("z", 0, 10, limit=(1, 1)) == ["c"]
        refused(lambda: r.zpopmin("z", 1))  # type: ignore
        assert await r.zpopmin("z", count=1) == [("b", 2.0)]
        # scripts
        refused(lambda: r.eval("return 1", 0))  # type: ignore
        assert await r.eval("return {KEYS[1], ARGV[1]}", key=["k"], arg=["a"]) == ["k", "a"]
        assert await r.eval("return 1") == 1
        script = r.register_script("return {KEYS[1], ARGV[1]}")
        assert await script(keys=["k"], args=["a"]) == ["k", "a"]
        # lists
        await r.rpush("src", "x", "y")
        refused(lambda: r.lmove("src", "dst"))  # type: ignore
        assert await r.blmove("src", "dst", "RIGHT", "LEFT", 1) == "y"
        assert await r.blmpop(1, ["src", "nope"], "LEFT", count=1) == ("src", ["x"])
        # geo
        refused(lambda: r.geoadd("g", [13.36, 38.11, "palermo"]))  # type: ignore
        assert (
            await r.geoadd(
                "g", [(13.361389, 38.115556, "palermo"), (15.087269, 37.502669, "catania")]
            )
            == 2
        )
        near = await r.geosearch(
            "g",
            fromlonlat=(15.0, 37.0),
            circle=(200.0, "KM"),
            order="ASC",
            count_block=GeosearchCountBlock(count=1),
            withdist=True,
        )
        assert isinstance(near[0], tuple), near
        assert near[0][0] == "catania", near
        assert await r.geosearch("g", fromlonlat=(15.0, 37.0), box=(400.0, 400.0, "KM")) != []
        # server / pubsub
        refused(lambda: r.info("server"))  # type: ignore
        info = await r.info(section=["server"])
        assert "redis_version" in info["server"]
        refused(lambda: r.pubsub_numsub("a", "b"))  # type: ignore
        assert await r.pubsub_numsub(channel=["a", "b"]) == {"a": 0, "b": 0}
        refused(lambda: r.command_docs("get"))  # type: ignore
        docs = await r.command_docs(command_name=["get"])
        assert "get" in docs
        # scan
        refused(lambda: r.scan(0, _type="hash"))  # type: ignore
        _, keys = await r.scan(0, match="h*", type="hash", count=1000)
        assert keys == ["h"], keys
        assert [k async for k in r.scan_iter("h*", type="hash")] == ["h"]
        assert [f async for f in r.hscan_iter("h", novalues=True)] in (["f", "n"], ["n", "f"])
        # bits
        await r.set("b", "\x0f")
        refused(lambda: r.bitcount("b", 0, 7, mode="BIT"))  # type: ignore
        assert await r.bitcount("b", range=BitcountRange(start=0, end=7, unit="BIT")) == 4
        assert (
            await r.bitpos(
                "b",
                1,
                range=BitposRange(
                    start=0, end_unit_block=BitposRangeEndUnitBlock(end=7, unit="BIT")
                ),
            )
            == 4
        )
        # misc renames
        await r.rpush("l", "a", "b", "a")
        assert await r.lpos("l", "a", count=2, maxlen=10) == [0, 2]  # as redis-py
        refused(lambda: r.zmscore("z", ["a"]))  # type: ignore
        assert await r.zmscore("z", "a", "c") == [6.0, 3.0]
        refused(lambda: r.lock("L", thread_local=False))  # type: ignore
        # replies: tuples and bools
        assert await r.zrank("z", "a", withscore=True) == (1, 6.0)
        refused(lambda: r.pfadd("hll", "a"))  # type: ignore
        assert await r.pfadd("hll", element=["a", "b"]) is True
        assert await r.geopos("g", member=["palermo"]) != []
        refused(lambda: r.blpop(["empty"]))  # type: ignore
        assert await r.hsetnx("h", "new", "1") is True
        assert await r.sismember("set", "x") is False
        assert await r.ping() == "PONG"
        # blocking commands are not bound by command_timeout
        async with redis_oxide.from_url(url, command_timeout=0.2) as short:
            began = time.monotonic()
            assert await short.blpop(["empty"], 0.6) is None
            assert time.monotonic() - began >= 0.55
        # pipelines
        async with r.pipeline() as pipe:
            pipe.set("p", "1")
        assert await r.get("p") == "1"  # ran on leaving the block
        failing = r.pipeline()
        failing.set("q", "x")
        failing.incr("q")
        with pytest.raises(CommandError, match="position=1"):
            await failing.execute()
        lenient = r.pipeline(raise_on_error=False)
        lenient.set("q", "x")
        lenient.incr("q")
        with pytest.raises(TypeError):
            await lenient.execute(raise_on_error=False)  # type: ignore[call-arg]
        done = await lenient.execute()
        assert done[0] is True
        assert isinstance(done[1], CommandError)

        # transaction: func gets a Transaction, reads, calls multi(), queues
        async def bump(tx: redis_oxide.Transaction[str]) -> int:
            current = int(await tx.get("n") or 0)
            tx.multi()
            tx.set("n", current + 1)
            return current + 1

        assert await r.transaction(bump, "n") == 1
        # watch()
        async with r.watch("n") as tx:
            current = int(await tx.get("n") or 0)
            tx.multi()
            tx.set("n", current + 1)
        assert await r.get("n") == "2"

        # retries run out -> WatchError
        async def lose(tx: redis_oxide.Transaction[str]) -> None:
            await r.set("n", "0")  # another client changes the watched key
            tx.multi()
            tx.incr("n")

        with pytest.raises(WatchError):
            await r.transaction(lose, "n", retries=2)
        # deprecated commands warn on every call
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await r.setex("d", 10, "v")
        assert [w.category for w in caught] == [DeprecationWarning]
        assert "use set(..., seconds=...)" in str(caught[0].message)
        assert not hasattr(r, "close")


async def test_every_sentinel_calling_difference_holds(redis_sentinel: SentinelInfo) -> None:
    addresses = [(s.host, s.port) for s in redis_sentinel.sentinels]
    name = redis_sentinel.master_name
    with pytest.raises(TypeError, match="primary_for"):
        redis_oxide.Sentinel(addresses, decode_responses=True)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="sentinel_password="):
        redis_oxide.Sentinel(addresses, sentinel_kwargs={"password": "x"})  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="sentinel_command_timeout="):
        redis_oxide.Sentinel(addresses, socket_timeout=0.5)  # type: ignore[call-arg]
    async with redis_oxide.Sentinel(addresses, sentinel_command_timeout=2.0) as sentinel:
        with pytest.raises(AttributeError):
            sentinel.master_for(name)  # type: ignore[attr-defined]
        with pytest.raises(AttributeError):
            sentinel.slave_for(name)  # type: ignore[attr-defined]
        with pytest.raises(AttributeError):
            sentinel.discover_master(name)  # type: ignore[attr-defined]
        primary = sentinel.primary_for(name, decode_responses=True)
        assert await primary.set("porting", "1")
        replica = sentinel.replica_for(name, decode_responses=True, fallback_to_primary=True)
        assert await replica.ping()
        report = await sentinel.check(name)
        assert (report.primary.host, report.primary.port) == (
            redis_sentinel.primary.host,
            redis_sentinel.primary.port,
        )
        assert isinstance(report.quorum_reached, bool)
        assert len(report.sentinels) >= 1
        assert [p.name for p in await sentinel.primaries()] == [name]
