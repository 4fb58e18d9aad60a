"""The traced executor: a span and a duration point per command, pipeline and transaction.

Rules this module keeps:

- ``TracedExecutor`` wraps any executor and implements the same ``Executor`` protocol; a
  client binds it only while telemetry is on, so the hot path with telemetry off is the
  wrapped executor's own.
- A span starts in the caller's context when the command is issued (so it is a child of
  the caller's span, across the multiplexer) and ends when the caller has the reply: the
  command is sent at once, and the awaitable returned is a coroutine around its future (a
  done callback would cost a loop callback per command, more than the coroutine). A slow
  path (connecting, blocking commands, cluster fan-out) runs with the span current, so
  spans below it (a node's command, a redirect) are its children.
- A command the wrapped ``ServerExecutor`` takes over after a failure (a lost connection,
  a reroutable error such as MOVED or READONLY) is re-run with its span current, so what
  the re-run records is a child of it, and the span gets a ``redis.rerun`` event. The
  executor's failure hooks are wrapped for that; the span of a command in flight is found
  by its future (a dict entry per command, pruned of finished ones as it grows).
- A command the slow path re-runs (a pooled strategy's, a connecting one) runs with its
  span current already: ``ServerExecutor.rerun_notice`` adds the event to the current span.
- A span and its duration point name the server the command ran on, settled when it ends:
  the node a cluster redirect sent it to (written into the re-run's context), or the
  executor's address then (a Sentinel client's first command is issued before the primary
  is known). The common case pays one attribute read for it.
- Attributes follow OpenTelemetry's database conventions for Redis. A failure sets
  ``error.type`` (the server's error code, or the exception class) and the span status,
  never the error's message: Redis echoes arguments in some messages.
- ``db.query.text`` only with ``Telemetry(statement=...)``: ``"redacted"`` keeps the
  command name and its keys, ``"full"`` the arguments, except for commands that carry
  credentials, which are always redacted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from time import time_ns
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser
from redis_oxide._connection import FailureHook
from redis_oxide._exceptions import CommandTimeoutError, RedisError
from redis_oxide._executor import Executor, ServerExecutor
from redis_oxide._pool import ConnectionStrategy, Lease
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

if TYPE_CHECKING:
    from opentelemetry.context import Context
    from opentelemetry.trace import Span

__all__ = ["Instrumentable", "TracedExecutor", "instrument"]

T = TypeVar("T")

# Entries of the in-flight map before the first pruning (module rules).
_PRUNE_AT = 4096


class _Where(Protocol):
    """Where a wrapped executor's commands go, for ``server.*`` attributes."""

    @property
    def address(self) -> str: ...


