"""A library's name is read from its first line the way the server reads it."""

from __future__ import annotations

from typing import Any

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import CommandError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

BODY = "\nredis.register_function('one', function(keys, args) return 1 end)\n"


@pytest.mark.parametrize(
    "first_line",
    [
        '#!lua name="qlib"',
        "#!lua name='qlib'",
        '#!lua "name=qlib"',
        "#!lua NAME=qlib",
        "#!lua\tname=qlib  ",
        '#!lua na"me=qlib"',
        '#!lua name="q\\x6cib"',
        "#!lua name='qlib'\r",
    ],
)
async def test_library_name_is_the_one_the_server_reports(
    flushed_stack: RedisServerInfo, first_line: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        lib = r.library(first_line + BODY)
        try:
            assert await lib.load() == lib.name
            assert await lib.is_loaded()
            assert await lib.call("one") == 1
            # A misspelled function is the server's error, never a reload.
            with pytest.raises(CommandError, match="Function not found"):
                await lib.call("onne")
        finally:
            await r.execute_command("FUNCTION", "DELETE", lib.name)


@pytest.mark.parametrize(
    "first_line",
    [
        "-- name=qlib",
        "#!lua",
        "#!lua name=",
        '#!lua name=""',
        '#!lua name="qlib',
        '#!lua name="q"lib',
        "#!lua\nname=x",
    ],
)
def test_a_first_line_without_a_readable_name_is_refused(
    redis_stack: RedisServerInfo, first_line: str
) -> None:
    r = Redis(redis_stack.host, redis_stack.port)
    with pytest.raises(ValueError, match="#!lua name=<library>"):
        r.library(first_line + BODY)


async def test_a_client_is_refused_as_a_function_call_pipeline(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as r:
        lib = r.library("#!lua name=qlib" + BODY)
        untyped: Any = lib.call
        with pytest.raises(TypeError, match=r"^pipeline must be a pipeline or transaction .*'one'"):
            untyped("one", pipeline=r)
        try:
            async with r.pipeline(raise_on_error=False) as pipe:
                queued = lib.call("one", pipeline=pipe)
            with pytest.raises(CommandError, match="Function not found"):
                await queued  # queued calls are not retried: load() first
            await lib.load()
            async with r.pipeline(transaction=True) as tx:
                queued = lib.call("one", pipeline=tx)
            assert await queued == 1
        finally:
            await r.execute_command("FUNCTION", "DELETE", "qlib")
