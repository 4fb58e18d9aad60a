"""Hit methods: a cached client's plain reads answer a hit in one call (``_cache_hits``).

The generator lists the plain reads (``_generated._plain``); the runtime binds a hit function
for each one the cache caches. These tests hold the list to the generated code, the hit
functions to what the generated methods send, and the binding to the clients and views that
may have it, against a real server.
"""

from __future__ import annotations

import ast
import asyncio
import gc
import inspect
import time
import typing
import weakref
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import pytest

from redis_oxide import CacheConfig, Redis
from redis_oxide import _cache_hits as hits_module
from redis_oxide._cache_store import HITS_PER_TURN
from redis_oxide._command import CommandMeta
from redis_oxide._generated import Commands
from redis_oxide._generated import _meta as _m
from redis_oxide._generated._plain import PLAIN_READS
from redis_oxide.testing._info import RedisServerInfo
from tests.cache.test_cache import _cache, _key, settled

pytestmark = pytest.mark.timeout(30)

GENERATED = Path(__file__).resolve().parents[2] / "src" / "redis_oxide" / "_generated"


def _only_sends_its_arguments(method: ast.FunctionDef) -> bool:
    """Whether a generated method's body is one ``_execute`` call of its words and parameters."""
    body = method.body[1:] if isinstance(method.body[0], ast.Expr) else method.body
    if method.decorator_list or len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    call = body[0].value
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Attribute):
        return False
    arguments = method.args
    if arguments.vararg or arguments.kwarg or arguments.kwonlyargs or arguments.defaults:
        return False
    params = [a.arg for a in arguments.args[1:]]
    sent = call.args[1]
    if call.func.attr != "_execute" or not isinstance(sent, ast.Tuple):
        return False
    names = [e.id for e in sent.elts if isinstance(e, ast.Name)]
    words = [e for e in sent.elts if isinstance(e, ast.Constant)]
    return names == params and sent.elts == [*words, *(e for e in sent.elts if e not in words)]


def test_the_plain_reads_are_the_read_only_methods_that_only_send_their_arguments() -> None:
    found: set[str] = set()
    for module in sorted(GENERATED.glob("[a-z]*.py")):
        tree = ast.parse(module.read_text("utf-8"))
        for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            if cls.bases and ast.unparse(cls.bases[0]) != "CommandsBase[StrT]":
                continue  # a module namespace (client.json ...): not the client's own methods
            for method in (n for n in cls.body if isinstance(n, ast.FunctionDef)):
                if not _only_sends_its_arguments(method):
                    continue
                call = method.body[-1].value
                assert isinstance(call, ast.Call)
                meta: CommandMeta = getattr(_m, ast.unparse(call.args[0]).removeprefix("_m."))
                if meta.is_readonly:
                    found.add(method.name)
    assert found == set(PLAIN_READS)
    assert {"get", "hget", "smembers", "zscore"} <= found


class _Recorder:
    """Stands for a client: records what a generated method hands its executor."""

    def __init__(self) -> None:
        self.calls: list[tuple[CommandMeta, tuple[Any, ...], Any]] = []

    def _execute(self, meta: CommandMeta, args: tuple[Any, ...], parser: Any) -> None:
        self.calls.append((meta, args, parser))


@pytest.mark.parametrize("name", sorted(PLAIN_READS))
def test_a_hit_function_sends_what_its_method_sends(name: str) -> None:
    meta, params, parser = PLAIN_READS[name]
    values = [f"{param}-value" for param in params]
    by_method, by_hit = _Recorder(), _Recorder()
    getattr(Commands, name)(by_method, *values)
    factory = hits_module._compile(name, meta.name.split(" "), params)
    assert factory is not None
    hit = factory({}, None, by_hit._execute, meta, parser, time.monotonic)  # no entry: a miss
    hit(*values)
    hit(**dict(zip(params, values, strict=True)))  # the same parameter names
    assert by_hit.calls == [by_method.calls[0]] * 2
    assert by_method.calls[0][2] is parser


def test_names_that_could_hide_the_templates_own_get_no_hit_function() -> None:
    assert hits_module._compile("get", ["GET"], ("_entries",)) is None
    assert hits_module._compile("get", ["GET"], ("lambda",)) is None
    assert hits_module._compile("get", ["GET"], ("key",)) is not None


