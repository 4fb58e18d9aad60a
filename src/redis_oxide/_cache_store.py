"""The entries of a client-side cache, its counters, and the rules that keep it correct.

Rules this module keeps (``_cache.py`` wires them to connections and futures):

- An entry is keyed by the command's whole argument tuple and remembers the parser that
  made its value; it is indexed by the wire bytes of its one key, which is what the server's
  invalidations name. Eviction is CLOCK (second chance), an approximation of LRU that costs
  a hit one list store: entries queue in fill order, a hit marks its entry, and the hand
  evicts the first unmarked entry, unmarking the ones it passes. (An ``OrderedDict`` with
  ``move_to_end`` costs a hit more, and a fill with eviction twice as much.) The queue holds
  slots, not entries: a copy of the argument tuple made by the fill, the entry's key in the
  dict. A dropped entry is freed at once (a slot holding it kept it until the collector's
  oldest generation), and the hand skips a slot that keys no entry made with it any more.
  The queue is compacted when it outgrows twice the cache (a flush empties it).
- A refresh's fill puts the invalidated entry back with its new value, its slot queued again
  unless it still is (``_queued``; a slot queued twice is kept once by the compaction), and
  a key's index holds its one entry itself (a tuple when several): a write to a hot key
  leaves no new long-lived object for the collector, whose full passes otherwise stall the
  loop several times a second, and no slot for the compaction.
- A read that races an invalidation never fills: every invalidation takes the next
  ``_tick`` and records it for its keys (``_invalidated``); a read notes the tick when it is
  sent and its reply fills only if its key's recorded tick is older. ``_epoch`` does the
  same for the whole cache: a flush (connection ended, FLUSHALL/FLUSHDB, ``clear()``)
  refuses every read sent before it. The fill runs inside the reply's parser, so it is
  ordered exactly with the push frames of the same connection. It also answers the misses
  that waited for its read (``_cache_flight``), whether or not the reply fills. An MGET
  that refreshes several GETs fills each key as that key's GET would have, except a nil:
  MGET answers nil for a key of another type too, where GET fails, so a nil fills nothing.
- Only values the cache can hand out without sharing mutable state are kept: ``bytes``,
  ``str``, numbers, ``None`` and lists, tuples, dicts and sets of them. Immutable values are
  shared (hits return one done future of the value, made by the first hit); a container is
  copied when stored (the reader of the miss holds the original) and per hit (one C call
  when flat). Any other type (reply models) is not kept.
- Sizes are ``sys.getsizeof`` summed over the value, plus the key's length and a fixed
  overhead for the entry's own objects: an approximation of the memory the entry pins,
  enough to bound it.
- Nothing here awaits or does I/O; every method runs to completion on the loop's thread.
"""

from __future__ import annotations

import collections
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeAlias

from redis_oxide._cache_config import CacheConfig
from redis_oxide._cache_flight import MIN_LIMIT, SHARED, WAITERS, Flight, answer
from redis_oxide._cache_values import Copier, examine
from redis_oxide._command import ArgT

__all__ = ["HITS_PER_TURN", "Cache", "Entry"]

#: [value, parser, expires at or None, copier, key bytes, size, argument tuple, marked by a
#: hit since it was filled or the eviction hand last passed (None once dropped), command
#: metadata, a done future of the value that hits return (made by the first hit of a value
#: shared as it is; None until then), the queue's pass when its slot was last queued (see
#: ``Cache._queued``)]: a list, so a hit marks it in place.
Entry: TypeAlias = list[Any]

# What an entry costs besides its value and key bytes: the argument tuple, the entry tuple,
# the dict and index slots (measured with tracemalloc on CPython 3.11: 180-230 bytes).
_ENTRY_OVERHEAD: Final = 200

# ``sys.getsizeof`` of a bytes object is its length plus this header (CPython 3.9-3.13), plus
# the entry's own overhead: the common fill costs no getsizeof call.
_BYTES_OVERHEAD: Final = sys.getsizeof(b"") + _ENTRY_OVERHEAD
# A hit does not yield to the loop, so a task that only hits would keep invalidations from
# being read: one hit in this many (every task's, counted together) waits one loop turn.
HITS_PER_TURN: Final = 256
_getsizeof = sys.getsizeof
_monotonic = time.monotonic


def _no_loop() -> Any:
    # Nothing is cached or in flight before the tracking connection's first connect.
    raise RuntimeError("the cache's tracking connection never connected")


