"""Client-side caching: an executor in front of the server's.

Rules this module keeps:

- With no cache nothing here runs: the client binds ``ServerExecutor._execute``. With one it
  binds ``CachingExecutor._execute`` (and, for its plain reads, hit functions that make the
  same hit in one call, ``_cache_hits``): a read-only command is first looked up by its argument
  tuple (only a cacheable read can have an entry, so a hit needs nothing else), then one
  dict lookup by command name (``command_plan``) decides: a cacheable read that missed, a
  write to invalidate, or anything else, passed on.
- Cacheable reads that miss run on the cache's own tracking connection: a ``MultiplexedPool``
  over a ``TrackingConnector`` (``_cache_tracking``). Only those reads are tracked, so
  leased, pooled and pub/sub connections never receive an invalidation, and only the end of
  that one connection can leave the cache without its invalidations (it flushes the cache).
  Any ``Connector`` works (fixed, Sentinel-resolved, a cluster node: a cluster client has one
  cache per node, each a ``CachingExecutor`` over that node's executor).
- Entries and flights are found by argument tuple, so a tuple equal in Python to another
  one that the wire carries differently (``1`` and ``1.0``, ``0`` and ``-0.0``) must never
  be stored: a read with an int or float argument misses the hit path's lookup, and is
  looked up, stored and sent with its numbers as their wire bytes (``_numeric``). The hit
  path of a read without numbers pays nothing for it.
- Invalidations are applied as the push frames are read, before any reply behind them.
- A miss joins the same read already in flight unless an invalidation of its key or a
  flush came since that read was sent (``_cache_flight``): concurrent misses of a key send
  one read.
- With ``CacheConfig.refresh``, an entry the server invalidates after a hit marked it is read
  again as soon as the connection's read that brought the invalidation ends (``_cache_refresh``),
  sent like a miss and registered as its key's flight, so the key's next readers hit or
  join it instead of missing one by one. The GETs of one read go as one MGET (not on a
  cluster node, whose keys span slots; not once a server refused MGET), and the refreshes
  are written at once rather than at the end of the loop turn: every reader of those keys
  waits for them.
- A read that races an invalidation never fills (``_cache_store``). Writes through this
  client invalidate their keys when sent and again when answered (a read that the server
  ran before the write but that was answered after it is refused either way); keyless writes
  (FLUSHALL, SWAPDB ...) flush the cache.
- A hit needs the tracking connection alive: the connection empties the cache as it stops
  taking commands (``Connection.on_unavailable``, before any task runs), so a hit looks at
  the entries only. It returns an awaitable that completes without yielding to the
  loop: the entry's done future of an immutable value (made by its first hit), a coroutine
  of a copy of a mutable one. One hit in 256 waits one loop turn, so a task that only hits
  still lets the loop read the invalidations.
- Pipelines and transactions are sent as queued: their reads go to the server and do not
  fill; their writes invalidate as single writes do. So do the writes of a WATCH
  transaction: every lease is a ``CacheLease`` (``_cache_lease``), whose commands invalidate
  their keys when sent and when answered, and its watched keys when it ends.
- Nothing the tracking connection or its watcher reaches (the cache, its refresher, the
  record of a read that ended) holds the executor: a client dropped without ``aclose()``
  is collected, and its finalizer closes what ``owned`` names.
"""

# pyright: reportPrivateUsage=false
# (The executor works on the store's private state: the hit path reads its dict directly.)

from __future__ import annotations

import asyncio
import copy
import functools
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Final, TypeVar

from redis_oxide._cache_config import (
    FLUSH,
    WRITE_KEYS,
    command_plan,
    prefix_bytes,
)
from redis_oxide._cache_flight import join, prune
from redis_oxide._cache_lease import CacheLease, forgetting
from redis_oxide._cache_refresh import refresh
from redis_oxide._cache_store import HITS_PER_TURN, Cache
from redis_oxide._cache_tracking import TrackingConnector
from redis_oxide._cache_values import key_bytes
from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser
from redis_oxide._executor import ServerExecutor
from redis_oxide._keys import command_keys
from redis_oxide._pool import Lease, MultiplexedPool, PoolStats
from redis_oxide._pool._batch import Batch
from redis_oxide._pool._interfaces import ConnectionStrategy

