"""What a slot table entry is: a node executor, a down node's stand-in, or a replica set.

Nothing here awaits or looks at the topology; an entry only runs the command it is given.
"""

# pyright: reportPrivateUsage=false
# (Entries are called through the executor seam, ``_execute``.)

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

from redis_oxide._command import ArgT, CommandMeta, ReplyParser

__all__ = ["ReplicaSet", "Target"]

T = TypeVar("T")


class Target(Protocol):
    """What a slot table entry is: something that runs a command (a node executor or stand-in)."""

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Any: ...


class ReplicaSet:
    """A slot table entry for reads: the shard's replicas in turn."""

    __slots__ = ("_next", "executors")

    def __init__(self, executors: Sequence[Target]) -> None:
        self.executors = tuple(executors)
        self._next = 0

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Any:
        index = self._next
        self._next = (index + 1) % len(self.executors)
        return self.executors[index]._execute(meta, args, parser)
