"""What the pool layer sees of a connection, and what the client sees of a strategy.

Two small protocols keep the layers apart: strategies only ask connections the predicate
questions below, and the client only talks to a strategy through ``ConnectionStrategy``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from redis_oxide._command import ArgT

if TYPE_CHECKING:
    from redis_oxide._connection import Connection
    from redis_oxide._pool._lease import Lease

__all__ = ["ConnectionStrategy", "PoolConnection", "PoolStats"]


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
    """

    strategy: str
    connections: int
    idle: int
    leased: int
    waiting: int
    pending: int
    reconnects: int


class ConnectionStrategy(Protocol):
    """How the client gets commands onto connections."""

    #: The shared connection when the strategy has exactly one (it may have stopped being
    #: ``available``), else None: the client's fast path reads it without a call.
    sole: Connection | None

    def ready_connection(self) -> Connection | None:
        """Return a shared connection that can take a command right now, if there is one."""
        ...

    async def execute(
        self,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        name: str,
        reply_timeout: float | None,
        *,
        blocking: bool = False,
        binary: bool = False,
    ) -> Any:
        """Run one command on a suitable connection and return its parsed reply."""
        ...

    async def lease(self) -> Lease:
        """Lease a dedicated connection."""
        ...

    def stats(self) -> PoolStats:
        """Return current counts."""
        ...

    async def aclose(self) -> None:
        """Close every connection; no task is left behind."""
        ...