class TracedExecutor:
    """Reports every command and batch of ``inner`` to OpenTelemetry.

    Args:
        inner: The executor that runs the commands.
        instruments: The tracer and metrics to report to.
        where: Tells the server address (read per command: a Sentinel client moves).
        db: The database index (``db.namespace``), None for a cluster.
        redirected: A cluster node's: a redirect may send its commands to another node.
    """

    __slots__ = (
        "_address",
        "_attributes",
        "_current",
        "_db",
        "_in_flight",
        "_inner",
        "_ins",
        "_metrics",
        "_plain",
        "_prune_at",
        "_record",
        "_redirected",
        "_reruns",
        "_start_span",
        "_where",
    )

    def __init__(
        self,
        inner: Executor,
        instruments: Instruments,
        where: _Where,
        db: int | None,
        *,
        redirected: bool = False,
    ) -> None:
        self._inner = inner
        self._ins = instruments
        self._metrics = instruments.metrics
        self._where = where
        self._db = db
        self._address = ""
        # Attributes per operation name for the current address (spans and the duration).
        self._attributes: dict[str, dict[str, Any]] = {}
        # The span of each fast-path command in flight, by its future (module rules).
        self._in_flight: dict[asyncio.Future[Any], Span] = {}
        # Fast-path commands taken over by a re-run, with where a cluster redirect sent them
        # (empty until one does): their duration point names the server they ran on.
        self._reruns: dict[asyncio.Future[Any], dict[str, Any]] = {}
        self._prune_at = _PRUNE_AT
        # Looked up once: the per-command path calls them with no attribute walk.
        self._start_span = instruments.tracer.start_span
        self._current = instruments.current
        self._record = instruments.metrics.duration.record
        self._plain = instruments.telemetry.statement == "off"
        self._redirected = redirected
        if isinstance(inner, ServerExecutor):
            read, write = inner._hook_read, inner._hook_write  # pyright: ignore[reportPrivateUsage]
            inner._hook_read = partial(self._offered, read)  # pyright: ignore[reportPrivateUsage]
            inner._hook_write = partial(self._offered, write)  # pyright: ignore[reportPrivateUsage]
            inner.rerun_notice = self._rerun_event

    @property
    def inner(self) -> Executor:
        """The executor whose commands are reported."""
        return self._inner

    @property
    def command_timeout(self) -> float | None:
        """Seconds each non-blocking command waits for its reply; None waits indefinitely."""
        return self._inner.command_timeout

    def _attributes_of(self, name: str) -> dict[str, Any]:
        address = self._where.address
        if address is not self._address:
            self._address = address
            self._attributes = {}
        found = self._attributes.get(name)
        if found is None:
            found = server_attributes(address, self._db)
            found["db.operation.name"] = name
            self._attributes[name] = found
        return found

    def _start(self, name: str, attributes: dict[str, Any], started: int) -> Span:
        # Positional: (name, context, kind, attributes, links, start_time, record_exception,
        # set_status_on_exception), the API's order; keywords cost a dict per call.
        return self._start_span(
            name, None, self._ins.client_kind, attributes, None, started, False, False
        )

    # -- one command -------------------------------------------------------------------------

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        # The per-command path with telemetry on; _start is inlined (a frame per command).
        name = meta.name
        attributes = self._attributes.get(name) if self._where.address is self._address else None
        if attributes is None:
            attributes = self._attributes_of(name)
        # One clock read starts both the span (its start_time) and the duration; the caller's
        # context is read once, for the span's parent and the duration's exemplar (the SDK
        # would read it in start_span, in its sampler and in record).
        started = time_ns()
        context = self._current()
        span = self._start_span(
            name,
            context,
            self._ins.client_kind,
            attributes if self._plain else self._with_text(attributes, meta, args),
            None,
            started,
            False,
            False,
        )
        try:
            result = self._inner._execute(meta, args, parser)  # pyright: ignore[reportPrivateUsage]
        except BaseException as exc:  # refused before sending (bad argument, closed client)
            self._end(span, started, attributes, exc)
            raise
        if isinstance(result, asyncio.Future):
            in_flight = self._in_flight
            in_flight[result] = span
            if len(in_flight) > self._prune_at:
                self._prune()
            return self._reply(result, span, started, attributes, context)
        return self._slow(result, span, started, attributes)

    def _with_text(
        self, attributes: dict[str, Any], meta: CommandMeta, args: tuple[ArgT, ...]
    ) -> dict[str, Any]:
        text = statement_text(meta, args, self._ins.telemetry.statement)
        return {**attributes, "db.query.text": text}

    def _prune(self) -> None:
        # Entries of awaitables nobody awaited; the bound grows with what is really in flight.
        in_flight = {f: s for f, s in self._in_flight.items() if not f.done()}
        self._in_flight = in_flight
        self._reruns = {f: w for f, w in self._reruns.items() if not f.done()}
        self._prune_at = max(_PRUNE_AT, 2 * len(in_flight))

    def _settled(
        self, span: Span, attributes: dict[str, Any], moved: dict[str, Any] | None
    ) -> dict[str, Any]:
        # The attributes of the server a command ran on, once it ran: the node a cluster
        # redirect sent it to (the redirect moved the span itself), else the executor's
        # address now, which a Sentinel client learns on its first connect (the command was
        # issued before) and changes on a failover.
        if moved:
            return {**attributes, **moved}
        now = self._attributes_of(attributes["db.operation.name"])
        if now is not attributes:
            span.set_attributes(now)
        return now

    def _offered(
        self,
        hook: FailureHook,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool:
        # The wrapped executor's failure hook, run with the command's span current: the
        # re-run task it may start copies that context.
        span = self._in_flight.get(future)
        if span is None:
            return hook(future, args, parser, meta, deadline, error)
        ins = self._ins
        moved: dict[str, Any] = {}
        token = ins.attach(ins.set_value(ins.rerun_key, moved, ins.in_context(span)))
        try:
            taken = hook(future, args, parser, meta, deadline, error)
        finally:
            ins.detach(token)
        if taken:
            self._reruns[future] = moved
            span.add_event("redis.rerun", {"error.type": error_type(error)[0]})
        return taken

    def _rerun_event(self, error: RedisError) -> None:
        # ``ServerExecutor.rerun_notice``: the slow path runs with the command's span current.
        span = self._ins.current_span()
        if span.is_recording():
            span.add_event("redis.rerun", {"error.type": error_type(error)[0]})

    async def _reply(
        self,
        future: asyncio.Future[T],
        span: Span,
        started: int,
        attributes: dict[str, Any],
        context: Context,
    ) -> T:
        # The fast path's future, awaited in the caller's task: ending the span needs no
        # done callback (which would cost a loop callback per command).
        try:
            value = await future
        except BaseException as exc:
            if self._reruns:
                attributes = self._settled(span, attributes, self._reruns.pop(future, None))
            self._end(span, started, attributes, exc)
            raise
        finally:
            self._in_flight.pop(future, None)
        # _end's success path, inlined: the common case pays no frame for it. One clock
        # read ends both the span and the duration.
        ended = time_ns()
        if self._reruns:  # empty unless a command was re-run: one attribute read
            attributes = self._settled(span, attributes, self._reruns.pop(future, None))
        self._record((ended - started) / 1e9, attributes, context)
        span.end(ended)
        return value

    async def _slow(
        self, work: Awaitable[T], span: Span, started: int, attributes: dict[str, Any]
    ) -> T:
        ins = self._ins
        context = ins.in_context(span)
        moved: dict[str, Any] | None = None
        if self._redirected:  # a redirect during the run writes where it sent the command
            moved = {}
            context = ins.set_value(ins.rerun_key, moved, context)
        token = ins.attach(context)
        try:
            value = await work
        except BaseException as exc:
            self._end(span, started, self._settled(span, attributes, moved), exc)
            raise
        finally:
            ins.detach(token)
        self._end(span, started, self._settled(span, attributes, moved), None)
        return value

    def _end(
        self, span: Span, started: int, attributes: dict[str, Any], error: BaseException | None
    ) -> None:
        ended = time_ns()
        if error is not None:
            attributes = self._failed(span, attributes, error)
        self._record((ended - started) / 1e9, attributes)
        span.end(ended)

    def _failed(
        self, span: Span, attributes: dict[str, Any], error: BaseException
    ) -> dict[str, Any]:
        kind, code = error_type(error)
        failed = {**attributes, "error.type": kind}
        if code is not None:
            failed["db.response.status_code"] = code
        span.set_attributes(failed)
        span.set_status(self._ins.error_status)
        metrics = self._metrics
        if isinstance(error, CommandTimeoutError):
            metrics.timeouts.add(1, attributes)
        if not isinstance(error, asyncio.CancelledError):
            metrics.errors.add(1, failed)
        return failed

    # -- batches and leases ------------------------------------------------------------------

    async def run_batch(self, batch: Batch, *, transaction: bool) -> list[object]:
        """Run a batch through the wrapped executor inside one span.

        Args:
            batch: The queued commands.
            transaction: Wrap them in MULTI/EXEC.

        Returns:
            One value or error per command.
        """
        return await self.observe_batch(
            batch, transaction, self._inner.run_batch(batch, transaction=transaction)
        )

    async def observe_batch(
        self, batch: Batch, transaction: bool, run: Awaitable[list[object]]
    ) -> list[object]:
        """Await ``run``, the replies of ``batch``, inside one span (``BatchObserver``).

        Args:
            batch: The commands.
            transaction: Whether they run in MULTI/EXEC.
            run: Their run, not awaited yet.

        Returns:
            One value or error per command.
        """
        name = batch_name(batch.metas, transaction)
        attributes = self._attributes_of(name)
        span_attributes = dict(attributes)
        if len(batch) > 1:
            span_attributes["db.operation.batch.size"] = len(batch)
        mode = self._ins.telemetry.statement
        if mode != "off":
            span_attributes["db.query.text"] = batch_text(batch, mode)
        started = time_ns()
        span = self._start(name, span_attributes, started)
        ins = self._ins
        token = ins.attach(ins.in_context(span))
        try:
            results = await run
        except BaseException as exc:
            self._end(span, started, self._settled(span, attributes, None), exc)
            raise
        finally:
            ins.detach(token)
        attributes = self._settled(span, attributes, None)
        first = self._metrics.count_slot_errors(results, self._attributes_of)
        if first is not None:
            # ``execute()`` raises the first failed command's error (``raise_on_error``):
            # the batch failed. Its commands' errors are counted already, one by one.
            kind, code = error_type(first)
            attributes = {**attributes, "error.type": kind}
            if code is not None:
                attributes["db.response.status_code"] = code
            span.set_attributes(attributes)
            span.set_status(ins.error_status)
        ended = time_ns()
        self._record((ended - started) / 1e9, attributes)
        span.end(ended)
        return results

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a dedicated connection from the wrapped executor.

        A transaction's EXEC on the lease is reported as a batch (its ``observer``); the
        other commands sent on a lease are not traced.

        Args:
            keys: The keys the lease is for.

        Returns:
            The lease.
        """
        lease = await self._inner.lease(keys)
        lease.observer = self
        return lease


class Instrumentable(Executor, Protocol):
    """An executor ``instrument`` can wrap: it names its strategy (a server's executor, or
    the cache in front of one)."""

    @property
    def strategy(self) -> ConnectionStrategy:
        """The strategy whose connections the executor uses."""
        ...


def instrument(server: Instrumentable, telemetry: Telemetry | None, db: int | None) -> Executor:
    """What a client runs commands on: ``server`` itself, or, with telemetry on, ``server``
    wrapped in a ``TracedExecutor`` whose pool is observed by the metrics.

    Args:
        server: The client's (or a cluster node's) executor.
        telemetry: The client's setting; None when telemetry is off.
        db: The database index (``db.namespace``), None for a cluster node.

    Returns:
        The executor to bind.
    """
    if telemetry is None:
        return server
    instruments = instruments_for(telemetry)
    instruments.metrics.watch_pool(server.strategy, db)
    return TracedExecutor(server, instruments, server.strategy, db)
