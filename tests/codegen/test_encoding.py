"""Wire encoding of real commands through the committed generated ``Commands`` mixin.

Each case calls a generated method on a recording executor and compares the exact argument
tuple; every command group appears. Real-server conformance of replies is the runtime's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from codegen_helpers import recorder

from redis_oxide._generated import Commands, _types

AT = datetime(2030, 1, 1, tzinfo=UTC)

CASES: dict[str, tuple[Callable[[Any], Any], tuple[object, ...]]] = {
    # string
    "get": (lambda c: c.get("k"), ("GET", "k")),
    "set_plain": (lambda c: c.set("k", "v"), ("SET", "k", "v")),
    "set_options": (
        lambda c: c.set("k", 1, condition="XX", get=True, milliseconds=timedelta(seconds=2)),
        ("SET", "k", 1, "XX", "GET", "PX", 2000),
    ),
    "set_exat": (
        lambda c: c.set("k", "v", unix_time_seconds=AT),
        ("SET", "k", "v", "EXAT", 1893456000),
    ),
    "getex_persist": (lambda c: c.getex("k", persist=True), ("GETEX", "k", "PERSIST")),
    "mset": (lambda c: c.mset({"a": 1, "b": "x"}), ("MSET", "a", 1, "b", "x")),
    "mget": (lambda c: c.mget("a", "b"), ("MGET", "a", "b")),
    "incrbyfloat": (lambda c: c.incrbyfloat("k", 0.5), ("INCRBYFLOAT", "k", 0.5)),
    "getrange": (lambda c: c.getrange("k", 0, -1), ("GETRANGE", "k", 0, -1)),
    "setrange": (lambda c: c.setrange("k", 3, "v"), ("SETRANGE", "k", 3, "v")),
    # generic
    "delete": (lambda c: c.delete("a", "b"), ("DEL", "a", "b")),
    "expire": (
        lambda c: c.expire("k", timedelta(hours=1), condition="NX"),
        ("EXPIRE", "k", 3600, "NX"),
    ),
    "expireat": (lambda c: c.expireat("k", AT), ("EXPIREAT", "k", 1893456000)),
    "scan": (lambda c: c.scan(0, match="a*", count=10), ("SCAN", 0, "MATCH", "a*", "COUNT", 10)),
    "sort": (
        lambda c: c.sort("k", limit=(0, 5), get_pattern=["#", "w_*"], order="DESC", sorting=True),
        ("SORT", "k", "LIMIT", 0, 5, "GET", "#", "GET", "w_*", "DESC", "ALPHA"),
    ),
    "copy": (
        lambda c: c.copy("a", "b", destination_db=2, replace=True),
        ("COPY", "a", "b", "DB", 2, "REPLACE"),
    ),
    "object_encoding": (lambda c: c.object_encoding("k"), ("OBJECT", "ENCODING", "k")),
    "persist": (lambda c: c.persist("k"), ("PERSIST", "k")),
    # hash
    "hset": (lambda c: c.hset("h", {"f": "v", "g": 2}), ("HSET", "h", "f", "v", "g", 2)),
    "hgetall": (lambda c: c.hgetall("h"), ("HGETALL", "h")),
    "hexpire": (
        lambda c: c.hexpire("h", 10, ["a", "b"], condition="GT"),
        ("HEXPIRE", "h", 10, "GT", "FIELDS", 2, "a", "b"),
    ),
    "hrandfield": (
        lambda c: c.hrandfield("h", count=2, withvalues=True),
        ("HRANDFIELD", "h", 2, "WITHVALUES"),
    ),
    # list
    "lpush": (lambda c: c.lpush("l", "a", "b"), ("LPUSH", "l", "a", "b")),
    "blpop": (lambda c: c.blpop(["a", "b"], 0.5), ("BLPOP", "a", "b", 0.5)),
    "lpos": (
        lambda c: c.lpos("l", "x", rank=-1, count=2),
        ("LPOS", "l", "x", "RANK", -1, "COUNT", 2),
    ),
    "linsert": (lambda c: c.linsert("l", "BEFORE", "p", "e"), ("LINSERT", "l", "BEFORE", "p", "e")),
    "lmpop": (
        lambda c: c.lmpop(["a", "b"], "LEFT", count=3),
        ("LMPOP", 2, "a", "b", "LEFT", "COUNT", 3),
    ),
    # set
    "sadd": (lambda c: c.sadd("s", "a", 1), ("SADD", "s", "a", 1)),
    "sintercard": (
        lambda c: c.sintercard("a", "b", limit=5),
        ("SINTERCARD", 2, "a", "b", "LIMIT", 5),
    ),
    "smove": (lambda c: c.smove("a", "b", "m"), ("SMOVE", "a", "b", "m")),
    # sorted set
    "zadd": (
        lambda c: c.zadd("z", {"m": 1.0}, condition="NX", change=True),
        ("ZADD", "z", "NX", "CH", 1.0, "m"),
    ),
    "zrange": (
        lambda c: c.zrange("z", 0, 10, sortby="BYSCORE", rev=True, limit=(0, 3), withscores=True),
        ("ZRANGE", "z", 0, 10, "BYSCORE", "REV", "LIMIT", 0, 3, "WITHSCORES"),
    ),
    "zunionstore": (
        lambda c: c.zunionstore("d", "a", "b", weight=[1, 2], aggregate="MAX"),
        ("ZUNIONSTORE", "d", 2, "a", "b", "WEIGHTS", 1, 2, "AGGREGATE", "MAX"),
    ),
    "zscore": (lambda c: c.zscore("z", "m"), ("ZSCORE", "z", "m")),
    # stream
    "xadd": (
        lambda c: c.xadd(
            "s",
            {"f": "v"},
            trim=_types.XaddTrim(strategy="MAXLEN", operator="~", threshold=1000),
        ),
        ("XADD", "s", "MAXLEN", "~", 1000, "*", "f", "v"),
    ),
    "xadd_id": (lambda c: c.xadd("s", {"f": 1}, id="1-1"), ("XADD", "s", "1-1", "f", 1)),
    "xread": (
        lambda c: c.xread({"a": "0", "b": "$"}, count=5, block=100),
        ("XREAD", "COUNT", 5, "BLOCK", 100, "STREAMS", "a", "b", "0", "$"),
    ),
    "xtrim": (
        lambda c: c.xtrim(
            "s", _types.XtrimTrim(strategy="MINID", operator="~", threshold="0-1", count=10)
        ),
        ("XTRIM", "s", "MINID", "~", "0-1", "LIMIT", 10),
    ),
    "xgroup_create": (
        lambda c: c.xgroup_create("s", "g", mkstream=True),
        ("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"),
    ),
    "xinfo_stream": (
        lambda c: c.xinfo_stream("s", full_block=_types.XinfoStreamFullBlock(count=2)),
        ("XINFO", "STREAM", "s", "FULL", "COUNT", 2),
    ),
    # geo
    "geoadd": (
        lambda c: c.geoadd("g", [(13.4, 52.5, "berlin")], condition="NX"),
        ("GEOADD", "g", "NX", 13.4, 52.5, "berlin"),
    ),
    "geodist": (lambda c: c.geodist("g", "a", "b", unit="KM"), ("GEODIST", "g", "a", "b", "KM")),
    "geosearch": (
        lambda c: c.geosearch("g", fromlonlat=(13.4, 52.5), circle=(5.0, "KM"), order="ASC"),
        ("GEOSEARCH", "g", "FROMLONLAT", 13.4, 52.5, "BYRADIUS", 5.0, "KM", "ASC"),
    ),
    # hyperloglog
    "pfadd": (lambda c: c.pfadd("h", element=["a", "b"]), ("PFADD", "h", "a", "b")),
    "pfcount": (lambda c: c.pfcount("a", "b"), ("PFCOUNT", "a", "b")),
    # bitmap
    "setbit": (lambda c: c.setbit("b", 7, 1), ("SETBIT", "b", 7, 1)),
    "bitcount": (
        lambda c: c.bitcount("b", range=_types.BitcountRange(start=0, end=1, unit="BIT")),
        ("BITCOUNT", "b", 0, 1, "BIT"),
    ),
    "bitop": (lambda c: c.bitop("AND", "d", "a", "b"), ("BITOP", "AND", "d", "a", "b")),
    # connection
    "ping": (lambda c: c.ping(), ("PING",)),
    "echo": (lambda c: c.echo("hi"), ("ECHO", "hi")),
    "client_list": (
        lambda c: c.client_list(client_type="PUBSUB", client_id=[1, 2]),
        ("CLIENT", "LIST", "TYPE", "PUBSUB", "ID", 1, 2),
    ),
    # server
    "config_set": (
        lambda c: c.config_set({"maxmemory": "1mb"}),
        ("CONFIG", "SET", "maxmemory", "1mb"),
    ),
    "config_get": (lambda c: c.config_get("max*"), ("CONFIG", "GET", "max*")),
    "flushall": (lambda c: c.flushall(flush_type="ASYNC"), ("FLUSHALL", "ASYNC")),
    "time": (lambda c: c.time(), ("TIME",)),
    "info": (lambda c: c.info(section=["server", "clients"]), ("INFO", "server", "clients")),
    "failover": (
        lambda c: c.failover(target=_types.FailoverTarget(host="h", port=1, force=True)),
        ("FAILOVER", "TO", "h", 1, "FORCE"),
    ),
    # scripting
    "eval": (lambda c: c.eval("return 1", key=["k"], arg=["a"]), ("EVAL", "return 1", 1, "k", "a")),
    "eval_no_keys": (lambda c: c.eval("return 1"), ("EVAL", "return 1", 0)),
    "fcall": (lambda c: c.fcall("f", key=["a", "b"]), ("FCALL", "f", 2, "a", "b")),
    "script_load": (lambda c: c.script_load("return 1"), ("SCRIPT", "LOAD", "return 1")),
    # pubsub
    "publish": (lambda c: c.publish("ch", "msg"), ("PUBLISH", "ch", "msg")),
    "pubsub_channels": (lambda c: c.pubsub_channels(pattern="a*"), ("PUBSUB", "CHANNELS", "a*")),
    # cluster
    "cluster_keyslot": (lambda c: c.cluster_keyslot("k"), ("CLUSTER", "KEYSLOT", "k")),
    "cluster_addslotsrange": (
        lambda c: c.cluster_addslotsrange([(0, 100), (200, 300)]),
        ("CLUSTER", "ADDSLOTSRANGE", 0, 100, 200, 300),
    ),
    "cluster_setslot": (
        lambda c: c.cluster_setslot(5, importing="node1"),
        ("CLUSTER", "SETSLOT", 5, "IMPORTING", "node1"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_generated_method_builds_exact_wire_arguments(case: str) -> None:
    call, expected = CASES[case]
    client = recorder(Commands)
    recorded = call(client)
    assert recorded.args == expected
    assert recorded.meta.name == " ".join(str(a) for a in expected[: recorded.meta.token_count])


def test_cases_cover_every_core_group() -> None:
    client = recorder(Commands)
    groups = {call(client).meta.group for call, _ in CASES.values()}
    assert groups >= {
        "string", "generic", "hash", "list", "set", "sorted-set", "stream", "geo",
        "hyperloglog", "bitmap", "connection", "server", "scripting", "pubsub", "cluster",
    }  # fmt: skip
    assert len(CASES) >= 50


def test_bad_arguments_fail_before_sending() -> None:
    client = recorder(Commands)
    with pytest.raises(TypeError, match="BLPOP: key must be an iterable"):
        client.blpop("ab", 1.0)
    with pytest.raises(ValueError, match="SET: seconds, keepttl are mutually exclusive"):
        client.set("k", "v", seconds=1, keepttl=True)
    with pytest.raises(ValueError, match="GEOSEARCH: exactly one of member, fromlonlat"):
        client.geosearch("g", circle=(1.0, "KM"))
    with pytest.raises(TypeError, match="DEL takes at least one key"):
        client.delete()
    with pytest.raises(ValueError, match="HSET: data must not be empty"):
        client.hset("h", {})
    with pytest.raises(ValueError, match="MSET: data must not be empty"):
        client.mset({})
    with pytest.raises(ValueError, match="LINSERT: where must be one of"):
        client.linsert("l", "MIDDLE", "p", "e")


def test_deprecated_command_warns() -> None:
    client = recorder(Commands)
    replacement = r"use geosearch\(\) and geosearchstore\(\) with the BYRADIUS"
    with pytest.warns(DeprecationWarning, match=f"GEORADIUS is deprecated; {replacement}"):
        client.georadius("g", 1.0, 2.0, 3.0, "KM")
