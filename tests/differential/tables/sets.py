"""redis-py calls for the conformance entries of the ``set`` group."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import sets
from tests.conformance.tables.sets import _s

from .._case import cases

EXTRA = [
    (
        E(
            "srandmember",
            lambda r: r.srandmember("srandmember:s", count=2),
            variant="count-missing",
        ),
        lambda p: p.srandmember("srandmember:s", 2),
    ),
    (
        E(
            "sintercard",
            lambda r: r.sintercard("{sic}a", "{sic}b"),
            [_s("{sic}a"), _s("{sic}b", "a", "b")],
            variant="nolimit",
        ),
        lambda p: p.sintercard(2, ["{sic}a", "{sic}b"]),
    ),
    (
        E("smismember", lambda r: r.smismember("smismember:missing", "a", "b"), variant="missing"),
        lambda p: p.smismember("smismember:missing", ["a", "b"]),
    ),
    (
        E(
            "srandmember",
            lambda r: r.srandmember("srandmember:s", count=5),
            [_s("srandmember:s", "only")],
            variant="unique",
        ),
        lambda p: p.srandmember("srandmember:s", 5),
    ),
    (
        E("spop", lambda r: r.spop("spop:s", count=2), variant="count-missing"),
        lambda p: p.spop("spop:s", 2),
    ),
    (
        E("sdiff", lambda r: r.sdiff("{sdiff}x", "{sdiff}y"), variant="missing"),
        lambda p: p.sdiff("{sdiff}x", "{sdiff}y"),
    ),
    (
        E("sscan", lambda r: r.sscan("sscan:s", 0, match="b*"), [_s("sscan:s")], variant="match"),
        lambda p: p.sscan("sscan:s", 0, match="b*"),
    ),
    (
        E(
            "smembers",
            lambda r: r.smembers("smembers:s"),
            [_s("smembers:s", "\u00e9t\u00e9", "1", "2")],
            variant="text",
        ),
        lambda p: p.smembers("smembers:s"),
    ),
    (
        E(
            "sismember",
            lambda r: r.sismember("sismember:s", "z"),
            [_s("sismember:s")],
            variant="absent",
        ),
        lambda p: p.sismember("sismember:s", "z"),
    ),
    (
        E(
            "smove",
            lambda r: r.smove("{smove}a", "{smove}b", "z"),
            [_s("{smove}a")],
            variant="absent",
        ),
        lambda p: p.smove("{smove}a", "{smove}b", "z"),
    ),
]

CASES = cases(
    sets.ENTRIES,
    {
        "sadd": lambda p: p.sadd("sadd:s", "a", "b", 3),
        "scard": lambda p: p.scard("scard:s"),
        "sdiff": lambda p: p.sdiff("{sdiff}a", "{sdiff}b"),
        "sdiffstore": lambda p: p.sdiffstore("{sds}d", ["{sds}a", "{sds}b"]),
        "sinter": lambda p: p.sinter("{sinter}a", "{sinter}b"),
        "sintercard": lambda p: p.sintercard(2, ["{sic}a", "{sic}b"], limit=5),
        "sinterstore": lambda p: p.sinterstore("{sis}d", ["{sis}a", "{sis}b"]),
        "sismember": lambda p: p.sismember("sismember:s", "a"),
        "smembers": lambda p: p.smembers("smembers:s"),
        "smembers-missing": lambda p: p.smembers("smembers:s"),
        "smismember": lambda p: p.smismember("smismember:s", ["a", "z"]),
        "smove": lambda p: p.smove("{smove}a", "{smove}b", "a"),
        "spop": lambda p: p.spop("spop:s"),
        "spop-missing": lambda p: p.spop("spop:s"),
        "spop-count": lambda p: p.spop("spop:s", 5),
        "srandmember": lambda p: p.srandmember("srandmember:s"),
        "srandmember-count": lambda p: p.srandmember("srandmember:s", -2),
        "srem": lambda p: p.srem("srem:s", "a", "z"),
        "sscan": lambda p: p.sscan("sscan:s", 0, count=100),
        "sunion": lambda p: p.sunion("{sunion}a", "{sunion}b"),
        "sunionstore": lambda p: p.sunionstore("{sus}d", ["{sus}a", "{sus}b"]),
    },
    {},
    extra=EXTRA,
)
