"""The ``Reroute`` of a Sentinel-resolved client: commands refused for reasons of topology.

Rules this module keeps:

- ``READONLY`` or ``MASTERDOWN`` (a demoted or cut-off server) make the connector give the
  server up (``SentinelConnector.demoted``) and the command runs again, which then connects
  afresh; ``LOADING`` re-runs it after a pause. These errors mean the command did not run.
- A re-run the caller's deadline ends (``CommandTimeoutError`` of its own, without a cause)
  is chained from the error that made it: the caller learns the server was loading (or
  demoted), not only that no reply came in the time left.
- On a replica client ``READONLY`` answers a write: it reaches the caller.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import (
    CommandTimeoutError,
    LoadingError,
    MasterDownError,
    ReadOnlyError,
    RedisError,
)
from redis_oxide._executor import Rerunner
from redis_oxide._sentinel import SentinelConnector

__all__ = ["SentinelReroute"]

# How long a command that met LOADING waits before it runs again.
_LOADING_PAUSE = 0.1


class SentinelReroute:
    """The ``Reroute`` of a Sentinel-resolved client.

    Args:
        connector: The client's connector, told when its server is demoted.
    """

    def __init__(self, connector: SentinelConnector) -> None:
        self._connector = connector
        self._executor: Rerunner | None = None

    def attach(self, executor: Rerunner) -> None:
        """Name the executor that re-runs commands."""
        self._executor = executor

    def __call__(
        self,
        error: RedisError,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any] | None:
        """Re-run a command the server refused for a reason of topology; see the module."""
        executor = self._executor
        if executor is None:
            return None
        connector = self._connector
        # READONLY from a replica is the answer to a write sent to a replica client.
        if isinstance(error, MasterDownError) or (
            isinstance(error, ReadOnlyError) and not connector.replica
        ):
            connector.demoted(error)
            return _rerun(executor, meta, args, parser, deadline, 0.0, error)
        if isinstance(error, LoadingError):
            return _rerun(executor, meta, args, parser, deadline, _LOADING_PAUSE, error)
        return None


async def _rerun(
    executor: Rerunner,
    meta: CommandMeta,
    args: Sequence[ArgT],
    parser: Callable[[Any], Any] | None,
    deadline: float | None,
    pause: float,
    error: RedisError,
) -> Any:
    # Even with no pause, yield once: the connections are given up in the coming loop turn,
    # and the command must not go back to the server that refused it.
    if deadline is not None:
        pause = min(pause, max(0.0, deadline - time.monotonic()))
    await asyncio.sleep(pause)
    try:
        return await executor.rerun(meta, args, parser, deadline)
    except CommandTimeoutError as exc:
        if exc.__cause__ is None:
            exc.__cause__ = error
        raise
