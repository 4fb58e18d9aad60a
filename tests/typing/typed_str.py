"""``assert_type`` examples for ``Redis[str]`` (``decode_responses=True``).

The mirror of ``typed_bytes.py``: the same calls, with text replies typed ``str``. Replies that
are binary whatever the client decodes (DUMP, FUNCTION DUMP) stay ``bytes``.
"""

# Deprecated commands are here too, their reply types being part of the contract: the mark
# that makes pyright flag their calls is checked in test_generated_types.py.
# pyright: reportDeprecated=false

from __future__ import annotations

from typing import TypeAlias, assert_type

from redis_oxide import (
    AclLogEntry,
    AclUser,
    ClientInfo,
    ClientTrackingInfo,
    ClusterNode,
    ClusterShard,
    CommandDoc,
    CommandInfo,
    FunctionLibrary,
    FunctionStats,
    LcsIdx,
    MemoryStats,
    ModuleInfo,
    Redis,
    Role,
    SlowlogEntry,
    XAutoClaim,
    XAutoClaimIds,
    XInfoConsumer,
    XInfoGroup,
    XInfoStream,
    XInfoStreamFull,
    XPendingEntry,
    XPendingSummary,
)
from redis_oxide.types import (
    BitfieldGetBlock,
    ClientKillClientId,
    InfoValue,
    XinfoStreamFullBlock,
    XpendingFilters,
)

Scored: TypeAlias = list[tuple[str, float]]
Entry = tuple[str, dict[str, str]]


async def strings(r: Redis[str]) -> None:
    assert_type(await r.get("k"), str | None)
    assert_type(await r.getdel("k"), str | None)
    assert_type(await r.getex("k", seconds=5), str | None)
    assert_type(await r.getrange("k", 0, 3), str)
    assert_type(await r.mget("a", "b"), list[str | None])
    assert_type(await r.mset({"a": 1, "b": "2"}), bool)
    assert_type(await r.msetnx({"a": 1}), bool)
    assert_type(await r.incr("k"), int)
    assert_type(await r.incrbyfloat("k", 0.5), float)
    assert_type(await r.append("k", "v"), int)
    assert_type(await r.strlen("k"), int)
    assert_type(await r.setrange("k", 1, "v"), int)
    assert_type(await r.set("k", "v"), bool)
    assert_type(await r.set("k", "v", condition="NX", seconds=5), bool)
    assert_type(await r.set("k", "v", get=True), str | None)
    assert_type(await r.lcs("a", "b"), str)
    assert_type(await r.lcs("a", "b", len=True), int)
    assert_type(await r.lcs("a", "b", idx=True, withmatchlen=True), LcsIdx)


async def keyspace(r: Redis[str]) -> None:
    assert_type(await r.delete("a", "b"), int)
    assert_type(await r.exists("a"), int)
    assert_type(await r.expire("k", 10, condition="NX"), bool)
    assert_type(await r.ttl("k"), int)
    assert_type(await r.pttl("k"), int)
    assert_type(await r.persist("k"), bool)
    assert_type(await r.type("k"), str)
    assert_type(await r.keys("*"), list[str])
    assert_type(await r.scan(0, match="k:*", count=10), tuple[int, list[str]])
    assert_type(await r.randomkey(), str | None)
    assert_type(await r.rename("a", "b"), bool)
    assert_type(await r.copy("a", "b", replace=True), bool)
    assert_type(await r.dump("k"), bytes | None)
    assert_type(await r.object_encoding("k"), str | None)
    assert_type(await r.sort("l"), list[str | None])
    assert_type(await r.sort("l", destination="d"), int)
    assert_type(await r.sort_ro("l", order="DESC"), list[str | None])
    assert_type(await r.waitaof(0, 0, 10), tuple[int, int])


