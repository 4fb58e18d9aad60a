"""The cluster's slow path: redirects, transient states, failing nodes.

Rules this module keeps:

- Reached only on failure or when a slot's node is marked down: through each node
  executor's ``Reroute`` (``NodeReroute``) when an error reply or a failure arrives, or
  through a down node's stand-in table entry (``DownTarget``). The fast path never comes here.
- MOVED: the map is patched at once (``Topology.moved``, which also refreshes in the
  background) and the command retried where the map now says. ASK: ``ASKING`` and the command
  in one write to the named node, the map left alone. TRYAGAIN, CLUSTERDOWN, LOADING,
  MASTERDOWN, READONLY: a backoff (``Retry.delay``), then a retry; after LOADING or MASTERDOWN
  from a replica, reads go to the primary (``read_from="replica"``: to another replica, or the
  same again). A lost connection (of a command that may run again) or a failed connect marks
  the node down; callers then wait for a new map or for the node to answer a probe, in slices,
  re-routing after each. Under ``read_from="replica"`` a read whose shard has no replica left
  fails as the read table's ``NoReplica`` entry does: it never falls back to the primary.
- At most ``max_redirects`` redirects per call. Nothing waits past the caller's deadline
  (``command_timeout``: ``CommandTimeoutError`` chained from the last failure, with
  ``may_have_executed`` False unless an attempt, of a read, was written); without one,
  waiting for the topology ends after ``failover_timeout`` with the last failure itself.
  An attempt that follows a failure has only what is left of the deadline: if it times
  out, its node is not marked failing (it may be answering, as a loading replica does once
  per pass of its load), and the error is chained from that earlier failure.
- Keyless commands are never moved by a reroute: a fanned-out part belongs to its node (a
  fan-out's departed replicas: ``_departed``).
"""

