"""redis-py calls for the conformance entries of the ``stream`` group."""

from __future__ import annotations

from redis_oxide._generated._types import XaddTrim, XpendingFilters, XtrimTrim
from tests.conformance._entry import Entry as E
from tests.conformance.tables import stream
from tests.conformance.tables.stream import _read, _x

from .._case import cases

_EMPTIED = [("XADD", "xis:s", "1-0", "f", "v"), ("XDEL", "xis:s", "1-0")]
#: A stream whose pending entry 1-0 was deleted after it was delivered.
_DELETED = [
    *_x("xdl:s"),
    ("XREADGROUP", "GROUP", "grp", "c1", "STREAMS", "xdl:s", ">"),
    ("XDEL", "xdl:s", "1-0"),
]

EXTRA = [
    (
        E("xinfo_stream", lambda r: r.xinfo_stream("xis:s"), _EMPTIED, variant="emptied"),
        lambda p: p.xinfo_stream("xis:s"),
    ),
    (
        E("xpending", lambda r: r.xpending("xpending:s", "grp"), _x("xpending:s"), variant="none"),
        lambda p: p.xpending("xpending:s", "grp"),
    ),
    (
        E(
            "xpending",
            lambda r: r.xpending(
                "xpending:s",
                "grp",
                filters=XpendingFilters(start="-", end="+", count=10, consumer="c9"),
            ),
            _read("xpending:s"),
            variant="consumer",
        ),
        lambda p: p.xpending_range("xpending:s", "grp", "-", "+", 10, consumername="c9"),
    ),
    (
        E(
            "xrange",
            lambda r: r.xrange("xrange:s", "(1-0", "+"),
            _x("xrange:s"),
            variant="exclusive",
        ),
        lambda p: p.xrange("xrange:s", "(1-0", "+"),
    ),
    (
        E("xrevrange", lambda r: r.xrevrange("xrevrange:s", "+", "-"), variant="missing"),
        lambda p: p.xrevrange("xrevrange:s", "+", "-"),
    ),
    (
        E(
            "xautoclaim",
            lambda r: r.xautoclaim("xdl:s", "grp", "c2", 0, "0-0"),
            _DELETED,
            variant="deleted",
        ),
        lambda p: p.xautoclaim("xdl:s", "grp", "c2", 0, "0-0"),
    ),
    (
        E(
            "xreadgroup",
            lambda r: r.xreadgroup(("grp", "c1"), {"xdl:s": "0"}),
            _DELETED,
            variant="deleted",
        ),
        lambda p: p.xreadgroup("grp", "c1", {"xdl:s": "0"}),
    ),
    (
        E(
            "xclaim",
            lambda r: r.xclaim("xdl:s", "grp", "c2", 0, "1-0", "2-0"),
            _DELETED,
            variant="deleted",
        ),
        lambda p: p.xclaim("xdl:s", "grp", "c2", 0, ["1-0", "2-0"]),
    ),
    (
        E(
            "xadd",
            lambda r: r.xadd(
                "xadd:s",
                {"f": "v"},
                id="9-0",
                trim=XaddTrim(strategy="MINID", threshold="2-0", operator="="),
            ),
            _x("xadd:s"),
            variant="minid",
        ),
        lambda p: p.xadd("xadd:s", {"f": "v"}, id="9-0", minid="2-0", approximate=False),
    ),
    (
        E(
            "xtrim",
            lambda r: r.xtrim("xtrim:s", XtrimTrim(strategy="MINID", threshold="2-0")),
            _x("xtrim:s"),
            variant="minid",
        ),
        lambda p: p.xtrim("xtrim:s", minid="2-0", approximate=False),
    ),
    (
        E("xlen", lambda r: r.xlen("xlen:missing"), variant="missing"),
        lambda p: p.xlen("xlen:missing"),
    ),
    (
        E(
            "xinfo_groups",
            lambda r: r.xinfo_groups("xig:s"),
            [("XADD", "xig:s", "1-0", "f", "v")],
            variant="none",
        ),
        lambda p: p.xinfo_groups("xig:s"),
    ),
    (
        E(
            "xinfo_consumers",
            lambda r: r.xinfo_consumers("xic:s", "grp"),
            _x("xic:s"),
            variant="none",
        ),
        lambda p: p.xinfo_consumers("xic:s", "grp"),
    ),
    (
        E(
            "xread",
            lambda r: r.xread({"{xread}a": "1-0"}, count=1),
            _x("{xread}a"),
            variant="after",
        ),
        lambda p: p.xread({"{xread}a": "1-0"}, count=1),
    ),
]

