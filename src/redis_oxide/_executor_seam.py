"""The interfaces of the executor seam: what patterns need from a topology, and the hooks a
topology plugs into a single-server executor.

Rules this module keeps:

- Only ``typing.Protocol`` classes live here; nothing runs. ``_executor`` re-exports them,
  so code imports them from there, next to ``ServerExecutor``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser
from redis_oxide._exceptions import RedisError
from redis_oxide._pool import Lease
from redis_oxide._pool._batch import Batch

__all__ = ["Executor", "Reroute", "Rerunner"]

T = TypeVar("T")


class Reroute(Protocol):
    """Decides where a command goes after a failure another server may not have.

    Called synchronously with ``error``: a ``reroutable`` server error (the command did not
    run); a ``ConnectionLostError`` of a command that may run again (read-only, or never
    written); a ``ConnectFailedError`` or ``ConnectTimeoutError`` (nothing was sent); or a
    ``CommandTimeoutError``, for notice only. Returns an awaitable of the command's value (the
    command re-run where it now belongs, e.g. on the node a MOVED names), or None to decline:
    the caller then gets ``error`` (a lost connection is first retried on the same server).
    For a timeout it must return None. ``deadline`` is on the ``time.monotonic`` clock.
    """

    def __call__(
        self,
        error: RedisError,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any] | None: ...


class Rerunner(Protocol):
    """What a ``Reroute`` re-runs a command through: a ``ServerExecutor``, or the cache in
    front of one (which re-runs it uncached)."""

    def rerun(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any]:
        """Run the command again from the start; see ``ServerExecutor.rerun``."""
        ...


class Executor(Protocol):
    """What patterns (pipelines, transactions, scripts) need from the topology they run on."""

    @property
    def command_timeout(self) -> float | None:
        """Seconds each non-blocking command waits for its reply; None waits indefinitely."""
        ...

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        """Run one command; see ``CommandExecutor``."""
        ...

    async def run_batch(self, batch: Batch, *, transaction: bool) -> list[object]:
        """Run a batch where it belongs; return one value or error per command."""
        ...

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a dedicated connection to the server that holds ``keys``."""
        ...
