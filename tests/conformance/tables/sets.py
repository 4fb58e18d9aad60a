"""Conformance entries for the ``set`` group."""

from __future__ import annotations

from .._entry import Entry

E = Entry


def _s(key: str, *members: str) -> tuple[str, ...]:
    return ("SADD", key, *(members or ("a", "b", "c")))


ENTRIES = [
    E("sadd", lambda r: r.sadd("sadd:s", "a", "b", 3)),
    E("scard", lambda r: r.scard("scard:s"), [_s("scard:s")]),
    E("sdiff", lambda r: r.sdiff("{sdiff}a", "{sdiff}b"), [_s("{sdiff}a"), _s("{sdiff}b", "a")]),
    E(
        "sdiffstore",
        lambda r: r.sdiffstore("{sds}d", "{sds}a", "{sds}b"),
        [_s("{sds}a"), _s("{sds}b", "a")],
    ),
    E(
        "sinter",
        lambda r: r.sinter("{sinter}a", "{sinter}b"),
        [_s("{sinter}a"), _s("{sinter}b", "a")],
    ),
    E(
        "sintercard",
        lambda r: r.sintercard("{sic}a", "{sic}b", limit=5),
        [_s("{sic}a"), _s("{sic}b", "a")],
    ),
    E(
        "sinterstore",
        lambda r: r.sinterstore("{sis}d", "{sis}a", "{sis}b"),
        [_s("{sis}a"), _s("{sis}b", "a")],
    ),
    E("sismember", lambda r: r.sismember("sismember:s", "a"), [_s("sismember:s")]),
    E("smembers", lambda r: r.smembers("smembers:s"), [_s("smembers:s")]),
    E("smembers", lambda r: r.smembers("smembers:s"), variant="missing"),
    E("smismember", lambda r: r.smismember("smismember:s", "a", "z"), [_s("smismember:s")]),
    E("smove", lambda r: r.smove("{smove}a", "{smove}b", "a"), [_s("{smove}a")]),
    E("spop", lambda r: r.spop("spop:s"), [_s("spop:s", "only")]),
    E("spop", lambda r: r.spop("spop:s"), variant="missing"),
    E("spop", lambda r: r.spop("spop:s", count=5), [_s("spop:s")], variant="count"),
    E("srandmember", lambda r: r.srandmember("srandmember:s"), [_s("srandmember:s", "only")]),
    E(
        "srandmember",
        lambda r: r.srandmember("srandmember:s", count=-2),
        [_s("srandmember:s", "only")],
        variant="count",
    ),
    E("srem", lambda r: r.srem("srem:s", "a", "z"), [_s("srem:s")]),
    E("sscan", lambda r: r.sscan("sscan:s", 0, count=100), [_s("sscan:s")]),
    E(
        "sunion",
        lambda r: r.sunion("{sunion}a", "{sunion}b"),
        [_s("{sunion}a"), _s("{sunion}b", "z")],
    ),
    E(
        "sunionstore",
        lambda r: r.sunionstore("{sus}d", "{sus}a", "{sus}b"),
        [_s("{sus}a"), _s("{sus}b", "z")],
    ),
]
