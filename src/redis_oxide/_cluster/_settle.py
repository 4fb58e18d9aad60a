"""A node's share of a cluster batch, settled: values to their places, redirects re-run.

Rules this module keeps:

- ``settle_node`` gives a node's outcome (its sub-batch's values, or the failure of its run)
  to the commands or parts it ran. A reroutable error reply (MOVED, ASK, TRYAGAIN ...) re-runs
  that command alone through the cluster's slow path (MOVED patches the map first). A failed
  connect re-runs every entry where the topology now says; a lost connection re-runs the
  read-only entries and those that cannot have run. Any other failure becomes the value of
  the node's entries only.
- A part is one piece of a command: the command whole on its slot's node, one slot's keys of
  a split command, or one node's copy of a fanned-out one (``_Part``); a part with no node
  runs alone through the slow path, which waits for the topology (``_run_alone``).
"""

# pyright: reportPrivateUsage=false
# (The cluster executor's slow path is its own; this module is part of it.)

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._redirects import host_of, run_slow
from redis_oxide._cluster._router import routing_keys
from redis_oxide._command import ArgT, CommandMeta, RequestPolicy
from redis_oxide._exceptions import (
    ConnectFailedError,
    ConnectionLostError,
    ConnectTimeoutError,
    MovedError,
    RedisError,
    ServerError,
)
from redis_oxide._pool._batch import Batch

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["settle_node"]

Parser = Callable[[Any], Any] | None


class _Part:
    """One part of a command that is split or fanned out, or that must run alone."""

    __slots__ = ("args", "index", "node", "value")

    def __init__(self, index: int, node: NodeExecutor | None, args: tuple[ArgT, ...]) -> None:
        self.index = index  # the command it belongs to
        self.node = node  # None: run alone through the slow path
        self.args = args
        self.value: Any = None


#: A node's share of a batch: per sub-batch position, the index of a command that goes there
#: whole (its frame is reused), or a part.
_Entries = list[int | _Part]


async def settle_node(
    cluster: ClusterExecutor,
    batch: Batch,
    node: NodeExecutor,
    entries: _Entries,
    with_parts: bool | None,
    results: list[object],
    deadline: float | None,
    outcome: list[object] | RedisError,
) -> None:
    """Give a node's sub-batch outcome (its values, or the failure of its run) to its entries.

    Reroutable errors and parts a failed connection let run again go through the slow path.
    """
    if isinstance(outcome, (ConnectFailedError, ConnectTimeoutError)):
        # Nothing was sent: every entry may run again where the topology now says.
        address = node.strategy.address
        cluster.topology.report_failure(address, outcome)
        await _rerun(cluster, batch, entries, results, deadline, outcome, address)
        return
    if isinstance(outcome, ConnectionLostError):
        address = node.strategy.address
        cluster.topology.report_failure(address, outcome)
        for entry in entries:
            _store(entry, results, outcome)
        lost = outcome
        again = [e for e in entries if _meta(batch, e).is_readonly or not lost.may_have_executed]
        await _rerun(cluster, batch, again, results, deadline, outcome, address)
        return
    if isinstance(outcome, RedisError):
        for entry in entries:
            _store(entry, results, outcome)
        return
    values = outcome
    if with_parts is False:
        # The common case: whole commands, values straight to their places; only a batch
        # with an error reply (a C-level test of the distinct types) looks at each value.
        for position, value in zip(cast("list[int]", entries), values, strict=True):
            results[position] = value
        if not any(issubclass(kind, BaseException) for kind in set(map(type, values))):
            return
    redirected: list[tuple[int | _Part, ServerError]] = []
    for entry, value in zip(entries, values, strict=True):
        if isinstance(entry, int):
            results[entry] = value
        else:
            entry.value = value
        if isinstance(value, ServerError) and value.reroutable:
            redirected.append((entry, value))
    for entry, error in redirected:
        # MOVED, ASK, TRYAGAIN ...: only these commands run again, each alone.
        await _rerun(cluster, batch, [entry], results, deadline, error, node.strategy.address)


def _meta(batch: Batch, entry: int | _Part) -> CommandMeta:
    return batch.metas[entry if isinstance(entry, int) else entry.index]


def _store(entry: int | _Part, results: list[object], value: object) -> None:
    if isinstance(entry, int):
        results[entry] = value
    else:
        entry.value = value


async def _rerun(
    cluster: ClusterExecutor,
    batch: Batch,
    entries: _Entries,
    results: list[object],
    deadline: float | None,
    error: RedisError,
    origin: str,
) -> None:
    parts = [_Part(e, None, batch.args[e]) if isinstance(e, int) else e for e in entries]
    await asyncio.gather(*(_run_alone(cluster, batch, p, deadline, error, origin) for p in parts))
    for entry, part in zip(entries, parts, strict=True):
        if isinstance(entry, int):
            results[entry] = part.value


def _parser_of(batch: Batch, part: _Part) -> Parser:
    # A part that is its command's only one gets the command's parser; parts of split or
    # fanned-out commands stay raw until they are combined.
    meta, args = batch.metas[part.index], batch.args[part.index]
    if part.args is args and meta.request_policy not in (
        RequestPolicy.ALL_SHARDS,
        RequestPolicy.ALL_NODES,
    ):
        return batch.parsers[part.index]
    return None


async def _run_alone(
    cluster: ClusterExecutor,
    batch: Batch,
    part: _Part,
    deadline: float | None,
    error: RedisError | None,
    origin: str | None,
) -> None:
    meta = batch.metas[part.index]
    parser = _parser_of(batch, part)
    try:
        if not routing_keys(meta, part.args)[0]:
            if error is not None:
                raise error  # keyless: it belongs to its node
            part.value = await cluster._execute(meta, part.args, parser)
        else:
            if isinstance(error, MovedError):
                cluster.topology.moved(error.slot, error.host or host_of(origin), error.port)
            part.value = await run_slow(cluster, meta, part.args, parser, deadline, error, origin)
    except Exception as exc:  # the part's own failure is its value
        part.value = exc
