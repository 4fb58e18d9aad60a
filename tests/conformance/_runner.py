"""Run one table entry four ways and judge the replies.

Rules:

- An entry runs with a bytes client and (unless its reply is binary) a decoding client, each
  under RESP2 then RESP3, from a clean state every time: FLUSHALL on a shared server, a new
  server for disposable ones.
- Every reply is checked against the declared type of the call that produced it; the RESP2
  and RESP3 values of one decoding mode must be equal, or (for ``VARYING`` commands) of the
  same shape.
- Every problem is recorded in the report, and the test fails with all of them at once.
"""

from __future__ import annotations

import asyncio
import inspect
import typing
import warnings
from collections.abc import Awaitable, Callable, Collection, Coroutine
from functools import cache
from typing import Any, Literal, TypeVar

from redis_oxide import Redis, RedisCluster
from redis_oxide._command import CommandMeta
from redis_oxide._generated import Commands, _meta

from ._entry import Entry, Recorder
from ._report import REPORT, Finding
from ._validate import declared_type, shape, validate
from .tables import VARYING

__all__ = [
    "Endpoint",
    "command_of",
    "function_of",
    "generated_methods",
    "run_entry",
    "run_in_new_loop",
]

#: Opens (or reuses) the server for one run and returns (host, port).
Endpoint = Callable[[], Awaitable[tuple[str, int]]]

T = TypeVar("T")


def _public(cls: type) -> set[str]:
    return {n for n, v in vars(cls).items() if not n.startswith("_") and callable(v)}


def _namespaces() -> dict[str, type]:
    """Namespace property name -> its generated class (``json`` -> ``JsonCommands``)."""
    return {
        name: typing.get_type_hints(prop.fget)["return"].__origin__
        for name, prop in vars(Commands).items()
        if isinstance(prop, property) and prop.fget is not None
    }


@cache
def generated_methods() -> frozenset[str]:
    """Names of every public method of the generated mixins; ``json.get`` in a namespace."""
    names: set[str] = set()
    for cls in Commands.__mro__:
        if cls.__module__.startswith("redis_oxide._generated."):
            names.update(_public(cls))
    for space, cls in _namespaces().items():
        names.update(f"{space}.{name}" for name in _public(cls))
    return frozenset(names)


def function_of(method: str) -> Any:
    """The function of a generated method (``"json.get"`` is ``JsonCommands.get``)."""
    space, _, name = method.rpartition(".")
    return getattr(_namespaces()[space] if space else Commands, name)


@cache
def command_of(method: str) -> str:
    """The Redis command a generated method sends (``"CLIENT KILL"`` for ``client_kill``).

    Read from the names the method's code loads (``_m.CLIENT_KILL``), not from its source
    text, so that a regenerated file on disk cannot mislead it.
    """
    code = inspect.unwrap(function_of(method)).__code__  # (past a @deprecated wrapper)
    metas = {
        meta.name
        for name in code.co_names
        if isinstance(meta := getattr(_meta, name, None), CommandMeta)
    }
    if len(metas) != 1:
        raise AssertionError(f"{method} names {len(metas)} command metadata entries: {metas}")
    return metas.pop()


def _client(
    host: str, port: int, protocol: Literal[2, 3], decode: bool, cluster: bool
) -> Redis[Any] | RedisCluster[Any]:
    if cluster:
        if decode:
            return RedisCluster(host, port, protocol=protocol, decode_responses=True)
        return RedisCluster(host, port, protocol=protocol)
    if decode:
        return Redis(host, port, protocol=protocol, decode_responses=True)
    return Redis(host, port, protocol=protocol)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


