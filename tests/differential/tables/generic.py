"""redis-py calls for the conformance entries of the ``generic`` group."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.conformance._entry import Entry as E
from tests.conformance.tables import generic

from .._case import cases

_FUTURE = datetime(2100, 1, 1)


EXTRA = [
    (E("ttl", lambda r: r.ttl("ttl:missing"), variant="missing"), lambda p: p.ttl("ttl:missing")),
    (
        E("ttl", lambda r: r.ttl("ttl:k"), [("SET", "ttl:k", "v")], variant="persistent"),
        lambda p: p.ttl("ttl:k"),
    ),
    (
        E("pttl", lambda r: r.pttl("pttl:missing"), variant="missing"),
        lambda p: p.pttl("pttl:missing"),
    ),
    (
        E(
            "expiretime",
            lambda r: r.expiretime("expiretime:k"),
            [("SET", "expiretime:k", "v")],
            variant="persistent",
        ),
        lambda p: p.expiretime("expiretime:k"),
    ),
    (
        E("type", lambda r: r.type("type:missing"), variant="missing"),
        lambda p: p.type("type:missing"),
    ),
    (
        E("type", lambda r: r.type("type:z"), [("ZADD", "type:z", "1", "a")], variant="zset"),
        lambda p: p.type("type:z"),
    ),
    (
        E(
            "object_encoding",
            lambda r: r.object_encoding("objenc:s"),
            [("SADD", "objenc:s", "1", "2")],
            variant="intset",
        ),
        lambda p: p.object("encoding", "objenc:s"),
    ),
    (
        E(
            "object_encoding",
            lambda r: r.object_encoding("objenc:h"),
            [("HSET", "objenc:h", "f", "v")],
            variant="listpack",
        ),
        lambda p: p.object("encoding", "objenc:h"),
    ),
    (
        E(
            "sort",
            lambda r: r.sort("sort:k", limit=(0, 2), order="DESC", sorting=True),
            [("RPUSH", "sort:k", "b", "c", "a")],
            variant="alpha",
        ),
        lambda p: p.sort("sort:k", start=0, num=2, desc=True, alpha=True),
    ),
    (
        E(
            "sort",
            lambda r: r.sort("sort:k", by_pattern="nosort", get_pattern=["sort:w_*"]),
            [("RPUSH", "sort:k", "3", "1"), ("SET", "sort:w_1", "one")],
            variant="nosort",
        ),
        lambda p: p.sort("sort:k", by="nosort", get=["sort:w_*"]),
    ),
    (
        E("exists", lambda r: r.exists("exists:missing"), variant="missing"),
        lambda p: p.exists("exists:missing"),
    ),
    (
        E(
            "scan",
            lambda r: r.scan(0, match="scan:*", count=100, type="list"),
            [("MSET", "scan:a", "1"), ("RPUSH", "scan:l", "x")],
            variant="type",
        ),
        lambda p: p.scan(0, match="scan:*", count=100, _type="list"),
    ),
    (
        E(
            "copy",
            lambda r: r.copy("{copy}a", "{copy}b"),
            [("MSET", "{copy}a", "v", "{copy}b", "w")],
            variant="exists",
        ),
        lambda p: p.copy("{copy}a", "{copy}b"),
    ),
    (
        E(
            "renamenx",
            lambda r: r.renamenx("{renamenx}a", "{renamenx}b"),
            [("MSET", "{renamenx}a", "v", "{renamenx}b", "w")],
            variant="exists",
        ),
        lambda p: p.renamenx("{renamenx}a", "{renamenx}b"),
    ),
    (E("keys", lambda r: r.keys("keys:*"), variant="none"), lambda p: p.keys("keys:*")),
    (
        E(
            "persist",
            lambda r: r.persist("persist:k"),
            [("SET", "persist:k", "v")],
            variant="persistent",
        ),
        lambda p: p.persist("persist:k"),
    ),
    (
        E("pexpire", lambda r: r.pexpire("pexpire:missing", 100), variant="missing"),
        lambda p: p.pexpire("pexpire:missing", 100),
    ),
    (
        E("touch", lambda r: r.touch("touch:missing"), variant="missing"),
        lambda p: p.touch("touch:missing"),
    ),
]

CASES = cases(
    generic.ENTRIES,
    {
        "copy": lambda p: p.copy("{copy}a", "{copy}b"),
        "copy-db": lambda p: p.copy("{copy}a", "{copy}a", destination_db=1, replace=True),
        "delete": lambda p: p.delete("{del}a", "{del}b"),
        "dump": lambda p: p.dump("dump:k"),
        "dump-missing": lambda p: p.dump("dump:missing"),
        "exists": lambda p: p.exists("{exists}a", "{exists}b"),
        "expire": lambda p: p.expire("expire:k", 100),
        "expire-nx": lambda p: p.expire("expire:k", timedelta(seconds=5), nx=True),
        "expireat": lambda p: p.expireat("expireat:k", _FUTURE),
        "expiretime": lambda p: p.expiretime("expiretime:k"),
        "keys": lambda p: p.keys("keys:*"),
        "move": lambda p: p.move("move:k", 1),
        "object_encoding": lambda p: p.object("encoding", "objenc:k"),
        "object_encoding-missing": lambda p: p.object("encoding", "objenc:missing"),
        "object_help": lambda p: p.execute_command("OBJECT HELP"),
        "object_idletime": lambda p: p.object("idletime", "objidle:k"),
        "object_freq": lambda p: p.object("freq", "objfreq:k"),
        "object_refcount": lambda p: p.object("refcount", "objref:k"),
        "persist": lambda p: p.persist("persist:k"),
        "pexpire": lambda p: p.pexpire("pexpire:k", 100000),
        "pexpireat": lambda p: p.pexpireat("pexpireat:k", _FUTURE),
        "pexpiretime": lambda p: p.pexpiretime("pexpiretime:k"),
        "pttl": lambda p: p.pttl("pttl:k"),
        "randomkey": lambda p: p.randomkey(),
        "randomkey-empty": lambda p: p.randomkey(),
        "rename": lambda p: p.rename("{rename}a", "{rename}b"),
        "renamenx": lambda p: p.renamenx("{renamenx}a", "{renamenx}b"),
        "restore": lambda p: p.restore("restore:dst", 0, p.context["payload"]),
        "scan": lambda p: p.scan(0, match="scan:*", count=100),
        "sort": lambda p: p.sort("sort:k", get=["#", "sort:w_*"]),
        "sort-store": lambda p: p.sort("{sort}k", store="{sort}d"),
        "sort_ro": lambda p: p.sort_ro("sortro:k", desc=True),
        "touch": lambda p: p.touch("{touch}a", "{touch}b"),
        "ttl": lambda p: p.ttl("ttl:k"),
        "type": lambda p: p.type("type:k"),
        "unlink": lambda p: p.unlink("{unlink}a", "{unlink}b"),
        "wait": lambda p: p.wait(0, 10),
        "waitaof": lambda p: p.waitaof(0, 0, 10),
    },
    {"migrate": "needs a second server; the differential run uses the shared one only"},
    extra=EXTRA,
)
