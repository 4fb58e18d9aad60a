"""redis-py calls for the conformance entries of the ``list`` group."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import lists
from tests.conformance.tables.lists import _l

from .._case import cases

EXTRA = [
    (
        E("lrange", lambda r: r.lrange("lrange:missing", 0, -1), variant="missing"),
        lambda p: p.lrange("lrange:missing", 0, -1),
    ),
    (
        E(
            "lpos",
            lambda r: r.lpos("lpos:l", "a", rank=-1, maxlen=10),
            [_l("lpos:l")],
            variant="rank",
        ),
        lambda p: p.lpos("lpos:l", "a", rank=-1, maxlen=10),
    ),
    (
        E(
            "lpos",
            lambda r: r.lpos("lpos:l", "zz", count=2),
            [_l("lpos:l")],
            variant="count-missing",
        ),
        lambda p: p.lpos("lpos:l", "zz", count=2),
    ),
    (
        E(
            "lmpop",
            lambda r: r.lmpop(["{lmpop}a"], "LEFT", count=10),
            [_l("{lmpop}a")],
            variant="all",
        ),
        lambda p: p.lmpop(1, "{lmpop}a", direction="LEFT", count=10),
    ),
    (
        E("lindex", lambda r: r.lindex("lindex:l", -1), [_l("lindex:l")], variant="negative"),
        lambda p: p.lindex("lindex:l", -1),
    ),
    (
        E(
            "linsert",
            lambda r: r.linsert("linsert:l", "AFTER", "nope", "x"),
            [_l("linsert:l")],
            variant="no-pivot",
        ),
        lambda p: p.linsert("linsert:l", "AFTER", "nope", "x"),
    ),
    (
        E("lrem", lambda r: r.lrem("lrem:l", -1, "a"), [_l("lrem:l")], variant="tail"),
        lambda p: p.lrem("lrem:l", -1, "a"),
    ),
    (
        E("rpop", lambda r: r.rpop("rpop:l", count=2), variant="count-missing"),
        lambda p: p.rpop("rpop:l", 2),
    ),
    (
        E("lpushx", lambda r: r.lpushx("lpushx:missing", "a"), variant="missing"),
        lambda p: p.lpushx("lpushx:missing", "a"),
    ),
    (
        E("lmove", lambda r: r.lmove("{lmove}a", "{lmove}b", "LEFT", "LEFT"), variant="missing"),
        lambda p: p.lmove("{lmove}a", "{lmove}b", "LEFT", "LEFT"),
    ),
]

CASES = cases(
    lists.ENTRIES,
    {
        "blmove": lambda p: p.blmove("{blmove}a", "{blmove}b", 0.1, "LEFT", "RIGHT"),
        "blmove-timeout": lambda p: p.blmove("{blmove}a", "{blmove}b", 0.01, "LEFT", "RIGHT"),
        "blmpop": lambda p: p.blmpop(0.1, 2, "{blmpop}a", "{blmpop}b", direction="LEFT", count=2),
        "blmpop-timeout": lambda p: p.blmpop(0.01, 1, "{blmpop}a", direction="LEFT", count=None),
        "blpop": lambda p: p.blpop(["{blpop}a", "{blpop}b"], 0.1),
        "blpop-timeout": lambda p: p.blpop(["{blpop}a"], 0.01),
        "brpop": lambda p: p.brpop(["{brpop}a"], 0.1),
        "brpoplpush": lambda p: p.brpoplpush("{brpoplpush}a", "{brpoplpush}b", 0.1),
        "lindex": lambda p: p.lindex("lindex:l", 1),
        "lindex-missing": lambda p: p.lindex("lindex:l", 10),
        "linsert": lambda p: p.linsert("linsert:l", "BEFORE", "b", "x"),
        "llen": lambda p: p.llen("llen:l"),
        "lmove": lambda p: p.lmove("{lmove}a", "{lmove}b", "RIGHT", "LEFT"),
        "lmpop": lambda p: p.lmpop(2, "{lmpop}a", "{lmpop}b", direction="RIGHT", count=2),
        "lmpop-empty": lambda p: p.lmpop(1, "{lmpop}a", direction="RIGHT", count=None),
        "lpop": lambda p: p.lpop("lpop:l"),
        "lpop-count": lambda p: p.lpop("lpop:l", 2),
        "lpop-missing": lambda p: p.lpop("lpop:l"),
        "lpop-count-missing": lambda p: p.lpop("lpop:l", 2),
        "lpos": lambda p: p.lpos("lpos:l", "a"),
        "lpos-missing": lambda p: p.lpos("lpos:l", "zz"),
        "lpos-count": lambda p: p.lpos("lpos:l", "a", count=0),
        "lpush": lambda p: p.lpush("lpush:l", "a", "b"),
        "lpushx": lambda p: p.lpushx("lpushx:l", "a"),
        "lrange": lambda p: p.lrange("lrange:l", 0, -1),
        "lrem": lambda p: p.lrem("lrem:l", 0, "a"),
        "lset": lambda p: p.lset("lset:l", 0, "z"),
        "ltrim": lambda p: p.ltrim("ltrim:l", 0, 1),
        "rpop": lambda p: p.rpop("rpop:l"),
        "rpop-count": lambda p: p.rpop("rpop:l", 3),
        "rpoplpush": lambda p: p.rpoplpush("{rpoplpush}a", "{rpoplpush}b"),
        "rpush": lambda p: p.rpush("rpush:l", "a", 1, 2.5),
        "rpushx": lambda p: p.rpushx("rpushx:l", "a"),
    },
    {},
    extra=EXTRA,
)
