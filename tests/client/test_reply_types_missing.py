"""Replies the server gives for a missing key or a failed item are what the methods declare.

Each test checks the value on a real server under RESP2 and RESP3, and the declared return
type of the method, so that ``None`` or a per-item ``ServerError`` is never a surprise to
code the type checkers passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Literal, get_overloads

import pytest

from redis_oxide import Redis
from redis_oxide._generated.bf import BfCommands
from redis_oxide._generated.ft import FtCommands
from redis_oxide._generated.ts import TsCommands
from redis_oxide.exceptions import CommandError, ServerError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = [pytest.mark.timeout(60), pytest.mark.parametrize("protocol", [2, 3])]


def _key() -> str:
    return f"reply-type-test:{uuid.uuid4().hex}"


def _returns(function: Callable[..., object]) -> list[object]:
    """The declared return types of a method: its overloads', then its own."""
    return [f.__annotations__["return"] for f in (*get_overloads(function), function)]


async def test_object_subcommands_admit_none_for_a_missing_key(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as r:
        missing = _key()
        assert await r.object_idletime(missing) is None
        assert await r.object_refcount(missing) is None
        await r.config_set({"maxmemory-policy": "allkeys-lfu"})
        try:
            assert await r.object_freq(missing) is None
        finally:
            await r.config_set({"maxmemory-policy": "noeviction"})
    for method in (Redis.object_idletime, Redis.object_refcount, Redis.object_freq):
        assert _returns(method) == [Awaitable[int | None]], method.__name__


async def test_sugget_of_a_missing_dictionary_is_an_empty_list(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as r:
        missing = _key()
        assert await r.ft.sugget(missing, "he") == []
        assert await r.ft.sugget(missing, "he", fuzzy=True, max=3) == []
        assert await r.ft.sugget(missing, "he", withscores=True) == []


async def test_ts_madd_keeps_the_error_of_each_refused_sample(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as r:
        series, plain = _key(), _key()
        await r.ts.create(series)
        await r.set(plain, "x")
        added = await r.ts.madd([(series, 1000, 1.0), (plain, 1000, 2.0), (series, 2000, 3.0)])
        assert added[0] == 1000
        assert added[2] == 2000
        assert isinstance(added[1], CommandError)
    assert _returns(TsCommands.madd) == [Awaitable[list[int | ServerError]]]


async def test_bloom_additions_keep_the_error_of_a_full_filter(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as r:
        key = _key()
        await r.bf.reserve(key, 0.01, 2, nonscaling=True)
        added = await r.bf.madd(key, "a", "b", "c", "d")
        # The server stops at the first failure: "c" was not added, "d" not tried.
        assert added[:2] == [True, True]
        assert len(added) == 3
        assert isinstance(added[2], ServerError)
        assert "filter is full" in str(added[2])
        inserted = await r.bf.insert(key, "e", "f")
        assert len(inserted) == 1
        assert isinstance(inserted[0], ServerError)
        # EXPANSION of a NONSCALING filter is nil.
        assert await r.bf.info(key, single_value="EXPANSION") is None
        assert await r.bf.info(key, single_value="CAPACITY") == 2
    assert _returns(BfCommands.madd) == [Awaitable[list[bool | ServerError]]]
    assert _returns(BfCommands.insert) == [Awaitable[list[bool | ServerError]]]
    assert Awaitable[int | None] in _returns(BfCommands.info)
    # The overload of a call without options (the generic method's own StrT).
    assert any(str(t).endswith("Awaitable[list[~StrT]]") for t in _returns(FtCommands.sugget))
