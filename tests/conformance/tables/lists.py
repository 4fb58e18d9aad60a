"""Conformance entries for the ``list`` group, blocking commands included (with data ready)."""

from __future__ import annotations

from .._entry import Entry

E = Entry


def _l(key: str) -> tuple[str, ...]:
    return ("RPUSH", key, "a", "b", "c", "a")


ENTRIES = [
    E(
        "blmove",
        lambda r: r.blmove("{blmove}a", "{blmove}b", "LEFT", "RIGHT", 0.1),
        [_l("{blmove}a")],
    ),
    E(
        "blmove",
        lambda r: r.blmove("{blmove}a", "{blmove}b", "LEFT", "RIGHT", 0.01),
        variant="timeout",
    ),
    E(
        "blmpop",
        lambda r: r.blmpop(0.1, ["{blmpop}a", "{blmpop}b"], "LEFT", count=2),
        [_l("{blmpop}b")],
    ),
    E("blmpop", lambda r: r.blmpop(0.01, ["{blmpop}a"], "LEFT"), variant="timeout"),
    E("blpop", lambda r: r.blpop(["{blpop}a", "{blpop}b"], 0.1), [_l("{blpop}b")]),
    E("blpop", lambda r: r.blpop(["{blpop}a"], 0.01), variant="timeout"),
    E("brpop", lambda r: r.brpop(["{brpop}a"], 0.1), [_l("{brpop}a")]),
    E(
        "brpoplpush",
        lambda r: r.brpoplpush("{brpoplpush}a", "{brpoplpush}b", 0.1),
        [_l("{brpoplpush}a")],
    ),
    E("lindex", lambda r: r.lindex("lindex:l", 1), [_l("lindex:l")]),
    E("lindex", lambda r: r.lindex("lindex:l", 10), [_l("lindex:l")], variant="missing"),
    E("linsert", lambda r: r.linsert("linsert:l", "BEFORE", "b", "x"), [_l("linsert:l")]),
    E("llen", lambda r: r.llen("llen:l"), [_l("llen:l")]),
    E("lmove", lambda r: r.lmove("{lmove}a", "{lmove}b", "RIGHT", "LEFT"), [_l("{lmove}a")]),
    E("lmpop", lambda r: r.lmpop(["{lmpop}a", "{lmpop}b"], "RIGHT", count=2), [_l("{lmpop}a")]),
    E("lmpop", lambda r: r.lmpop(["{lmpop}a"], "RIGHT"), variant="empty"),
    E("lpop", lambda r: r.lpop("lpop:l"), [_l("lpop:l")]),
    E("lpop", lambda r: r.lpop("lpop:l", count=2), [_l("lpop:l")], variant="count"),
    E("lpop", lambda r: r.lpop("lpop:l"), variant="missing"),
    E("lpop", lambda r: r.lpop("lpop:l", count=2), variant="count-missing"),
    E("lpos", lambda r: r.lpos("lpos:l", "a"), [_l("lpos:l")]),
    E("lpos", lambda r: r.lpos("lpos:l", "zz"), [_l("lpos:l")], variant="missing"),
    E("lpos", lambda r: r.lpos("lpos:l", "a", count=0), [_l("lpos:l")], variant="count"),
    E("lpush", lambda r: r.lpush("lpush:l", "a", "b")),
    E("lpushx", lambda r: r.lpushx("lpushx:l", "a"), [_l("lpushx:l")]),
    E("lrange", lambda r: r.lrange("lrange:l", 0, -1), [_l("lrange:l")]),
    E("lrem", lambda r: r.lrem("lrem:l", 0, "a"), [_l("lrem:l")]),
    E("lset", lambda r: r.lset("lset:l", 0, "z"), [_l("lset:l")]),
    E("ltrim", lambda r: r.ltrim("ltrim:l", 0, 1), [_l("ltrim:l")]),
    E("rpop", lambda r: r.rpop("rpop:l"), [_l("rpop:l")]),
    E("rpop", lambda r: r.rpop("rpop:l", count=3), [_l("rpop:l")], variant="count"),
    E("rpoplpush", lambda r: r.rpoplpush("{rpoplpush}a", "{rpoplpush}b"), [_l("{rpoplpush}a")]),
    E("rpush", lambda r: r.rpush("rpush:l", "a", 1, 2.5)),
    E("rpushx", lambda r: r.rpushx("rpushx:l", "a")),
]
