"""redis-py calls for the conformance entries of the ``sorted-set`` group."""

from __future__ import annotations

from tests.conformance._entry import Entry as E
from tests.conformance.tables import sorted_set
from tests.conformance.tables.sorted_set import _lex, _z

from .._case import cases

_INF = ("ZADD", "zinf:z", "-inf", "low", "0", "zero", "1e300", "big", "+inf", "high")

EXTRA = [
    (
        E(
            "zrandmember",
            lambda r: r.zrandmember("zrandmember:z", count=2),
            variant="count-missing",
        ),
        lambda p: p.zrandmember("zrandmember:z", 2),
    ),
    (
        E("zpopmin", lambda r: r.zpopmin("zpopmin:z"), [_z("zpopmin:z")], variant="one"),
        lambda p: p.zpopmin("zpopmin:z"),
    ),
    (
        E(
            "zrange",
            lambda r: r.zrange("zrange:z", "[c", "-", sortby="BYLEX", rev=True, limit=(0, 2)),
            [_lex("zrange:z")],
            variant="bylex-rev",
        ),
        lambda p: p.zrange("zrange:z", "[c", "-", bylex=True, desc=True, offset=0, num=2),
    ),
    (
        E(
            "zrangebylex",
            lambda r: r.zrangebylex("zrangebylex:z", "-", "+", limit=(1, 1)),
            [_lex("zrangebylex:z")],
            variant="limit",
        ),
        lambda p: p.zrangebylex("zrangebylex:z", "-", "+", start=1, num=1),
    ),
    (
        E("zscore", lambda r: r.zscore("zinf:z", "high"), [_INF], variant="inf"),
        lambda p: p.zscore("zinf:z", "high"),
    ),
    (
        E("zscore", lambda r: r.zscore("zinf:z", "big"), [_INF], variant="huge"),
        lambda p: p.zscore("zinf:z", "big"),
    ),
    (
        E(
            "zrange",
            lambda r: r.zrange("zinf:z", 0, -1, withscores=True),
            [_INF],
            variant="infinite",
        ),
        lambda p: p.zrange("zinf:z", 0, -1, withscores=True),
    ),
    (
        E(
            "zadd",
            lambda r: r.zadd("zadd:z", {"a": 5}, condition="NX", increment=True),
            [_z("zadd:z")],
            variant="incr-nx",
        ),
        lambda p: p.zadd("zadd:z", {"a": 5}, nx=True, incr=True),
    ),
    (
        E(
            "zadd",
            lambda r: r.zadd("zadd:z", {"a": 5, "n": 1}, comparison="GT", change=True),
            [_z("zadd:z")],
            variant="gt-ch",
        ),
        lambda p: p.zadd("zadd:z", {"a": 5, "n": 1}, gt=True, ch=True),
    ),
    (
        E("zincrby", lambda r: r.zincrby("zincrby:z", 3, "new"), variant="new"),
        lambda p: p.zincrby("zincrby:z", 3, "new"),
    ),
    (
        E(
            "zincrby",
            lambda r: r.zincrby("zincrby:z", 1.5, "a"),
            [_z("zincrby:z")],
            variant="float",
        ),
        lambda p: p.zincrby("zincrby:z", 1.5, "a"),
    ),
    (
        E(
            "zrangebyscore",
            lambda r: r.zrangebyscore("zrbs:z", "-inf", "+inf", withscores=True, limit=(1, 5)),
            [_z("zrbs:z")],
            variant="limit",
        ),
        lambda p: p.zrangebyscore("zrbs:z", "-inf", "+inf", start=1, num=5, withscores=True),
    ),
    (
        E(
            "zrank",
            lambda r: r.zrank("zrank:z", "nope", withscore=True),
            [_z("zrank:z")],
            variant="withscore-missing",
        ),
        lambda p: p.zrank("zrank:z", "nope", withscore=True),
    ),
    (
        E(
            "zrevrank",
            lambda r: r.zrevrank("zrevrank:z", "nope", withscore=True),
            [_z("zrevrank:z")],
            variant="withscore-missing",
        ),
        lambda p: p.zrevrank("zrevrank:z", "nope", withscore=True),
    ),
    (
        E("zmscore", lambda r: r.zmscore("zmscore:missing", "a", "b"), variant="missing"),
        lambda p: p.zmscore("zmscore:missing", ["a", "b"]),
    ),
    (
        E(
            "zrandmember",
            lambda r: r.zrandmember("zrandmember:z", count=3, withscores=True),
            [("ZADD", "zrandmember:z", "2", "a")],
            variant="unique-withscores",
        ),
        lambda p: p.zrandmember("zrandmember:z", 3, withscores=True),
    ),
    (
        E("zpopmin", lambda r: r.zpopmin("zpopmin:z", count=2), variant="count-missing"),
        lambda p: p.zpopmin("zpopmin:z", 2),
    ),
    (
        E("zscan", lambda r: r.zscan("zscan:z", 0, match="b*"), [_z("zscan:z")], variant="match"),
        lambda p: p.zscan("zscan:z", 0, match="b*"),
    ),
    (
        E(
            "zunion",
            lambda r: r.zunion("{zunion}a", "{zunion}b", aggregate="MIN", withscores=True),
            [_z("{zunion}a"), _z("{zunion}b")],
            variant="min",
        ),
        lambda p: p.zunion(["{zunion}a", "{zunion}b"], aggregate="MIN", withscores=True),
    ),
    (
        E(
            "zinter",
            lambda r: r.zinter("{zinter}a", "{zinter}b", weight=[2, 3], withscores=True),
            [_z("{zinter}a"), _z("{zinter}b")],
            variant="weights",
        ),
        lambda p: p.zinter({"{zinter}a": 2, "{zinter}b": 3}, withscores=True),
    ),
    (
        E("zdiff", lambda r: r.zdiff("{zdiff}x", "{zdiff}y", withscores=True), variant="missing"),
        lambda p: p.zdiff(["{zdiff}x", "{zdiff}y"], withscores=True),
    ),
    (
        E(
            "zrangestore",
            lambda r: r.zrangestore("{zrs}d", "{zrs}s", 1, 2, sortby="BYSCORE"),
            [_z("{zrs}s")],
            variant="byscore",
        ),
        lambda p: p.zrangestore("{zrs}d", "{zrs}s", 1, 2, byscore=True),
    ),
    (
        E(
            "zrevrange",
            lambda r: r.zrevrange("zinf:z", 0, 1, withscores=True),
            [_INF],
            variant="infinite",
        ),
        lambda p: p.zrevrange("zinf:z", 0, 1, withscores=True),
    ),
    (
        E(
            "bzpopmax",
            lambda r: r.bzpopmax(["{bzpopmax}a", "{bzpopmax}b"], 0.1),
            [_z("{bzpopmax}b")],
            variant="second",
        ),
        lambda p: p.bzpopmax(["{bzpopmax}a", "{bzpopmax}b"], 0.1),
    ),
]