# pyright: reportPrivateUsage=false
# (The slow path is the cluster executor's own, split off for size; it reads the topology's
# patches and calls node executors through the seam.)

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._router import routing_keys
from redis_oxide._cluster._slots import ClusterMember
from redis_oxide._command import ArgT, CommandMeta, ReplyParser
from redis_oxide._exceptions import (
    AskError,
    ClusterDownError,
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionClosedError,
    ConnectionLostError,
    ConnectTimeoutError,
    LoadingError,
    MasterDownError,
    MovedError,
    ReadOnlyError,
    RedisError,
    ServerError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import key_slot
from redis_oxide._protocol import encode_command
from redis_oxide._raw_commands import blocks_with

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = [
    "DownTarget",
    "NoReplica",
    "NodeReroute",
    "follow_redirects",
    "host_of",
    "route_address",
    "run_slow",
]

T = TypeVar("T")

_ASKING = encode_command(("ASKING",))
_LOST = (ConnectionLostError, ConnectFailedError, ConnectTimeoutError)
# Wait for a new map (or a probe) in slices of this much, re-checking the route in between.
_WAIT_SLICE = 1.0


def route_address(
    cluster: ClusterExecutor,
    meta: CommandMeta,
    args: Sequence[ArgT],
    to_primary: bool,
    *,
    replica_only: bool = False,
    avoid: str | None = None,
) -> str | None:
    """The address a keyed command goes to now: a MOVED patch, else the map's choice (for a
    replica read, one other than ``avoid`` if the shard has another).

    Raises:
        ConnectFailedError: ``replica_only`` and ``read_from="replica"``: a read whose shard
            has no replica left (as the read table's ``NoReplica`` entry does).
    """
    keys, _ = routing_keys(meta, args)
    slot = key_slot(keys[0])
    topology = cluster.topology
    patched = topology._patches.get(slot)
    if patched is not None:
        return patched[0]
    shard = None if topology.map is None else topology.map.shard_of(slot)
    if shard is None:
        return None
    if not to_primary and meta.is_readonly and topology._read_from != "primary":
        replicas = [r for r in shard.replicas if r.address not in topology.down]
        if avoid is not None and len(replicas) > 1:
            replicas = [r for r in replicas if r.address != avoid] or replicas
        if replicas:
            return random.choice(replicas).address
        if replica_only and topology._read_from == "replica":
            raise no_replica_error(meta)
    return shard.primary.address


async def run_slow(
    cluster: ClusterExecutor,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    parser: ReplyParser[T] | None,
    deadline: float | None,
    error: RedisError | None,
    origin: str | None,
) -> T:
    counters = cluster.counters
    topology = cluster.topology
    wait_until = deadline if deadline is not None else time.monotonic() + cluster._failover_timeout
    redirects = retries = 0
    to_primary = False
    avoid: str | None = None  # the replica that answered LOADING or MASTERDOWN last
    last = error  # the latest failure, for the error a caller gets in the end
    # An attempt may have run: only a read is re-run after its written bytes were lost.
    written = isinstance(error, ConnectionLostError) and error.may_have_executed
    while True:
        ask: str | None = None
        # Each failure is acted on once, when it arrives.
        if isinstance(error, MovedError | AskError):
            redirects += 1
            if redirects > cluster._max_redirects:
                raise error
            host = error.host or host_of(origin)
            if isinstance(error, AskError):
                counters.redirected("ASK", host, error.port)
                ask = ClusterMember(host, error.port).address
                cluster.registry.get(host, error.port)
            else:
                counters.redirected("MOVED", host, error.port)
                topology.moved(error.slot, host, error.port)
        elif isinstance(error, ServerError):
            retries += 1
            counters.retried += 1
            if isinstance(error, ClusterDownError | ReadOnlyError | MasterDownError):
                topology.request_refresh()
            if isinstance(error, LoadingError | MasterDownError):
                if topology._read_from == "replica":  # never the primary
                    avoid = origin
                else:
                    to_primary = True
            await _pause(cluster, retries, wait_until)
        elif error is not None and origin is not None:
            counters.rerouted += 1
            topology.report_failure(origin, error)
        error = None
        if topology.closed:
            raise ConnectionClosedError(f"{meta.name}: the cluster client is closed")
        if time.monotonic() >= wait_until:
            if last is None or deadline is not None:
                raise _timed_out(meta, cluster.command_timeout, origin, last, written)
            raise last
        try:
            address = ask or route_address(
                cluster, meta, args, to_primary, replica_only=True, avoid=avoid
            )
        except ConnectFailedError as exc:
            raise exc from last  # the replica it met was its shard's last one
        executor = None if address is None else cluster.registry.find(address)
        if address is None or executor is None or address in topology.down:
            # No node serves the slot yet, or it is down: a new map, or the node answering
            # a probe, ends the wait (at most a slice of it; the route is then looked at again).
            await _wait_for_node(cluster, address if executor is not None else None, wait_until)
            continue
        remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
        try:
            if ask is not None:
                return await asking(executor, meta, args, parser, remaining)
            result: T = await executor.strategy.execute(
                meta, args, parser, remaining, blocking=blocks_with(meta, args)
            )
            return result
        except ServerError as exc:
            if not exc.reroutable:
                raise
            error, origin = exc, address
        except ConnectionLostError as exc:
            if exc.may_have_executed and not meta.is_readonly:
                topology.report_failure(address, exc)
                raise
            written = written or exc.may_have_executed
            error, origin = exc, address
        except (ConnectFailedError, ConnectTimeoutError) as exc:
            error, origin = exc, address
        except CommandTimeoutError as exc:
            if last is not None:  # the deadline's remainder ran out, not the node's time
                written = written or exc.may_have_executed
                raise _timed_out(meta, cluster.command_timeout, address, last, written) from last
            topology.report_failure(address, exc)
            if written and not exc.may_have_executed:
                exc.may_have_executed = True
                exc.add_note("an earlier attempt was written before its connection was lost")
            raise
        last = error


async def _pause(cluster: ClusterExecutor, retries: int, wait_until: float) -> None:
    delay = min(cluster._retry.delay(retries), max(0.0, wait_until - time.monotonic()))
    await asyncio.sleep(delay)


async def _wait_for_node(cluster: ClusterExecutor, address: str | None, wait_until: float) -> None:
    # A new map, or the node answering a probe, whichever comes first.
    waits: set[asyncio.Future[Any]] = {cluster.topology.changed()}
    if address is not None:
        waits.add(cluster.topology.probe(address))
    else:
        cluster.topology.request_refresh()
    timeout = min(_WAIT_SLICE, max(0.0, wait_until - time.monotonic()))
    await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)