async def _one_run(
    entry: Entry,
    endpoint: Endpoint,
    protocol: Literal[2, 3],
    decode: bool,
    flush: bool,
    context: dict[str, Any],
    problems: list[str],
    cluster: bool,
) -> tuple[bool, Any]:
    run = f"RESP{protocol} {'str' if decode else 'bytes'}"
    command = command_of(entry.method)
    host, port = await endpoint()
    context.update(host=host, port=port, closers=[])
    async with _client(host, port, protocol, decode, cluster) as client:
        recorder = Recorder(client, context)
        if flush:
            await recorder.raw("FLUSHALL", "SYNC")
        try:
            for args in entry.setup:
                await recorder.raw(*args)
            if entry.prepare is not None:
                await entry.prepare(recorder)
            try:
                with warnings.catch_warnings():
                    # Deprecated commands warn on every call; they are still part of the API.
                    warnings.simplefilter("ignore", DeprecationWarning)
                    pending = entry.call(recorder)
                value = await pending
            except Exception as error:
                problems.append(f"{run}: raised {error!r}")
                REPORT.findings.append(
                    Finding(entry.id, command, run, "-", "-", f"raised {error!r}")
                )
                return False, None
        finally:
            for args in entry.cleanup:
                await recorder.raw(*args)
            for close in context["closers"]:
                close()
    calls = [call for call in recorder.calls if call.method == entry.method]
    assert len(calls) == 1, f"{entry.id}: the lambda must call {entry.method} once"
    method = function_of(entry.method)
    declared = declared_type(method, calls[0].args, calls[0].kwargs, str if decode else bytes)
    if declared.provisional and protocol == 3 and not decode:
        REPORT.provisional.setdefault(command, _short(value))
    problem = validate(value, declared)
    if problem is not None:
        problems.append(f"{run}: {_short(value)} is not {declared.text}: {problem}")
        REPORT.findings.append(
            Finding(entry.id, command, run, declared.text, _short(value), problem)
        )
    return True, value


async def run_entry(
    entry: Entry,
    endpoint: Endpoint,
    *,
    flush: bool,
    context: dict[str, Any],
    cluster: bool = False,
    varying: Collection[str] = (),
) -> list[str]:
    """Run ``entry`` on both protocols, bytes and decoded, and return every problem found.

    Args:
        entry: The table entry.
        endpoint: Gives the server of each run (a startup node for a cluster).
        flush: FLUSHALL before each run (shared servers).
        context: Run-time values for the entry's lambdas (ports, ids ...).
        cluster: Run through ``RedisCluster`` instead of ``Redis``.
        varying: More commands to compare by shape (a cluster may answer from another node).

    Returns:
        Human-readable problems; empty when the entry conforms.
    """
    problems: list[str] = []
    command = command_of(entry.method)
    for decode in (False, True):
        if decode and entry.binary:
            continue
        results = [
            await _one_run(entry, endpoint, protocol, decode, flush, context, problems, cluster)
            for protocol in (2, 3)
        ]
        (ok2, resp2), (ok3, resp3) = results
        if not (ok2 and ok3):
            continue
        mode = "str" if decode else "bytes"
        by_shape = command in VARYING or command in varying
        same = shape(resp2) == shape(resp3) if by_shape else resp2 == resp3
        if not same:
            what = "shape" if by_shape else "value"
            problem = f"RESP2 and RESP3 differ in {what}: {_short(resp2)} != {_short(resp3)}"
            problems.append(f"{mode}: {problem}")
            REPORT.findings.append(
                Finding(entry.id, command, f"RESP2/3 {mode}", "-", _short(resp3), problem)
            )
    return problems


def run_in_new_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` in a fresh event loop that fails on anything asyncio reports.

    The conformance tests are plain functions around this runner rather than async tests:
    the suite has hundreds of entries, and the per-test full garbage collection that the
    plugin's loop check performs for async tests would dominate the run time. The check itself
    is kept: the loop's exception handler records every report, and the runner fails on any.

    Args:
        coro: The test body.

    Returns:
        What the coroutine returned.

    Raises:
        AssertionError: The loop reported an unhandled error.
    """
    reports: list[str] = []

    def record(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        reports.append(f"{context.get('message')}: {context.get('exception')!r}")

    with asyncio.Runner() as runner:
        runner.get_loop().set_exception_handler(record)
        result = runner.run(coro)
    assert not reports, "the event loop reported unhandled errors:\n  " + "\n  ".join(reports)
    return result
