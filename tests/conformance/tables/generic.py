"""Conformance entries for the ``generic`` group (keyspace commands)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .._entry import Entry, Recorder

E = Entry
_FUTURE = datetime(2100, 1, 1)


async def _dumped(r: Recorder) -> None:
    r.context["payload"] = await r.raw("DUMP", "restore:src")


ENTRIES = [
    E("copy", lambda r: r.copy("{copy}a", "{copy}b"), [("SET", "{copy}a", "v")]),
    E(
        "copy",
        lambda r: r.copy("{copy}a", "{copy}a", destination_db=1, replace=True),
        [("SET", "{copy}a", "v")],
        variant="db",
    ),
    E("delete", lambda r: r.delete("{del}a", "{del}b"), [("SET", "{del}a", "v")]),
    E("dump", lambda r: r.dump("dump:k"), [("SET", "dump:k", "v")]),
    E("dump", lambda r: r.dump("dump:missing"), variant="missing"),
    E("exists", lambda r: r.exists("{exists}a", "{exists}b"), [("SET", "{exists}a", "v")]),
    E("expire", lambda r: r.expire("expire:k", 100), [("SET", "expire:k", "v")]),
    E(
        "expire",
        lambda r: r.expire("expire:k", timedelta(seconds=5), condition="NX"),
        [("SET", "expire:k", "v", "EX", "50")],
        variant="nx",
    ),
    E("expireat", lambda r: r.expireat("expireat:k", _FUTURE), [("SET", "expireat:k", "v")]),
    E(
        "expiretime",
        lambda r: r.expiretime("expiretime:k"),
        [("SET", "expiretime:k", "v", "EXAT", "4102444800")],
    ),
    E("keys", lambda r: r.keys("keys:*"), [("MSET", "keys:a", "1", "keys:b", "2")]),
    E(
        "migrate",
        lambda r: r.migrate(
            "127.0.0.1", r.context["stack_port"], 0, 1000, key="migrate:k", copy=True, replace=True
        ),
        [("SET", "migrate:k", "v")],
        server="factory",
    ),
    E("move", lambda r: r.move("move:k", 1), [("SET", "move:k", "v")]),
    E("object_encoding", lambda r: r.object_encoding("objenc:k"), [("SET", "objenc:k", "12")]),
    E("object_encoding", lambda r: r.object_encoding("objenc:missing"), variant="missing"),
    E("object_help", lambda r: r.object_help()),
    E(
        "object_idletime",
        lambda r: r.object_idletime("objidle:k"),
        [("SET", "objidle:k", "v")],
    ),
    E(
        "object_freq",
        lambda r: r.object_freq("objfreq:k"),
        [("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"), ("SET", "objfreq:k", "v")],
        cleanup=[("CONFIG", "SET", "maxmemory-policy", "noeviction")],
    ),
    E("object_refcount", lambda r: r.object_refcount("objref:k"), [("SET", "objref:k", "v")]),
    E("persist", lambda r: r.persist("persist:k"), [("SET", "persist:k", "v", "EX", "100")]),
    E("pexpire", lambda r: r.pexpire("pexpire:k", 100000), [("SET", "pexpire:k", "v")]),
    E("pexpireat", lambda r: r.pexpireat("pexpireat:k", _FUTURE), [("SET", "pexpireat:k", "v")]),
    E("pexpiretime", lambda r: r.pexpiretime("pexpiretime:k"), [("SET", "pexpiretime:k", "v")]),
    E("pttl", lambda r: r.pttl("pttl:k"), [("SET", "pttl:k", "v")]),
    E("randomkey", lambda r: r.randomkey(), [("SET", "randomkey:k", "v")]),
    E("randomkey", lambda r: r.randomkey(), variant="empty"),
    E("rename", lambda r: r.rename("{rename}a", "{rename}b"), [("SET", "{rename}a", "v")]),
    E(
        "renamenx",
        lambda r: r.renamenx("{renamenx}a", "{renamenx}b"),
        [("SET", "{renamenx}a", "v")],
    ),
    E(
        "restore",
        lambda r: r.restore("restore:dst", 0, r.context["payload"]),
        [("SET", "restore:src", "v")],
        prepare=_dumped,
        binary=True,
    ),
    E(
        "scan",
        lambda r: r.scan(0, match="scan:*", count=100),
        [("MSET", "scan:a", "1", "scan:b", "2")],
    ),
    E(
        "sort",
        lambda r: r.sort("sort:k", get_pattern=["#", "sort:w_*"]),
        [("RPUSH", "sort:k", "3", "1", "2"), ("SET", "sort:w_1", "one")],
    ),
    E(
        "sort",
        lambda r: r.sort("{sort}k", destination="{sort}d"),
        [("RPUSH", "{sort}k", "3", "1", "2")],
        variant="store",
    ),
    E(
        "sort_ro",
        lambda r: r.sort_ro("sortro:k", order="DESC"),
        [("RPUSH", "sortro:k", "3", "1", "2")],
    ),
    E("touch", lambda r: r.touch("{touch}a", "{touch}b"), [("SET", "{touch}a", "v")]),
    E("ttl", lambda r: r.ttl("ttl:k"), [("SET", "ttl:k", "v", "EX", "1000")]),
    E("type", lambda r: r.type("type:k"), [("RPUSH", "type:k", "v")]),
    E("unlink", lambda r: r.unlink("{unlink}a", "{unlink}b"), [("SET", "{unlink}a", "v")]),
    E("wait", lambda r: r.wait(0, 10)),
    E("waitaof", lambda r: r.waitaof(0, 0, 10)),
]
