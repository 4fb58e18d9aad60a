"""The client-side cache of a cluster client: one cache per node, read as one.

Rules this module keeps:

- Each node's executor is a ``CachingExecutor`` built as ``Redis`` builds its own
  (``make_executor`` in the cluster's node factory): its own tracking connection to that
  node, its own ``Cache`` with the client's ``CacheConfig`` (so ``max_entries`` and
  ``max_bytes`` bound each node's cache). ``ClusterCache`` only collects them: it sums their
  counters, clears them, and drops what a change of the slot map makes unsafe.
- A hit is answered by the cache of the node the slot table names for the key. A miss runs on
  that node's tracking connection; answered MOVED or ASK, it is re-run through the client's
  own connections (the node's ``Reroute`` gets the parser without its fill) and fills nothing.
- The servers keep each node's cache coherent: writes on the node (replicated ones too: a
  replica invalidates what it was read for, so a primary demoted by a failover keeps its
  cache right), keys MIGRATE moves away (deleted at the source, so invalidated), FLUSHALL;
  a node's lost tracking connection flushes its cache (a crashed primary).
- A change of the slot map drops, in each node's cache, what that node may no longer answer
  for: every entry when its role changed or it left the map, the entries of the slots it no
  longer serves otherwise. Nothing here awaits.
- Counters are sums over every cache the client made, those of nodes that left included, so
  they never go down.
"""

# pyright: reportPrivateUsage=false
# (The map listener drops entries through the store's private invalidation.)

from __future__ import annotations

from redis_oxide._cache_config import CacheConfig
from redis_oxide._cache_store import Cache
from redis_oxide._cluster._slots import SlotMap
from redis_oxide._keys import key_slot

__all__ = ["ClusterCache"]

#: Per node address: its role, and the slots its shard serves.
_Served = dict[str, tuple[str, frozenset[int]]]


class ClusterCache:
    """The client-side caches of a ``RedisCluster``, one per node, read as one.

    Made by ``RedisCluster(..., cache=...)`` and reached as ``cluster.cache``. The counters
    are the sums over every node's ``Cache`` (``nodes()`` gives each).

    Attributes:
        config: The configuration every node's cache was made with.
    """

    __slots__ = ("_made", "config")

    def __init__(self) -> None:
        raise TypeError("a ClusterCache is made by RedisCluster(cache=...)")

    @classmethod
    def _new(cls, config: CacheConfig) -> ClusterCache:
        """An empty collection; node caches join it as their executors are made."""
        caches = object.__new__(cls)
        caches.config = config
        caches._made = []
        return caches

    config: CacheConfig
    #: Every cache made, with its node's address, oldest first.
    _made: list[tuple[str, Cache]]

    def _add(self, address: str, cache: Cache) -> None:
        cache._batch_gets = False  # a node's hot keys span slots, and an MGET takes one
        self._made.append((address, cache))

    def nodes(self) -> dict[str, Cache]:
        """Return each node's cache, by ``host:port`` (the current one for each address).

        Returns:
            A new dict; the caches are live.
        """
        return dict(self._made)

    @property
    def hits(self) -> int:
        """Reads answered from a cache."""
        return sum(cache.hits for _, cache in self._made)

    @property
    def misses(self) -> int:
        """Cacheable reads sent to a node."""
        return sum(cache.misses for _, cache in self._made)

    @property
    def coalesced(self) -> int:
        """Cacheable reads that waited for the same read in flight instead of sending theirs."""
        return sum(cache.coalesced for _, cache in self._made)

    @property
    def refreshes(self) -> int:
        """Reads a node's cache sent by itself for invalidated entries that had been read."""
        return sum(cache.refreshes for _, cache in self._made)

    @property
    def evictions(self) -> int:
        """Entries dropped to stay within a node's bounds, or past ``ttl``."""
        return sum(cache.evictions for _, cache in self._made)

    @property
    def invalidations(self) -> int:
        """Entries dropped because their key changed, or their slot moved to another node."""
        return sum(cache.invalidations for _, cache in self._made)

    @property
    def flushes(self) -> int:
        """Times a node's whole cache was dropped while it held entries."""
        return sum(cache.flushes for _, cache in self._made)

    @property
    def bytes_used(self) -> int:
        """Approximate memory of every node's cached values and their arguments, in bytes."""
        return sum(cache.bytes_used for _, cache in self._made)

    def __len__(self) -> int:
        return sum(len(cache) for _, cache in self._made)

    def __bool__(self) -> bool:
        return True  # no entry yet is still a cache (``if cluster.cache:``)

    def clear(self) -> None:
        """Drop every node's entries; reads already sent do not fill when they return."""
        for _, cache in self._made:
            cache.clear()

    def __repr__(self) -> str:
        return (
            f"<redis_oxide.ClusterCache nodes={len(self.nodes())} entries={len(self)} "
            f"bytes={self.bytes_used} hits={self.hits} misses={self.misses} "
            f"coalesced={self.coalesced} refreshes={self.refreshes} "
            f"evictions={self.evictions} invalidations={self.invalidations} "
            f"flushes={self.flushes}>"
        )

    def _map_changed(self, old: SlotMap | None, new: SlotMap) -> None:
        """Drop what each node may no longer answer for (a ``Topology`` listener)."""
        before, after = _served(old), _served(new)
        for address, cache in self.nodes().items():
            was = before.get(address)
            if was is None:
                continue  # nothing it holds was read through the old map's tables
            now = after.get(address)
            if now is None or now[0] != was[0]:
                cache._flush()
                continue
            lost = was[1] - now[1]
            if lost:
                cache._invalidate([key for key in cache._by_key if key_slot(key) in lost])


def _served(current: SlotMap | None) -> _Served:
    served: _Served = {}
    if current is None:
        return served
    for shard in current.shards:
        slots = frozenset(s for first, last in shard.ranges for s in range(first, last + 1))
        served[shard.primary.address] = ("primary", slots)
        for replica in shard.replicas:
            served[replica.address] = ("replica", slots)
    return served
