"""The single-server executor: where every command of a one-server topology runs.

Rules this module keeps:

- ``ServerExecutor._execute`` is the one path every command takes. The fast path (a ready
  shared connection) returns the connection's future itself: no coroutine, one future, one
  deque append and one encode. The executor's failure hooks ride along with the command and
  only run when it fails: on a lost connection (the retry rule below) or on a ``reroutable``
  server error (MOVED, ASK, TRYAGAIN, CLUSTERDOWN, READONLY, LOADING, MASTERDOWN), which go
  to the pluggable ``Reroute`` (cluster and Sentinel topologies plug theirs in). Slow paths
  (connecting, blocking commands) are coroutines.
- After a lost connection a command is retried only when that cannot run it twice: it is
  read-only, or its bytes never left the client. With a ``Reroute`` set, such a command and
  a failed connect are offered to it first (a cluster re-runs them where the topology now
  puts their slot); when it declines, the command is retried on the same server. A
  reroutable error means the command did not run, so the ``Reroute`` may re-run any command.
- A command re-run by the slow path (a pooled strategy's, a connecting or blocking one)
  is announced to ``rerun_notice`` (None, or telemetry's: a span event), as the failure
  hooks announce a shared connection's.
- Command timeouts are shown to the ``Reroute`` too, for notice only (a cluster learns that a
  node hangs): the caller always gets the timeout. Its ``may_have_executed`` is False only
  when no attempt was written (a write is never re-run after one was). A view whose
  ``command_timeout`` is shorter than its executor's shows none: a caller's tighter bound says
  nothing about the server.
- Blocking commands go to a dedicated lease, bound by their own timeout argument plus
  ``command_timeout`` (``_executor_blocking``); everything else shares connections.
- Where a batch (pipeline, transaction) runs is decided here: on the shared connection, or on
  a lease for a pooled strategy or a pipeline holding a blocking command (MULTI never blocks).
- The seam's interfaces (``Executor``, ``Reroute``, ``Rerunner``) live in ``_executor_seam``.
- The executor owns nothing but references: the strategy owns the connections, and
  ``with_timeout`` views share the strategy (and the client's ``_lifetime`` token).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionLostError,
    ConnectTimeoutError,
    RedisError,
    ServerError,
)
from redis_oxide._executor_blocking import batch_timeout, block_deadline, lease_within
from redis_oxide._executor_seam import Executor, Reroute, Rerunner
from redis_oxide._logs import log_fields
from redis_oxide._pool import ConnectionStrategy, Lease, PoolStats
from redis_oxide._pool._batch import Batch, send_chunks, send_transaction
from redis_oxide._raw_commands import blocks_with
from redis_oxide._retry import Retry

__all__ = ["Executor", "Reroute", "Rerunner", "ServerExecutor"]

logger = logging.getLogger("redis_oxide.client")

T = TypeVar("T")


class ServerExecutor:
    """Runs commands on one server (fixed, Sentinel-resolved or a cluster node).

    Args:
        strategy: Gets commands onto connections (multiplexed or pooled).
        retry: How often to re-run a command after a lost connection.
        command_timeout: Seconds each non-blocking command waits; None waits indefinitely.
        reroute: What to do with reroutable server errors; None gives them to the caller.
    """

    __slots__ = (
        "_hook_read",
        "_hook_write",
        "_lifetime",
        "_notices",
        "_reroute",
        "_rerunning",
        "_retry",
        "_strategy",
        "command_timeout",
        "rerun_notice",
    )

    def __init__(
        self,
        strategy: ConnectionStrategy,
        *,
        retry: Retry,
        command_timeout: float | None,
        reroute: Reroute | None = None,
    ) -> None:
        self._strategy = strategy
        self._retry = retry
        #: Seconds each non-blocking command waits for its reply; None waits indefinitely.
        self.command_timeout = command_timeout
        self._reroute = reroute
        # Re-runs of failed commands; asyncio keeps tasks only weakly.
        self._rerunning: set[asyncio.Task[None]] = set()
        # Bound once, not per command: the hot path hands one of these to every send.
        self._hook_read = self._failed_read
        self._hook_write = self._failed_write
        self._lifetime: object = None  # the client's, shared by views (module rules)
        # Whether a command timeout is shown to the reroute (module rules).
        self._notices = True
        #: Told of each re-run of the slow path, with the failure that caused it.
        self.rerun_notice: Callable[[RedisError], None] | None = None

    @property
    def strategy(self) -> ConnectionStrategy:
        """The connection strategy commands run through."""
        return self._strategy

    def with_timeout(self, command_timeout: float | None) -> ServerExecutor:
        """Return an executor sharing this one's strategy with another ``command_timeout``.

        Args:
            command_timeout: Seconds each non-blocking command waits; None waits
                indefinitely.

        Returns:
            The new executor.
        """
        view = ServerExecutor(self._strategy, retry=self._retry, command_timeout=command_timeout)
        view._reroute, view._lifetime = self._reroute, self._lifetime
        mine = self.command_timeout
        tighter = command_timeout is not None and (mine is None or command_timeout < mine)
        view._notices = self._notices and not tighter
        return view

    # -- one command ---------------------------------------------------------------------------

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        # The common case inlined: a ready shared connection and no blocking command, with
        # no _dispatch, ready_connection or is_available frame per command.
        if not meta.is_blocking:
            conn = self._strategy.sole
            if conn is None or not conn.available:
                conn = self._strategy.ready_connection()
            if conn is not None:
                result: Awaitable[T] = conn.send(
                    args,
                    parser,
                    meta,
                    self.command_timeout,
                    self._hook_read if meta.is_readonly else self._hook_write,
                )
                return result
        return self._dispatch(meta, args, parser)

    def _dispatch(
        self, meta: CommandMeta, args: Sequence[ArgT], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        if blocks_with(meta, args):
            deadline = block_deadline(meta, args, self.command_timeout)
            return self._call_slow(meta, args, parser, deadline, 0, blocking=True)
        conn = self._strategy.ready_connection()
        timeout = self.command_timeout
        if conn is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            return self._call_slow(meta, args, parser, deadline, 0, blocking=False)
        hook = self._hook_read if meta.is_readonly else self._hook_write
        result: Awaitable[T] = conn.send(args, parser, meta, timeout, hook)
        return result

    def rerun(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any]:
        """Run a command again from the start, as a ``Reroute`` does once the topology moved.

        It waits for a connection, follows the retry rule and the reroute like any command,
        and is bounded by the original ``deadline`` (``time.monotonic`` clock); a blocking
        command goes to a lease again, bound by its own timeout plus ``command_timeout``.

        Args:
            meta: The command's metadata.
            args: Its wire arguments.
            parser: Its reply parser.
            deadline: When the caller stops waiting; None waits indefinitely.

        Returns:
            An awaitable of the command's value.
        """
        if blocks_with(meta, args):
            deadline = block_deadline(meta, args, self.command_timeout)
            return self._call_slow(meta, args, parser, deadline, 0, blocking=True)
        return self._call_slow(meta, args, parser, deadline, 0, blocking=False)

    def _failed_read(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool:
        # A read-only command cannot do harm twice: re-run it whether or not it was written.
        return self._take_over(future, args, parser, meta, deadline, error)

    def _failed_write(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        deadline: float | None,
        error: RedisError,
        /,
    ) -> bool:
        # A write is re-run after a lost connection only when its bytes never left the client.
        if isinstance(error, ConnectionLostError) and error.may_have_executed:
            return False
        return self._take_over(future, args, parser, meta, deadline, error)

    def _take_over(
        self,
        future: asyncio.Future[Any],
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        deadline: float | None,
        error: RedisError,
    ) -> bool:
        """Re-run a failed command in a task that resolves ``future``; False declines.

        Called by the connection, synchronously; ``deadline`` is on the loop's clock.
        """
        loop = future.get_loop()
        if deadline is not None:
            deadline = time.monotonic() + (deadline - loop.time())
        work: Awaitable[Any] | None = None
        reroute = self._reroute
        if isinstance(error, CommandTimeoutError):
            if reroute is not None and self._notices:
                reroute(error, meta, args, parser, deadline)  # notice only (module rules)
            return False
        if reroute is not None and isinstance(error, ServerError | ConnectionLostError):
            work = reroute(error, meta, args, parser, deadline)
        if work is None and isinstance(error, ConnectionLostError) and self._retry.attempts > 1:
            logger.debug(
                "%s: connection lost, retrying",
                meta.name,
                extra=log_fields("retry", self._strategy.address, command=meta.name, error=error),
            )
            written = error.may_have_executed  # a read's lost attempt may have run
            work = self._call_slow(meta, args, parser, deadline, 1, blocking=False, written=written)
        if work is None:
            return False
        task = loop.create_task(_resolve(future, work))
        self._rerunning.add(task)
        task.add_done_callback(self._rerunning.discard)

        def cancel_rerun(done: asyncio.Future[Any]) -> None:
            if done.cancelled():
                task.cancel()  # the caller gave up

        future.add_done_callback(cancel_rerun)
        return True

    def _rerun(self, error: RedisError) -> None:
        notice = self.rerun_notice
        if notice is not None:
            notice(error)

    async def _call_slow(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: ReplyParser[T] | None,
        deadline: float | None,
        failures: int,
        *,
        blocking: bool,
        written: bool = False,
    ) -> T:
        # ``written``: an earlier attempt may have run (only a read is re-run after that).
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                raise CommandTimeoutError(
                    f"{meta.name} did not complete within command_timeout={self.command_timeout}"
                    f" s; {'it may have run' if written else 'it was not sent'}",
                    may_have_executed=written,
                    command=meta.name,
                    address=self._strategy.address,
                )
            reroute = self._reroute
            try:
                result: T = await self._strategy.execute(
                    meta, args, parser, remaining, blocking=blocking
                )
                return result
            except ConnectionLostError as exc:
                if exc.may_have_executed and not meta.is_readonly:
                    raise
                written = written or exc.may_have_executed
                work = None if reroute is None else reroute(exc, meta, args, parser, deadline)
                if work is not None:
                    self._rerun(exc)
                    value: T = await work
                    return value
                failures += 1
                if failures >= self._retry.attempts:
                    raise
                logger.debug(  # as the failure hook logs a shared connection's re-run
                    "%s: connection lost, retrying",
                    meta.name,
                    extra=log_fields("retry", self._strategy.address, command=meta.name, error=exc),
                )
                self._rerun(exc)
            except (ConnectFailedError, ConnectTimeoutError) as exc:
                work = None if reroute is None else reroute(exc, meta, args, parser, deadline)
                if work is None:
                    raise
                self._rerun(exc)
                value = await work
                return value
            except CommandTimeoutError as exc:
                if written and not exc.may_have_executed:
                    exc.may_have_executed = True
                    exc.add_note("an earlier attempt was written before its connection was lost")
                if reroute is not None and self._notices:
                    reroute(exc, meta, args, parser, deadline)  # notice only
                raise
            except ServerError as exc:
                work = None
                if exc.reroutable and reroute is not None:
                    work = reroute(exc, meta, args, parser, deadline)
                if work is None:
                    raise
                self._rerun(exc)
                value = await work
                return value
            delay = self._retry.delay(failures)
            if deadline is not None:
                delay = min(delay, max(0.0, deadline - time.monotonic()))
            await asyncio.sleep(delay)

    # -- batches and leases --------------------------------------------------------------------

    async def run_batch(self, batch: Batch, *, transaction: bool) -> list[object]:
        """Run a batch on the shared connection, or on a lease when it must have its own.

        Args:
            batch: The queued commands.
            transaction: Wrap them in MULTI/EXEC.

        Returns:
            One value or error per command.

        Raises:
            ConnectionLostError: The connection died; nothing is retried.
            CommandTimeoutError: The replies did not arrive within ``command_timeout``.
            WatchError: A transaction's watched key changed.
            ExecAbortError: A transaction's command was refused.
        """
        timeout = self.command_timeout
        send = send_transaction if transaction else send_chunks
        strategy = self._strategy
        blocking = batch.blocking and not transaction  # nothing blocks inside MULTI/EXEC
        if not blocking:
            conn = strategy.ready_connection() or await strategy.shared_connection(timeout)
            if conn is not None:
                return await send(conn, batch, timeout)
        # A pooled strategy, or a blocking command that must not stall a shared connection.
        if blocking or timeout is None:
            waits = batch_timeout(batch.metas, batch.args, timeout) if blocking else None
            async with await strategy.lease() as lease:
                return await send(lease.connection, batch, waits)
        started = time.monotonic()
        what = "transaction" if transaction else "pipeline"
        async with await lease_within(strategy, timeout, what) as lease:
            left = max(0.0, timeout - (time.monotonic() - started))
            return await send(lease.connection, batch, left)

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a dedicated connection (transactions with WATCH, pub/sub).

        Args:
            keys: The keys the lease is for; one server holds them all here.

        Returns:
            A lease on a connection nobody else uses until it is released.

        Raises:
            PoolTimeoutError: No dedicated connection became free within ``pool_timeout``.
        """
        return await self._strategy.lease()

    def stats(self) -> PoolStats:
        """Return the strategy's connection counts."""
        return self._strategy.stats()

    async def aclose(self, grace: float | None) -> None:
        """Close every connection, giving replies in flight up to ``grace`` seconds."""
        await self._strategy.aclose(grace)


async def _resolve(future: asyncio.Future[Any], work: Awaitable[Any]) -> None:
    # Runs a command's re-run and hands its outcome to the future its caller awaits.
    try:
        result = await work
    except asyncio.CancelledError:
        future.cancel()
        raise
    except BaseException as exc:
        if not future.done():
            future.set_exception(exc)
    else:
        if not future.done():
            future.set_result(result)