async def hashes(r: Redis[str]) -> None:
    assert_type(await r.hget("h", "f"), str | None)
    assert_type(await r.hset("h", {"f": "v"}), int)
    assert_type(await r.hgetall("h"), dict[str, str])
    assert_type(await r.hmget("h", "a", "b"), list[str | None])
    assert_type(await r.hkeys("h"), list[str])
    assert_type(await r.hvals("h"), list[str])
    assert_type(await r.hexists("h", "f"), bool)
    assert_type(await r.hincrbyfloat("h", "f", 1.5), float)
    assert_type(await r.hexpire("h", 10, ["f"]), list[int])
    assert_type(await r.httl("h", ["f"]), list[int])
    assert_type(await r.hscan("h", 0), tuple[int, dict[str, str]])
    assert_type(await r.hscan("h", 0, novalues=True), tuple[int, list[str]])
    assert_type(await r.hrandfield("h"), str | None)
    assert_type(await r.hrandfield("h", count=2), list[str])
    assert_type(await r.hrandfield("h", count=2, withvalues=True), list[tuple[str, str]])


async def lists(r: Redis[str]) -> None:
    assert_type(await r.lpush("l", "a", "b"), int)
    assert_type(await r.lrange("l", 0, -1), list[str])
    assert_type(await r.lindex("l", 0), str | None)
    assert_type(await r.lset("l", 0, "v"), bool)
    assert_type(await r.lmove("a", "b", "LEFT", "RIGHT"), str | None)
    assert_type(await r.lmpop(["a", "b"], "LEFT", count=2), tuple[str, list[str]] | None)
    assert_type(await r.blpop(["a"], 0.5), tuple[str, str] | None)
    assert_type(await r.brpop(["a"], 0.5), tuple[str, str] | None)
    assert_type(await r.blmove("a", "b", "LEFT", "LEFT", 1), str | None)
    assert_type(await r.blmpop(1, ["a"], "RIGHT"), tuple[str, list[str]] | None)
    assert_type(await r.lpop("l"), str | None)
    assert_type(await r.lpop("l", count=2), list[str] | None)
    assert_type(await r.rpop("l"), str | None)
    assert_type(await r.rpop("l", count=2), list[str] | None)
    assert_type(await r.lpos("l", "x"), int | None)
    assert_type(await r.lpos("l", "x", rank=2), int | None)
    assert_type(await r.lpos("l", "x", count=0), list[int])


async def sets(r: Redis[str]) -> None:
    assert_type(await r.sadd("s", "a"), int)
    assert_type(await r.smembers("s"), set[str])
    assert_type(await r.sinter("a", "b"), set[str])
    assert_type(await r.sunion("a", "b"), set[str])
    assert_type(await r.sdiff("a", "b"), set[str])
    assert_type(await r.sismember("s", "a"), bool)
    assert_type(await r.smismember("s", "a", "b"), list[bool])
    assert_type(await r.sscan("s", 0), tuple[int, list[str]])
    assert_type(await r.spop("s"), str | None)
    assert_type(await r.spop("s", count=2), set[str])
    assert_type(await r.srandmember("s"), str | None)
    assert_type(await r.srandmember("s", count=-2), list[str])


