"""A cluster executor with other per-call settings: what ``RedisCluster.with_options`` binds.

Rules this module keeps:

- A view shares everything with the executor it was made from (the root): the slot map and
  its refreshes, the node executors and their connections, the counters. It has its own
  ``command_timeout`` and cache choice, and nothing else.
- It sees the root's slot tables and node lookup through its own lookups, which hand out its
  version of each entry: a node's executor ``with_timeout`` and past (or through) its cache,
  a replica set of such versions, a down node's stand-in that waits within the view's
  timeout. Versions are made on first use and remembered by entry; the root's own paths are
  untouched, so a view costs the root nothing.
- A redirect or a failure found by a view's command is handled by the node's reroute, which
  is the root's; it goes on with the deadline the view's command was sent with, and past
  the cache.
- Starting is the root's (one slot map, one periodic refresh); a view closes nothing.
"""

# pyright: reportPrivateUsage=false
# (A view reads the root executor's state: it is the same executor with other settings.)

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final, overload

from redis_oxide._cache import CachingExecutor
from redis_oxide._cache_setup import with_cache
from redis_oxide._cluster._executor import ClusterExecutor
from redis_oxide._cluster._nodes import NodeExecutor, NodeLookup
from redis_oxide._cluster._redirects import DownTarget
from redis_oxide._cluster._slots import ClusterMember
from redis_oxide._cluster._targets import ReplicaSet, Target
from redis_oxide._executor import ServerExecutor

__all__ = ["ClusterExecutorView"]

# Versions remembered at most before they are made afresh (nodes come and go).
_REMEMBERED: Final = 1024


class _Table(Sequence["Target | None"]):
    """A slot table as a view sees it: each entry in the view's version."""

    __slots__ = ("_entries", "_version")

    def __init__(self, entries: Sequence[Target | None], version: Callable[[Target], Target]):
        self._entries = entries
        self._version = version

    @overload
    def __getitem__(self, index: int) -> Target | None: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Target | None]: ...

    def __getitem__(self, index: int | slice) -> Target | Sequence[Target | None] | None:
        if isinstance(index, slice):
            return [None if t is None else self._version(t) for t in self._entries[index]]
        target = self._entries[index]
        return None if target is None else self._version(target)

    def __len__(self) -> int:
        return len(self._entries)


class _Nodes:
    """The root's node lookup, handing out the view's version of each executor."""

    __slots__ = ("_inner", "_version")

    def __init__(self, inner: NodeLookup, version: Callable[[NodeExecutor], NodeExecutor]):
        self._inner = inner
        self._version = version

    def get(self, host: str, port: int) -> NodeExecutor:
        return self._version(self._inner.get(host, port))

    def of(self, node: ClusterMember) -> NodeExecutor:
        return self._version(self._inner.of(node))

    def find(self, address: str) -> NodeExecutor | None:
        executor = self._inner.find(address)
        return None if executor is None else self._version(executor)

    def items(self) -> Iterator[tuple[str, NodeExecutor]]:
        return ((address, self._version(e)) for address, e in self._inner.items())


class ClusterExecutorView(ClusterExecutor):
    """The root's cluster executor with its own ``command_timeout`` and cache choice.

    Args:
        parent: The executor the view is made from (a root, or another view: its cache
            choice is kept unless this one makes its own).
        command_timeout: Seconds each non-blocking command waits; None waits indefinitely.
        cache: False reads past the node caches, True through them; None keeps the parent's.
    """

    _root: ClusterExecutor
    _cache: bool | None

    def __init__(
        self, parent: ClusterExecutor, *, command_timeout: float | None, cache: bool | None
    ):
        # Not ClusterExecutor.__init__: the state is the root's (module rules).
        root = parent._root if isinstance(parent, ClusterExecutorView) else parent
        if cache is None and isinstance(parent, ClusterExecutorView):
            cache = parent._cache
        self._root = root
        self._cache = cache
        self._versions: dict[object, Any] = {}
        self.command_timeout = command_timeout
        self.topology = root.topology
        self.counters = root.counters
        self._retry = root._retry
        self._max_redirects = root._max_redirects
        self._failover_timeout = root._failover_timeout
        self._down = {}
        self.registry = _Nodes(root.registry, self._node)
        self._primaries = _Table(root._primaries, self._entry)
        same = root._readers is root._primaries
        self._readers = self._primaries if same else _Table(root._readers, self._entry)

    async def start(self) -> None:
        """Load the root's slot map (once; later calls join or return)."""
        await self._root.start()

    async def aclose(self, grace: float | None) -> None:
        """Close nothing: the connections are the root's."""

    # -- versions -----------------------------------------------------------------------------

    def _node(self, executor: NodeExecutor) -> NodeExecutor:
        found: NodeExecutor | None = self._versions.get(executor)
        if found is None:
            found = with_cache(executor.with_timeout(self.command_timeout), self._cache)
            self._remember(executor, found)
        return found

    def _entry(self, target: Target) -> Target:
        if isinstance(target, ServerExecutor | CachingExecutor):
            return self._node(target)
        if isinstance(target, DownTarget):
            return self._down_target(target.address)  # waits within this view's timeout
        if isinstance(target, ReplicaSet):
            found: Target | None = self._versions.get(target)
            if found is None:
                found = ReplicaSet([self._entry(e) for e in target.executors])
                self._remember(target, found)
            return found
        return target  # a shard without the replica asked for: it refuses alike

    def _remember(self, entry: object, version: object) -> None:
        if len(self._versions) >= _REMEMBERED:
            self._versions.clear()
        self._versions[entry] = version

    def __repr__(self) -> str:
        return f"<ClusterExecutorView command_timeout={self.command_timeout!r} cache={self._cache}>"
