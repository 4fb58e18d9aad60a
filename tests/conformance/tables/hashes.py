"""Conformance entries for the ``hash`` group."""

from __future__ import annotations

from datetime import datetime

from .._entry import Entry

E = Entry


def _h(key: str) -> tuple[str, ...]:
    return ("HSET", key, "f1", "v1", "f2", "v2")


ENTRIES = [
    E("hdel", lambda r: r.hdel("hdel:h", "f1", "nope"), [_h("hdel:h")]),
    E("hexists", lambda r: r.hexists("hexists:h", "f1"), [_h("hexists:h")]),
    E("hexpire", lambda r: r.hexpire("hexpire:h", 100, ["f1", "nope"]), [_h("hexpire:h")]),
    E(
        "hexpireat",
        lambda r: r.hexpireat("hexpireat:h", datetime(2100, 1, 1), ["f1"], condition="NX"),
        [_h("hexpireat:h")],
    ),
    E(
        "hexpiretime",
        lambda r: r.hexpiretime("hexpiretime:h", ["f1", "f2", "nope"]),
        [_h("hexpiretime:h"), ("HEXPIREAT", "hexpiretime:h", "4102444800", "FIELDS", "1", "f1")],
    ),
    E("hget", lambda r: r.hget("hget:h", "f1"), [_h("hget:h")]),
    E("hget", lambda r: r.hget("hget:h", "nope"), [_h("hget:h")], variant="missing"),
    E("hgetall", lambda r: r.hgetall("hgetall:h"), [_h("hgetall:h")]),
    E("hincrby", lambda r: r.hincrby("hincrby:h", "n", 5)),
    E("hincrbyfloat", lambda r: r.hincrbyfloat("hincrbyfloat:h", "n", 2.5)),
    E("hkeys", lambda r: r.hkeys("hkeys:h"), [_h("hkeys:h")]),
    E("hlen", lambda r: r.hlen("hlen:h"), [_h("hlen:h")]),
    E("hmget", lambda r: r.hmget("hmget:h", "f1", "nope"), [_h("hmget:h")]),
    E("hmset", lambda r: r.hmset("hmset:h", {"a": "1", "b": 2})),
    E(
        "hpersist",
        lambda r: r.hpersist("hpersist:h", ["f1", "f2"]),
        [_h("hpersist:h"), ("HEXPIRE", "hpersist:h", "100", "FIELDS", "1", "f1")],
    ),
    E("hpexpire", lambda r: r.hpexpire("hpexpire:h", 100000, ["f1"]), [_h("hpexpire:h")]),
    E(
        "hpexpireat",
        lambda r: r.hpexpireat("hpexpireat:h", datetime(2100, 1, 1), ["f1"]),
        [_h("hpexpireat:h")],
    ),
    E(
        "hpexpiretime",
        lambda r: r.hpexpiretime("hpexpiretime:h", ["f1", "f2"]),
        [_h("hpexpiretime:h"), ("HEXPIREAT", "hpexpiretime:h", "4102444800", "FIELDS", "1", "f1")],
    ),
    E("hpttl", lambda r: r.hpttl("hpttl:h", ["f1", "f2"]), [_h("hpttl:h")]),
    E("hrandfield", lambda r: r.hrandfield("hrandfield:h"), [("HSET", "hrandfield:h", "f", "v")]),
    E("hrandfield", lambda r: r.hrandfield("hrandfield:h"), variant="missing"),
    E(
        "hrandfield",
        lambda r: r.hrandfield("hrandfield:h", count=5),
        [("HSET", "hrandfield:h", "f", "v")],
        variant="count",
    ),
    E(
        "hrandfield",
        lambda r: r.hrandfield("hrandfield:h", count=5, withvalues=True),
        [("HSET", "hrandfield:h", "f", "v")],
        variant="withvalues",
    ),
    E("hscan", lambda r: r.hscan("hscan:h", 0), [_h("hscan:h")]),
    E("hscan", lambda r: r.hscan("hscan:h", 0, novalues=True), [_h("hscan:h")], variant="novalues"),
    E("hset", lambda r: r.hset("hset:h", {"a": "1", "b": 2.5})),
    E("hsetnx", lambda r: r.hsetnx("hsetnx:h", "f", "v")),
    E("hstrlen", lambda r: r.hstrlen("hstrlen:h", "f1"), [_h("hstrlen:h")]),
    E("httl", lambda r: r.httl("httl:h", ["f1", "nope"]), [_h("httl:h")]),
    E("hvals", lambda r: r.hvals("hvals:h"), [_h("hvals:h")]),
]