class NodeReroute:
    """The ``Reroute`` of one node's executor: hands keyed commands to the cluster's slow path."""

    __slots__ = ("_address", "_cluster")

    def __init__(self, cluster: ClusterExecutor, address: str) -> None:
        self._cluster = cluster
        self._address = address

    def __call__(
        self,
        error: RedisError,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any] | None:
        cluster = self._cluster
        if isinstance(error, CommandTimeoutError):
            cluster.topology.report_failure(self._address, error)
            return None
        keys, complete = routing_keys(meta, args)
        if not keys or not complete:
            if isinstance(error, MovedError | AskError):
                # The server routes it by a key the specs do not show (a module command
                # whose spec lacks key specs): its redirect is the authority.
                return follow_redirects(
                    cluster, meta, tuple(args), parser, deadline, error, self._address
                )
            if isinstance(error, _LOST):
                cluster.topology.report_failure(self._address, error)
            return None  # keyless: it belongs to this node
        if isinstance(error, MovedError):
            cluster.topology.moved(error.slot, error.host or host_of(self._address), error.port)
        return run_slow(cluster, meta, tuple(args), parser, deadline, error, self._address)


async def follow_redirects(
    cluster: ClusterExecutor,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    parser: ReplyParser[T] | None,
    deadline: float | None,
    error: MovedError | AskError,
    origin: str,
) -> T:
    """Run a command where its redirects say, up to ``max_redirects`` of them.

    For commands whose keys the key specs do not show, so the map cannot place them.

    Raises:
        MovedError: The redirect limit ran out (or AskError).
    """
    for _ in range(cluster._max_redirects):
        host = error.host or host_of(origin)
        executor = cluster.registry.get(host, error.port)
        remaining = None if deadline is None else max(0.001, deadline - time.monotonic())
        try:
            if isinstance(error, AskError):
                cluster.counters.redirected("ASK", host, error.port)
                return await asking(executor, meta, args, parser, remaining)
            cluster.counters.redirected("MOVED", host, error.port)
            cluster.topology.moved(error.slot, host, error.port)
            result: T = await executor.strategy.execute(
                meta, args, parser, remaining, blocking=blocks_with(meta, args)
            )
            return result
        except (MovedError, AskError) as exc:
            error, origin = exc, executor.strategy.address
    raise error


class DownTarget:
    """The table entry of a node marked down: its callers take the slow path and wait."""

    __slots__ = ("_address", "_cluster")

    def __init__(self, cluster: ClusterExecutor, address: str) -> None:
        self._cluster = cluster
        self._address = address

    @property
    def address(self) -> str:
        """The down node's address."""
        return self._address

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        cluster = self._cluster
        deadline = None if meta.is_blocking else cluster._deadline()
        return run_slow(cluster, meta, args, parser, deadline, None, self._address)


class NoReplica:
    """The read table entry of a shard without a replica under ``read_from="replica"``."""

    __slots__ = ()

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        raise no_replica_error(meta)


def no_replica_error(meta: CommandMeta) -> ConnectFailedError:
    """What a read gets under ``read_from="replica"`` when its shard has no replica left."""
    return ConnectFailedError(
        f"{meta.name}: the shard serving its slot has no replica, and the client reads "
        'from replicas only (read_from="replica")',
        command=meta.name,
    )


async def asking(
    executor: NodeExecutor,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    parser: ReplyParser[T] | None,
    reply_timeout: float | None,
) -> T:
    # ASKING and the command in one write, on one connection: the flag holds for the next
    # command of that connection only.
    strategy = executor.strategy
    data = _ASKING + encode_command(args)
    binary = [1] if meta.binary_reply else []
    lease = None
    conn = None if blocks_with(meta, args) else strategy.ready_connection()
    if conn is None and not blocks_with(meta, args):
        conn = await strategy.shared_connection(reply_timeout)
    if conn is None:
        lease = await strategy.lease()
        conn = lease.connection
    try:
        replies = await conn.send_batch(
            data, [None, parser], [_m.ASKING, meta], reply_timeout, binary
        )
    finally:
        if lease is not None:
            lease.release()
    value = replies[1]
    if isinstance(value, BaseException):
        raise value
    result: T = value
    return result


def host_of(address: str | None) -> str:
    return "" if address is None else address.rpartition(":")[0].strip("[]")


def _timed_out(
    meta: CommandMeta,
    timeout: float | None,
    origin: str | None,
    cause: RedisError | None,
    written: bool,
) -> CommandTimeoutError:
    # ``written``: an attempt may have run; else none was sent or all were refused unrun.
    within = "the cluster's failover_timeout" if timeout is None else f"command_timeout={timeout} s"
    error = CommandTimeoutError(
        f"{meta.name} did not complete within {within}"
        + (f" (last: {cause})" if cause is not None else "")
        + ("; it may have run" if written else "; it did not run"),
        may_have_executed=written,
        command=meta.name,
        address=origin,
    )
    error.__cause__ = cause
    return error