class Cache:
    """A client's cache of read replies, kept coherent by the server's invalidations.

    Made by ``Redis(cache=...)`` and reached as ``client.cache``. The counters are plain
    attributes (``hits`` a read-only property), read them at any time.

    Attributes:
        config: The configuration it was made with.
        hits: Reads answered from the cache.
        misses: Cacheable reads sent to the server.
        coalesced: Cacheable reads that missed while the same read was in flight, and
            waited for its reply instead of sending their own.
        refreshes: Entries the cache read again by itself, after the server invalidated
            them, because they had been read since they were filled (``CacheConfig.refresh``;
            GETs invalidated together are read again with one MGET, counted per key).
        evictions: Entries dropped to stay within ``max_entries``/``max_bytes`` or past ``ttl``.
        invalidations: Entries dropped because their key changed (a server invalidation or
            a write through this client).
        flushes: Times the whole cache was dropped while it held entries (tracking
            connection ended, FLUSHALL or FLUSHDB, ``clear()``).
    """

    __slots__ = (
        "_answered",
        "_batch_gets",
        "_by_key",
        "_bytes",
        "_encoding",
        "_entries",
        "_epoch",
        "_flights",
        "_flights_limit",
        "_hits",
        "_hot",
        "_invalidated",
        "_left",
        "_max_bytes",
        "_max_entries",
        "_new_future",
        "_queue",
        "_queued",
        "_refresher",
        "_tick",
        "_ttl",
        "coalesced",
        "config",
        "evictions",
        "flushes",
        "invalidations",
        "misses",
        "refreshes",
    )

    def __init__(self) -> None:
        raise TypeError("a Cache is made by Redis(cache=...) and reached as client.cache")

    @classmethod
    def _new(cls, config: CacheConfig, *, encoding: str | None) -> Cache:
        """Build an empty cache; ``encoding`` decodes invalidated keys (None: bytes)."""
        cache = object.__new__(cls)
        cache.config = config
        cache._encoding = encoding
        cache._entries = {}
        cache._by_key = {}
        cache._queue = collections.deque()
        cache._queued = 0
        cache._invalidated = {}
        cache._flights = {}
        cache._flights_limit = MIN_LIMIT
        cache._tick = 0
        cache._epoch = 0
        cache._answered = 0
        cache._bytes = 0
        cache._max_entries = config.max_entries
        cache._max_bytes = config.max_bytes
        cache._ttl = config.ttl
        cache._hits = cache.misses = cache.evictions = cache.invalidations = cache.flushes = 0
        cache._left = HITS_PER_TURN - 1
        cache.coalesced = cache.refreshes = 0
        cache._refresher = None
        cache._hot = []
        cache._batch_gets = True
        cache._new_future = _no_loop
        return cache

    config: CacheConfig
    misses: int
    coalesced: int
    refreshes: int
    evictions: int
    invalidations: int
    flushes: int
    _encoding: str | None
    _entries: dict[tuple[ArgT, ...], Entry]
    #: The entries of each key: one entry, or a tuple of several (an entry is a list).
    _by_key: dict[bytes, Entry | tuple[Entry, ...]]
    #: The entries' argument tuples in fill order, the CLOCK hand's queue (module rules).
    _queue: collections.deque[tuple[ArgT, ...]]
    #: The queue's pass: bumped whenever slots may leave it (the hand, a compaction, a flush),
    #: so an entry stamped with the current one has its slot queued and a refill does not
    #: queue it again.
    _queued: int
    _invalidated: dict[bytes, int]
    #: The latest read in flight per argument tuple, with the misses waiting for it.
    _flights: dict[tuple[ArgT, ...], Flight]
    _flights_limit: int
    #: Invalidated entries a hit marked, refreshed once the read that brought them ends.
    _hot: list[Entry]
    #: Refreshes of GETs go as one MGET (``_cache_refresh``).
    _batch_gets: bool
    #: Makes a future of the tracking connection's loop (set when it connects).
    _new_future: Callable[[], Any]
    #: Re-reads invalidated entries that were read since their fill (None: not asked for).
    _refresher: Callable[[list[Entry]], None] | None
    _tick: int
    _epoch: int
    #: Replies of cache reads so far: the tracking connection's watcher reads it.
    _answered: int
    #: Hits counted when the hit path last let the loop turn (every ``HITS_PER_TURN``).
    _hits: int
    #: Hits left before the next of those turns: a countdown of small ints, so a hit
    #: allocates no counter.
    _left: int
    _bytes: int
    _max_entries: int
    _max_bytes: int | None
    _ttl: float | None

    @property
    def hits(self) -> int:
        """Reads answered from the cache."""
        return self._hits + HITS_PER_TURN - 1 - self._left

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return True  # a cache with no entry yet is still a cache (``if client.cache:``)

    @property
    def bytes_used(self) -> int:
        """Approximate memory of the cached values and their arguments, in bytes."""
        return self._bytes

    def clear(self) -> None:
        """Drop every entry; reads already sent do not fill the cache when they return."""
        self._flush()

    def __repr__(self) -> str:
        return (
            f"<redis_oxide.Cache entries={len(self._entries)} bytes={self._bytes} "
            f"hits={self.hits} misses={self.misses} coalesced={self.coalesced} "
            f"refreshes={self.refreshes} "
            f"evictions={self.evictions} "
            f"invalidations={self.invalidations} flushes={self.flushes}>"
        )

    # -- reads in flight -----------------------------------------------------------------------

    def _fill(
        self,
        rkey: bytes,
        args: tuple[ArgT, ...],
        parser: Any,
        sent: int,
        epoch: int,
        meta: Any,
        reply: Any,
        mark: object = False,
        dropped: Entry | None = None,
    ) -> Any:
        """Parse a read's reply, and keep it unless the key changed since the read was sent.

        Bound by ``functools.partial`` to the read as it is sent (``sent`` is ``_tick`` then,
        ``epoch`` is ``_epoch``, ``meta`` the command's, kept for a refresh) and given to the
        connection as the read's parser: it runs as the reply is read, in stream order with
        the push frames around it, and only for a caller still waiting. The read's flight
        record, if it is still the latest, goes, and its waiters get their copies before the
        sender's future is resolved.
        """
        self._answered += 1
        value = reply if parser is None else parser(reply)
        flight = self._flights.pop(args, None)
        if flight is not None:
            if flight[1] == sent and flight[2] == epoch and flight[3] is parser:
                if len(flight) > WAITERS:
                    answer(flight, value)
                elif flight[4] is not None and flight[4] is not SHARED:
                    flight[0].remove_done_callback(flight[4])  # a refresh's quiet watch
            else:
                self._flights[args] = flight  # a later read's: it stays
        if epoch != self._epoch or self._invalidated.get(rkey, 0) > sent:
            return value  # invalidated while in flight: the reply may predate the change
        self._keep(rkey, args, parser, meta, value, mark, dropped)
        return value

    def _keep(
        self,
        rkey: bytes,
        args: tuple[ArgT, ...],
        parser: Any,
        meta: Any,
        value: Any,
        mark: object = False,
        dropped: Entry | None = None,
    ) -> None:
        """Store ``value`` as the entry of ``args`` (``_fill``'s checks passed); ``mark`` is
        its CLOCK mark (``_cache_refresh.REFRESHED`` for some refreshes), ``dropped`` the
        invalidated entry a refresh read again, filled anew unless another fill came first."""
        kind: type[object] = value.__class__
        if kind is bytes:  # most replies: no walk, nothing to copy, and getsizeof's size
            size = len(value) + len(rkey) + _BYTES_OVERHEAD
            copier: Copier = None
            kept = value
        elif kind is str:
            size = _getsizeof(value) + len(rkey) + _ENTRY_OVERHEAD
            copier = None
            kept = value
        else:
            examined = examine(value)
            if examined is None:
                return  # not a type the cache can hand out safely (a reply model)
            size, copier = examined
            size += len(rkey) + _ENTRY_OVERHEAD
            kept = value if copier is None else copier(value)  # the caller holds the original
        limit = self._max_bytes
        if limit is not None and size > limit:
            return
        entries = self._entries
        old = entries.get(args)
        if old is not None:  # another read of the same arguments filled it meanwhile
            self._drop(old)
        ttl = self._ttl
        expires = None if ttl is None else _monotonic() + ttl
        if dropped is None or old is not None:
            slot = (*args,)  # this entry's own: a later entry of equal arguments gets another
            entry: Entry = [kept, parser, expires, copier, rkey, size, slot, mark, meta, None, -1]
        else:  # the same arguments, parser and key: no new objects for the collector
            entry = dropped
            entry[0], entry[2], entry[3], entry[5], entry[7] = kept, expires, copier, size, mark
            slot = entry[6]
        entries[slot] = entry
        by_key = self._by_key
        same_key = by_key.get(rkey)
        if same_key is None:
            by_key[rkey] = entry
        elif isinstance(same_key, tuple):
            by_key[rkey] = (*same_key, entry)
        else:
            by_key[rkey] = (same_key, entry)
        self._bytes += size
        queue = self._queue
        if entry[10] != self._queued:  # (a refilled entry's slot may still be queued)
            queue.append(slot)
            entry[10] = self._queued
        if len(entries) > self._max_entries or (limit is not None and self._bytes > limit):
            self._evict(limit)
        elif len(queue) > 2 * len(entries) + _QUEUE_SLACK:
            # Invalidated entries leave their slot behind; keep the queue near the cache. A
            # slot is live while it keys the entry whose fill made it (module rules).
            self._queued = stamp = self._queued + 1
            live: dict[tuple[ArgT, ...], None] = {}
            for s in queue:
                if (e := entries.get(s)) is not None and e[6] is s:
                    live[s] = None  # (once: a refilled entry's slot may be queued twice)
                    e[10] = stamp
            self._queue = collections.deque(live)

    def _evict(self, limit: int | None) -> None:
        # CLOCK: the oldest entry goes unless a hit marked it since it was last passed over;
        # then it is unmarked and queued again (a second chance). Slots of entries already
        # dropped are skipped.
        entries, queue = self._entries, self._queue
        self._queued = stamp = self._queued + 1  # slots leave the queue
        while len(entries) > self._max_entries or (limit is not None and self._bytes > limit):
            slot = queue.popleft()
            entry = entries.get(slot)
            if entry is None or entry[6] is not slot:
                continue
            if entry[7]:
                entry[7] = False
                queue.append(slot)
                entry[10] = stamp
                continue
            self._drop(entry)
            self.evictions += 1

    def _drop(self, entry: Entry) -> None:
        """Remove one entry from the dict and the key index (its queue slot goes stale)."""
        del self._entries[entry[6]]
        entry[7] = entry[0] = entry[9] = None  # a refresh holding it must not pin the value
        self._bytes -= entry[5]
        rkey = entry[4]
        same_key = self._by_key[rkey]
        if same_key is entry:
            del self._by_key[rkey]
        else:  # one of several
            rest = tuple([e for e in same_key if e is not entry])
            self._by_key[rkey] = rest[0] if len(rest) == 1 else rest

    def _expired(self, entry: Entry) -> None:
        """Drop an entry found past its ``ttl``."""
        self._drop(entry)
        self.evictions += 1

    # -- invalidation ----------------------------------------------------------------------------

    def _invalidate(self, rkeys: Sequence[bytes], hot: list[Entry] | None = None) -> None:
        """Drop the entries of ``rkeys`` and refuse the replies of their reads in flight.

        ``hot`` receives the dropped entries that a hit marked since their fill.
        """
        self._tick = tick = self._tick + 1
        entries, invalidated = self._entries, self._invalidated
        for rkey in rkeys:
            invalidated[rkey] = tick
            cached = self._by_key.pop(rkey, None)
            if cached is not None:
                cached = (cached,) if type(cached) is list else cached
                for entry in cached:
                    del entries[entry[6]]
                    if hot is not None and entry[7]:
                        hot.append(entry)  # a refresh needs its arguments and mark
                    entry[0] = entry[9] = None  # not its value
                    self._bytes -= entry[5]
                self.invalidations += len(cached)
        if len(invalidated) > _INVALIDATED_LIMIT:
            # Bounded memory: forget the ticks, and refuse every read in flight instead.
            invalidated.clear()
            self._epoch += 1

    def _invalidate_done(self, rkeys: Sequence[bytes], _future: object) -> None:
        """``_invalidate`` as a done callback: a write through this client was answered."""
        self._invalidate(rkeys)

    def _flush(self, _future: object = None) -> None:
        """Drop everything and refuse every read in flight (also a done callback)."""
        self._epoch += 1
        self._drop_all()

    def _drop_all(self) -> None:
        self._queue.clear()  # stale slots too, even when no entry is left
        self._queued += 1
        self._hot = []  # nothing is left to refresh
        if self._entries:
            self._entries.clear()
            self._by_key.clear()
            self._bytes = 0
            self.flushes += 1

    def _new_session(self) -> None:
        """A tracking connection replaced a lost one: nothing filled before it may stay.

        The old one's end flushed the cache already, unless its watcher has not run yet.
        Replies the old connection delivered had their fills run by now (they were queued
        before its end was read, and a connection takes several loop turns), so reads in
        flight are not refused: they run on the new connection, which tracks them.
        """
        self._drop_all()


# Keys whose invalidation tick is remembered at most; past it they are forgotten and the reads
# in flight refused. A read's reply comes within a round trip, so the ticks of all but the
# latest keys are never consulted; 8,192 keys take well under a MiB.
_INVALIDATED_LIMIT: Final = 8192
# Stale queue slots tolerated beyond twice the entries before the queue is rebuilt.
_QUEUE_SLACK: Final = 1024
