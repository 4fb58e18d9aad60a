"""Refreshes: the entries the server invalidated after they were read, read again at once.

Rules this module keeps (``Cache._after_pushes`` calls ``refresh`` through ``_refresher``):

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
from redis_oxide._cache_store import REFRESHED, Cache, Entry
from redis_oxide._connection_replies import FailureHook
from redis_oxide._exceptions import ServerError
from redis_oxide._generated import _meta as _m
from redis_oxide._pool import MultiplexedPool

__all__ = ["fill_gets", "gets_done", "refresh"]

_GET: Final = _m.GET
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
                _partial(fill, rkey, args, parser, sent, epoch, meta, mark=mark),
                meta,
                timeout,
                hook,
            )
            flights[args] = quiet_flight(result, sent, epoch, parser, rkey)
            cache.refreshes += 1
        if gets:
            result = tracking.send(
                ("MGET", *[entry[4] for entry in gets]),
                _partial(fill_gets, cache, gets, sent, epoch),
                _m.MGET,
                timeout,
                None,  # not rerouted: its keys' readers read for themselves
            )
            result.add_done_callback(_partial(gets_done, cache, gets))
            for entry in gets:
                flights[entry[6]] = [result, sent, epoch, None, SHARED, entry[4]]
            cache.refreshes += len(gets)
        tracking.flush()
    except Exception:  # the connection is closing: the next reads miss
        return
    if len(flights) > cache._flights_limit:
        cache._flights_limit = prune(flights)


def fill_gets(cache: Cache, gets: list[Entry], sent: int, epoch: int, reply: object) -> object:
    """The MGET's parser: fill each GET as its own reply would have, and answer its waiters.

    ``Cache._fill`` per key, in one loop: each key's flight, if still this refresh's, goes,
    and its waiters get the value; the value is kept unless the cache was flushed or the key
    invalidated since it was sent. A nil leaves the flight to ``gets_done``: its waiters read
    for themselves.
    """
    if not _is_list(reply) or len(reply) != len(gets):
        return reply  # not an MGET's reply: ``gets_done`` ends the flights
    cache._answered += len(gets)
    flights = cache._flights
    invalidated = cache._invalidated
    keep = cache._keep
    current = epoch == cache._epoch
    for entry, value in zip(gets, reply, strict=True):
        if value is None:
            continue
        args = entry[6]
        flight = _own(flights.get(args), sent, epoch)
        if flight is not None:
            del flights[args]
            if len(flight) > WAITERS:
                answer(flight, value)
                if flight[4] is not None:  # a waiter it could not answer: ``gets_done``'s
                    flights[args] = flight
        if current and invalidated.get(entry[4], 0) <= sent:
            keep(entry[4], args, None, _GET, value, REFRESHED if entry[7] is True else False)
    return reply


def _own(flight: Flight | None, sent: int, epoch: int) -> Flight | None:
    # The key's flight if it is still this refresh's (a later read of the key replaces it).
    if flight is None or flight[1] != sent or flight[2] != epoch or flight[3] is not None:
        return None
    return flight


def _is_list(reply: object) -> TypeGuard[list[Any]]:
    return reply.__class__ is list


def gets_done(cache: Cache, gets: list[Entry], read: asyncio.Future[Any]) -> None:
    """The MGET ended: the waiters of keys its reply did not fill miss again."""
    flights = cache._flights
    for entry in gets:
        flight = flights.get(entry[6])
        if flight is not None and flight[0] is read:  # not a later read of the key
            hand_on(flight)
    if not read.cancelled() and isinstance(read.exception(), ServerError):
        cache._batch_gets = False  # the server refuses MGET: GETs from now on
