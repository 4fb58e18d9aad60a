"""The pooled strategy: connections leased one holder at a time, up to ``max_connections``.

Rules this module keeps:

- Decisions are synchronous. ``_assign`` reads and changes the bookkeeping (idle deque,
  leased set, connect reservations, waiter queue) with no ``await`` in between, and returns
  the connections to close; the closing happens afterwards.
- A caller that finds no connection WAITS in FIFO order, bounded by ``pool_timeout``
  (then ``PoolTimeoutError``). A waiter that is cancelled or times out removes itself,
  gives back whatever it was granted meanwhile, and re-runs ``_assign``: no slot leaks.
- A waiter granted a *reservation* (``None``) instead of a connection opens the connection
  itself, in a task ``abort`` cancels (a close never waits out a connect); a failed open
  gives the reservation back.
- Closing is never interrupted by cancellation: it runs in a task of its own, which every
  ``aclose`` call waits for under ``asyncio.shield``; connections are aborted synchronously
  (``abort``) when the grace runs out or the task itself is cancelled. A graceful close first
  refuses new callers and lets those already admitted (waiting, connecting, or holding a
  connection with a reply due) finish within the grace period.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection import Connection
from redis_oxide._connection_io import IoCounters, count_io
from redis_oxide._connection_setup import Connector
from redis_oxide._exceptions import (
    CommandTimeoutError,
    ConnectionClosedError,
    PoolTimeoutError,
    RedisError,
)
from redis_oxide._logs import log_fields
from redis_oxide._pool._interfaces import (
    PoolObserver,
    PoolStats,
    consume_result,
    wait_for_close,
)
from redis_oxide._pool._lease import Lease

__all__ = ["ConnectionPool"]

logger = logging.getLogger("redis_oxide.pool")

# How often a graceful close looks whether the callers it admitted are done: a lease holder
# tells the pool when it releases, not when its reply arrives.
_DRAIN_POLL = 0.01


class ConnectionPool:
    """Leases whole connections; callers wait when all ``max_connections`` are in use.

    Args:
        connector: Opens each connection.
        max_connections: Upper bound on open connections, leased or idle.
        pool_timeout: Longest wait for a lease in seconds; None waits indefinitely.
        io: Byte counters the pool's connections add to (a multiplexed strategy shares its
            own with its dedicated pool).
        dedicated: The pool is a multiplexed strategy's own, for blocking commands and
            leases: its messages say so, not "pooled connection".
    """

    def __init__(
        self,
        connector: Connector,
        *,
        max_connections: int,
        pool_timeout: float | None,
        io: IoCounters | None = None,
        dedicated: bool = False,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be >= 1, got {max_connections}")
        self._connector = connector
        self._kind = "connection for blocking commands" if dedicated else "pooled connection"
        self.sole: Connection | None = None  # nothing is shared
        self._max = max_connections
        self._pool_timeout = pool_timeout
        self._idle: collections.deque[Connection] = collections.deque()
        self._leased: set[Connection] = set()
        self._reserved = 0
        # Connects under way for reservations: abort() cancels them.
        self._connects: set[asyncio.Future[Connection]] = set()
        # A waiter resolves to a Connection, or to None meaning "open one yourself".
        self._waiters: collections.deque[asyncio.Future[Connection | None]] = collections.deque()
        self._closing: list[Connection] = []
        self._closed = False
        # Set by aclose(): new callers are refused, admitted ones are still served.
        self._draining = False
        # The close under way (aclose()), shared by every caller of aclose().
        self._closer: asyncio.Future[None] | None = None
        self.io = io or IoCounters()
        self.observer: PoolObserver | None = None
        # Bumped by invalidate(): connections of an older generation are not reused.
        self._generation = 0
        self._born: dict[Connection, int] = {}

    # -- bookkeeping (synchronous) --------------------------------------------------------

    def _assign(self) -> list[Connection]:
        to_close: list[Connection] = []
        idle = self._idle
        for _ in range(len(idle)):
            conn = idle.popleft()
            if conn.is_closed() or conn.has_expired():
                to_close.append(conn)
            else:
                idle.append(conn)
        waiters = self._waiters
        while waiters:
            waiter = waiters[0]
            if waiter.done():  # cancelled while queued
                waiters.popleft()
                continue
            if idle:
                conn = idle.pop()  # most recently used: warm, and lets the others expire
                self._leased.add(conn)
                waiters.popleft().set_result(conn)
            elif len(self._leased) + self._reserved + len(idle) < self._max:
                self._reserved += 1
                waiters.popleft().set_result(None)
            else:
                break
        return to_close

    def _close_now(self, connections: list[Connection]) -> None:
        if not connections:
            return
        for conn in connections:
            self._born.pop(conn, None)
            conn.abort()
        # Kept only until their transports are gone, for aclose() to wait for: a connection
        # that was lost is gone already, one aborted here is gone a loop turn later (and
        # dropped at the next close). A pool outliving many lost links keeps none of them.
        self._closing = [c for c in (*self._closing, *connections) if not c.is_finished()]

    def _give_back(self, conn: Connection, discard: bool) -> None:
        self._leased.discard(conn)
        conn.lease_generation += 1
        to_close: list[Connection] = []
        stale = self._born.get(conn, self._generation) != self._generation
        if discard or stale or self._closed or not conn.is_available() or conn.has_expired():
            to_close.append(conn)
        else:
            self._idle.append(conn)
        to_close += self._assign()
        self._close_now(to_close)

    def _cancel_reservation(self) -> None:
        self._reserved -= 1
        self._close_now(self._assign())

    # -- leasing --------------------------------------------------------------------------

    async def lease(self) -> Lease:
        """Lease a connection, waiting up to ``pool_timeout`` when all are in use.

        Returns:
            A lease; release it (or use it as ``async with``) when done.

        Raises:
            PoolTimeoutError: No connection became free within ``pool_timeout``.
            ConnectionClosedError: The pool is closed.
            ConnectFailedError: Opening a new connection failed.
        """
        return Lease(await self._acquire(), self._give_back)

    async def _acquire(self) -> Connection:
        if self._closed or self._draining:
            raise ConnectionClosedError("the client is closed (aclose() was called)")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Connection | None] = loop.create_future()
        self._waiters.append(waiter)
        self._close_now(self._assign())
        observer = self.observer
        begun = time.monotonic()  # every acquisition's wait is recorded (wait_time)
        if not waiter.done():
            try:
                async with asyncio.timeout(self._pool_timeout):
                    await waiter
            except BaseException as exc:
                self._abandon(waiter)
                if isinstance(exc, TimeoutError) and not isinstance(exc, PoolTimeoutError):
                    if observer is not None:
                        observer.timed_out()
                    raise PoolTimeoutError(
                        f"no connection free within pool_timeout={self._pool_timeout} s "
                        f"(max_connections={self._max})"
                    ) from exc
                raise
        conn = waiter.result()
        if conn is not None:
            if observer is not None:
                observer.waited(time.monotonic() - begun)
            return conn
        generation = self._generation
        started = time.monotonic()
        # A task of its own, which abort() cancels: a close must not wait out a connect.
        connect = asyncio.ensure_future(self._connector.connect())
        connect.add_done_callback(consume_result)
        self._connects.add(connect)
        try:
            conn = await connect
        except BaseException as exc:
            self._cancel_reservation()
            if connect.done() and not connect.cancelled() and connect.exception() is None:
                connect.result().abort()  # opened just as its caller gave up
            if isinstance(exc, asyncio.CancelledError) and connect.cancelled():
                current = asyncio.current_task()
                if self._closed and current is not None and not current.cancelling():
                    raise self._closed_error() from None  # abort() ended the connect
            raise
        finally:
            self._connects.discard(connect)
        if observer is not None:
            now = time.monotonic()
            observer.connected(now - started)
            observer.waited(now - begun)  # obtaining it took the connect too
            count_io(conn, self.io)
        self._reserved -= 1
        self._born[conn] = generation
        conn.write_when_idle = True  # a leased connection mostly has one caller
        if self._closed:
            self._close_now([conn])
            raise self._closed_error()
        self._leased.add(conn)
        return conn

    def _abandon(self, waiter: asyncio.Future[Connection | None]) -> None:
        if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
            granted = waiter.result()  # granted just before the cancellation landed
            if granted is None:
                self._cancel_reservation()
            else:
                self._give_back(granted, discard=False)
            return
        waiter.cancel()
        with contextlib.suppress(ValueError):
            self._waiters.remove(waiter)
        self._close_now(self._assign())

    # -- the strategy surface ---------------------------------------------------------------

    @property
    def address(self) -> str:
        """Where the connector connects (for messages)."""
        return self._connector.address

    def ready_connection(self) -> Connection | None:
        """Pooled connections are never shared, so there is never one to borrow."""
        return None

    async def shared_connection(self, wait_timeout: float | None) -> None:
        """Pooled connections are never shared: batches run on a lease.

        Args:
            wait_timeout: Unused.
        """
        return None

    async def execute(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        reply_timeout: float | None,
        *,
        blocking: bool = False,
    ) -> Any:
        """Lease a connection, run one command on it and give it back.

        Args:
            meta: The command's metadata.
            args: Wire arguments, command name first.
            parser: Applied to the decoded reply.
            reply_timeout: Seconds to wait for the reply.
            blocking: Ignored here: every pooled command has its own connection.

        Returns:
            The parsed reply.

        Raises:
            PoolTimeoutError: No connection became free within ``pool_timeout``.
            CommandTimeoutError: ``reply_timeout`` ran out first: waiting for a connection
                (``may_have_executed=False``) or for the reply (``True``).
        """
        started = time.monotonic()
        try:
            async with asyncio.timeout(reply_timeout):
                conn = await self._acquire()
        except ConnectionClosedError as exc:
            exc.command = meta.name  # closed while it waited: name what was not sent
            raise
        except TimeoutError as exc:
            if isinstance(exc, RedisError):
                raise  # pool_timeout or connect_timeout ran out first
            waited = round(reply_timeout or 0.0, 3)
            raise CommandTimeoutError(
                f"{meta.name}: no {self._kind} to {self._connector.address} within {waited:g} s "
                f"(max_connections={self._max}); it was not sent",
                may_have_executed=False,
                command=meta.name,
                address=self._connector.address,
            ) from exc
        if reply_timeout is not None:
            reply_timeout = max(0.0, reply_timeout - (time.monotonic() - started))
        try:
            fut = conn.send(args, parser, meta, reply_timeout)
            return await fut
        finally:
            # A reply still outstanding (cancelled or timed out) means the connection is
            # discarded: the next holder must not wait behind someone else's blocked command.
            self._give_back(conn, discard=not conn.is_idle())

    def invalidate(self, cause: BaseException) -> None:
        """Close idle connections now; leased ones are closed when released.

        Args:
            cause: Why (e.g. the primary moved); only logged here.
        """
        logger.info(
            "pool for %s invalidated: %r",
            self._connector.address,
            cause,
            extra=log_fields("pool_invalidated", self._connector.address, error=cause),
        )
        self._generation += 1
        idle = list(self._idle)
        self._idle.clear()
        self._close_now(idle)

    def observe(self, observer: PoolObserver | None) -> None:
        """Report lease waits, pool timeouts and connects to ``observer``.

        Args:
            observer: Where to report; None stops reporting.
        """
        self.observer = observer

    def stats(self) -> PoolStats:
        """Return current counts."""
        return PoolStats(
            strategy="pooled",
            connections=len(self._idle) + len(self._leased),
            idle=len(self._idle),
            leased=len(self._leased),
            waiting=sum(1 for w in self._waiters if not w.done()),
            pending=0,
            reconnects=0,
            max_connections=self._max,
            bytes_written=self.io.written,
            bytes_read=self.io.read,
        )

    def _busy(self) -> bool:
        # Admitted callers not done yet: queued, connecting, or holding a reply still due
        # (a blocking command's reply waits for data, not for the server: not waited for).
        return (
            any(not w.done() for w in self._waiters)
            or self._reserved > 0
            or any(not c.is_idle() and not c.is_blocked() for c in self._leased)
        )

    async def aclose(self, grace: float | None = 0.0) -> None:
        """Refuse new callers, let admitted ones finish, then close everything; idempotent.

        Callers already waiting for a connection are still served, and leased connections
        with a reply due get the grace period; a lease held with nothing in flight (a
        subscription, a WATCH block between commands) or waiting in a blocking command
        (BLPOP, XREAD BLOCK …) is not waited for. Then idle connections close, leased ones
        are aborted and waiters still queued fail.

        The close runs in a task of its own: cancelling the caller does not stop it (it ends
        every connection when the grace runs out), and a later call waits for it, ending
        what is left at once when its own ``grace`` runs out first.

        Args:
            grace: Longest wait in seconds for the callers admitted before the call; None
                waits for them all, 0 (the default) closes at once.
        """
        self._draining = True
        closer = self._closer
        if closer is None:
            self._closer = closer = asyncio.ensure_future(self._close(grace))
        await wait_for_close(closer, grace, self.abort)

    async def _close(self, grace: float | None) -> None:
        try:
            deadline = None if grace is None else time.monotonic() + grace
            while self._busy() and not self._closed:
                if deadline is not None and time.monotonic() >= deadline:
                    logger.info(
                        "pool for %s: callers still in flight after %s s, closing",
                        self._connector.address,
                        grace,
                        extra=log_fields("drain_timeout", self._connector.address),
                    )
                    break
                await asyncio.sleep(_DRAIN_POLL)
        finally:  # also when the loop shuts down under a drain: nothing may stay open
            self.abort()
        closing, self._closing = self._closing, []
        connects = list(self._connects)
        await asyncio.gather(*connects, return_exceptions=True)  # their sockets are closed
        await asyncio.gather(*(c.wait_closed() for c in closing))

    def abort(self) -> None:
        """Close at once, without waiting: idle connections close, leased ones are aborted
        (their callers get ``ConnectionClosedError``) and queued waiters fail; idempotent."""
        self._draining = True
        self._closed = True
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(self._closed_error())
                # The waiting task retrieves it; mark retrieved in case it is gone already.
                waiter.exception()
        for connect in self._connects:
            connect.cancel()  # its caller gets ConnectionClosedError, its socket is aborted
        connections = [*self._idle, *self._leased]
        self._idle.clear()
        self._leased.clear()
        self._close_now(connections)

    def _closed_error(self) -> ConnectionClosedError:
        return ConnectionClosedError(
            "the client was closed (aclose()) while this command waited for a connection; "
            "it was not sent",
            address=self._connector.address,
        )

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<ConnectionPool max={self._max} connections={s.connections} idle={s.idle} "
            f"leased={s.leased} waiting={s.waiting}{' closed' if self._closed else ''}>"
        )
