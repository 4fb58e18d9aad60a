"""Refreshes: the entries the server invalidated after they were read, read again at once.

Rules this module keeps (``_cache_tracking.refresh_pushed`` calls ``refresh`` through
``Cache._refresher``):

- A refresh goes out as a miss would, on the tracking connection, and registers as its key's
  flight, so the key's next readers join it (``_cache_flight``) instead of missing one by one.
  It is sent once the connection's read that brought the invalidations ends, so behind them:
  its reply shows the change. No task ran since, so no miss of those keys was sent meanwhile.
- The refreshes of one read leave in one write, at once rather than at the end of the loop
  turn: every reader of those keys waits for them.
- Two or more GETs (with no parser of their own) go as one MGET: one command and one reply
  instead of one per key. Each key's flight is registered on the MGET's future
  (``_cache_flight.SHARED``); the MGET's reply answers its waiters (``fill_gets``), and once
  the MGET ended, the waiters of keys it did not fill miss again (``gets_done``): the MGET's
  error is not theirs (they asked for a GET).
- MGET answers nil for a key of another type too, where GET fails: a nil fills nothing, and
  the key's readers read for themselves.
- Not on a cluster node (``ClusterCache`` turns it off: a node's keys span slots, an MGET
  takes one), nor once a server refused an MGET (an ACL allowing GET only).
- A refresh holds no executor (``_cache`` rules): what it reaches is the pool, the cache and
  the connection.
"""

# pyright: reportPrivateUsage=false
# (The refresher works on the store's private state, as the executor does.)

from __future__ import annotations

import asyncio
import functools
from typing import Any, Final, TypeGuard

from redis_oxide._cache_flight import (
    SHARED,
    WAITERS,
    Flight,
    answer,
    hand_on,
    prune,
    quiet_flight,
)
from redis_oxide._cache_store import Cache, Entry
from redis_oxide._connection_replies import FailureHook
from redis_oxide._exceptions import ServerError
from redis_oxide._generated import _meta as _m
from redis_oxide._pool import MultiplexedPool

__all__ = ["fill_gets", "gets_done", "refresh"]

_GET: Final = _m.GET
#: The mark of an entry a refresh filled, refreshing an entry a hit had marked: invalidated
#: before any hit, it is refreshed once more, then (unmarked) no longer. A key read often but
#: written twice within a refresh's round trip keeps its entry; one nobody reads any more costs
#: two reads at most. Truthy, so CLOCK gives it its second chance like a hit's mark.
REFRESHED: Final = 1
_partial = functools.partial


def refresh(
    pool: MultiplexedPool,
    cache: Cache,
    timeout: float | None,
    hook: FailureHook,
    entries: list[Entry],
) -> None:
    """Read ``entries`` again, each registered as its key's flight (module rules)."""
    tracking = pool.sole
    if tracking is None or not tracking.available:
        return  # the misses will read (the connection's end flushes the cache anyway)
    gets: list[Entry] = []
    singles: list[Entry] = []
    batch = cache._batch_gets
    for entry in entries:
        (gets if batch and entry[8] is _GET and entry[1] is None else singles).append(entry)
    if len(gets) < 2:  # one GET goes as itself
        singles += gets
        gets = []
    flights = cache._flights
    sent = cache._tick
    epoch = cache._epoch
    fill = cache._fill
    try:
        for entry in singles:
            args, parser, rkey, meta = entry[6], entry[1], entry[4], entry[8]
            mark = REFRESHED if entry[7] is True else False
            result = tracking.send(
                args,
                _partial(fill, rkey, args, parser, sent, epoch, meta, mark=mark, dropped=entry),
                meta,
                timeout,
                hook,
            )
            flights[args] = quiet_flight(result, sent, epoch, parser, rkey)
            cache.refreshes += 1
        if gets:
            records: list[Flight] = []  # the keys' flights, in the MGET's order
            result = tracking.send(
                ("MGET", *[entry[4] for entry in gets]),
                _partial(fill_gets, cache, gets, records, sent, epoch),
                _m.MGET,
                timeout,
                None,  # not rerouted: its keys' readers read for themselves
            )
            result.add_done_callback(_partial(gets_done, cache, records))
            for entry in gets:
                record = [result, sent, epoch, None, SHARED, entry[4]]
                records.append(record)
                flights[entry[6]] = record
            cache.refreshes += len(gets)
        tracking.flush()
    except Exception:  # the connection is closing: the next reads miss
        return
    if len(flights) > cache._flights_limit:
        cache._flights_limit = prune(flights)


def fill_gets(
    cache: Cache, gets: list[Entry], records: list[Flight], sent: int, epoch: int, reply: object
) -> object:
    """The MGET's parser: fill each GET as its own reply would have, and answer its waiters.

    ``Cache._fill`` per key, in one loop: each key's flight (``records``, the refresh's own,
    found by identity) leaves the flights if a later read has not replaced it, and its waiters
    get the value even if one has (they joined before the key changed, see ``join``); the
    value is kept unless the cache was flushed or the key invalidated since it was sent. A
    nil leaves the waiters to ``gets_done``: they read for themselves.
    """
    if not _is_list(reply) or len(reply) != len(gets):
        return reply  # not an MGET's reply: ``gets_done`` ends the flights
    cache._answered += len(gets)
    flights = cache._flights
    invalidated = cache._invalidated
    keep = cache._keep
    current = epoch == cache._epoch
    for entry, record, value in zip(gets, records, reply, strict=True):
        if value is None:
            continue
        args = entry[6]
        latest = flights.pop(args, None)
        if latest is not record and latest is not None:
            flights[args] = latest  # a later read's: it stays
        if len(record) > WAITERS:
            answer(record, value)  # (one it could not answer is ``gets_done``'s)
        if current and invalidated.get(entry[4], 0) <= sent:
            keep(entry[4], args, None, _GET, value, REFRESHED if entry[7] is True else False, entry)
    return reply


def _is_list(reply: object) -> TypeGuard[list[Any]]:
    return reply.__class__ is list


def gets_done(cache: Cache, records: list[Flight], read: asyncio.Future[Any]) -> None:
    """The MGET ended: the waiters of keys its reply did not fill miss again.

    Its own flights, whether or not a later read of the key replaced them in the cache's
    flights since (their waiters would wait for ever otherwise).
    """
    for record in records:
        hand_on(record)
    if not read.cancelled() and isinstance(read.exception(), ServerError):
        cache._batch_gets = False  # the server refuses MGET: GETs from now on
