"""Pipelines and transactions on a cluster: one sub-batch per node, results in caller order.

Rules this module keeps:

- The whole batch is placed before anything is sent, so a command whose keys span slots (and
  cannot be split) raises ``CrossSlotError`` with nothing sent.
- Each command becomes one or more parts: one part on its slot's node; a ``multi_shard``
  command spanning slots, one part per slot; a fanned-out keyless command, one part per node
  of its policy. Parts are queued into one sub-batch per node, and the sub-batches run
  concurrently, each the way its node runs any batch (shared connection or lease).
- A part answered with MOVED, ASK or another reroutable error is re-run alone through the
  cluster's slow path (MOVED patches the map first); so is a part whose node could not be
  reached or whose connection died before it could have run (read-only parts: whether or not
  it ran). Other failures of a node's sub-batch become the value of that node's parts only:
  the other nodes' commands ran and keep their values.
- A part on a node marked down, or on a slot no node serves yet, runs alone through the slow
  path, which waits for the topology.
- A transaction needs all its keys in one slot and runs on that slot's primary; a MULTI that
  met MOVED (EXECABORT caused by it) ran nothing and is sent again where the map now says.
"""

# pyright: reportPrivateUsage=false
# (The cluster executor's slow path and routing are its own; this module is part of it.)

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis_oxide._cluster._redirects import route_address, run_slow
from redis_oxide._cluster._replies import combine
from redis_oxide._cluster._router import reassemble, routing_keys, slot_of_keys, split_by_slot
from redis_oxide._command import ArgT, CommandMeta, RequestPolicy
from redis_oxide._exceptions import (
    AskError,
    ConnectFailedError,
    ConnectionLostError,
    ConnectTimeoutError,
    CrossSlotError,
    ExecAbortError,
    MovedError,
    RedisError,
    ServerError,
    TryAgainError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import key_slot
from redis_oxide._pool._batch import Batch

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["run_cluster_batch"]

Parser = Callable[[Any], Any] | None


class _Part:
    __slots__ = ("address", "args", "index", "value")

    def __init__(self, index: int, address: str | None, args: tuple[ArgT, ...]) -> None:
        self.index = index  # the command it belongs to
        self.address = address  # None: run alone through the slow path
        self.args = args
        self.value: Any = None


class _Command:
    __slots__ = ("merge", "parts")

    def __init__(self, parts: list[_Part], merge: Callable[[list[Any]], Any] | None) -> None:
        self.parts = parts
        self.merge = merge  # None: one part, whose value is the command's


async def run_cluster_batch(
    cluster: ClusterExecutor, batch: Batch, *, transaction: bool
) -> list[object]:
    """Run ``batch`` on the cluster; see the module rules.

    Args:
        cluster: The cluster executor.
        batch: The queued commands.
        transaction: Run them as one MULTI/EXEC on one slot's primary.

    Returns:
        One value or error per command, in the caller's order.

    Raises:
        CrossSlotError: Keys span slots where they may not; nothing was sent.
    """
    if transaction:
        return await _run_transaction(cluster, batch)
    commands = [await _place(cluster, batch, i) for i in range(len(batch))]
    by_node: dict[str, list[_Part]] = {}
    alone: list[_Part] = []
    for command in commands:
        for part in command.parts:
            if part.address is None or part.address in cluster.topology.down:
                alone.append(part)
            else:
                by_node.setdefault(part.address, []).append(part)
    timeout = cluster.command_timeout
    nodes = list(by_node.items())
    deadline = None if timeout is None else time.monotonic() + timeout
    await asyncio.gather(
        *(_run_node(cluster, batch, address, parts, deadline) for address, parts in nodes),
        *(_run_alone(cluster, batch, part, deadline, None, None) for part in alone),
    )
    results: list[object] = []
    for index, command in enumerate(commands):
        values = [part.value for part in command.parts]
        if command.merge is None:
            results.append(values[0])
            continue
        try:
            raw = command.merge(values)
            parser = batch.parsers[index]
            results.append(raw if parser is None else parser(raw))
        except Exception as exc:  # a failed part, or a parser failure, fills the slot
            results.append(exc)
    return results


async def _keys_of(cluster: ClusterExecutor, meta: CommandMeta, args: tuple[ArgT, ...]) -> Any:
    keys, complete = routing_keys(meta, args)
    if complete:
        return keys
    return await cluster.random_primary()._execute(
        _m.COMMAND_GETKEYS, ("COMMAND", "GETKEYS", *args), None
    )


async def _place(cluster: ClusterExecutor, batch: Batch, index: int) -> _Command:
    meta, args = batch.metas[index], batch.args[index]
    keys = await _keys_of(cluster, meta, args)
    if keys:
        slot = slot_of_keys(meta, keys)
        if slot is not None:
            address = (
                route_address(cluster, meta, args, False) if complete_keys(meta, args) else None
            )
            return _Command([_Part(index, address, args)], None)
        split = split_by_slot(meta, args)
        parts = [_Part(index, route_address(cluster, meta, sub, False), sub) for _, sub, _ in split]
        if meta.response_policy is None:
            return _Command(parts, lambda values: reassemble(split, _raise_any(values)))
        return _Command(parts, lambda values: combine(meta, values, [str(s) for s, _, _ in split]))
    policy = meta.request_policy
    if policy is RequestPolicy.ALL_SHARDS or policy is RequestPolicy.ALL_NODES:
        nodes = cluster.topology_nodes("primaries" if policy is RequestPolicy.ALL_SHARDS else "all")
        parts = [_Part(index, node.address, args) for node in nodes]
        addresses = [node.address for node in nodes]
        return _Command(parts, lambda values: combine(meta, values, addresses))
    if policy is RequestPolicy.SPECIAL:
        return _Command([_Part(index, None, args)], None)  # SCAN: its own rule, alone
    # Keyless without a policy: any primary.
    address = cluster.topology_nodes("primaries")[0].address if cluster.topology.map else None
    return _Command([_Part(index, address, args)], None)


def complete_keys(meta: CommandMeta, args: tuple[ArgT, ...]) -> bool:
    """Whether the key specs locate all of the command's keys (else the server told us)."""
    return routing_keys(meta, args)[1]


def _raise_any(values: list[Any]) -> list[Any]:
    for value in values:
        if isinstance(value, BaseException):
            raise value
    return values


async def _run_node(
    cluster: ClusterExecutor,
    batch: Batch,
    address: str,
    parts: list[_Part],
    deadline: float | None,
) -> None:
    executor = cluster.registry.find(address)
    sub = Batch()
    sub.scripts = batch.scripts
    for part in parts:
        meta = batch.metas[part.index]
        parser = batch.parsers[part.index] if _alone_in_command(batch, part) else None
        sub.queue(meta, part.args, parser)
    try:
        if executor is None:
            raise ConnectFailedError(f"{address} is no longer part of the cluster", address=address)
        values = await executor.run_batch(sub, transaction=False)
    except (ConnectFailedError, ConnectTimeoutError) as exc:
        # Nothing was sent: every part may run again where the topology now says.
        cluster.topology.report_failure(address, exc)
        await _rerun_all(cluster, batch, parts, deadline, exc, address)
        return
    except ConnectionLostError as exc:
        cluster.topology.report_failure(address, exc)
        retry = [p for p in parts if batch.metas[p.index].is_readonly or not exc.may_have_executed]
        for part in parts:
            part.value = exc
        await _rerun_all(cluster, batch, retry, deadline, exc, address)
        return
    except RedisError as exc:
        for part in parts:
            part.value = exc
        return
    reruns: list[Any] = []
    for part, value in zip(parts, values, strict=True):
        part.value = value
        if isinstance(value, ServerError) and value.reroutable and _keyed(batch, part):
            reruns.append(_run_alone(cluster, batch, part, deadline, value, address))
    if reruns:
        await asyncio.gather(*reruns)


async def _rerun_all(
    cluster: ClusterExecutor,
    batch: Batch,
    parts: list[_Part],
    deadline: float | None,
    error: RedisError,
    origin: str,
) -> None:
    await asyncio.gather(*(_run_alone(cluster, batch, p, deadline, error, origin) for p in parts))


def _alone_in_command(batch: Batch, part: _Part) -> bool:
    # A part that is its command's only one gets the command's parser; parts of split or
    # fanned-out commands stay raw until they are combined.
    meta, args = batch.metas[part.index], batch.args[part.index]
    return part.args is args and meta.request_policy not in (
        RequestPolicy.ALL_SHARDS,
        RequestPolicy.ALL_NODES,
    )


def _keyed(batch: Batch, part: _Part) -> bool:
    keys, _ = routing_keys(batch.metas[part.index], part.args)
    return bool(keys)


async def _run_alone(
    cluster: ClusterExecutor,
    batch: Batch,
    part: _Part,
    deadline: float | None,
    error: RedisError | None,
    origin: str | None,
) -> None:
    meta = batch.metas[part.index]
    parser = batch.parsers[part.index] if _alone_in_command(batch, part) else None
    try:
        if not _keyed(batch, part):
            part.value = await cluster._execute(meta, part.args, parser)
        else:
            if isinstance(error, MovedError):
                cluster.topology.moved(error.slot, error.host or _host(origin), error.port)
            part.value = await run_slow(cluster, meta, part.args, parser, deadline, error, origin)
    except Exception as exc:  # the part's own failure is its value
        part.value = exc


async def _run_transaction(cluster: ClusterExecutor, batch: Batch) -> list[object]:
    slots: set[int] = set()
    for index in range(len(batch)):
        meta, args = batch.metas[index], batch.args[index]
        slots.update(key_slot(key) for key in await _keys_of(cluster, meta, args))
    if len(slots) > 1:
        shown = ", ".join(map(str, sorted(slots)[:8]))
        raise CrossSlotError(
            f"the keys of a transaction hash to {len(slots)} slots ({shown}); MULTI/EXEC runs "
            "on one node, so all its keys must share a slot: give them a common hash tag, e.g. "
            "{order:7}:items and {order:7}:total",
            code="CROSSSLOT",
            command="EXEC",
        )
    slot = slots.pop() if slots else None
    attempts = 0
    while True:
        node = cluster.topology.primary_of(slot) if slot is not None else None
        executor = cluster.registry.of(node) if node is not None else cluster.random_primary()
        try:
            return await executor.run_batch(batch, transaction=True)
        except ExecAbortError as exc:
            cause = exc.__cause__
            attempts += 1
            if attempts > cluster._max_redirects or not isinstance(
                cause, MovedError | AskError | TryAgainError
            ):
                raise
            batch.results = None
            if isinstance(cause, MovedError):
                cluster.counters.moved += 1
                cluster.topology.moved(cause.slot, cause.host or _host(cause.address), cause.port)
            else:
                # ASK or TRYAGAIN: the slot is migrating; the transaction runs once it is done.
                cluster.counters.retried += 1
                await asyncio.sleep(cluster._retry.delay(attempts))


def _host(address: str | None) -> str:
    return "" if address is None else address.rpartition(":")[0].strip("[]")
