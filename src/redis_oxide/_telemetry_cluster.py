"""Telemetry on a cluster client: node spans, call spans over several nodes, redirects.

Rules this module keeps:

- Nothing here exists while telemetry is off: ``traced_nodes`` returns the factory it is
  given and ``instrument_cluster`` the executor, so the cluster's fast path is byte for byte
  the one without telemetry.
- With telemetry on, every node's executor is a ``TracedNode``: a ``ServerExecutor`` of the
  node whose ``_execute``, ``run_batch`` and ``lease`` are a ``TracedExecutor``'s, bound once
  when the node is made (no frame per command). Each physical call to a node has its span
  and its duration point with the node's ``server.address``/``server.port`` and its pool's
  gauges: one span for a GET, the node it went to named. A node with a client-side cache is
  traced under its cache: what reaches the node (a miss, on the tracking connection; a
  write; a batch) has its span, a hit has none.
- A call that spans nodes (a split MGET/MSET/DEL, a fan-out by policy, a pipeline, a
  transaction) also has one span for the whole call, without ``server.*`` (several nodes):
  the node spans are its children. Only the node spans record durations, so a command's
  time is counted once, per node.
- A redirect followed (MOVED, ASK) adds to ``redis.client.redirects`` with the node it
  sends the command to, and moves the command's span to that node (its ``server.*``).
- A call's span carries ``db.query.text`` as a node's span would (``Telemetry.statement``);
  a batch whose commands failed ends its span with the first failure, which ``execute()``
  raises. Otherwise only names, addresses and counts are recorded: never a reply.
"""

# pyright: reportPrivateUsage=false
# (The traced node shares its plain twin's retry and reroute; the cluster's own methods are
# wrapped at build time, as ``TracedExecutor`` wraps a server executor's failure hooks.)

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from redis_oxide._cache import CachingExecutor
from redis_oxide._cluster import ClusterExecutor, ClusterMember, ExecutorFactory
from redis_oxide._cluster._executor import ClusterCounters
from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._router import Part as SplitPart
from redis_oxide._command import ArgT, CommandMeta, ReplyParser
from redis_oxide._executor import Reroute, ServerExecutor
from redis_oxide._pool._batch import Batch
from redis_oxide._telemetry import (
    Instruments,
    Telemetry,
    batch_name,
    batch_text,
    error_type,
    instruments_for,
    server_attributes,
    statement_text,
)
from redis_oxide._telemetry_executor import TracedExecutor

if TYPE_CHECKING:
    from opentelemetry.trace import Span

__all__ = ["TracedNode", "instrument_cluster", "traced_cache", "traced_nodes"]

T = TypeVar("T")

_SYSTEM = {"db.system.name": "redis"}


class TracedNode(ServerExecutor):
    """A cluster node's executor whose commands, batches and leases are traced.

    It shares the plain executor's strategy (its connections), retry and reroute; commands
    go through a ``TracedExecutor`` around the plain one.

    Args:
        plain: The node's executor as the client options make it.
        instruments: The tracer and metrics to report to.
        db: The database index (``db.namespace``), None for a cluster node.
    """

    # No __slots__: _execute, run_batch and lease are instance attributes (module rules).

    def __init__(
        self, plain: ServerExecutor, instruments: Instruments, db: int | None = None
    ) -> None:
        super().__init__(
            plain.strategy,
            retry=plain._retry,
            command_timeout=plain.command_timeout,
            reroute=plain._reroute,
        )
        self._plain = plain
        self._notices = plain._notices  # a view's version keeps its view's rule (``_executor``)
        self._instruments = instruments
        self._db = db
        instruments.metrics.watch_pool(plain.strategy, db)
        traced = TracedExecutor(plain, instruments, plain.strategy, db, redirected=True)
        # Bound once: the cluster's fast path calls the traced executor with no frame between.
        self._execute = traced._execute  # type: ignore[method-assign]  # see module rules
        self.run_batch = traced.run_batch  # type: ignore[method-assign]  # see module rules
        self.lease = traced.lease  # type: ignore[method-assign]  # see module rules

    def with_timeout(self, command_timeout: float | None) -> ServerExecutor:
        """Return a traced executor sharing this one's strategy with another timeout.

        Args:
            command_timeout: Seconds each non-blocking command waits; None waits
                indefinitely.

        Returns:
            The new executor (a client view's version of this node).
        """
        return TracedNode(self._plain.with_timeout(command_timeout), self._instruments, self._db)


def traced_nodes(factory: ExecutorFactory, telemetry: Telemetry | None) -> ExecutorFactory:
    """The node executor factory of a cluster client: ``factory`` itself with telemetry off.

    Args:
        factory: Makes a node's plain executor.
        telemetry: The client's setting; None when telemetry is off.

    Returns:
        A factory whose executors are ``TracedNode``s when telemetry is on.
    """
    if telemetry is None:
        return factory
    instruments = instruments_for(telemetry)

    def make(host: str, port: int, reroute: Reroute) -> NodeExecutor:
        return _traced(factory(host, port, reroute), instruments)

    return make


def _traced(node: NodeExecutor, instruments: Instruments) -> NodeExecutor:
    if not isinstance(node, CachingExecutor):
        return TracedNode(node, instruments)
    return _under_cache(node, instruments, None)


def traced_cache(node: CachingExecutor, telemetry: Telemetry, db: int | None) -> CachingExecutor:
    """Return ``node`` with telemetry beneath its cache: a hit has no span (module rules).

    Args:
        node: A client's (or a cluster node's) cache in front of its executor.
        telemetry: The client's setting.
        db: The database index (``db.namespace``), None for a cluster node.

    Returns:
        An executor sharing ``node``'s cache and connections, whose calls to the server
        (misses, writes, batches, everything the cache passes on) are traced.
    """
    return _under_cache(node, instruments_for(telemetry), db)