async def sorted_sets(r: Redis[str]) -> None:
    assert_type(await r.zadd("z", {"a": 1.0}), int)
    assert_type(await r.zadd("z", {"a": 1.0}, increment=True), float | None)
    assert_type(await r.zscore("z", "a"), float | None)
    assert_type(await r.zmscore("z", "a", "b"), list[float | None])
    assert_type(await r.zincrby("z", 1, "a"), float)
    assert_type(await r.zrange("z", 0, -1), list[str])
    assert_type(await r.zrange("z", 0, -1, withscores=True), Scored)
    assert_type(await r.zrange("z", "(1", "+inf", sortby="BYSCORE", limit=(0, 5)), list[str])
    assert_type(await r.zrangebyscore("z", 0, 10), list[str])
    assert_type(await r.zrangebyscore("z", 0, 10, withscores=True), Scored)
    assert_type(await r.zrevrange("z", 0, -1), list[str])
    assert_type(await r.zrevrange("z", 0, -1, withscores=True), Scored)
    assert_type(await r.zrevrangebyscore("z", 10, 0), list[str])
    assert_type(await r.zrevrangebyscore("z", 10, 0, withscores=True), Scored)
    assert_type(await r.zrangebylex("z", "-", "+"), list[str])
    assert_type(await r.zunion("a", "b"), list[str])
    assert_type(await r.zunion("a", "b", withscores=True), Scored)
    assert_type(await r.zinter("a", "b"), list[str])
    assert_type(await r.zinter("a", "b", withscores=True), Scored)
    assert_type(await r.zdiff("a", "b"), list[str])
    assert_type(await r.zdiff("a", "b", withscores=True), Scored)
    assert_type(await r.zrandmember("z"), str | None)
    assert_type(await r.zrandmember("z", count=2), list[str])
    assert_type(await r.zrandmember("z", count=2, withscores=True), Scored)
    assert_type(await r.zrank("z", "a"), int | None)
    assert_type(await r.zrank("z", "a", withscore=True), tuple[int, float] | None)
    assert_type(await r.zrevrank("z", "a"), int | None)
    assert_type(await r.zrevrank("z", "a", withscore=True), tuple[int, float] | None)
    assert_type(await r.zpopmin("z"), Scored)
    assert_type(await r.zpopmax("z", count=2), Scored)
    assert_type(await r.bzpopmin(["z"], 1), tuple[str, str, float] | None)
    assert_type(await r.zmpop(["z"], "MIN"), tuple[str, Scored] | None)
    assert_type(await r.bzmpop(1, ["z"], "MAX", count=2), tuple[str, Scored] | None)
    assert_type(await r.zscan("z", 0), tuple[int, Scored])


async def geo(r: Redis[str]) -> None:
    assert_type(await r.geoadd("g", [(13.4, 38.1, "Palermo")]), int)
    assert_type(await r.geodist("g", "a", "b", unit="KM"), float | None)
    assert_type(await r.geopos("g", member=["a"]), list[tuple[float, float] | None])
    assert_type(await r.geohash("g", member=["a"]), list[str | None])
    assert_type(await r.geosearch("g", member="a", circle=(5, "KM")), list[str])
    assert_type(
        await r.geosearch("g", fromlonlat=(15, 37), box=(4, 4, "KM"), withdist=True),
        list[tuple[str, float]],
    )
    assert_type(
        await r.geosearch("g", member="a", circle=(5, "KM"), withcoord=True),
        list[tuple[str, tuple[float, float]]],
    )
    assert_type(
        await r.geosearch("g", member="a", circle=(5, "KM"), withhash=True),
        list[tuple[str, int]],
    )
    assert_type(
        await r.geosearch("g", member="a", circle=(5, "KM"), withcoord=True, withdist=True),
        list[tuple[str, float, tuple[float, float]]],
    )
    assert_type(
        await r.geosearch(
            "g", member="a", circle=(5, "KM"), withcoord=True, withdist=True, withhash=True
        ),
        list[tuple[str, float, int, tuple[float, float]]],
    )
    assert_type(
        await r.geosearch("g", member="a", circle=(5, "KM"), withdist=True, withhash=True),
        list[tuple[str, float, int]],
    )
    assert_type(
        await r.geosearch("g", member="a", circle=(5, "KM"), withcoord=True, withhash=True),
        list[tuple[str, int, tuple[float, float]]],
    )
    assert_type(
        await r.georadius("g", 15, 37, 200, "KM", withcoord=True, withdist=True, withhash=True),
        list[tuple[str, float, int, tuple[float, float]]],
    )
    assert_type(
        await r.georadius("g", 15, 37, 200, "KM", withcoord=True, withdist=True),
        list[tuple[str, float, tuple[float, float]]],
    )
    assert_type(
        await r.georadius("g", 15, 37, 200, "KM", withcoord=True),
        list[tuple[str, tuple[float, float]]],
    )
    assert_type(await r.georadius("g", 15, 37, 200, "KM", withdist=True), list[tuple[str, float]])
    assert_type(await r.georadius("g", 15, 37, 200, "KM", withhash=True), list[tuple[str, int]])
    assert_type(await r.georadius("g", 15, 37, 200, "KM"), list[str])
    assert_type(
        await r.georadius("g", 15, 37, 200, "KM", withdist=True, withhash=True),
        list[tuple[str, float, int]],
    )
    assert_type(
        await r.georadius("g", 15, 37, 200, "KM", withcoord=True, withhash=True),
        list[tuple[str, int, tuple[float, float]]],
    )
    assert_type(await r.georadius("g", 15, 37, 200, "KM", storekey="d"), int)
    assert_type(await r.georadius("g", 15, 37, 200, "KM", storedistkey="d"), int)
    assert_type(await r.georadius_ro("g", 15, 37, 200, "KM"), list[str])
    assert_type(
        await r.georadiusbymember("g", "a", 200, "KM", withdist=True), list[tuple[str, float]]
    )
    assert_type(await r.georadiusbymember("g", "a", 200, "KM", storekey="d"), int)
    assert_type(
        await r.georadiusbymember_ro("g", "a", 200, "KM", withcoord=True),
        list[tuple[str, tuple[float, float]]],
    )
    assert_type(await r.geosearchstore("d", "g", member="a", circle=(5, "KM")), int)


