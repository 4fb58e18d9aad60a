"""Conformance entries for the ``stream`` group, consumer groups included."""

from __future__ import annotations

from redis_oxide._generated._types import XaddTrim, XinfoStreamFullBlock, XpendingFilters, XtrimTrim

from .._entry import Entry

E = Entry


def _x(key: str) -> list[tuple[str, ...]]:
    return [
        ("XADD", key, "1-0", "f", "v"),
        ("XADD", key, "2-0", "f", "w", "g", "x"),
        ("XGROUP", "CREATE", key, "grp", "0"),
    ]


def _read(key: str) -> list[tuple[str, ...]]:
    """A stream whose first entry is pending for consumer ``c1`` of group ``grp``."""
    return [*_x(key), ("XREADGROUP", "GROUP", "grp", "c1", "COUNT", "1", "STREAMS", key, ">")]


ENTRIES = [
    E("xack", lambda r: r.xack("xack:s", "grp", "1-0", "9-0"), _read("xack:s")),
    E("xadd", lambda r: r.xadd("xadd:s", {"f": "v", "n": 1}, id="5-1")),
    E(
        "xadd",
        lambda r: r.xadd("xadd:s", {"f": "v"}, nomkstream=True),
        variant="nomkstream",
    ),
    E(
        "xadd",
        lambda r: r.xadd(
            "xadd:s", {"f": "v"}, trim=XaddTrim(strategy="MAXLEN", threshold=1), id="9-0"
        ),
        _x("xadd:s"),
        variant="trim",
    ),
    E(
        "xautoclaim",
        lambda r: r.xautoclaim("xac:s", "grp", "c2", 0, "0-0", count=10),
        _read("xac:s"),
    ),
    E(
        "xautoclaim",
        lambda r: r.xautoclaim("xac:s", "grp", "c2", 0, "0-0", justid=True),
        _read("xac:s"),
        variant="justid",
    ),
    E("xclaim", lambda r: r.xclaim("xclaim:s", "grp", "c2", 0, "1-0", idle=0), _read("xclaim:s")),
    E(
        "xclaim",
        lambda r: r.xclaim("xclaim:s", "grp", "c2", 0, "1-0", justid=True),
        _read("xclaim:s"),
        variant="justid",
    ),
    E("xdel", lambda r: r.xdel("xdel:s", "1-0", "7-0"), _x("xdel:s")),
    E("xgroup_create", lambda r: r.xgroup_create("xgc:s", "g2", id="$", mkstream=True)),
    E(
        "xgroup_createconsumer",
        lambda r: r.xgroup_createconsumer("xgcc:s", "grp", "c9"),
        _x("xgcc:s"),
    ),
    E("xgroup_delconsumer", lambda r: r.xgroup_delconsumer("xgdc:s", "grp", "c1"), _read("xgdc:s")),
    E("xgroup_destroy", lambda r: r.xgroup_destroy("xgd:s", "grp"), _x("xgd:s")),
    E("xgroup_help", lambda r: r.xgroup_help()),
    E("xgroup_setid", lambda r: r.xgroup_setid("xgs:s", "grp", id="0", entriesread=0), _x("xgs:s")),
    E("xinfo_consumers", lambda r: r.xinfo_consumers("xic:s", "grp"), _read("xic:s")),
    E("xinfo_groups", lambda r: r.xinfo_groups("xig:s"), _read("xig:s")),
    E("xinfo_help", lambda r: r.xinfo_help()),
    E("xinfo_stream", lambda r: r.xinfo_stream("xis:s"), _read("xis:s")),
    E(
        "xinfo_stream",
        lambda r: r.xinfo_stream("xis:s", full_block=XinfoStreamFullBlock(count=10)),
        _read("xis:s"),
        variant="full",
    ),
    E("xlen", lambda r: r.xlen("xlen:s"), _x("xlen:s")),
    E("xpending", lambda r: r.xpending("xpending:s", "grp"), _read("xpending:s")),
    E(
        "xpending",
        lambda r: r.xpending(
            "xpending:s", "grp", filters=XpendingFilters(start="-", end="+", count=10)
        ),
        _read("xpending:s"),
        variant="extended",
    ),
    E("xrange", lambda r: r.xrange("xrange:s", "-", "+"), _x("xrange:s")),
    E("xrange", lambda r: r.xrange("xrange:s", "-", "+", count=1), variant="empty"),
    E("xread", lambda r: r.xread({"{xread}a": "0-0", "{xread}b": "0-0"}, count=10), _x("{xread}a")),
    E("xread", lambda r: r.xread({"{xread}a": "0-0"}), variant="empty"),
    E(
        "xread",
        lambda r: r.xread({"{xread}a": "0-0"}, block=10),
        _x("{xread}a"),
        variant="block",
    ),
    E(
        "xreadgroup",
        lambda r: r.xreadgroup(("grp", "c1"), {"xrg:s": ">"}, count=10),
        _x("xrg:s"),
    ),
    E(
        "xreadgroup",
        lambda r: r.xreadgroup(("grp", "c1"), {"xrg:s": "0"}),
        _read("xrg:s"),
        variant="history",
    ),
    E(
        "xreadgroup",
        lambda r: r.xreadgroup(("grp", "c1"), {"xrg:s": ">"}, block=10, noack=True),
        _read("xrg:s"),
        variant="block-empty",
    ),
    E("xrevrange", lambda r: r.xrevrange("xrevrange:s", "+", "-", count=5), _x("xrevrange:s")),
    E("xsetid", lambda r: r.xsetid("xsetid:s", "5-0"), _x("xsetid:s")),
    E(
        "xtrim",
        lambda r: r.xtrim("xtrim:s", XtrimTrim(strategy="MAXLEN", threshold=1)),
        _x("xtrim:s"),
    ),
]