async def test_a_cached_clients_plain_reads_hit_in_one_call_and_answer_as_the_methods(
    flushed_stack: RedisServerInfo,
) -> None:
    async with (
        Redis(flushed_stack.host, flushed_stack.port, cache=True) as cached,
        Redis(flushed_stack.host, flushed_stack.port) as writer,
    ):
        attributes = vars(cached)
        assert {"get", "hget", "hgetall", "smembers", "zscore"} <= set(attributes)
        assert "hlen" not in attributes  # a plain read the cache does not cache
        assert "get" not in vars(writer)  # no cache, no hit function
        for name in set(attributes) & set(PLAIN_READS):  # help() and IDEs see the method's
            hit, method = getattr(cached, name), getattr(writer, name)
            assert hit.__doc__ == method.__doc__
            assert inspect.signature(hit) == inspect.signature(method)
            assert typing.get_type_hints(hit) == typing.get_type_hints(method)
        key, hash_key, zset = _key("s"), _key("h"), _key("z")
        await writer.set(key, "v1")
        await writer.hset(hash_key, {"f": "1"})
        await writer.zadd(zset, {"m": 1.5})
        assert await cached.get(key=key) == b"v1"  # the miss fills
        assert await cached.get(key) == b"v1"  # the entry's first hit makes its done future
        assert await cached.get(key) == b"v1"  # the hit function's own hit
        assert await cached.hget(hash_key, "f") == b"1"
        assert await cached.hget(hash_key, field="f") == b"1"
        assert await cached.zscore(zset, "m") == 1.5
        assert await cached.zscore(zset, "m") == 1.5
        assert await cached.hgetall(hash_key) == {b"f": b"1"}
        copy = await cached.hgetall(hash_key)  # a mutable value: the executor hands a copy
        copy[b"f"] = b"changed"
        assert await cached.hgetall(hash_key) == {b"f": b"1"}
        assert _cache(cached) == (4, 6, 4)
        # Numbers and unhashable arguments take the executor's ways, as with the methods.
        assert await cached.hget(hash_key, 1) is None
        assert await cached.hget(hash_key, 1) is None
        assert await cached.get(memoryview(bytearray(key.encode()))) == b"v1"  # unhashable
        assert _cache(cached) == (5, 7, 5)
        # Another client's write: the entry goes, the next read has the new value.
        await writer.set(key, "v2")
        await settled(lambda: cached.cache is not None and cached.cache.invalidations >= 1)
        assert await cached.get(key) == b"v2"
        wrong: Any = cached  # calls the types refuse: the hit functions refuse them too
        with pytest.raises(TypeError, match="get"):
            wrong.get()
        with pytest.raises(TypeError, match="hget"):
            wrong.hget(hash_key, "f", "g")


async def test_hit_functions_count_down_to_the_loop_turn_as_the_executor_does(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, cache=True) as cached:
        key = _key()
        await cached.set(key, "v")
        await cached.get(key)  # the miss
        await cached.get(key)  # the first hit makes the done future
        cache = cached.cache
        assert cache is not None
        started, left = cache.hits, cache._left
        turns = 0
        for _ in range(1000):
            result = cached.get(key)
            # A countdown hit is the entry's done future; the turn is the executor's coroutine.
            turns += not isinstance(result, asyncio.Future)
            assert await result == b"v"
        assert cache.hits - started == 1000
        assert turns == 1 + (1000 - (left + 1)) // HITS_PER_TURN


async def test_views_and_subclasses_keep_the_code_a_hit_function_would_skip(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, cache=CacheConfig()) as cached:
        key = _key()
        await cached.set(key, "v")
        await cached.get(key)
        past = cached.with_options(cache=False)
        assert "get" not in vars(past)  # its copy of the root's hit functions went
        timed = cached.with_options(command_timeout=5)
        assert vars(timed)["get"] is not vars(cached)["get"]  # its own executor's
        before = _cache(cached)
        assert await past.get(key) == b"v"
        assert _cache(cached) == before  # read past the cache: no hit
        assert await timed.get(key) == b"v"
        assert _cache(cached)[1] == before[1] + 1

    class Shouting(Redis[bytes]):
        def get(self, key: Any) -> Awaitable[bytes | None]:
            self.asked = key
            return super().get(key)

    async with Shouting(flushed_stack.host, flushed_stack.port, cache=True) as own:
        assert "get" not in vars(own)  # the subclass's method runs
        assert "hget" in vars(own)
        await own.get(key)
        assert own.asked == key


async def test_a_client_class_made_on_the_fly_is_not_kept_by_its_hit_functions(
    flushed_stack: RedisServerInfo,
) -> None:
    made = type("Made", (Redis,), {})
    async with made(flushed_stack.host, flushed_stack.port, cache=True) as client:
        assert "get" in vars(client)
    del client
    gone = weakref.ref(made)
    del made
    gc.collect()
    assert gone() is None