CASES = cases(
    sorted_set.ENTRIES,
    {
        "bzmpop": lambda p: p.bzmpop(0.1, 2, ["{bzmpop}a", "{bzmpop}b"], min=True, count=2),
        "bzmpop-timeout": lambda p: p.bzmpop(0.01, 1, ["{bzmpop}a"], max=True, count=None),
        "bzpopmax": lambda p: p.bzpopmax(["{bzpopmax}a"], 0.1),
        "bzpopmin": lambda p: p.bzpopmin(["{bzpopmin}a"], 0.1),
        "bzpopmin-timeout": lambda p: p.bzpopmin(["{bzpopmin}a"], 0.01),
        "zadd": lambda p: p.zadd("zadd:z", {"a": 1.0, "b": 2}),
        "zadd-incr": lambda p: p.zadd("zadd:z", {"a": 1.5}, incr=True),
        "zcard": lambda p: p.zcard("zcard:z"),
        "zcount": lambda p: p.zcount("zcount:z", 1, 2.5),
        "zdiff": lambda p: p.zdiff(["{zdiff}a", "{zdiff}b"]),
        "zdiff-withscores": lambda p: p.zdiff(["{zdiff}a", "{zdiff}b"], withscores=True),
        "zdiffstore": lambda p: p.zdiffstore("{zds}d", ["{zds}a", "{zds}b"]),
        "zincrby": lambda p: p.zincrby("zincrby:z", 2, "a"),
        "zinter": lambda p: p.zinter(["{zinter}a", "{zinter}b"]),
        "zinter-withscores": lambda p: p.zinter(
            ["{zinter}a", "{zinter}b"], aggregate="MAX", withscores=True
        ),
        "zintercard": lambda p: p.zintercard(2, ["{zic}a", "{zic}b"], limit=10),
        "zinterstore": lambda p: p.zinterstore("{zis}d", {"{zis}a": 1, "{zis}b": 2}),
        "zlexcount": lambda p: p.zlexcount("zlexcount:z", "[a", "(c"),
        "zmpop": lambda p: p.zmpop(2, ["{zmpop}a", "{zmpop}b"], max=True, count=2),
        "zmpop-empty": lambda p: p.zmpop(1, ["{zmpop}a"], max=True, count=None),
        "zmscore": lambda p: p.zmscore("zmscore:z", ["a", "nope"]),
        "zpopmax": lambda p: p.zpopmax("zpopmax:z"),
        "zpopmax-count": lambda p: p.zpopmax("zpopmax:z", 2),
        "zpopmin": lambda p: p.zpopmin("zpopmin:z", 5),
        "zpopmin-missing": lambda p: p.zpopmin("zpopmin:z"),
        "zrandmember": lambda p: p.zrandmember("zrandmember:z"),
        "zrandmember-missing": lambda p: p.zrandmember("zrandmember:z"),
        "zrandmember-count": lambda p: p.zrandmember("zrandmember:z", -2),
        "zrandmember-withscores": lambda p: p.zrandmember("zrandmember:z", -2, withscores=True),
        "zrange": lambda p: p.zrange("zrange:z", 0, -1),
        "zrange-withscores": lambda p: p.zrange("zrange:z", 0, -1, withscores=True),
        "zrange-byscore-withscores": lambda p: p.zrange(
            "zrange:z", "(1", "+inf", byscore=True, offset=0, num=5, withscores=True
        ),
        "zrangebylex": lambda p: p.zrangebylex("zrangebylex:z", "-", "[b"),
        "zrangebyscore": lambda p: p.zrangebyscore("zrbs:z", 1, 3),
        "zrangebyscore-withscores": lambda p: p.zrangebyscore("zrbs:z", 1, 3, withscores=True),
        "zrangestore": lambda p: p.zrangestore("{zrs}d", "{zrs}s", 0, -1),
        "zrank": lambda p: p.zrank("zrank:z", "b"),
        "zrank-missing": lambda p: p.zrank("zrank:z", "nope"),
        "zrank-withscore": lambda p: p.zrank("zrank:z", "b", withscore=True),
        "zrem": lambda p: p.zrem("zrem:z", "a", "nope"),
        "zremrangebylex": lambda p: p.zremrangebylex("zrrbl:z", "[a", "[b"),
        "zremrangebyrank": lambda p: p.zremrangebyrank("zrrbr:z", 0, 1),
        "zremrangebyscore": lambda p: p.zremrangebyscore("zrrbs:z", 1, 2),
        "zrevrange": lambda p: p.zrevrange("zrevrange:z", 0, -1),
        "zrevrange-withscores": lambda p: p.zrevrange("zrevrange:z", 0, -1, withscores=True),
        "zrevrangebylex": lambda p: p.zrevrangebylex("zrrbl2:z", "+", "-", start=0, num=2),
        "zrevrangebyscore": lambda p: p.zrevrangebyscore("zrrbs2:z", 3, 1),
        "zrevrangebyscore-withscores": lambda p: p.zrevrangebyscore(
            "zrrbs2:z", 3, 1, withscores=True
        ),
        "zrevrank": lambda p: p.zrevrank("zrevrank:z", "a"),
        "zrevrank-withscore": lambda p: p.zrevrank("zrevrank:z", "a", withscore=True),
        "zscan": lambda p: p.zscan("zscan:z", 0),
        "zscore": lambda p: p.zscore("zscore:z", "b"),
        "zscore-missing": lambda p: p.zscore("zscore:z", "nope"),
        "zunion": lambda p: p.zunion(["{zunion}a", "{zunion}b"]),
        "zunion-withscores": lambda p: p.zunion({"{zunion}a": 2, "{zunion}b": 1}, withscores=True),
        "zunionstore": lambda p: p.zunionstore("{zus}d", ["{zus}a", "{zus}b"]),
    },
    {},
    extra=EXTRA,
)
