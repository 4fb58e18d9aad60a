"""redis-py calls for the conformance entries of the ``hash`` group."""

from __future__ import annotations

from datetime import datetime

from tests.conformance._entry import Entry as E
from tests.conformance.tables import hashes
from tests.conformance.tables.hashes import _h

from .._case import cases

EXTRA = [
    (
        E("hrandfield", lambda r: r.hrandfield("hrandfield:h", count=2), variant="count-missing"),
        lambda p: p.hrandfield("hrandfield:h", 2),
    ),
    (
        E("hgetall", lambda r: r.hgetall("hgetall:missing"), variant="missing"),
        lambda p: p.hgetall("hgetall:missing"),
    ),
    (
        E(
            "hrandfield",
            lambda r: r.hrandfield("hrandfield:h", count=-3, withvalues=True),
            [("HSET", "hrandfield:h", "f", "v")],
            variant="repeats",
        ),
        lambda p: p.hrandfield("hrandfield:h", -3, withvalues=True),
    ),
    (
        E(
            "hscan",
            lambda r: r.hscan("hscan:h", 0, match="f1*", count=100),
            [_h("hscan:h")],
            variant="match",
        ),
        lambda p: p.hscan("hscan:h", 0, match="f1*", count=100),
    ),
    (
        E("hmget", lambda r: r.hmget("hmget:missing", "a", "b"), variant="missing"),
        lambda p: p.hmget("hmget:missing", ["a", "b"]),
    ),
    (
        E(
            "hincrbyfloat",
            lambda r: r.hincrbyfloat("hibf:h", "n", 0.1),
            [("HSET", "hibf:h", "n", "0.2")],
            variant="rounding",
        ),
        lambda p: p.hincrbyfloat("hibf:h", "n", 0.1),
    ),
    (
        E("httl", lambda r: r.httl("httl:h", ["f1"]), [_h("httl:h")], variant="persistent"),
        lambda p: p.httl("httl:h", "f1"),
    ),
    (
        E("hexpire", lambda r: r.hexpire("hexpire:missing", 10, ["f"]), variant="missing"),
        lambda p: p.hexpire("hexpire:missing", 10, "f"),
    ),
    (
        E("hvals", lambda r: r.hvals("hvals:missing"), variant="missing"),
        lambda p: p.hvals("hvals:missing"),
    ),
    (
        E("hkeys", lambda r: r.hkeys("hkeys:missing"), variant="missing"),
        lambda p: p.hkeys("hkeys:missing"),
    ),
    (
        E("hsetnx", lambda r: r.hsetnx("hsetnx:h", "f1", "v"), [_h("hsetnx:h")], variant="exists"),
        lambda p: p.hsetnx("hsetnx:h", "f1", "v"),
    ),
]

CASES = cases(
    hashes.ENTRIES,
    {
        "hdel": lambda p: p.hdel("hdel:h", "f1", "nope"),
        "hexists": lambda p: p.hexists("hexists:h", "f1"),
        "hexpire": lambda p: p.hexpire("hexpire:h", 100, "f1", "nope"),
        "hexpireat": lambda p: p.hexpireat("hexpireat:h", datetime(2100, 1, 1), "f1", nx=True),
        "hexpiretime": lambda p: p.hexpiretime("hexpiretime:h", "f1", "f2", "nope"),
        "hget": lambda p: p.hget("hget:h", "f1"),
        "hget-missing": lambda p: p.hget("hget:h", "nope"),
        "hgetall": lambda p: p.hgetall("hgetall:h"),
        "hincrby": lambda p: p.hincrby("hincrby:h", "n", 5),
        "hincrbyfloat": lambda p: p.hincrbyfloat("hincrbyfloat:h", "n", 2.5),
        "hkeys": lambda p: p.hkeys("hkeys:h"),
        "hlen": lambda p: p.hlen("hlen:h"),
        "hmget": lambda p: p.hmget("hmget:h", ["f1", "nope"]),
        "hmset": lambda p: p.hmset("hmset:h", {"a": "1", "b": 2}),
        "hpersist": lambda p: p.hpersist("hpersist:h", "f1", "f2"),
        "hpexpire": lambda p: p.hpexpire("hpexpire:h", 100000, "f1"),
        "hpexpireat": lambda p: p.hpexpireat("hpexpireat:h", datetime(2100, 1, 1), "f1"),
        "hpexpiretime": lambda p: p.hpexpiretime("hpexpiretime:h", "f1", "f2"),
        "hpttl": lambda p: p.hpttl("hpttl:h", "f1", "f2"),
        "hrandfield": lambda p: p.hrandfield("hrandfield:h"),
        "hrandfield-missing": lambda p: p.hrandfield("hrandfield:h"),
        "hrandfield-count": lambda p: p.hrandfield("hrandfield:h", 5),
        "hrandfield-withvalues": lambda p: p.hrandfield("hrandfield:h", 5, withvalues=True),
        "hscan": lambda p: p.hscan("hscan:h", 0),
        "hscan-novalues": lambda p: p.hscan("hscan:h", 0, no_values=True),
        "hset": lambda p: p.hset("hset:h", mapping={"a": "1", "b": 2.5}),
        "hsetnx": lambda p: p.hsetnx("hsetnx:h", "f", "v"),
        "hstrlen": lambda p: p.hstrlen("hstrlen:h", "f1"),
        "httl": lambda p: p.httl("httl:h", "f1", "nope"),
        "hvals": lambda p: p.hvals("hvals:h"),
    },
    {},
    extra=EXTRA,
)
