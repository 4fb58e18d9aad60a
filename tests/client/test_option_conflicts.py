"""Option combinations the server refuses are refused before sending; their neighbours still work.

The grammar of ZADD, BITPOS, LCS, ZRANGE, ZUNION/ZINTER, XADD/XTRIM and GEORADIUS allows
combinations that Redis answers with a syntax error. Each one raises ``ValueError`` naming the
command and what to do, and ``INFO commandstats`` (reset first) shows nothing was sent.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Awaitable
from typing import Any

import pytest

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.types import XaddTrim, XtrimTrim
from tests.client._refusals import Call, refused

pytestmark = pytest.mark.timeout(60)


async def _quiet(call: Awaitable[object]) -> object:
    return await call


def _georadius(r: Redis[str], **options: Any) -> Awaitable[object]:
    # GEORADIUS is deprecated: the warning is not what these tests are about.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _quiet(r.georadius("geo", 13.4, 52.5, 100, "KM", **options))


def _georadiusbymember(r: Redis[str], **options: Any) -> Awaitable[object]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return _quiet(r.georadiusbymember("geo", "berlin", 100, "KM", **options))


CONFLICTS: list[tuple[str, Call, str, str]] = [
    (
        "zadd nx with gt",
        lambda r: r.zadd("z", {"a": 1}, condition="NX", comparison="GT"),
        r"^ZADD: NX cannot be combined with GT or LT; give condition='NX' or comparison",
        "zadd",
    ),
    (
        "zadd nx with lt",
        lambda r: r.zadd("z", {"a": 1}, condition="NX", comparison="LT"),
        r"^ZADD: NX cannot be combined with GT or LT",
        "zadd",
    ),
    (
        "zadd incr with two members",
        lambda r: r.zadd("z", {"a": 1, "b": 2}, increment=True),
        r"^ZADD: increment=True takes a single member; call zadd once per member",
        "zadd",
    ),
    ("bitpos bit 2", lambda r: r.bitpos("b", 2), r"^BITPOS: bit must be 0 or 1$", "bitpos"),
    ("bitpos bit -1", lambda r: r.bitpos("b", -1), r"^BITPOS: bit must be 0 or 1$", "bitpos"),
    (
        "lcs len with idx",
        lambda r: r.lcs("a", "b", len=True, idx=True),
        r"^LCS: len cannot be combined with idx; give idx=True alone",
        "lcs",
    ),
    (
        "zrange limit without sortby",
        lambda r: r.zrange("z", 0, -1, limit=(0, 1)),
        r"^ZRANGE: limit needs sortby='BYSCORE' or sortby='BYLEX'",
        "zrange",
    ),
    (
        "zrange bylex with withscores",
        lambda r: r.zrange("z", "-", "+", sortby="BYLEX", withscores=True),
        r"^ZRANGE: withscores cannot be combined with sortby='BYLEX'",
        "zrange",
    ),
    (
        "zrangestore limit without sortby",
        lambda r: r.zrangestore("d", "z", 0, -1, limit=(0, 1)),
        r"^ZRANGESTORE: limit needs sortby='BYSCORE' or sortby='BYLEX'",
        "zrangestore",
    ),
    (
        "zunion fewer weights than keys",
        lambda r: r.zunion("a", "b", weight=[1]),
        r"^ZUNION: weight needs exactly one weight per key$",
        "zunion",
    ),
    (
        "zinter more weights than keys",
        lambda r: r.zinter("a", "b", weight=[1, 2, 3]),
        r"^ZINTER: weight needs exactly one weight per key$",
        "zinter",
    ),
    (
        "zunionstore weights from a generator",
        lambda r: r.zunionstore("d", "a", "b", weight=(w for w in [1.5])),
        r"^ZUNIONSTORE: weight needs exactly one weight per key$",
        "zunionstore",
    ),
    (
        "zinterstore fewer weights than keys",
        lambda r: r.zinterstore("d", "a", "b", weight=[2]),
        r"^ZINTERSTORE: weight needs exactly one weight per key$",
        "zinterstore",
    ),
    (
        "xadd limit without approximate trimming",
        lambda r: r.xadd("s", {"f": 1}, trim=XaddTrim(strategy="MAXLEN", threshold=1, count=10)),
        r"^XADD: trim.count \(LIMIT\) needs trim.operator='~'",
        "xadd",
    ),
    (
        "xadd limit with exact trimming",
        lambda r: r.xadd(
            "s", {"f": 1}, trim=XaddTrim(strategy="MINID", threshold=1, operator="=", count=5)
        ),
        r"^XADD: trim.count \(LIMIT\) needs trim.operator='~'",
        "xadd",
    ),
    (
        "xtrim limit without approximate trimming",
        lambda r: r.xtrim("s", XtrimTrim(strategy="MAXLEN", threshold=1, count=10)),
        r"^XTRIM: trim.count \(LIMIT\) needs trim.operator='~'",
        "xtrim",
    ),
    (
        "georadius store with withdist",
        lambda r: _georadius(r, storekey="d", withdist=True),
        r"^GEORADIUS: storekey cannot be combined with withcoord, withdist or withhash",
        "georadius",
    ),
    (
        "georadius storedist with withcoord",
        lambda r: _georadius(r, storedistkey="d", withcoord=True),
        r"^GEORADIUS: storedistkey cannot be combined with withcoord, withdist or withhash",
        "georadius",
    ),
    (
        "georadiusbymember store with withhash",
        lambda r: _georadiusbymember(r, storekey="d", withhash=True),
        r"^GEORADIUSBYMEMBER: storekey cannot be combined with withcoord, withdist or",
        "georadiusbymember",
    ),
    (
        "georadiusbymember storedist with withdist",
        lambda r: _georadiusbymember(r, storedistkey="d", withdist=True),
        r"^GEORADIUSBYMEMBER: storedistkey cannot be combined with withcoord, withdist or",
        "georadiusbymember",
    ),
]


@pytest.mark.parametrize(
    ("call", "message", "command"),
    [case[1:] for case in CONFLICTS],
    ids=[case[0] for case in CONFLICTS],
)
async def test_conflicting_options_are_refused_before_sending(
    flushed_stack: RedisServerInfo, call: Call, message: str, command: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await refused(r, call, ValueError, message, command)


def _key() -> str:
    return f"conflict-test:{uuid.uuid4().hex}"


async def test_zadd_neighbours_of_the_refused_combinations_work(
    flushed_stack: RedisServerInfo,
) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        assert await r.zadd(key, {"a": 1, "b": 2}, condition="NX") == 2
        assert await r.zadd(key, {"a": 5}, comparison="GT") == 0
        assert await r.zadd(key, {"a": 3}, condition="XX", comparison="LT", change=True) == 1
        assert await r.zadd(key, {"b": 1.5}, increment=True) == 3.5
        assert await r.zadd(key, {"c": 1}, condition="NX", increment=True) == 1.0


async def test_bitpos_takes_bits_zero_and_one(flushed_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.set(key, "\x0f")
        assert await r.bitpos(key, 1) == 4
        assert await r.bitpos(key, 0) == 0


async def test_lcs_len_and_idx_work_alone(flushed_stack: RedisServerInfo) -> None:
    a, b = _key(), _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.mset({a: "ohmytext", b: "mynewtext"})
        assert await r.lcs(a, b, len=True) == 6
        assert (await r.lcs(a, b, idx=True, withmatchlen=True)).len == 6


async def test_zrange_limit_and_scores_with_their_sort(flushed_stack: RedisServerInfo) -> None:
    key, dest = _key(), _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.zadd(key, {"a": 0, "b": 0, "c": 0})
        assert await r.zrange(key, "-", "+", sortby="BYLEX", limit=(1, 1)) == ["b"]
        assert await r.zrange(key, 0, 1, sortby="BYSCORE", limit=(0, 1), withscores=True) == [
            ("a", 0.0)
        ]
        assert await r.zrange(key, 0, 1, withscores=True) == [("a", 0.0), ("b", 0.0)]
        assert await r.zrangestore(dest, key, 0, 1, sortby="BYSCORE", limit=(0, 2)) == 2


async def test_weights_one_per_key_or_none_work(flushed_stack: RedisServerInfo) -> None:
    a, b, dest = _key(), _key(), _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.zadd(a, {"x": 1})
        await r.zadd(b, {"x": 2})
        assert await r.zunion(a, b, weight=[1, 10], withscores=True) == [("x", 21.0)]
        assert await r.zunion(a, b, weight=(w for w in [2, 3]), withscores=True) == [("x", 8.0)]
        assert await r.zunion(a, b, weight=[], withscores=True) == [("x", 3.0)]
        assert await r.zinter(a, b, weight=[0.5, 1], withscores=True) == [("x", 2.5)]
        assert await r.zunionstore(dest, a, b, weight=[1, 1]) == 1
        assert await r.zinterstore(dest, a, b, weight=[1, 2], aggregate="MAX") == 1


async def test_stream_limit_with_approximate_trimming_works(
    flushed_stack: RedisServerInfo,
) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        trim = XaddTrim(strategy="MAXLEN", threshold=1, operator="~", count=10)
        assert await r.xadd(key, {"f": 1}, trim=trim)
        exact = XaddTrim(strategy="MAXLEN", threshold=1, operator="=")
        assert await r.xadd(key, {"f": 2}, trim=exact)
        approximate = XtrimTrim(strategy="MAXLEN", threshold=0, operator="~", count=5)
        assert await r.xtrim(key, approximate) in (0, 1)  # whole nodes only
        assert await r.xtrim(key, XtrimTrim(strategy="MAXLEN", threshold=0)) in (0, 1)
        assert await r.xlen(key) == 0


async def test_a_trim_of_the_wrong_type_is_still_a_type_error(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        untyped: Any = r
        await refused(
            r,
            lambda r: untyped.xadd("s", {"f": 1}, trim={"count": 1}),
            TypeError,
            "^XADD: trim must be a XaddTrim, not dict$",
            "xadd",
        )


async def test_georadius_store_or_reply_options_work_apart(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.geoadd("geo", [(13.4, 52.5, "berlin")])
        assert await _georadius(r, storekey=_key()) == 1
        assert await _georadius(r, storedistkey=_key(), count_block=None) == 1
        assert await _georadius(r, withdist=True, withcoord=True)
        assert await _georadiusbymember(r, storekey=_key()) == 1
        assert await _georadiusbymember(r, withhash=True)