CASES = cases(
    stream.ENTRIES,
    {
        "xack": lambda p: p.xack("xack:s", "grp", "1-0", "9-0"),
        "xadd": lambda p: p.xadd("xadd:s", {"f": "v", "n": 1}, id="5-1"),
        "xadd-nomkstream": lambda p: p.xadd("xadd:s", {"f": "v"}, nomkstream=True),
        "xadd-trim": lambda p: p.xadd("xadd:s", {"f": "v"}, id="9-0", maxlen=1, approximate=False),
        "xautoclaim": lambda p: p.xautoclaim("xac:s", "grp", "c2", 0, "0-0", count=10),
        "xautoclaim-justid": lambda p: p.xautoclaim("xac:s", "grp", "c2", 0, "0-0", justid=True),
        "xclaim": lambda p: p.xclaim("xclaim:s", "grp", "c2", 0, ["1-0"], idle=0),
        "xclaim-justid": lambda p: p.xclaim("xclaim:s", "grp", "c2", 0, ["1-0"], justid=True),
        "xdel": lambda p: p.xdel("xdel:s", "1-0", "7-0"),
        "xgroup_create": lambda p: p.xgroup_create("xgc:s", "g2", id="$", mkstream=True),
        "xgroup_createconsumer": lambda p: p.xgroup_createconsumer("xgcc:s", "grp", "c9"),
        "xgroup_delconsumer": lambda p: p.xgroup_delconsumer("xgdc:s", "grp", "c1"),
        "xgroup_destroy": lambda p: p.xgroup_destroy("xgd:s", "grp"),
        "xgroup_help": lambda p: p.execute_command("XGROUP HELP"),
        "xgroup_setid": lambda p: p.xgroup_setid("xgs:s", "grp", "0", entries_read=0),
        "xinfo_consumers": lambda p: p.xinfo_consumers("xic:s", "grp"),
        "xinfo_groups": lambda p: p.xinfo_groups("xig:s"),
        "xinfo_help": lambda p: p.execute_command("XINFO HELP"),
        "xinfo_stream": lambda p: p.xinfo_stream("xis:s"),
        "xinfo_stream-full": lambda p: p.xinfo_stream("xis:s", full=True),
        "xlen": lambda p: p.xlen("xlen:s"),
        "xpending": lambda p: p.xpending("xpending:s", "grp"),
        "xpending-extended": lambda p: p.xpending_range("xpending:s", "grp", "-", "+", 10),
        "xrange": lambda p: p.xrange("xrange:s", "-", "+"),
        "xrange-empty": lambda p: p.xrange("xrange:s", "-", "+", count=1),
        "xread": lambda p: p.xread({"{xread}a": "0-0", "{xread}b": "0-0"}, count=10),
        "xread-empty": lambda p: p.xread({"{xread}a": "0-0"}),
        "xread-block": lambda p: p.xread({"{xread}a": "0-0"}, block=10),
        "xreadgroup": lambda p: p.xreadgroup("grp", "c1", {"xrg:s": ">"}, count=10),
        "xreadgroup-history": lambda p: p.xreadgroup("grp", "c1", {"xrg:s": "0"}),
        "xreadgroup-block-empty": lambda p: p.xreadgroup(
            "grp", "c1", {"xrg:s": ">"}, block=10, noack=True
        ),
        "xrevrange": lambda p: p.xrevrange("xrevrange:s", "+", "-", count=5),
        "xsetid": lambda p: p.execute_command("XSETID", "xsetid:s", "5-0"),
        "xtrim": lambda p: p.xtrim("xtrim:s", maxlen=1, approximate=False),
    },
    {},
    extra=EXTRA,
)
