"""The readers of the cache suite: one per row of `bench._spec.CACHE_ROWS`.

Rules and invariants:
- A reader is the library's `bench._adapters` adapter (same construction, same defaults),
  plus what the workload needs: `HotKeyReader.fetch` hands it the library's own GET (the
  bound method, no wrapper), so a cache hit costs what it costs an application; replies are
  the library's native ones.
- Every reader has a barrier: a round trip after which every invalidation the server queued
  before it has been applied to the reader's cache (see `bench._cache_workload`). Without a
  cache none is needed (each read goes to the server). Where a barrier needs a library's
  internals, its note says which, and a barrier that cannot give the guarantee fails the
  phase rather than let a late invalidation pass for a stale read.
- `counters` returns the cache's (hits, lookups) so far, None without a cache; lookups are
  every read that went through the cache, so hits / lookups is the hit rate.
- As in `bench._adapters`, importing this module imports no client library, and a missing
  or broken one becomes `ClientUnavailable`.
"""

from __future__ import annotations

import abc
import asyncio
from typing import Any, cast

from bench._adapters import (
    ClientUnavailable,
    CoredisAdapter,
    GlideAdapter,
    OxideAdapter,
    RedisPyAdapter,
    _import,
)
from bench._cache_workload import Get
from bench._spec import CACHE_ROWS, CACHED_ROWS, Status

__all__ = ["HotKeyReader", "load_reader"]

# Loop turns coredis's invalidation task gets to apply what reached its connection.
_DRAIN_TURNS = 1000


class HotKeyReader(abc.ABC):
    """One client, cached or not, as the hot-key workload drives it.

    The subclasses are adapters of `bench._adapters` too, which keep the library's client
    in ``_client`` and provide `open`, `close`, ``version``, ``source`` and ``notes``.
    """

    version: str = ""
    source: str = ""
    notes: tuple[str, ...] = ()
    _client: Any

    @property
    def fetch(self) -> Get:
        """The library's GET, bound to the open client."""
        return cast(Get, self._client.get)

    @abc.abstractmethod
    async def open(self, host: str, port: int) -> None:
        """Connect (and start the cache's tracking, for a cached reader)."""

    @abc.abstractmethod
    async def barrier(self) -> None:
        """Return once every invalidation queued before the call has reached the cache."""

    def counters(self) -> tuple[int, int] | None:
        """(hits, lookups) of the cache so far; None without a cache."""
        return None

    @abc.abstractmethod
    async def close(self) -> None:
        """Release every connection."""


class OxideReader(OxideAdapter, HotKeyReader):
    """redis-oxide's `redis_oxide.Redis`, with ``cache=CacheConfig()`` or without a cache."""

    def __init__(self, source: str, *, cached: bool) -> None:
        super().__init__(source)
        if cached:
            config = getattr(_import("redis_oxide", "redis-oxide"), "CacheConfig", None)
            if config is None:
                raise ClientUnavailable(
                    Status.UNAVAILABLE, "redis_oxide.CacheConfig does not exist"
                )
            self._options["cache"] = config()
            self.notes = (
                "stale check: barrier is CLIENT TRACKINGINFO, which runs on the connection "
                "that receives the invalidations",
            )

    async def open(self, host: str, port: int) -> None:
        await super().open(host, port)
        client: Any = self._client
        await client.ping()

    async def barrier(self) -> None:
        # Uncached too: both rows of redis-oxide then make the same commands.
        client: Any = self._client
        await client.client_trackinginfo()

    def counters(self) -> tuple[int, int] | None:
        cache = getattr(self._client, "cache", None)
        if cache is None:
            return None
        # A read that waited for a read in flight (a refresh, or another task's miss) is not
        # a hit: it waited for the server.
        waited = getattr(cache, "coalesced", 0)
        return cache.hits, cache.hits + cache.misses + waited


class _Uncached(HotKeyReader):
    """An uncached peer: every read goes to the server, after the writes acknowledged before
    it started, so the barrier needs no round trip (one would take a connection from a pool
    that the 100 reader tasks may have exhausted: redis-py's holds 100 by default)."""

    async def barrier(self) -> None:
        await asyncio.sleep(0)


class RedisPyReader(RedisPyAdapter, _Uncached):
    """redis-py's `redis.asyncio.Redis` (its asyncio client has no client-side cache)."""


class GlideReader(GlideAdapter, _Uncached):
    """valkey-glide's asyncio `GlideClient` (no client-side cache)."""


class CoredisReader(CoredisAdapter, _Uncached):
    """coredis's `coredis.Redis`, with ``cache=LRUCache()`` (its defaults) or without.

    coredis keeps its cache coherent with one extra connection that the server sends the
    invalidations to (``CLIENT TRACKING ... REDIRECT``), read by a task of its own. The barrier
    is a PING on that connection, then waiting until that task has applied every invalidation
    that arrived before the PING's reply: coredis offers no public way to do either, so this
    uses its internals (``connection_pool.cache._connection`` and the connection's push
    message buffer).
    """

    def __init__(self, *, cached: bool) -> None:
        super().__init__()
        self._lru: Any = None
        if cached:
            self._lru = _import("coredis.patterns.cache", "coredis").LRUCache
            self.notes = (
                "stale check: barrier is a PING on the connection coredis's cache receives "
                "the invalidations on, then waiting until its invalidation task has applied "
                "them all (coredis internals: connection_pool.cache._connection)",
            )

    async def open(self, host: str, port: int) -> None:
        if self._lru is None:
            await super().open(host, port)
            return
        client = self._coredis.Redis(host=host, port=port, cache=self._lru())
        self._client = await self._stack.enter_async_context(client)

    async def barrier(self) -> None:
        if self._lru is None:
            await super().barrier()
            return
        connection = self._client.connection_pool.cache._connection
        if connection is None:
            raise RuntimeError("coredis's cache has no invalidation connection")
        await connection.create_request(b"PING")
        pushed = connection._push_message_buffer_in
        for _ in range(_DRAIN_TURNS):
            state = pushed.statistics()
            # Nothing buffered and the task waiting for more: it applied all that came.
            if state.current_buffer_used == 0 and state.tasks_waiting_receive:
                return
            await asyncio.sleep(0)
        raise RuntimeError("coredis's invalidation task did not catch up")

    def counters(self) -> tuple[int, int] | None:
        if self._lru is None:
            return None
        summary = self._client.connection_pool.cache.stats.summary
        return summary["hits"], summary["hits"] + summary["misses"]


def load_reader(row: str, source: str = "") -> HotKeyReader:
    """`bench._adapters.load_adapter` for a row of `bench._spec.CACHE_ROWS`: a reader, not
    yet connected, of the row's library (cached or not); the same `ClientUnavailable`."""
    client, cached = CACHE_ROWS[row], row in CACHED_ROWS
    if client == "redis-py":
        return RedisPyReader()
    if client == "valkey-glide":
        return GlideReader()
    if client == "coredis":
        return CoredisReader(cached=cached)
    return OxideReader(source, cached=cached)