async def streams(r: Redis[str]) -> None:
    assert_type(await r.xadd("s", {"f": "v"}), str)
    assert_type(await r.xadd("s", {"f": "v"}, nomkstream=True), str | None)
    assert_type(await r.xlen("s"), int)
    assert_type(await r.xrange("s", "-", "+"), list[Entry])
    assert_type(await r.xrevrange("s", "+", "-", count=1), list[Entry])
    assert_type(await r.xread({"s": "0-0"}, count=10), dict[str, list[Entry]] | None)
    assert_type(
        await r.xreadgroup(("g", "c"), {"s": ">"}, count=1),
        dict[str, list[tuple[str, dict[str, str] | None]]] | None,
    )
    assert_type(await r.xack("s", "g", "1-0"), int)
    assert_type(await r.xclaim("s", "g", "c", 0, "1-0"), list[Entry])
    assert_type(await r.xclaim("s", "g", "c", 0, "1-0", justid=True), list[str])
    assert_type(await r.xautoclaim("s", "g", "c", 0, "0-0"), XAutoClaim[str])
    assert_type(await r.xautoclaim("s", "g", "c", 0, "0-0", justid=True), XAutoClaimIds[str])
    assert_type(await r.xpending("s", "g"), XPendingSummary[str])
    assert_type(
        await r.xpending("s", "g", filters=XpendingFilters(start="-", end="+", count=5)),
        list[XPendingEntry[str]],
    )
    assert_type(await r.xinfo_stream("s"), XInfoStream[str])
    assert_type(
        await r.xinfo_stream("s", full_block=XinfoStreamFullBlock(count=5)),
        XInfoStreamFull[str],
    )
    assert_type(await r.xinfo_groups("s"), list[XInfoGroup[str]])
    assert_type(await r.xinfo_consumers("s", "g"), list[XInfoConsumer[str]])
    assert_type(await r.xgroup_create("s", "g", id="$", mkstream=True), bool)


async def bitmaps_and_hyperloglogs(r: Redis[str]) -> None:
    assert_type(await r.setbit("b", 7, 1), int)
    assert_type(await r.getbit("b", 7), int)
    assert_type(await r.bitcount("b"), int)
    assert_type(await r.bitop("AND", "d", "a", "b"), int)
    assert_type(
        await r.bitfield("b", operation=[BitfieldGetBlock(encoding="u4", offset=0)]),
        list[int | None],
    )
    assert_type(await r.bitfield_ro("b", get_block=[("u8", 0)]), list[int])
    assert_type(await r.pfadd("h", element=["a"]), bool)
    assert_type(await r.pfcount("h"), int)
    assert_type(await r.pfmerge("d", sourcekey=["h"]), bool)


