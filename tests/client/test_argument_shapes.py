"""Structured and "one or more" arguments are checked before anything is sent.

A tuple argument of the wrong length or type, a block's dataclass of the wrong class and an
empty collection the command requires raise ``TypeError``/``ValueError`` naming the command
and the parameter. ``INFO commandstats`` (reset before each call) shows that nothing reached
the server, and the server's state shows that nothing ran.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.types import BitcountRange, XaddTrim, XpendingFilters
from tests.client._refusals import Call, refused

pytestmark = pytest.mark.timeout(60)


def _key() -> str:
    return f"shape-test:{uuid.uuid4().hex}"


# Untyped callers (and redis-py habits) pass shapes the annotations refuse: the calls below are
# deliberately ill-typed, so they go through ``Any``.
def _u(r: Redis[str]) -> Any:
    return r


TUPLE_CASES: list[tuple[str, Call, type[Exception], str, str]] = [
    (
        "xreadgroup group name alone",
        lambda r: _u(r).xreadgroup("mygroup", {"s": ">"}),
        TypeError,
        r"^XREADGROUP: group_block must be a \(group, consumer\) tuple, not str$",
        "xreadgroup",
    ),
    (
        "sort limit of three",
        lambda r: _u(r).sort("l", limit=(0, 1, 2)),
        ValueError,
        r"^SORT: limit must be a \(offset, count\) tuple of 2 items, not 3$",
        "sort",
    ),
    (
        "zrange limit int",
        lambda r: _u(r).zrange("z", 0, 1, sortby="BYSCORE", limit=5),
        TypeError,
        r"^ZRANGE: limit must be a \(offset, count\) tuple, not int$",
        "zrange",
    ),
    (
        "bitfield_ro get of three",
        lambda r: _u(r).bitfield_ro("b", get_block=[("u8", 0, 99)]),
        ValueError,
        r"^BITFIELD_RO: get_block item must be a \(encoding, offset\) tuple of 2 items, not 3$",
        "bitfield_ro",
    ),
    (
        "geoadd flat list",
        lambda r: _u(r).geoadd("g", [13.36, 38.11, "Palermo"]),
        TypeError,
        r"^GEOADD: data item must be a \(longitude, latitude, member\) tuple, not float$",
        "geoadd",
    ),
    (
        "geoadd pair",
        lambda r: _u(r).geoadd("g", [(13.36, 38.11)]),
        ValueError,
        r"^GEOADD: data item must be .* tuple of 3 items, not 2$",
        "geoadd",
    ),
    (
        "geosearch box pair",
        lambda r: _u(r).geosearch("g", member="a", box=(1.0, 2.0)),
        ValueError,
        r"^GEOSEARCH: box must be a \(width, height, unit\) tuple of 3 items, not 2$",
        "geosearch",
    ),
    (
        "xadd trim dict",
        lambda r: _u(r).xadd("s", {"a": 1}, trim={"strategy": "MAXLEN", "threshold": 1}),
        TypeError,
        r"^XADD: trim must be a XaddTrim, not dict$",
        "xadd",
    ),
    (
        "bitcount range tuple",
        lambda r: _u(r).bitcount("b", range=(0, 1)),
        TypeError,
        r"^BITCOUNT: range must be a BitcountRange, not tuple$",
        "bitcount",
    ),
    (
        "xpending filters tuple",
        lambda r: _u(r).xpending("s", "g", filters=("-", "+", 10)),
        TypeError,
        r"^XPENDING: filters must be a XpendingFilters, not tuple$",
        "xpending",
    ),
    (
        "bitfield single operation",
        lambda r: _u(r).bitfield("b", operation=object()),
        TypeError,
        r"^BITFIELD: operation must be an iterable of values, not object$",
        "bitfield",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message", "command"),
    [case[1:] for case in TUPLE_CASES],
    ids=[case[0] for case in TUPLE_CASES],
)
async def test_malformed_core_arguments_are_refused_before_sending(
    flushed_stack: RedisServerInfo,
    call: Call,
    error: type[Exception],
    message: str,
    command: str,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await refused(r, call, error, message, command)


async def test_xreadgroup_with_a_group_name_alone_claims_nothing(
    flushed_stack: RedisServerInfo,
) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.xadd(key, {"a": 1})
        await r.xgroup_create(key, "m", id="0")
        with pytest.raises(TypeError, match="group_block"):
            await _u(r).xreadgroup("mygroup", {key: ">"})
        # Read as ("m", "y") before, which moved the entry into consumer "y"'s pending list.
        assert await r.xinfo_consumers(key, "m") == []


async def test_well_formed_structured_arguments_still_work(
    flushed_stack: RedisServerInfo,
) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.rpush(key, "3", "1", "2")
        assert await r.sort(key, limit=(0, 2)) == ["1", "2"]
        # A list of the right length passes, as it always did.
        assert await _u(r).sort(key, limit=[1, 2]) == ["2", "3"]
        assert await r.geoadd(key + ":g", [(13.36, 38.11, "Palermo")]) == 1
        assert await _u(r).geoadd(key + ":g", [[15.08, 37.5, "Catania"]]) == 1
        await r.xadd(key + ":s", {"a": 1}, trim=XaddTrim(strategy="MAXLEN", threshold=10))
        await r.set(key + ":b", "foobar")
        assert await r.bitcount(key + ":b", range=BitcountRange(start=0, end=0)) == 4
        await r.xgroup_create(key + ":s", "g", id="0")
        filters = XpendingFilters(start="-", end="+", count=5)
        assert await r.xpending(key + ":s", "g", filters=filters) == []


EMPTY_CASES: list[tuple[str, Call, type[Exception], str, str]] = [
    ("zunion", lambda r: r.zunion(), TypeError, "^ZUNION takes at least one key$", "zunion"),
    (
        "zinterstore",
        lambda r: r.zinterstore("d"),
        TypeError,
        "^ZINTERSTORE takes at least one key$",
        "zinterstore",
    ),
    ("zdiff", lambda r: r.zdiff(), TypeError, "^ZDIFF takes at least one key$", "zdiff"),
    (
        "sintercard",
        lambda r: r.sintercard(),
        TypeError,
        "^SINTERCARD takes at least one key$",
        "sintercard",
    ),
    (
        "zintercard",
        lambda r: r.zintercard(),
        TypeError,
        "^ZINTERCARD takes at least one key$",
        "zintercard",
    ),
    (
        "lmpop",
        lambda r: r.lmpop([], "LEFT"),
        ValueError,
        "^LMPOP: key must not be empty$",
        "lmpop",
    ),
    ("zmpop", lambda r: r.zmpop([], "MIN"), ValueError, "^ZMPOP: key must not be empty$", "zmpop"),
    (
        "blmpop",
        lambda r: r.blmpop(0.1, [], "LEFT"),
        ValueError,
        "^BLMPOP: key must not be empty$",
        "blmpop",
    ),
    ("blpop", lambda r: r.blpop([], 0.1), ValueError, "^BLPOP: key must not be empty$", "blpop"),
    (
        "bzpopmin",
        lambda r: r.bzpopmin([], 0.1),
        ValueError,
        "^BZPOPMIN: key must not be empty$",
        "bzpopmin",
    ),
    (
        "hexpire",
        lambda r: r.hexpire("h", 10, []),
        ValueError,
        "^HEXPIRE: fields must not be empty$",
        "hexpire",
    ),
    ("httl", lambda r: r.httl("h", []), ValueError, "^HTTL: fields must not be empty$", "httl"),
    (
        "hpersist",
        lambda r: r.hpersist("h", []),
        ValueError,
        "^HPERSIST: fields must not be empty$",
        "hpersist",
    ),
    (
        "geoadd",
        lambda r: r.geoadd("g", []),
        ValueError,
        "^GEOADD: data must not be empty$",
        "geoadd",
    ),
]


@pytest.mark.parametrize(
    ("call", "error", "message", "command"),
    [case[1:] for case in EMPTY_CASES],
    ids=[case[0] for case in EMPTY_CASES],
)
async def test_empty_required_collections_are_refused_before_sending(
    flushed_stack: RedisServerInfo,
    call: Call,
    error: type[Exception],
    message: str,
    command: str,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await refused(r, call, error, message, command)


async def test_optional_collections_may_still_be_empty(flushed_stack: RedisServerInfo) -> None:
    key = _key()
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.zadd(key, {"a": 1.0})
        # An empty optional list sends no option; EVAL's key list may be empty (numkeys 0).
        assert await r.zunion(key, weight=[]) == ["a"]
        assert await r.eval("return #KEYS", key=[]) == 0
        assert await r.sort(key, get_pattern=[], sorting=True) == ["a"]


async def test_tokens_are_taken_in_any_case(flushed_stack: RedisServerInfo) -> None:
    # Redis's docs write many tokens in lower case ("avg", "nx"); untyped callers pass them so.
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        untyped: Any = r
        await r.set("tokens", "1")
        assert await untyped.expire("tokens", 100, condition="nx") is True
        assert await untyped.expire("tokens", 200, condition="nx") is False
        assert 0 < await r.ttl("tokens") <= 100
        with pytest.raises(ValueError, match=r"EXPIRE: condition must be one of .*, not 'maybe'"):
            await untyped.expire("tokens", 100, condition="maybe")
