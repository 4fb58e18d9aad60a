"""Replies whose shape used to lose data, differ between protocols or escape their type.

- INFO keeps every line of a name that repeats (one ``module`` line per loaded module);
- MEMORY STATS gives the per-database entries (``db.0``) the same value under RESP2 and RESP3;
- a script's table may hold server errors, and the declared reply type admits them: the
  values are checked against the annotation the method declares, resolved at run time.
"""

from __future__ import annotations

import types
import typing
import uuid
from collections.abc import Awaitable
from typing import Any, Literal

import pytest

from redis_oxide import MemoryStats, MemoryStatsDb, Redis
from redis_oxide.exceptions import CommandError, ServerError
from redis_oxide.testing import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

PROTOCOLS: list[Literal[2, 3]] = [2, 3]


def _conforms(value: object, hint: Any) -> bool:
    """Whether ``value`` is of the (resolved) type ``hint``, containers checked item by item."""
    if isinstance(hint, typing.ForwardRef):
        module = __import__(hint.__forward_module__ or "builtins", fromlist=["_"])
        hint = eval(hint.__forward_arg__, vars(module))
    if hint is Any or hint is object:
        return True
    if hint is None or hint is type(None):
        return value is None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Union or origin is types.UnionType:
        return any(_conforms(value, arg) for arg in args)
    if origin in (list, set):
        return isinstance(value, origin) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    if isinstance(hint, type):
        # bool is an int to Python but not to a type checker; a reply never mixes them up.
        return isinstance(value, hint) and (hint is bool or not isinstance(value, bool))
    raise AssertionError(f"the check does not know {hint!r}")


def _reply_type(method: Any) -> Any:
    """The ``T`` of a method declared to return ``Awaitable[T]``."""
    returns = typing.get_type_hints(method)["return"]
    assert typing.get_origin(returns) is Awaitable, returns
    return typing.get_args(returns)[0]


async def test_info_keeps_every_line_of_a_repeated_name(redis_stack: RedisServerInfo) -> None:
    async with Redis(redis_stack.host, redis_stack.port) as client:
        loaded = await client.module_list()
        info = await client.info(section=["modules"])
    # One ``module`` line per loaded module: the four Redis Stack modules.
    modules = info["modules"]["module"]
    assert isinstance(modules, list)
    assert len(modules) == len(loaded) == 4
    names = {str(line).split(",")[0].removeprefix("name=") for line in modules}
    assert names == {str(module.name) for module in loaded}


def test_info_repeats_stay_in_their_section_and_order() -> None:
    from redis_oxide._parsers import info

    text = (
        b"# Modules\r\nmodule:name=a\r\nmodule:name=b\r\nmodule:name=c\r\n# Other\r\nmodule:1\r\n"
    )
    assert info(text) == {
        "modules": {"module": ["name=a", "name=b", "name=c"]},
        "other": {"module": 1},
    }


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_memory_stats_databases_are_typed_entries(
    flushed_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as client:
        await client.set("memory-stats", "v")
        stats = await client.memory_stats()
    assert isinstance(stats, MemoryStats)
    assert set(stats.db) == {0}
    entry = stats.db[0]
    assert isinstance(entry, MemoryStatsDb)
    assert entry.overhead_hashtable_main > 0
    assert entry.overhead_hashtable_expires >= 0
    # Nothing per-database is left over in the undeclared fields.
    extra = stats.model_extra or {}
    assert not any(name.startswith("db_") and name[3:].isdigit() for name in extra)


async def test_memory_stats_is_the_same_under_both_protocols(
    flushed_stack: RedisServerInfo,
) -> None:
    shapes: list[dict[int, object]] = []
    for protocol in PROTOCOLS:
        async with Redis(flushed_stack.host, flushed_stack.port, protocol=protocol) as client:
            await client.set("memory-stats", "v")
            stats = await client.memory_stats()
        shapes.append({number: type(entry) for number, entry in stats.db.items()})
        shapes.append({number: set(entry.model_dump()) for number, entry in stats.db.items()})
    assert shapes[0] == shapes[2]
    assert shapes[1] == shapes[3]


SCRIPT = """
local wrong = redis.pcall('HGET', KEYS[1], 'f')
return {1, redis.error_reply('boom'), wrong, {redis.error_reply('deep')}}
"""


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_script_errors_in_a_table_fit_the_declared_reply_type(
    redis_stack: RedisServerInfo, protocol: Literal[2, 3]
) -> None:
    key = f"script-errors:{uuid.uuid4().hex}"
    async with Redis(redis_stack.host, redis_stack.port, protocol=protocol) as client:
        await client.set(key, "text")
        by_eval = await client.eval(SCRIPT, key=[key])
        by_command = await client.execute_command("EVAL", SCRIPT, 1, key)
        await client.delete(key)
    for value in (by_eval, by_command):
        assert isinstance(value, list)
        assert value[0] == 1
        assert isinstance(value[1], CommandError)
        assert value[1].message.endswith("boom")
        assert isinstance(value[2], ServerError)
        assert value[2].code == "WRONGTYPE"
        assert isinstance(value[3], list)
        assert isinstance(value[3][0], ServerError)
    assert _conforms(by_eval, _reply_type(Redis.eval))
    assert _conforms(by_eval, typing.get_type_hints(Redis.execute_command)["return"])
    assert _conforms(by_command, typing.get_type_hints(Redis.execute_command)["return"])


def test_the_conformance_check_refuses_what_the_type_does_not_admit() -> None:
    assert _conforms([1, [b"x"]], list[int | list[bytes]])
    assert not _conforms([1, ServerError("x")], list[int | list[bytes]])
    assert not _conforms(True, int)
    assert not _conforms({b"k": 1.5}, dict[bytes, int])