async def scripting_and_pubsub(r: Redis[str]) -> None:
    assert_type(await r.script_load("return 1"), str)
    assert_type(await r.script_exists("0" * 40), list[bool])
    assert_type(await r.script_flush(), bool)
    assert_type(await r.function_load("#!lua name=l\n", replace=True), str)
    assert_type(await r.function_list(withcode=True), list[FunctionLibrary[str]])
    assert_type(await r.function_stats(), FunctionStats[str])
    assert_type(await r.function_dump(), bytes)
    assert_type(await r.function_delete("l"), bool)
    assert_type(await r.publish("ch", "m"), int)
    assert_type(await r.spublish("ch", "m"), int)
    assert_type(await r.pubsub_channels(pattern="*"), list[str])
    assert_type(await r.pubsub_numsub(channel=["ch"]), dict[str, int])
    assert_type(await r.pubsub_numpat(), int)


async def connection(r: Redis[str]) -> None:
    assert_type(await r.ping(), str)
    assert_type(await r.echo("hi"), str)
    assert_type(await r.client_id(), int)
    assert_type(await r.client_getname(), str | None)
    assert_type(await r.client_setname("app"), bool)
    assert_type(await r.client_info(), ClientInfo)
    assert_type(await r.client_list(client_type="NORMAL"), list[ClientInfo])
    assert_type(await r.client_trackinginfo(), ClientTrackingInfo[str])
    assert_type(await r.client_kill(new_format=[ClientKillClientId(client_id=5)]), int)
    assert_type(await r.client_kill(old_format="127.0.0.1:5000"), bool)
    assert_type(await r.client_pause(10, mode="WRITE"), bool)
    assert_type(await r.client_unblock(5), bool)


async def server(r: Redis[str]) -> None:
    assert_type(await r.dbsize(), int)
    assert_type(await r.flushall(flush_type="SYNC"), bool)
    assert_type(await r.info(section=["server"]), dict[str, dict[str, InfoValue]])
    assert_type(await r.config_get("maxmemory"), dict[str, str])
    assert_type(await r.config_set({"maxmemory": 0}), bool)
    assert_type(await r.time(), tuple[int, int])
    assert_type(await r.lastsave(), int)
    assert_type(await r.role(), Role)
    assert_type(await r.acl_whoami(), str)
    assert_type(await r.acl_users(), list[str])
    assert_type(await r.acl_getuser("default"), AclUser | None)
    assert_type(await r.acl_log(count=5), list[AclLogEntry])
    assert_type(await r.acl_log(reset=True), bool)
    assert_type(await r.acl_setuser("u", rule=["on"]), bool)
    assert_type(await r.acl_deluser("u"), int)
    assert_type(await r.command_count(), int)
    assert_type(await r.command_docs(command_name=["GET"]), dict[str, CommandDoc])
    assert_type(await r.command_info(command_name=["GET"]), list[CommandInfo | None])
    assert_type(await r.command_getkeys("GET", arg=["k"]), list[str])
    assert_type(await r.memory_usage("k"), int | None)
    assert_type(await r.memory_stats(), MemoryStats)
    assert_type(await r.module_list(), list[ModuleInfo[str]])
    assert_type(await r.slowlog_get(count=5), list[SlowlogEntry])
    assert_type(await r.slowlog_len(), int)
    assert_type(await r.latency_history("command"), list[tuple[int, int]])
    assert_type(await r.swapdb(0, 1), bool)


async def cluster(r: Redis[str]) -> None:
    assert_type(await r.cluster_keyslot("k"), int)
    assert_type(await r.cluster_countkeysinslot(1), int)
    assert_type(await r.cluster_getkeysinslot(1, 10), list[str])
    assert_type(await r.cluster_myid(), str)
    assert_type(await r.cluster_info(), dict[str, str | int | float])
    assert_type(await r.cluster_nodes(), list[ClusterNode])
    assert_type(await r.cluster_shards(), list[ClusterShard])
    assert_type(await r.cluster_addslots(1, 2), bool)