__all__ = ["Cache", "CachingExecutor"]

T = TypeVar("T")

_monotonic = time.monotonic
_partial = functools.partial
_Future = asyncio.Future
# Arguments equal in Python but not on the wire (1 and 1.0, 0 and -0.0, True and 1): a read
# holding one is keyed by their wire bytes (bytes, str and memoryview compare as sent).
_NUMBERS: Final = (int, float)


async def _ready(value: T) -> T:
    # The cheapest awaitable of a known value: no future, no loop turn.
    return value


async def _after_a_turn(value: T) -> T:
    # Lets the loop read its sockets (and so the invalidations) before the value is used.
    await asyncio.sleep(0)
    return value


def _future_of(result: Awaitable[T]) -> asyncio.Future[T]:
    # The fast path already returns a future; the slow path (connecting) a coroutine.
    if isinstance(result, asyncio.Future):
        return result
    return asyncio.ensure_future(result)


async def _close_now(
    connector: TrackingConnector, strategies: Sequence[ConnectionStrategy]
) -> None:
    # ``CachingExecutor.aclose(0)`` without the executor (``owned``).
    await connector.stop()
    await asyncio.gather(*[strategy.aclose(0) for strategy in strategies])


class CachingExecutor:
    """Runs commands through a cache, in front of a ``ServerExecutor`` (module rules).

    Args:
        inner: Runs everything the cache does not answer (the client's executor).
        tracked: Runs the cache's reads, on the tracking connection.
        pool: ``tracked``'s strategy; a hit needs its connection alive.
        cache: The entries and counters.
        connector: The tracking connector ``tracked`` connects through.
    """

    __slots__ = (
        "_cache",
        "_connector",
        "_direct",
        "_entries",
        "_fill",
        "_hook",
        "_inner",
        "_inner_execute",
        "_lifetime",
        "_plan",
        "_plans",
        "_pool",
        "_prefixes",
        "_timeout",
        "_tracked",
        "_tracked_execute",
    )

    def __init__(
        self,
        inner: ServerExecutor,
        tracked: ServerExecutor,
        pool: MultiplexedPool,
        cache: Cache,
        connector: TrackingConnector,
    ) -> None:
        self._inner = inner
        self._tracked = tracked
        self._pool = pool
        self._cache = cache
        self._connector = connector
        plan = command_plan(cache.config)
        # A bypassing view's plan passes cacheable reads through: no flag to test per read.
        self._plans = (plan, {name: kind for name, kind in plan.items() if kind < 0})
        self._plan = plan
        self._prefixes = prefix_bytes(cache.config) if cache.config.mode == "bcast" else ()
        # Bound once: the hot path calls these without an attribute lookup on the executor.
        self._inner_execute = inner._execute
        self._tracked_execute = tracked._execute
        # A miss is sent straight on a ready tracking connection, as ServerExecutor._execute
        # would send it (cacheable reads are never blocking, always READONLY).
        self._timeout = tracked.command_timeout
        self._hook = tracked._hook_read
        # False when telemetry sits beneath the cache: a miss goes through ``_tracked_execute``.
        self._direct = True
        self._entries = cache._entries
        self._fill = cache._fill
        if cache.config.refresh:
            cache._refresher = _partial(refresh, pool, cache, self._timeout, self._hook)
        self._lifetime: object = None  # the client's, shared by views (``_client`` rules)

    @property
    def cache(self) -> Cache:
        """The cache's entries and counters."""
        return self._cache

    @property
    def command_timeout(self) -> float | None:
        """Seconds each non-blocking command waits for its reply; None waits indefinitely."""
        return self._inner.command_timeout

    @property
    def strategy(self) -> ConnectionStrategy:
        """The client's connection strategy (the tracking connection is the cache's own)."""
        return self._inner.strategy

    def with_timeout(self, command_timeout: float | None) -> CachingExecutor:
        """Return an executor sharing this one's cache with another ``command_timeout``.

        Args:
            command_timeout: Seconds each non-blocking command waits; None waits
                indefinitely.

        Returns:
            The new executor.
        """
        view = copy.copy(self)
        view._inner = self._inner.with_timeout(command_timeout)
        view._tracked = self._tracked.with_timeout(command_timeout)
        view._inner_execute = view._inner._execute
        view._tracked_execute = view._tracked._execute
        view._timeout = view._tracked.command_timeout
        view._hook = view._tracked._hook_read
        return view

    def bypassing(self, bypass: bool) -> CachingExecutor:
        """Return an executor whose reads skip the cache (``bypass``) or use it.

        Writes still invalidate: a bypassing view must not leave the cache stale.

        Args:
            bypass: Send cacheable reads to the server and keep nothing.

        Returns:
            The new executor, sharing this one's cache.
        """
        view = copy.copy(self)
        view._plan = self._plans[bypass]
        view._entries = {} if bypass else self._cache._entries  # no hit in a bypassing view
        return view

    # -- one command ---------------------------------------------------------------------------

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        # (``_cache_hits`` makes the same hit for the plain reads: a change here goes there too.)
        if meta.is_readonly:  # cacheable reads are (a hit pays no plan lookup)
            try:
                entry = self._entries.get(args)  # (a bypassing view's is always empty)
            except (TypeError, ValueError):  # an unhashable argument (a writable memoryview)
                entry = None  # (the plan's path sends it uncached)
            if entry is not None and entry[1] is parser:
                # (Entries live while the tracking connection is available: it flushes the
                # cache as it stops being so, ``Connection.on_unavailable``.)
                expires = entry[2]
                if expires is None or expires > _monotonic():
                    entry[7] = True
                    cache = self._cache
                    left = cache._left
                    if left:
                        cache._left = left - 1
                        done: asyncio.Future[T] | None = entry[9]
                        if done is not None:
                            return done  # awaited without a loop turn
                        copier = entry[3]
                        if copier is not None:  # (a mutable value's entry never has one)
                            return _ready(copier(entry[0]))
                        made: asyncio.Future[T] = cache._new_future()
                        made.set_result(entry[0])
                        entry[9] = made
                        return made
                    cache._hits += HITS_PER_TURN  # (the countdown's hits and this one)
                    cache._left = HITS_PER_TURN - 1
                    copier = entry[3]
                    return _after_a_turn(entry[0] if copier is None else copier(entry[0]))
                else:
                    self._cache._expired(entry)
        kind = self._plan.get(meta.name)
        if kind is None:
            return self._inner_execute(meta, args, parser)
        if kind >= 0:
            try:
                hash(args)
            except (TypeError, ValueError):  # an unhashable argument: never cached
                return self._inner_execute(meta, args, parser)
            return self._miss(meta, args, parser, kind)
        if kind == WRITE_KEYS:
            return self._write(meta, args, parser)
        if kind == FLUSH:
            cache = self._cache
            future = _future_of(self._inner_execute(meta, args, parser))
            cache._flush()
            future.add_done_callback(cache._flush)
            return future
        return self._tracked_execute(meta, args, parser)  # it reports the tracking itself

    def _miss(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None, index: int
    ) -> Awaitable[T]:
        cache = self._cache
        flight = cache._flights.get(args)  # a tuple holding a number finds none (``_numeric``)
        if (
            flight is not None
            and flight[3] is parser
            and flight[2] == cache._epoch
            and cache._invalidated.get(flight[5], 0) <= flight[1]
            and not flight[0].done()
        ):
            cache.coalesced += 1
            return join(flight, cache._new_future, self._miss, meta, args, parser, index)
        for arg in args:
            if isinstance(arg, _NUMBERS):
                return self._numeric(meta, args, parser)
        try:
            key = args[index]
            rkey = key.encode() if type(key) is str else key_bytes(key)
        except (IndexError, TypeError):
            # Too few arguments or a key that cannot be sent: the usual path reports it.
            return self._inner_execute(meta, args, parser)
        if self._prefixes and not rkey.startswith(self._prefixes):
            return self._inner_execute(meta, args, parser)  # no invalidation would come
        flights = cache._flights
        epoch = cache._epoch
        cache.misses += 1
        sent = cache._tick
        fill = _partial(self._fill, rkey, args, parser, sent, epoch, meta)
        tracking = self._pool.sole if self._direct else None
        if tracking is not None and tracking.available:
            result: Awaitable[T] = tracking.send(args, fill, meta, self._timeout, self._hook)
        else:
            result = self._tracked_execute(meta, args, fill)
        if isinstance(result, _Future):  # not while connecting: nothing to join then
            flights[args] = [result, sent, epoch, parser, None, rkey]
            if len(flights) > cache._flights_limit:
                cache._flights_limit = prune(flights)
        return result

    def _numeric(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        # 1 == 1.0 and 0 == -0.0, but not on the wire: a tuple holding a number is looked up,
        # stored, joined and sent with its numbers as their wire bytes, so the hit path's
        # lookup of a raw tuple never finds it (a float never finds an int's entry).
        try:
            wire = tuple([key_bytes(a) if isinstance(a, _NUMBERS) else a for a in args])
        except (TypeError, ValueError):  # a bool, or an unhashable argument
            return self._inner_execute(meta, args, parser)  # it reports the argument
        return self._execute(meta, wire, parser)

    def _write(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        result = self._inner_execute(meta, args, parser)
        keys, _complete = command_keys(meta, args)
        if not keys:
            return result
        rkeys = [key_bytes(key) for key in keys]
        cache = self._cache
        cache._invalidate(rkeys)
        future = _future_of(result)
        future.add_done_callback(functools.partial(cache._invalidate_done, rkeys))
        return future

    # -- batches and leases --------------------------------------------------------------------

    async def run_batch(self, batch: Batch, *, transaction: bool) -> list[object]:
        """Run a batch through the client's executor; its writes invalidate their keys.

        Args:
            batch: The queued commands.
            transaction: Wrap them in MULTI/EXEC.

        Returns:
            One value or error per command.
        """
        forget = forgetting(self._cache, self._plan, batch.metas, batch.args)
        if forget is None:
            return await self._inner.run_batch(batch, transaction=transaction)
        forget(None)
        try:
            return await self._inner.run_batch(batch, transaction=transaction)
        finally:
            forget(None)

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a dedicated connection whose writes invalidate their keys (``CacheLease``).

        Args:
            keys: The keys the lease is for (a WATCH transaction's watched keys), invalidated
                when it ends.

        Returns:
            A lease on a connection nobody else uses until it is released.
        """
        return CacheLease(await self._inner.lease(keys), self._cache, self._plan, keys)

    def rerun(
        self,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any]:
        """``ServerExecutor.rerun`` on the client's executor, past the cache.

        A topology's ``Reroute`` calls it once the server moved (Sentinel failover). The
        cache's own misses come here without their fill (``_cache_setup._unfilled``): a reply
        read on a connection that does not track must never be kept.
        """
        return self._inner.rerun(meta, args, parser, deadline)

    def stats(self) -> PoolStats:
        """Return the connection counts of the client's strategy and the tracking connection.

        The tracking connection is one of the client's connections (the server lists it, and
        the metrics count it in the client's pool), and the cache's misses travel on it.
        """
        s, t = self._inner.stats(), self._tracked.stats()
        return PoolStats(
            strategy=s.strategy,
            connections=s.connections + t.connections,
            idle=s.idle + t.idle,
            leased=s.leased + t.leased,
            waiting=s.waiting + t.waiting,
            pending=s.pending + t.pending,
            reconnects=s.reconnects + t.reconnects,
            max_connections=s.max_connections,  # the tracking connection is never leased
            bytes_written=s.bytes_written + t.bytes_written,
            bytes_read=s.bytes_read + t.bytes_read,
        )

    def owned(
        self,
    ) -> tuple[tuple[ConnectionStrategy, ...], Callable[[], Coroutine[Any, Any, None]]]:
        """Both strategies, and what closes them at once and stops the watcher.

        Neither holds this executor: a client's finalizer holds them (``_client``).
        """
        strategies = (self._inner.strategy, self._tracked.strategy)
        return strategies, _partial(_close_now, self._connector, strategies)

    async def aclose(self, grace: float | None) -> None:
        """Stop watching, close both executors' connections and drop every entry."""
        await self._connector.stop()
        await asyncio.gather(self._inner.aclose(grace), self._tracked.aclose(grace))
