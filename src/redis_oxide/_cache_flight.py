"""Reads of a cache in flight, and the misses that wait for them instead of sending their own.

Rules this module keeps (``_cache.py`` registers and joins flights, ``_cache_store`` answers
them in the fill):

- A cacheable read that misses while a read of the same arguments with the same parser is in
  flight on the tracking connection waits for that read (it joins it) if neither its key was
  invalidated nor the cache flushed since that read was sent: the test the fill makes, made
  when joining. A caller that starts after an invalidation never joins a read sent before
  it (that reply may predate the change); a caller that joined gets the reply even if an
  invalidation comes before it: its own read, sent at the same moment, could have run on the
  server no later than the one in flight, just as an uncached read racing a write. Joining is
  as strong as a hit on an entry whose invalidation has not been read yet.
- The waiters are answered in the fill, before the sender's future is resolved (so before its
  caller can touch the value), each with its own value: immutable values are shared, anything
  else is deep-copied (a value that cannot be copied leaves the waiter to read for itself).
- A read in flight that ends without its fill answering its waiters (its caller cancelled
  it, the server answered an error, a timeout or a lost connection failed it, or a reroute
  took the fill out) hands them on: a server error is theirs too, as it would be for their
  own read; otherwise each misses again (the first sends, the others join it).
- Flights are found by argument tuple: one record per tuple, the latest read sent for it. A
  fill removes its own record; a read that ended without its fill leaves its record behind,
  and records are pruned to those still in flight when the dict doubles. A record whose read
  ended holds nothing of the executor.
- A refresh sent within an MGET registers each key's flight on the MGET's future (``SHARED``).
  Its waiters are not watched through that future: the MGET's fill answers them, and once
  the MGET ended, its done callback hands on those of keys it did not fill (a nil, an error,
  a lost connection). Both keep the MGET's own records, so a later read that replaced one in
  the flights (the key changed meanwhile) does not hide its waiters. The MGET's error is not
  the waiters' (they asked for a GET): they miss again.
- A refresh (a read the cache sent by itself) has no caller to see its error: its flight
  watches the read's end quietly (``quiet_flight``) until a miss joins it or its fill takes
  the watch off, so a read that filled costs no callback.
"""

from __future__ import annotations

import asyncio
import copy
import functools
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeAlias

from redis_oxide._exceptions import ServerError

__all__ = ["SHARED", "WAITERS", "Flight", "answer", "hand_on", "join", "prune", "quiet_flight"]

#: [future of the read, tick when sent, epoch when sent, parser, the read's done callback
#: (None until a miss joins, or a refresh's quiet watch, or ``SHARED``), the key's wire
#: bytes, waiter futures ...]
Flight: TypeAlias = list[Any]
#: Index of a flight's first waiter.
WAITERS: Final = 6
#: Records kept at least before the dict is pruned.
MIN_LIMIT: Final = 1024

# Values a waiter shares with the sender: nothing in them can be changed.
_SHARED: Final = frozenset({bytes, str, int, float, bool, type(None)})


def quiet_flight(
    sent: asyncio.Future[Any], tick: int, epoch: int, parser: Any, rkey: bytes
) -> Flight:
    """Return the flight of a refresh: its error, if it ends in one, is retrieved."""
    sent.add_done_callback(_retrieve)
    return [sent, tick, epoch, parser, _retrieve, rkey]


def SHARED(_sent: asyncio.Future[Any]) -> None:
    """Marks a flight whose read is an MGET shared with other keys (``_cache_refresh``).

    The first miss that joins replaces the mark with its watch, which is not added to the
    MGET's future: the refresh calls it (``hand_on``) if the MGET ends without filling the
    key, and its waiters miss again.
    """


def join(
    flight: Flight,
    new_future: Callable[[], asyncio.Future[Any]],
    miss: Callable[..., Awaitable[Any]],
    *args: Any,
) -> asyncio.Future[Any]:
    """Return a new future that waits for ``flight``'s read.

    ``miss(*args)`` misses anew if the read ends without answering it.
    """
    waiter = new_future()
    mark = flight[4]
    if mark is None or mark is _retrieve or mark is SHARED:  # the first waiter: watch the end
        watch = functools.partial(_hand_on, flight, functools.partial(miss, *args))
        if mark is not SHARED:  # (an MGET's refresh calls the watch itself, see ``SHARED``)
            sent: asyncio.Future[Any] = flight[0]
            if mark is _retrieve:
                sent.remove_done_callback(_retrieve)  # ``_hand_on`` retrieves the error too
            sent.add_done_callback(watch)
        flight[4] = watch
    flight.append(waiter)
    return waiter


def answer(flight: Flight, value: Any) -> None:
    """Give each waiter of ``flight`` its own ``value`` (from the fill, before the sender)."""
    shared = value.__class__ in _SHARED
    for waiter in flight[WAITERS:]:
        if waiter.done():
            continue  # its caller was cancelled
        try:
            mine = value if shared else copy.deepcopy(value)
        except Exception:  # a value that cannot be copied: the waiter reads for itself
            return  # (``_hand_on`` finds it waiting when the read ends)
        waiter.set_result(mine)
    # All answered: the read's end needs no watching (a loop turn and a call saved), and the
    # watch, which holds the flight, goes: no reference cycle is left for the collector.
    flight[0].remove_done_callback(flight[4])
    flight[4] = None


def prune(flights: dict[Any, Flight]) -> int:
    """Drop the records of reads no longer in flight; return the size to prune at next."""
    ended = [args for args, flight in flights.items() if flight[0].done()]
    for args in ended:
        del flights[args]
    return max(MIN_LIMIT, 2 * len(flights))


def _retrieve(sent: asyncio.Future[Any]) -> None:
    # A refresh's error (a timeout, a lost connection) is nobody's: it is only retrieved.
    if not sent.cancelled():
        sent.exception()


def hand_on(flight: Flight) -> None:
    """An MGET's refresh ended without filling ``flight``'s key: its waiters miss again."""
    watch = flight[4]
    if watch is not None and watch is not SHARED:
        watch(None)


def _hand_on(
    flight: Flight, again: Callable[[], Awaitable[Any]], sent: asyncio.Future[Any] | None
) -> None:
    # The read ended: waiters its fill answered are done; the others get its server error
    # (none when ``sent`` is None), or miss again. Its record may stay until pruned: it lets
    # go of ``again``, and so of the executor (a client dropped without aclose() is closed
    # once nothing holds that).
    flight[4] = None
    waiting = [waiter for waiter in flight[WAITERS:] if not waiter.done()]
    if not waiting:
        return
    error = None if sent is None or sent.cancelled() else sent.exception()
    for waiter in waiting:
        if isinstance(error, ServerError):
            waiter.set_exception(error)
            continue
        try:
            result = asyncio.ensure_future(again())
        except Exception as exc:  # refused before anything was sent (connection closed)
            waiter.set_exception(exc)
            continue
        result.add_done_callback(functools.partial(_settle, waiter))


def _settle(waiter: asyncio.Future[Any], result: asyncio.Future[Any]) -> None:
    if waiter.done():
        return
    if result.cancelled():
        waiter.cancel()
    elif (error := result.exception()) is not None:
        waiter.set_exception(error)
    else:
        waiter.set_result(result.result())
