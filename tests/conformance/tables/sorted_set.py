"""Conformance entries for the ``sorted-set`` group, every WITHSCORES overload included."""

from __future__ import annotations

from .._entry import Entry

E = Entry


def _z(key: str) -> tuple[str, ...]:
    return ("ZADD", key, "1", "a", "2.5", "b", "3", "c")


def _lex(key: str) -> tuple[str, ...]:
    return ("ZADD", key, "0", "a", "0", "b", "0", "c")


ENTRIES = [
    E(
        "bzmpop",
        lambda r: r.bzmpop(0.1, ["{bzmpop}a", "{bzmpop}b"], "MIN", count=2),
        [_z("{bzmpop}b")],
    ),
    E("bzmpop", lambda r: r.bzmpop(0.01, ["{bzmpop}a"], "MAX"), variant="timeout"),
    E("bzpopmax", lambda r: r.bzpopmax(["{bzpopmax}a"], 0.1), [_z("{bzpopmax}a")]),
    E("bzpopmin", lambda r: r.bzpopmin(["{bzpopmin}a"], 0.1), [_z("{bzpopmin}a")]),
    E("bzpopmin", lambda r: r.bzpopmin(["{bzpopmin}a"], 0.01), variant="timeout"),
    E("zadd", lambda r: r.zadd("zadd:z", {"a": 1.0, "b": 2})),
    E(
        "zadd",
        lambda r: r.zadd("zadd:z", {"a": 1.5}, increment=True),
        [_z("zadd:z")],
        variant="incr",
    ),
    E("zcard", lambda r: r.zcard("zcard:z"), [_z("zcard:z")]),
    E("zcount", lambda r: r.zcount("zcount:z", 1, 2.5), [_z("zcount:z")]),
    E(
        "zdiff",
        lambda r: r.zdiff("{zdiff}a", "{zdiff}b"),
        [_z("{zdiff}a"), ("ZADD", "{zdiff}b", "1", "a")],
    ),
    E(
        "zdiff",
        lambda r: r.zdiff("{zdiff}a", "{zdiff}b", withscores=True),
        [_z("{zdiff}a"), ("ZADD", "{zdiff}b", "1", "a")],
        variant="withscores",
    ),
    E("zdiffstore", lambda r: r.zdiffstore("{zds}d", "{zds}a", "{zds}b"), [_z("{zds}a")]),
    E("zincrby", lambda r: r.zincrby("zincrby:z", 2, "a"), [_z("zincrby:z")]),
    E("zinter", lambda r: r.zinter("{zinter}a", "{zinter}b"), [_z("{zinter}a"), _z("{zinter}b")]),
    E(
        "zinter",
        lambda r: r.zinter("{zinter}a", "{zinter}b", aggregate="MAX", withscores=True),
        [_z("{zinter}a"), _z("{zinter}b")],
        variant="withscores",
    ),
    E(
        "zintercard",
        lambda r: r.zintercard("{zic}a", "{zic}b", limit=10),
        [_z("{zic}a"), _z("{zic}b")],
    ),
    E(
        "zinterstore",
        lambda r: r.zinterstore("{zis}d", "{zis}a", "{zis}b", weight=[1, 2]),
        [_z("{zis}a"), _z("{zis}b")],
    ),
    E("zlexcount", lambda r: r.zlexcount("zlexcount:z", "[a", "(c"), [_lex("zlexcount:z")]),
    E("zmpop", lambda r: r.zmpop(["{zmpop}a", "{zmpop}b"], "MAX", count=2), [_z("{zmpop}b")]),
    E("zmpop", lambda r: r.zmpop(["{zmpop}a"], "MAX"), variant="empty"),
    E("zmscore", lambda r: r.zmscore("zmscore:z", "a", "nope"), [_z("zmscore:z")]),
    E("zpopmax", lambda r: r.zpopmax("zpopmax:z"), [_z("zpopmax:z")]),
    E("zpopmax", lambda r: r.zpopmax("zpopmax:z", count=2), [_z("zpopmax:z")], variant="count"),
    E("zpopmin", lambda r: r.zpopmin("zpopmin:z", count=5), [_z("zpopmin:z")]),
    E("zpopmin", lambda r: r.zpopmin("zpopmin:z"), variant="missing"),
    E(
        "zrandmember",
        lambda r: r.zrandmember("zrandmember:z"),
        [("ZADD", "zrandmember:z", "1", "a")],
    ),
    E("zrandmember", lambda r: r.zrandmember("zrandmember:z"), variant="missing"),
    E(
        "zrandmember",
        lambda r: r.zrandmember("zrandmember:z", count=-2),
        [("ZADD", "zrandmember:z", "1", "a")],
        variant="count",
    ),
    E(
        "zrandmember",
        lambda r: r.zrandmember("zrandmember:z", count=-2, withscores=True),
        [("ZADD", "zrandmember:z", "1.5", "a")],
        variant="withscores",
    ),
    E("zrange", lambda r: r.zrange("zrange:z", 0, -1), [_z("zrange:z")]),
    E(
        "zrange",
        lambda r: r.zrange("zrange:z", 0, -1, withscores=True),
        [_z("zrange:z")],
        variant="withscores",
    ),
    E(
        "zrange",
        lambda r: r.zrange(
            "zrange:z", "(1", "+inf", sortby="BYSCORE", limit=(0, 5), withscores=True
        ),
        [_z("zrange:z")],
        variant="byscore-withscores",
    ),
    E("zrangebylex", lambda r: r.zrangebylex("zrangebylex:z", "-", "[b"), [_lex("zrangebylex:z")]),
    E("zrangebyscore", lambda r: r.zrangebyscore("zrbs:z", 1, 3), [_z("zrbs:z")]),
    E(
        "zrangebyscore",
        lambda r: r.zrangebyscore("zrbs:z", 1, 3, withscores=True),
        [_z("zrbs:z")],
        variant="withscores",
    ),
    E("zrangestore", lambda r: r.zrangestore("{zrs}d", "{zrs}s", 0, -1), [_z("{zrs}s")]),
    E("zrank", lambda r: r.zrank("zrank:z", "b"), [_z("zrank:z")]),
    E("zrank", lambda r: r.zrank("zrank:z", "nope"), [_z("zrank:z")], variant="missing"),
    E(
        "zrank",
        lambda r: r.zrank("zrank:z", "b", withscore=True),
        [_z("zrank:z")],
        variant="withscore",
    ),
    E("zrem", lambda r: r.zrem("zrem:z", "a", "nope"), [_z("zrem:z")]),
    E("zremrangebylex", lambda r: r.zremrangebylex("zrrbl:z", "[a", "[b"), [_lex("zrrbl:z")]),
    E("zremrangebyrank", lambda r: r.zremrangebyrank("zrrbr:z", 0, 1), [_z("zrrbr:z")]),
    E("zremrangebyscore", lambda r: r.zremrangebyscore("zrrbs:z", 1, 2), [_z("zrrbs:z")]),
    E("zrevrange", lambda r: r.zrevrange("zrevrange:z", 0, -1), [_z("zrevrange:z")]),
    E(
        "zrevrange",
        lambda r: r.zrevrange("zrevrange:z", 0, -1, withscores=True),
        [_z("zrevrange:z")],
        variant="withscores",
    ),
    E(
        "zrevrangebylex",
        lambda r: r.zrevrangebylex("zrrbl2:z", "+", "-", limit=(0, 2)),
        [_lex("zrrbl2:z")],
    ),
    E("zrevrangebyscore", lambda r: r.zrevrangebyscore("zrrbs2:z", 3, 1), [_z("zrrbs2:z")]),
    E(
        "zrevrangebyscore",
        lambda r: r.zrevrangebyscore("zrrbs2:z", 3, 1, withscores=True),
        [_z("zrrbs2:z")],
        variant="withscores",
    ),
    E("zrevrank", lambda r: r.zrevrank("zrevrank:z", "a"), [_z("zrevrank:z")]),
    E(
        "zrevrank",
        lambda r: r.zrevrank("zrevrank:z", "a", withscore=True),
        [_z("zrevrank:z")],
        variant="withscore",
    ),
    E("zscan", lambda r: r.zscan("zscan:z", 0), [_z("zscan:z")]),
    E("zscore", lambda r: r.zscore("zscore:z", "b"), [_z("zscore:z")]),
    E("zscore", lambda r: r.zscore("zscore:z", "nope"), [_z("zscore:z")], variant="missing"),
    E("zunion", lambda r: r.zunion("{zunion}a", "{zunion}b"), [_z("{zunion}a"), _lex("{zunion}b")]),
    E(
        "zunion",
        lambda r: r.zunion("{zunion}a", "{zunion}b", weight=[2, 1], withscores=True),
        [_z("{zunion}a"), _lex("{zunion}b")],
        variant="withscores",
    ),
    E(
        "zunionstore",
        lambda r: r.zunionstore("{zus}d", "{zus}a", "{zus}b"),
        [_z("{zus}a"), _lex("{zus}b")],
    ),
]