def _under_cache(
    node: CachingExecutor, instruments: Instruments, db: int | None
) -> CachingExecutor:
    # As CachingExecutor.with_timeout rebuilds its inner ones. Misses go through the traced
    # executor of the tracking connection, not straight onto the connection (``_direct``).
    twin = copy.copy(node)
    twin._inner = inner = TracedNode(node._inner, instruments, db)
    twin._tracked = tracked = TracedNode(node._tracked, instruments, db)
    twin._inner_execute = inner._execute
    twin._tracked_execute = tracked._execute
    twin._direct = False
    return twin


class _RedirectCounters(ClusterCounters):
    """Counters that also report each redirect to the metrics and the command's span."""

    __slots__ = ("_ins", "_trace")

    def __init__(self, instruments: Instruments, counted: ClusterCounters) -> None:
        super().__init__()
        from opentelemetry import trace

        self._ins = instruments
        self._trace = trace
        self.moved, self.asked = counted.moved, counted.asked
        self.retried, self.rerouted = counted.retried, counted.rerouted

    def redirected(self, kind: str, host: str, port: int) -> None:
        super().redirected(kind, host, port)
        where = server_attributes(ClusterMember(host, port).address, None)
        ins = self._ins
        ins.metrics.redirects.add(1, {**where, "redis.redirect.type": kind})
        # The redirect runs with the command's span current (TracedExecutor's failure hook):
        # the command is served by the node it is sent to now. Its duration point is recorded
        # when it ends, by the traced executor that holds ``moved``.
        span = self._trace.get_current_span()
        if span.is_recording():
            span.set_attributes(where)
        moved = ins.get_value(ins.rerun_key)
        if isinstance(moved, dict):
            cast("dict[str, Any]", moved).update(where)


class _CallSpans:
    """The span of a call over several nodes, around the cluster's own method."""

    __slots__ = ("_ins",)

    def __init__(self, instruments: Instruments) -> None:
        self._ins = instruments

    async def around(
        self,
        name: str,
        extra: dict[str, Any],
        work: Awaitable[T],
        failure: Callable[[T], BaseException | None] | None = None,
    ) -> T:
        ins = self._ins
        span: Span = ins.tracer.start_span(
            name,
            kind=ins.client_kind,
            attributes={**_SYSTEM, "db.operation.name": name, **extra},
            record_exception=False,
            set_status_on_exception=False,
        )
        token = ins.attach(ins.in_context(span))
        try:
            value = await work
            failed = None if failure is None else failure(value)
            if failed is not None:
                self._failed(span, failed)
        except BaseException as exc:
            self._failed(span, exc)
            raise
        finally:
            ins.detach(token)
            span.end()
        return value

    def _failed(self, span: Span, error: BaseException) -> None:
        kind, code = error_type(error)
        span.set_attribute("error.type", kind)
        if code is not None:
            span.set_attribute("db.response.status_code", code)
        span.set_status(self._ins.error_status)


def _first_failure(results: list[object]) -> BaseException | None:
    # ``execute()`` raises a batch's first failed command's error: the call failed.
    return next((r for r in results if isinstance(r, BaseException)), None)


def instrument_cluster(cluster: ClusterExecutor, telemetry: Telemetry | None) -> ClusterExecutor:
    """Give ``cluster`` its call spans and redirect counts when telemetry is on.

    Its nodes are traced by ``traced_nodes`` (the factory it was built with); here its split
    commands, fan-outs and batches get a span for the whole call, and its counters report
    redirects.

    Args:
        cluster: The cluster client's executor, before its first command.
        telemetry: The client's setting; None when telemetry is off.

    Returns:
        ``cluster`` itself (changed in place when telemetry is on).
    """
    if telemetry is None:
        return cluster
    instruments = instruments_for(telemetry)
    spans = _CallSpans(instruments)
    split, fan_out, run_batch = cluster._split, cluster.fan_out, cluster.run_batch
    mode = telemetry.statement

    def text(meta: CommandMeta, args: tuple[ArgT, ...]) -> dict[str, Any]:
        # As a node's span has it (``Telemetry.statement``).
        return {} if mode == "off" else {"db.query.text": statement_text(meta, args, mode)}

    def traced_split(
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: ReplyParser[T] | None,
        parts: list[SplitPart] | None = None,
    ) -> Awaitable[T]:
        return spans.around(meta.name, text(meta, args), split(meta, args, parser, parts))

    def traced_fan_out(
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: ReplyParser[T] | None,
        nodes: Sequence[ClusterMember],
    ) -> Awaitable[T]:
        return spans.around(meta.name, text(meta, args), fan_out(meta, args, parser, nodes))

    def traced_batch(batch: Batch, *, transaction: bool) -> Awaitable[list[object]]:
        extra: dict[str, Any] = {}
        if len(batch) > 1:
            extra["db.operation.batch.size"] = len(batch)
        if mode != "off":
            extra["db.query.text"] = batch_text(batch, mode)
        name = batch_name(batch.metas, transaction)
        return spans.around(name, extra, run_batch(batch, transaction=transaction), _first_failure)

    wrapped: dict[str, Callable[..., Any]] = {
        "_split": traced_split,
        "fan_out": traced_fan_out,
        "run_batch": traced_batch,
    }
    for attribute, function in wrapped.items():
        setattr(cluster, attribute, function)
    if not isinstance(cluster.counters, _RedirectCounters):  # a view shares the root's
        cluster.counters = _RedirectCounters(instruments, cluster.counters)
    return cluster
