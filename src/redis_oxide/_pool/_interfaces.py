"""What the pool layer sees of a connection, and what executors see of a strategy.

Small protocols keep the layers apart: strategies only ask connections the predicate
questions of ``PoolConnection``; executors and patterns only talk to a strategy through
``ConnectionStrategy`` and to the connections it hands out through ``CommandConnection``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection import FailureHook

if TYPE_CHECKING:
    from redis_oxide._pool._lease import Lease

__all__ = [
    "CommandConnection",
    "ConnectionStrategy",
    "PoolConnection",
    "PoolObserver",
    "PoolStats",
    "consume_result",
    "wait_for_close",
]


def consume_result(task: asyncio.Future[Any]) -> None:
    """Read a finished connect task's outcome, for a done callback.

    Every caller may have given up before the task ended; reading the outcome keeps asyncio
    from reporting "exception was never retrieved".
    """
    if not task.cancelled():
        task.exception()


async def wait_for_close(
    closer: asyncio.Future[None], grace: float | None, abort: Callable[[], None]
) -> None:
    """Wait for a strategy's close, which goes on if this caller is cancelled.

    Args:
        closer: The close, started by the first ``aclose()``.
        grace: This caller's longest wait; when it runs out first, ``abort`` ends what is
            left and the close is awaited to its end.
        abort: Ends every connection at once.
    """
    try:
        async with asyncio.timeout(grace):
            await asyncio.shield(closer)
    except TimeoutError:  # this caller's grace ran out before an earlier caller's
        abort()
        await asyncio.shield(closer)


class PoolConnection(Protocol):
    """The questions a strategy may ask a connection."""

    def is_available(self) -> bool:
        """Whether new commands may be sent on it."""
        ...

    def is_idle(self) -> bool:
        """Whether no reply is outstanding."""
        ...

    def is_closed(self) -> bool:
        """Whether it has ended."""
        ...

    def has_expired(self) -> bool:
        """Whether it should be replaced rather than reused."""
        ...

    async def aclose(self) -> None:
        """Close it gracefully."""
        ...


@dataclass(frozen=True, slots=True)
class PoolStats:
    """A snapshot of a strategy's bookkeeping, for tests, metrics and ``repr``.

    Attributes:
        strategy: ``"multiplexed"`` or ``"pooled"``.
        connections: Open connections, shared and leased.
        idle: Connections waiting in the pool for a lease.
        leased: Connections currently leased.
        waiting: Callers waiting for a lease.
        pending: Replies outstanding on the shared connections.
        reconnects: Times a shared connection was replaced after it was lost.
        max_connections: Upper bound on leased connections (dedicated ones for a
            multiplexed strategy).
        bytes_written: Bytes written by the strategy's connections so far, counted only
            while telemetry is on (0 otherwise: counting costs every command).
        bytes_read: Bytes read by them so far, likewise.
    """

    strategy: str
    connections: int
    idle: int
    leased: int
    waiting: int
    pending: int
    reconnects: int
    max_connections: int = 0
    bytes_written: int = 0
    bytes_read: int = 0


class PoolObserver(Protocol):
    """Told about waits, pool timeouts and connects; set only while telemetry is on.

    Strategies call it from their slow paths (a lease, a connect), never per command on a
    ready shared connection.
    """

    def waited(self, seconds: float) -> None:
        """A caller waited ``seconds`` for a connection (a lease, or a shared connect)."""
        ...

    def timed_out(self) -> None:
        """A caller gave up waiting for a lease (``pool_timeout``)."""
        ...

    def connected(self, seconds: float) -> None:
        """A new connection took ``seconds`` to open and set up."""
        ...


class CommandConnection(Protocol):
    """What executors and patterns may do with a connection a strategy hands out.

    ``Connection`` is the implementation; nothing above the pool layer names it.
    """

    #: Whether new commands may be sent (a plain attribute, read per command).
    available: bool

    @property
    def address(self) -> str:
        """``host:port`` or the unix socket path of the server."""
        ...

    def send(
        self,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        timeout: float | None = None,
        hook: FailureHook | None = None,
    ) -> asyncio.Future[Any]:
        """Queue one command; see ``Connection.send``."""
        ...

    def send_batch(
        self,
        data: bytes,
        parsers: Sequence[Callable[[Any], Any] | None],
        metas: Sequence[CommandMeta],
        timeout: float | None = None,
        binary: Collection[int] = (),
    ) -> asyncio.Future[list[Any]]:
        """Queue encoded commands with one future; see ``Connection.send_batch``."""
        ...

    def decode_reply(self, value: Any, meta: CommandMeta) -> Any:
        """Decode a reply read undecoded; see ``Connection.decode_reply``."""
        ...

    def is_idle(self) -> bool:
        """Whether no reply is outstanding."""
        ...


class ConnectionStrategy(Protocol):
    """How an executor gets commands onto connections (multiplexed or pooled).

    Strategies open connections through a ``Connector`` and hold no address of their own.
    """

    @property
    def sole(self) -> CommandConnection | None:
        """The shared connection when the strategy has exactly one (it may have stopped
        being ``available``), else None; strategies keep it as a plain attribute, which the
        executor's fast path reads without a call."""
        ...

    @property
    def address(self) -> str:
        """Where the strategy's connector connects (for messages)."""
        ...

    def ready_connection(self) -> CommandConnection | None:
        """Return a shared connection that can take a command right now, if there is one."""
        ...

    async def shared_connection(self, wait_timeout: float | None) -> CommandConnection | None:
        """Return a shared connection, waiting for one up to ``wait_timeout``.

        Returns None when the strategy shares no connections (pooled): batches then run on
        a lease.
        """
        ...

    async def execute(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        reply_timeout: float | None,
        *,
        blocking: bool = False,
    ) -> Any:
        """Run one command on a suitable connection and return its parsed reply."""
        ...

    async def lease(self) -> Lease:
        """Lease a dedicated connection."""
        ...

    def invalidate(self, cause: BaseException) -> None:
        """Give up every connection now (the server moved): shared ones fail their pending
        commands as lost, idle ones close, leased ones are closed when released. The next
        command connects again through the connector."""
        ...

    def observe(self, observer: PoolObserver | None) -> None:
        """Report waits, pool timeouts and connects to ``observer`` (None stops it)."""
        ...

    def stats(self) -> PoolStats:
        """Return current counts."""
        ...

    async def aclose(self, grace: float | None = None) -> None:
        """Refuse new work, let commands in flight finish for up to ``grace`` seconds (None
        waits for them all), then close every connection."""
        ...
