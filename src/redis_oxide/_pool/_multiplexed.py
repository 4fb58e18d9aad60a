"""The multiplexed strategy (default): a few shared connections carry every ordinary command.

Rules this module keeps:

- Ordinary commands from any number of tasks share one (or a configured few) connections;
  the connection coalesces them into one write per loop turn and matches replies FIFO.
- Blocking commands never run on a shared connection: they go to a dedicated lease from an
  internal ``ConnectionPool`` so they cannot stall anyone else.
- A lost shared connection is replaced on demand by ONE connect task per slot, shared by
  every caller that needs it and shielded from their cancellations. Consecutive failures
  back off exponentially with jitter (``Retry``); a success resets the count and counts as
  a reconnect if the slot had been connected before. A connect that timed out is not tried
  again by the same task: its callers have waited one ``connect_timeout``.
- Connections are opened through the ``Connector``; ``invalidate`` gives up every
  connection at once (the server moved) so the next command connects afresh.
- Closing is graceful: shared connections stop taking commands at once and drain the ones
  in flight; a connect already under way may finish within the grace period while callers
  wait for it, and for them only (it never becomes a shared slot again). The close
  runs in a task of its own, so a cancelled ``aclose`` does not leave connections open.
- Nothing here parses commands.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection import Connection, PushHandler
from redis_oxide._connection_io import IoCounters, count_io
from redis_oxide._connection_setup import Connector
from redis_oxide._exceptions import CommandTimeoutError, ConnectionClosedError, RedisError
from redis_oxide._exceptions import ConnectionError as RedisConnectionError
from redis_oxide._exceptions import TimeoutError as RedisTimeoutError
from redis_oxide._logs import log_fields
from redis_oxide._pool._interfaces import (
    PoolObserver,
    PoolStats,
    consume_result,
    wait_for_close,
)
from redis_oxide._pool._lease import Lease
from redis_oxide._pool._pooled import ConnectionPool
from redis_oxide._retry import Retry

__all__ = ["MultiplexedPool"]

logger = logging.getLogger("redis_oxide.pool")

# How often a graceful close looks whether a connect under way still has callers waiting.
_POLL = 0.01


class MultiplexedPool:
    """Shares ``connections`` connections between all callers; leases for blocking work.

    Args:
        connector: Opens each connection.
        connections: How many shared connections to spread commands over.
        max_dedicated: Upper bound on dedicated (leased) connections at a time.
        pool_timeout: Longest wait for a dedicated lease in seconds.
        retry: Reconnect policy.
        push_handler: Receives push frames arriving on the shared connections.
    """

    def __init__(
        self,
        connector: Connector,
        *,
        connections: int = 1,
        max_dedicated: int,
        pool_timeout: float | None,
        retry: Retry,
        push_handler: PushHandler | None = None,
    ) -> None:
        if connections < 1:
            raise ValueError(f"connections must be >= 1, got {connections}")
        self._connector = connector
        self._retry = retry
        self._push_handler = push_handler
        self._slots: list[Connection | None] = [None] * connections
        self.sole: Connection | None = None
        self._tasks: list[asyncio.Task[Connection] | None] = [None] * connections
        self._ever_connected = [False] * connections
        # Callers waiting for each slot's connect task: a close waits only for those.
        self._waiting = [0] * connections
        self._failures = 0
        # The last failed connect attempt (None after a success), how many attempts failed
        # so far, and whether one is under way: a caller whose wait runs out is told why.
        self._connect_error: RedisError | None = None
        self._connect_failures = 0
        self._connecting = False
        # Bumped by invalidate(): a connection opened before then is not used.
        self._generation = 0
        self._next = 0
        self._reconnects = 0
        self._closed = False
        # Connections that came up while closing: handed to their waiters, then drained.
        self._late: list[Connection] = []
        # Shared connections being drained by the close under way (``_closer``).
        self._ending: list[Connection] = []
        self._closer: asyncio.Future[None] | None = None
        self.io = IoCounters()
        self._observer: PoolObserver | None = None
        self._dedicated = ConnectionPool(
            connector,
            max_connections=max_dedicated,
            pool_timeout=pool_timeout,
            io=self.io,
            dedicated=True,
        )

    @property
    def reconnects(self) -> int:
        """Times a shared connection was replaced after being lost."""
        return self._reconnects

    @property
    def address(self) -> str:
        """Where the connector connects (for messages)."""
        return self._connector.address

    def ready_connection(self) -> Connection | None:
        """Return a shared connection that can take a command now, or None."""
        slots = self._slots
        if len(slots) == 1:
            conn = slots[0]
            if conn is not None and conn.available:
                return conn
            return None
        count = len(slots)
        index = self._next
        self._next = (index + 1) % count
        for offset in range(count):
            conn = slots[(index + offset) % count]
            if conn is not None and conn.available:
                return conn
            if not self._closed:
                # Fill (or refill) the slot in the background; meanwhile the others serve.
                self._connect_task((index + offset) % count)
        return None

    def _connect_task(self, index: int) -> asyncio.Task[Connection]:
        task = self._tasks[index]
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self._connect(index))
            task.add_done_callback(consume_result)
            self._tasks[index] = task
        return task

    async def shared_connection(self, wait_timeout: float | None) -> Connection:
        """Return a shared connection, connecting (or waiting for a reconnect) if needed.

        Pipelines write their batch straight onto it.

        Args:
            wait_timeout: Longest wait for a connection in seconds; None waits indefinitely.

        Returns:
            A ready shared connection.

        Raises:
            CommandTimeoutError: No connection within ``wait_timeout``.
            ConnectionClosedError: The client is closed.
            ConnectFailedError: The server cannot be reached.
        """
        return await self._shared_connection(wait_timeout)

    async def _shared_connection(
        self, wait_timeout: float | None, command: str | None = None
    ) -> Connection:
        conn = self.ready_connection()
        if conn is not None:
            return conn
        if self._closed:
            raise ConnectionClosedError("the client is closed (aclose() was called)")
        index = self._next % len(self._slots)
        task = self._connect_task(index)
        observer = self._observer
        started = time.monotonic()
        failures = self._connect_failures
        self._waiting[index] += 1
        try:
            async with asyncio.timeout(wait_timeout):
                conn = await asyncio.shield(task)
            if observer is not None:
                observer.waited(time.monotonic() - started)
            return conn
        except RedisError:
            raise  # the connect task's own failure, shared by every waiter
        except TimeoutError as exc:
            err = self._no_connection(wait_timeout or 0.0, command, failures, exc)
            raise err from err.__cause__
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if task.cancelled() and current is not None and not current.cancelling():
                # aclose() ended the connect this caller waited for; the caller was not
                # cancelled itself.
                raise ConnectionClosedError(
                    "the client was closed (aclose()) while this command waited for a "
                    "connection; it was not sent",
                    command=command,
                    address=self._connector.address,
                ) from None
            raise
        finally:
            self._waiting[index] -= 1

    def _no_connection(
        self, wait_timeout: float, command: str | None, failures: int, timeout: TimeoutError
    ) -> RedisError:
        # The wait ran out. If connecting failed meanwhile, or no attempt is under way (the
        # connect task waits out its backoff after failures), the connect error says more
        # than a timeout: the server cannot be reached, and nothing was sent.
        last = self._connect_error
        address = self._connector.address
        err: RedisError
        if last is not None and (self._connect_failures > failures or not self._connecting):
            err = copy.copy(last)
            err.command = command
            err.__cause__ = last
            return err
        what = f"{command}: no" if command is not None else "no"
        err = CommandTimeoutError(
            f"{what} connection to {address} within {round(wait_timeout, 3):g} s "
            "(still connecting); it was not sent",
            may_have_executed=False,
            command=command,
            address=address,
        )
        err.__cause__ = timeout
        return err

    async def _connect(self, index: int) -> Connection:
        attempt = 0
        while True:
            if self._failures:
                await asyncio.sleep(self._retry.delay(self._failures))
            generation = self._generation
            started = time.monotonic()
            self._connecting = True
            try:
                conn = await self._connector.connect(push_handler=self._push_handler)
            except (RedisConnectionError, RedisTimeoutError) as exc:
                self._failures += 1
                self._connect_failures += 1
                self._connect_error = exc
                attempt += 1
                # A connect that timed out is not tried again here: its callers have waited
                # one connect_timeout, which is as long as connecting may take.
                timed_out = isinstance(exc, RedisTimeoutError)
                if timed_out or attempt >= self._retry.attempts or self._closed:
                    raise
                continue
            finally:
                self._connecting = False
            self._connect_error = None
            if self._observer is not None:
                self._observer.connected(time.monotonic() - started)
                count_io(conn, self.io)
            self._failures = 0
            conn.write_when_idle = True  # a lone caller's command need not wait a loop turn
            if self._closed:
                # Closing: the callers already waiting for this connect get it (they were
                # in flight before the close); aclose drains it with the others.
                self._late.append(conn)
                return conn
            if generation != self._generation:
                # Invalidated while connecting: this connection may go to the old server.
                await conn.aclose()
                continue
            self._slots[index] = conn
            if len(self._slots) == 1:
                self.sole = conn
            if self._ever_connected[index]:
                self._reconnects += 1
                logger.info(
                    "reconnected to %s",
                    conn.address,
                    extra=log_fields("reconnected", conn.address, reconnects=self._reconnects),
                )
            self._ever_connected[index] = True
            return conn

    async def execute(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        reply_timeout: float | None,
        *,
        blocking: bool = False,
    ) -> Any:
        """Run one command: shared connection, or a dedicated lease when ``blocking``.

        Args:
            meta: The command's metadata.
            args: Wire arguments, command name first.
            parser: Applied to the decoded reply.
            reply_timeout: Seconds to wait for a connection and then for the reply.
            blocking: The command may block the connection (BLPOP, XREAD BLOCK …).

        Returns:
            The parsed reply.

        Raises:
            CommandTimeoutError: No connection or no reply within ``reply_timeout``.
            ConnectFailedError: The server cannot be reached.
        """
        if blocking:
            return await self._dedicated.execute(meta, args, parser, reply_timeout)
        conn = await self._shared_connection(reply_timeout, meta.name)
        return await conn.send(args, parser, meta, reply_timeout)

    async def lease(self) -> Lease:
        """Lease a dedicated connection (never one of the shared ones).

        Returns:
            A lease; release it when done.

        Raises:
            PoolTimeoutError: All dedicated connections stayed in use for ``pool_timeout``.
        """
        return await self._dedicated.lease()

    def invalidate(self, cause: BaseException) -> None:
        """Give up every connection now; the next command connects through the connector.

        Args:
            cause: Why (e.g. the primary moved); pending commands fail as lost from it.
        """
        self._generation += 1
        shared = [c for c in self._slots if c is not None]
        self._slots = [None] * len(self._slots)
        self.sole = None
        for conn in shared:
            conn.fail(cause)
        self._dedicated.invalidate(cause)

    def observe(self, observer: PoolObserver | None) -> None:
        """Report shared-connection waits, lease waits, timeouts and connects to ``observer``.

        Args:
            observer: Where to report; None stops reporting.
        """
        self._observer = observer
        self._dedicated.observe(observer)

    def stats(self) -> PoolStats:
        """Return current counts (dedicated connections count as leased or idle)."""
        shared = [c for c in self._slots if c is not None and not c.is_closed()]
        dedicated = self._dedicated.stats()
        return PoolStats(
            strategy="multiplexed",
            connections=len(shared) + dedicated.connections,
            idle=dedicated.idle,
            leased=dedicated.leased,
            waiting=dedicated.waiting,
            pending=sum(c.pending_count for c in shared),
            reconnects=self._reconnects,
            max_connections=dedicated.max_connections,
            bytes_written=self.io.written,
            bytes_read=self.io.read,
        )

    async def aclose(self, grace: float | None = None) -> None:
        """Refuse new commands, drain the ones in flight, then close every connection.

        Shared connections stop taking commands at once and get up to ``grace`` seconds for
        their replies; a connect under way may finish within it, serving only the callers
        already waiting for it; the dedicated pool closes gracefully alongside. The close
        runs in a task of its own: cancelling the caller does not stop it, and a later call
        waits for it, ending what is left at once when its own ``grace`` runs out first.

        Args:
            grace: Longest wait in seconds for commands in flight; None waits for them all,
                0 closes at once.
        """
        self._closed = True
        closer = self._closer
        if closer is None:
            # Before anything awaits: a command issued from here on is refused, not sent.
            self._ending = [c for c in self._slots if c is not None]
            self._slots = [None] * len(self._slots)
            self.sole = None
            for conn in self._ending:
                conn.stop_accepting()
            self._closer = closer = asyncio.ensure_future(self._close(grace))
        await wait_for_close(closer, grace, self.abort)

    async def _close(self, grace: float | None) -> None:
        try:
            deadline = None if grace is None else time.monotonic() + grace
            dedicated = asyncio.ensure_future(self._dedicated.aclose(grace))
            tasks = [t for t in self._tasks if t is not None and not t.done()]
            if tasks and grace != 0 and await self._awaited_connects(deadline):
                await asyncio.sleep(0)  # the waiters of a connect that just finished send now
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            self._ending += self._late
            self._late = []
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            await asyncio.gather(*(c.aclose(remaining) for c in self._ending), dedicated)
        finally:  # also when the loop shuts down under a drain: nothing may stay open
            self.abort()

    async def _awaited_connects(self, deadline: float | None) -> bool:
        # Connects under way get the grace only while a caller waits for them: one whose
        # callers all gave up is ended at once. True when one finished meanwhile.
        finished = False
        while True:
            slots = zip(self._tasks, self._waiting, strict=True)
            awaited = [t for t, n in slots if n and t is not None and not t.done()]
            left = None if deadline is None else deadline - time.monotonic()
            if not awaited or (left is not None and left <= 0):
                return finished
            done, _ = await asyncio.wait(awaited, timeout=min(left or _POLL, _POLL))
            finished = finished or bool(done)

    def abort(self) -> None:
        """Close at once, without waiting: pending callers get ``ConnectionClosedError``,
        connects under way are cancelled; idempotent."""
        self._closed = True
        ending = [*(c for c in self._slots if c is not None), *self._ending, *self._late]
        self._slots = [None] * len(self._slots)
        self.sole = None
        self._late = []
        self._ending = []
        for conn in ending:
            conn.abort()
        for task in self._tasks:
            if task is not None:
                task.cancel()
        self._dedicated.abort()

    def __repr__(self) -> str:
        s = self.stats()
        return (
            f"<MultiplexedPool shared={len(self._slots)} connections={s.connections} "
            f"pending={s.pending} leased={s.leased} reconnects={s.reconnects}"
            f"{' closed' if self._closed else ''}>"
        )
