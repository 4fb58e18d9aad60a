"""The cache's tracking connection: opened like any other, then ``CLIENT TRACKING ON``.

Rules this module keeps:

- A ``TrackingConnector`` wraps the client's ``Connector`` (a fixed address, a Sentinel
  resolution, a cluster node), so the tracking connection goes wherever the client's do.
  ``CLIENT TRACKING ON`` is sent once the handshake is done, before anything else runs on
  the connection: one round trip per connect, and no change to the handshake every other
  connection makes.
- Every push frame of the connection goes to the cache (``apply_push``): an invalidation
  drops its keys, null drops everything; the entries a hit marked are refreshed once the
  read that brought them ends (``refresh_pushed``).
- A task watches each connection: every ``health_check_interval`` it PINGs an idle one, or
  checks that a busy one answered something, and fails a connection that stayed silent; it
  flushes the cache when the connection ends, since the server forgot what it tracked for
  it. A new connection after a lost one empties the cache too, in case the watcher has not
  run yet.
"""

# pyright: reportPrivateUsage=false
# (The connector feeds the store's private push handler and session hooks.)

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any, Final

from redis_oxide._cache_config import tracking_command
from redis_oxide._cache_store import Cache
from redis_oxide._connection import Connection, PushHandler
from redis_oxide._connection_replies import future_factory
from redis_oxide._connection_setup import Connector
from redis_oxide._exceptions import CommandTimeoutError, RedisError
from redis_oxide._generated import _meta as _m

__all__ = ["TrackingConnector", "apply_push", "refresh_pushed"]

logger = logging.getLogger("redis_oxide.cache")

_PING: Final = ("PING",)


class TrackingConnector:
    """A ``Connector`` whose connections track what they read for a cache.

    Each connection comes from the wrapped connector, then sends ``CLIENT TRACKING ON`` (one
    round trip, before anything else runs on it) and delivers its push frames to the cache.
    A task watches each connection: it PINGs it every ``health_check_interval`` and flushes
    the cache when the connection ends.

    Args:
        inner: Opens the connections (fixed address, Sentinel, cluster node).
        cache: Receives the invalidations.
        connect_timeout: Longest wait for the ``CLIENT TRACKING`` reply.
    """

    __slots__ = ("_cache", "_command", "_connected", "_inner", "_interval", "_timeout", "_watchers")

    def __init__(self, inner: Connector, cache: Cache, connect_timeout: float | None) -> None:
        self._inner = inner
        self._cache = cache
        self._command = tracking_command(cache.config)
        self._interval = cache.config.health_check_interval
        self._timeout = connect_timeout
        self._watchers: set[asyncio.Task[None]] = set()
        self._connected = False  # a first connection follows no lost one

    @property
    def address(self) -> str:
        """Where the wrapped connector connects."""
        return self._inner.address

    async def connect(self, *, push_handler: PushHandler | None = None) -> Connection:
        """Open a connection with tracking on.

        Args:
            push_handler: Ignored: the cache handles every push frame of the connection.

        Returns:
            A ready connection whose reads the server tracks.

        Raises:
            ConnectFailedError: The server cannot be reached.
            ServerError: The server refused the handshake or ``CLIENT TRACKING``.
        """
        conn = await self._inner.connect(push_handler=functools.partial(apply_push, self._cache))
        try:
            await conn.send(self._command, None, _m.CLIENT_TRACKING, self._timeout)
        except Exception:
            conn.abort()
            await conn.wait_closed()
            raise
        except BaseException:
            conn.abort()
            raise
        conn.after_pushes = functools.partial(refresh_pushed, self._cache)
        conn.on_unavailable = self._cache._flush  # at once: hits do not look at the connection
        self._cache._new_future = future_factory(asyncio.get_running_loop())
        if self._connected:
            self._cache._new_session()
        self._connected = True
        task = asyncio.get_running_loop().create_task(self._watch(conn))
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)
        return conn

    async def _watch(self, conn: Connection) -> None:
        interval = self._interval
        answered = -1  # replies the cache had counted when reads were last seen waiting
        try:
            while True:
                try:
                    async with asyncio.timeout(interval):
                        await conn.wait_closed()
                    return
                except TimeoutError:
                    pass
                if conn.pending_count:
                    # Reads are waiting: a PING would wait behind them. Silent only if none
                    # was answered for a whole interval (a read slower than that, e.g. a huge
                    # LRANGE, is taken for silence too).
                    if answered == self._cache._answered:
                        self._give_up(conn, f"no reply for {interval} s")
                    answered = self._cache._answered
                    continue
                answered = -1
                try:
                    await conn.send(_PING, None, _m.PING, interval)
                except CommandTimeoutError:
                    self._give_up(conn, f"no PONG within {interval} s")
                except RedisError:
                    pass  # it ended meanwhile: wait_closed returns at once
        finally:
            # Its invalidations are gone with it: nothing cached may outlive it.
            self._cache._flush()

    @staticmethod
    def _give_up(conn: Connection, why: str) -> None:
        logger.warning("tracking connection %s silent: %s", conn.address, why)
        conn.fail(CommandTimeoutError(f"tracking connection silent: {why}", address=conn.address))

    async def stop(self) -> None:
        """Stop watching (the client is closing)."""
        watchers = list(self._watchers)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)

    def __repr__(self) -> str:
        return f"<TrackingConnector {self._inner!r}>"


def apply_push(cache: Cache, frame: Any) -> None:
    """Apply a RESP3 push frame of a tracking connection (the connection's push handler).

    ``invalidate`` with a list of keys drops those keys, and keeps those a hit marked since
    their fill for the refresher (``refresh_pushed``, once the connection's read ends); with
    null (FLUSHALL, FLUSHDB, or the server's own tracking table overflowing) it drops
    everything.
    """
    if len(frame) < 2 or frame[0] not in _INVALIDATE:
        return
    keys = frame[1]
    if keys is None:
        cache._flush()
        return
    encoding = cache._encoding
    rkeys: list[bytes]
    if encoding is None:
        rkeys = keys
    else:
        rkeys = []
        for key in keys:
            if "\ufffd" in key:
                # The key's bytes did not decode, so they cannot be matched: drop all.
                cache._flush()
                return
            rkeys.append(key.encode(encoding, "surrogateescape"))
    if cache._refresher is None:
        cache._invalidate(rkeys)
        return
    cache._invalidate(rkeys, cache._hot)


def refresh_pushed(cache: Cache) -> None:
    """Refresh the entries the push frames of one read invalidated (``after_pushes``).

    No task ran since the first of those frames was applied, so no miss of their keys was
    sent meanwhile: the refreshes are their keys' next reads.
    """
    hot = cache._hot
    if hot and cache._refresher is not None:
        cache._hot = []
        # Sent now, behind the invalidations: their replies show the change.
        cache._refresher(hot)


_INVALIDATE: Final = frozenset({b"invalidate", "invalidate"})
