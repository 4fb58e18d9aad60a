"""Generated methods: keywords named after what they send, and values refused before sending.

Every refusal here is one the server would answer with an error (or, for LCS options without
IDX and a negative cursor on Redis 7.0, silently misread); the client refuses it first.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import CommandError
from redis_oxide._generated.stream import StreamCommands
from redis_oxide.testing import parse_info, raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing._raw import Endpoint

pytestmark = pytest.mark.timeout(30)

Call = Callable[[Redis[bytes]], Awaitable[Any]]


def _calls(info: RedisServerInfo) -> int:
    stats = parse_info(raw_command(Endpoint(info.host, info.port), "INFO", "commandstats"))
    total = 0
    for name, line in stats.items():
        if str(name).startswith("cmdstat_") and name != "cmdstat_info":
            total += int(str(line).split("calls=")[1].split(",")[0])
    return total


REFUSED: dict[str, tuple[Call, str]] = {
    "lpop": (lambda r: r.lpop("l", count=-1), "LPOP: count must not be negative"),
    "rpop": (lambda r: r.rpop("l", count=-1), "RPOP: count must not be negative"),
    "spop": (lambda r: r.spop("s", count=-1), "SPOP: count must not be negative"),
    "lpos-count": (lambda r: r.lpos("l", "a", count=-1), "LPOS: count must not be negative"),
    "lpos-maxlen": (lambda r: r.lpos("l", "a", maxlen=-1), "LPOS: maxlen must not be negative"),
    "lpos-rank": (lambda r: r.lpos("l", "a", rank=0), "LPOS: rank must not be 0"),
    "lcs-withmatchlen": (lambda r: r.lcs("a", "b", withmatchlen=True), "LCS: withmatchlen"),
    "lcs-minmatchlen": (lambda r: r.lcs("a", "b", min_match_len=2), "need idx=True"),
    "scan": (lambda r: r.scan(-1), "SCAN: cursor must not be negative"),
    "hscan": (lambda r: r.hscan("h", -1), "HSCAN: cursor must not be negative"),
    "sscan": (lambda r: r.sscan("s", -1), "SSCAN: cursor must not be negative"),
    "zscan": (lambda r: r.zscan("z", -1), "ZSCAN: cursor must not be negative"),
    "blpop": (lambda r: r.blpop(["l"], -1), "BLPOP: timeout must not be negative"),
    "brpop": (lambda r: r.brpop(["l"], -0.5), "BRPOP: timeout must not be negative"),
    "blmove": (
        lambda r: r.blmove("l", "m", "LEFT", "LEFT", timedelta(seconds=-1)),
        "BLMOVE: timeout must not be negative",
    ),
    "blmpop": (lambda r: r.blmpop(-1, ["l"], "LEFT"), "BLMPOP: timeout must not be negative"),
    "bzpopmin": (lambda r: r.bzpopmin(["z"], -1), "BZPOPMIN: timeout must not be negative"),
    "bzpopmax": (lambda r: r.bzpopmax(["z"], -1), "BZPOPMAX: timeout must not be negative"),
    "bzmpop": (lambda r: r.bzmpop(-1, ["z"], "MIN"), "BZMPOP: timeout must not be negative"),
    "xread": (lambda r: r.xread({"x": "0"}, block=-1), "XREAD: block must not be negative"),
    "xreadgroup": (
        lambda r: r.xreadgroup(("g", "c"), {"x": ">"}, block=-1),
        "XREADGROUP: block must not be negative",
    ),
    "wait": (lambda r: r.wait(0, -1), "WAIT: timeout must not be negative"),
    "waitaof": (lambda r: r.waitaof(0, 0, -1), "WAITAOF: timeout must not be negative"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
async def test_value_the_server_refuses_is_refused_before_sending(
    redis_stack: RedisServerInfo, case: str
) -> None:
    call, message = REFUSED[case]
    async with Redis(redis_stack.host, redis_stack.port) as client:
        await client.ping()
        before = _calls(redis_stack)
        with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
            await call(client)
        assert _calls(redis_stack) == before


async def test_a_count_of_the_wrong_type_still_names_the_command(
    redis_stack: RedisServerInfo,
) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as client:
        bad: Any = "2"
        with pytest.raises(TypeError, match="LPOP: count must be an int, not str"):
            await client.lpop("l", count=bad)


async def test_values_the_server_accepts_still_go_through(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.rpush("l", "a", "b", "a")
        await client.sadd("s", "x", "y")
        assert await client.lpop("l", count=0) == []
        assert await client.spop("s", count=0) == set()
        assert len(await client.srandmember("s", count=-4)) == 4  # a negative count repeats
        assert await client.lpos("l", "a", count=0, maxlen=0) == [0, 2]
        assert await client.lpos("l", "a", rank=-1) == 2
        assert (await client.scan(0))[0] == 0
        assert await client.blpop(["missing"], 0.01) is None
        assert await client.xread({"missing": "0"}, block=timedelta(milliseconds=10)) is None
        assert await client.wait(0, 0) == 0
        await client.set("a", "ohmytext")
        await client.set("b", "mynewtext")
        found = await client.lcs("a", "b", idx=True, min_match_len=4, withmatchlen=True)
        assert found.len == 6


async def test_keywords_are_named_after_the_token_they_send(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.set("k", "v" * 100)
        assert isinstance(await client.memory_usage("k", samples=5), int)
        started = asyncio.get_running_loop().time()
        assert await client.xread({"nothing": "$"}, block=50) is None
        assert asyncio.get_running_loop().time() - started >= 0.04
        # A primary without replicas refuses FAILOVER: the server read TIMEOUT's value.
        with pytest.raises(CommandError, match="replica"):
            await client.failover(timeout=timedelta(seconds=1))
    for method, old, new in (
        (Redis.memory_usage, "count", "samples"),
        (Redis.xread, "milliseconds", "block"),
        (Redis.failover, "milliseconds", "timeout"),
    ):
        params = inspect.signature(method).parameters
        assert new in params
        assert old not in params


def test_xadd_is_typed_as_an_id_unless_nomkstream_is_given() -> None:
    returns = {
        repr(inspect.signature(o).parameters["nomkstream"].annotation): typing.get_type_hints(o)[
            "return"
        ]
        for o in typing.get_overloads(StreamCommands.xadd)
    }
    strt = typing.get_args(returns["typing.Literal[False]"])[0]
    assert isinstance(strt, typing.TypeVar)
    for given in ("typing.Literal[True]", "<class 'bool'>"):
        assert typing.get_args(returns[given]) == (strt | None,)


async def test_xadd_without_nomkstream_returns_the_id(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        entry_id = await client.xadd("events", {"kind": "a"})
        assert isinstance(entry_id, str)
        assert await client.xadd("missing", {"kind": "a"}, nomkstream=True) is None


async def test_scores_take_the_infinities_redis_reads_as_text(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        text_scores: Any = {"top": "+inf", "bottom": "-inf", "also": b"inf"}
        assert await client.zadd("z", text_scores) == 3
        assert await client.zscore("z", "top") == float("inf")
        assert await client.zscore("z", "bottom") == float("-inf")
        infinity: Any = "-inf"
        assert await client.zincrby("z", infinity, "mid") == float("-inf")
        not_a_number: Any = {"m": "1.5"}
        with pytest.raises(TypeError, match=r"^ZADD: score must be a float, not str$"):
            await client.zadd("z", not_a_number)


async def test_geosearch_and_geosearchstore_share_one_count_block(
    flushed_stack: RedisServerInfo,
) -> None:
    from redis_oxide import types

    assert not hasattr(types, "GeosearchstoreCountBlock")
    top_two = types.GeosearchCountBlock(count=2)
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as client:
        await client.geoadd("g", [(13.361389, 38.115556, "a"), (15.087269, 37.502669, "b")])
        await client.geoadd("g", [(13.5, 38.2, "c")])
        query: dict[str, Any] = {"fromlonlat": (13.4, 38.1), "circle": (500, "KM")}
        found = await client.geosearch("g", order="ASC", count_block=top_two, **query)
        stored = await client.geosearchstore("near", "g", order="ASC", count_block=top_two, **query)
        assert stored == len(found) == 2
        assert sorted(await client.zrange("near", 0, -1)) == sorted(found)
