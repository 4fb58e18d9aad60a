"""A cluster client's per-call target (``cluster.on(...)``) and its statistics.

Rules this module keeps:

- A ``ClusterView`` is the generated command surface over chosen nodes: a target is resolved
  against the slot map at each call, one node runs the command through its own executor
  (its fast path), several nodes are a fan-out combined as the command's response policy says.
  Generated signatures cannot gain a ``target=`` parameter, so the target is the view's.
- A command the spec gives no way of combining (no tip: ROLE, TIME, CONFIG GET ...) is refused
  on a group before anything is sent: its single-server type cannot hold several nodes'
  answers, and a merge of them was a wrong value. ``each(call)`` gives a value per node.
- A view owns nothing: it shares the client's node connections and is never closed.
"""

# pyright: reportPrivateUsage=false
# (The view calls node executors through the executor seam, ``_execute``.)

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Self, TypeAlias, TypeVar

from redis_oxide._cluster import ClusterExecutor, ClusterMember, combines
from redis_oxide._command import ArgT, CommandMeta, ReplyParser
from redis_oxide._exceptions import InvalidUsageError
from redis_oxide._generated import Commands, StrT
from redis_oxide._parsers import Reply
from redis_oxide._pool import PoolStats
from redis_oxide._raw_commands import command_meta

__all__ = ["ClusterStats", "ClusterTarget", "ClusterView", "cluster_stats"]

T = TypeVar("T")

#: Where a view's commands run: one member, or every primary, replica or node.
ClusterTarget: TypeAlias = ClusterMember | Literal["primaries", "replicas", "all"]

_GROUPS = ("primaries", "replicas", "all")


class ClusterView(Commands[StrT]):
    """The command surface of a cluster client, run on the nodes of one target.

    Built by ``RedisCluster.on(target)``.
    """

    __slots__ = ("_cluster", "_target")

    _cluster: ClusterExecutor
    _target: ClusterTarget

    def __init__(self) -> None:
        raise TypeError("cluster views are made by RedisCluster.on(target)")

    @classmethod
    def _over(cls, cluster: ClusterExecutor, target: ClusterTarget) -> Self:
        if not isinstance(target, ClusterMember) and target not in _GROUPS:
            raise ValueError(
                f"target must be a ClusterMember, 'primaries', 'replicas' or 'all', not {target!r}"
            )
        view = object.__new__(cls)
        view._cluster = cluster
        view._target = target
        return view

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        target = self._target
        cluster = self._cluster
        if isinstance(target, ClusterMember):
            result: Awaitable[T] = cluster.registry.of(target)._execute(meta, args, parser)
            return result
        if not combines(meta):
            raise InvalidUsageError(
                f"{meta.name} answers for one node and has no rule for combining several "
                f"nodes' replies, so cluster.on({target!r}) cannot give one value: use "
                f"`await cluster.on({target!r}).each(lambda node: node.<command>(...))` for a "
                "dict of each node's value, or cluster.on(member) for one node",
                command=meta.name,
            )
        return self._fan_out(meta, args, parser, target)

    async def each(
        self, call: Callable[[ClusterView[StrT]], Awaitable[T]]
    ) -> dict[ClusterMember, T]:
        """Run ``call`` on a view of each node of the target, concurrently; a value per node.

        For commands that answer for one node (``ROLE``, ``TIME``, ``CONFIG GET``,
        ``CLIENT LIST`` ...): ``await cluster.on("primaries").each(lambda node: node.time())``.

        Args:
            call: Given a view of one node, returns what to await on it.

        Returns:
            Per node (the ``ClusterMember`` to pass to ``cluster.on()``), its value, in the
            order of ``cluster.nodes()``.

        Raises:
            RedisError: A node's call failed (the first such error, once every call ended).
        """
        target = self._target
        cluster = self._cluster
        if isinstance(target, ClusterMember):
            nodes = [target]
        else:
            await cluster.start()
            nodes = cluster.topology_nodes(target)
        views = [type(self)._over(cluster, node) for node in nodes]
        outcomes = await asyncio.gather(*(call(view) for view in views), return_exceptions=True)
        values: dict[ClusterMember, T] = {}
        for node, outcome in zip(nodes, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                raise outcome
            values[node] = outcome
        return values

    async def _fan_out(
        self,
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: ReplyParser[T] | None,
        group: Literal["primaries", "replicas", "all"],
    ) -> T:
        cluster = self._cluster
        await cluster.start()
        nodes = cluster.topology_nodes(group)
        if len(nodes) == 1:
            value: T = await cluster.registry.of(nodes[0])._execute(meta, args, parser)
            return value
        return await cluster.fan_out(meta, args, parser, nodes)

    async def execute_command(self, *args: ArgT) -> Reply:
        """Send a raw command to the view's nodes and return the (combined) reply.

        Args:
            *args: The command name and its arguments.

        Returns:
            The reply as decoded.

        Raises:
            InvalidUsageError: The command changes connection state.
            ServerError: A node refused the command.
        """
        if not args:
            raise TypeError("execute_command() needs at least the command name")
        reply: Reply = await self._execute(command_meta(args), args, None)
        return reply

    def __repr__(self) -> str:
        return f"<redis_oxide.ClusterView on {self._target}>"


@dataclass(frozen=True, slots=True)
class ClusterStats:
    """A snapshot of a cluster client's bookkeeping, for tests, metrics and ``repr``.

    Attributes:
        nodes: Per node address, its connection counts (bytes written and read are counted
            only while telemetry is on, as for ``Redis.stats()``).
        down: Addresses of the nodes currently marked down.
        refreshes: Slot map refreshes done.
        map_changes: Times the slot map changed.
        moved: MOVED redirects followed.
        asked: ASK redirects followed.
        retried: Retries after TRYAGAIN, CLUSTERDOWN, LOADING, MASTERDOWN or READONLY.
        rerouted: Commands moved off a node after a lost connection or a failed connect.
    """

    nodes: dict[str, PoolStats]
    down: tuple[str, ...]
    refreshes: int
    map_changes: int
    moved: int
    asked: int
    retried: int
    rerouted: int


def cluster_stats(cluster: ClusterExecutor) -> ClusterStats:
    """Take a snapshot of ``cluster``'s bookkeeping."""
    counters = cluster.counters
    topology = cluster.topology
    return ClusterStats(
        nodes={address: executor.stats() for address, executor in cluster.registry.items()},
        down=tuple(topology.down),
        refreshes=topology.refreshes,
        map_changes=topology.version,
        moved=counters.moved,
        asked=counters.asked,
        retried=counters.retried,
        rerouted=counters.rerouted,
    )
