"""Scripts and function libraries on real servers: NOSCRIPT recovery, pipelines, parsers."""

from __future__ import annotations

from typing import Any

import pytest

from redis_oxide._client import Redis
from redis_oxide._exceptions import ExecAbortError, NoScriptError, ServerError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

INCR_BY = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
LIBRARY = """#!lua name=oxidelib
redis.register_function('double', function(keys, args) return tonumber(args[1]) * 2 end)
redis.register_function{function_name='peek', callback=function(keys, args)
  return redis.call('GET', keys[1]) end, flags={'no-writes'}}
"""


async def test_registered_script_survives_script_flush(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        script = client.register_script(INCR_BY)
        assert await script(keys=["n"], args=[2]) == 2
        await client.execute_command("SCRIPT", "FLUSH")
        assert await script(["n"], [3], parser=str) == "5"


@pytest.mark.parametrize("transaction", [False, True])
async def test_script_in_a_pipeline_is_loaded_before_the_batch(
    flushed_stack: RedisServerInfo, transaction: bool
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        script = client.register_script(INCR_BY)
        await client.execute_command("SCRIPT", "FLUSH")
        pipe = client.pipeline(transaction=transaction)
        first = script(["n"], [1], pipeline=pipe)
        second = pipe.run_script(script, ["n"], [10], parser=lambda r: r * 100)
        await pipe.execute()
        assert (await first, await second) == (1, 1100)


async def test_script_inside_a_watched_transaction(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        script = client.register_script(INCR_BY)
        reader = client.register_script("return redis.call('GET', KEYS[1])")
        await client.execute_command("SET", "n", "5")
        await client.execute_command("SCRIPT", "FLUSH")
        async with client.watch("n") as tx:
            now = await reader(["n"], pipeline=tx)  # runs at once, loads on NOSCRIPT
            tx.multi()
            later = tx.run_script(script, ["n"], [1])
        assert (now, await later) == (b"5", 6)


async def test_read_only_script_uses_evalsha_ro(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        writer = client.register_script("return redis.call('SET', KEYS[1], 'x')", read_only=True)
        with pytest.raises(ServerError, match=r"[Ww]rite commands are not allowed"):
            await writer(["k"])
        reader = client.register_script("return redis.call('EXISTS', KEYS[1])", read_only=True)
        assert await reader(["k"]) == 0


async def test_broken_script_reports_its_load_error_in_a_pipeline(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        script = client.register_script("this is not lua")
        pipe = client.pipeline(raise_on_error=False)
        pipe.run_script(script)
        (result,) = await pipe.execute()
        assert isinstance(result, ServerError)
        assert not isinstance(result, NoScriptError)


async def test_a_script_that_does_not_load_aborts_its_transaction(
    flushed_stack: RedisServerInfo,
) -> None:
    # Loaded before MULTI: written in the same block, EXEC would run the other commands and
    # fail the script's slot alone with NOSCRIPT.
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        broken = client.register_script("this is not lua")
        pipe = client.pipeline(transaction=True)
        written = pipe.set("t", "written")
        call = pipe.run_script(broken, ["n"])
        counted = pipe.incr("n")
        with pytest.raises(ExecAbortError, match="did not load, so nothing ran") as caught:
            await pipe.execute()
        assert isinstance(caught.value.__cause__, ServerError)
        for handle in (written, counted):
            with pytest.raises(ExecAbortError):
                await handle
        with pytest.raises(ServerError, match="Error compiling script") as failed:
            await call
        assert not isinstance(failed.value, ExecAbortError)
        assert await client.mget("t", "n") == [None, None]


async def test_script_arguments_of_the_wrong_kind_are_refused_by_name(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        script = client.register_script(INCR_BY)
        untyped: Any = script
        with pytest.raises(TypeError, match=r"^keys must be a list of values, not None \(pass"):
            await untyped(keys=None)
        with pytest.raises(TypeError, match=r"^args must be a list of values, not int$"):
            await untyped(["n"], 5)
        with pytest.raises(TypeError, match=r"^pipeline must be a pipeline or transaction"):
            await untyped(["n"], [1], pipeline=client)


async def test_library_calls_are_typed_and_reload_after_flush(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        lib = client.library(LIBRARY)
        assert lib.name == "oxidelib"
        assert await lib.load() == "oxidelib"
        assert await lib.call("double", args=[21], parser=int) == 42
        await client.execute_command("SET", "k", "v")
        assert await lib.call("peek", ["k"], read_only=True) == b"v"
        await client.execute_command("FUNCTION", "FLUSH")
        assert await lib.call("double", args=[2]) == 4  # reloaded on "Function not found"
        pipe = client.pipeline()
        doubled = lib.call("double", args=[5], parser=int, pipeline=pipe)
        await pipe.execute()
        assert await doubled == 10


def test_library_code_needs_a_name_line(redis_stack: RedisServerInfo) -> None:
    client = Redis(redis_stack.host, redis_stack.port)
    with pytest.raises(ValueError, match="name="):
        client.library("redis.register_function('f', function() return 1 end)")


COUNTING = """#!lua name=oxidecounting
redis.register_function('count_then_fail', function(keys, args)
  redis.call('INCR', keys[1])
  return redis.error_reply('ERR Function not found')
end)
"""


def _versioned(version: int) -> str:
    return (
        "#!lua name=oxideversioned\n"
        f"redis.register_function('version', function(keys, args) return {version} end)\n"
    )


async def test_function_returning_the_not_found_text_runs_once(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        lib = client.library(COUNTING)
        await lib.load(replace=True)
        with pytest.raises(ServerError, match="Function not found"):
            await lib.call("count_then_fail", ["runs"])
        assert await client.get("runs") == b"1"  # not reloaded, not run a second time


async def test_old_library_never_replaces_a_newer_deployed_one(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        old, new = client.library(_versioned(1)), client.library(_versioned(2))
        await new.load(replace=True)
        with pytest.raises(ServerError, match="Function not found"):
            await old.call("verison")  # a misspelled function of an older copy
        assert await new.call("version") == 2
        assert await old.call("version") == 2  # the deployed library answers


async def test_library_loads_without_replace_unless_asked(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        await client.execute_command("FUNCTION", "FLUSH")
        lib = client.library(_versioned(3))
        assert await lib.call("version") == 3  # missing library: loaded, then called
        with pytest.raises(ServerError, match="already exists"):
            await lib.load()
        assert await client.library(_versioned(4)).load(replace=True) == "oxideversioned"
        assert await lib.call("version") == 4
