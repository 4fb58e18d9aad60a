"""What node-executor doubles need besides ``_execute``: the strategy the topology asks on.

The topology sends its own queries (CLUSTER SHARDS/SLOTS, the down-node PING) on a node's
strategy, beneath telemetry; a double routes them to its ``_execute`` like any command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis_oxide._command import ArgT, CommandMeta

__all__ = ["DirectStrategy"]


class DirectStrategy:
    """A double's strategy: ``execute`` is the double's ``_execute``."""

    def __init__(
        self, execute: Callable[[CommandMeta, tuple[ArgT, ...], Any], Awaitable[Any]]
    ) -> None:
        self._execute = execute

    async def execute(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Any,
        timeout: float | None = None,  # noqa: ASYNC109  # the strategy interface's
        *,
        blocking: bool = False,
    ) -> Any:
        return await self._execute(meta, tuple(args), parser)
