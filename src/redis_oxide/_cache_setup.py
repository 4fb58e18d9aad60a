"""Wiring a cache in front of a client's executor, and the per-call choice to skip it.

Rules this module keeps:

- ``caching_executor`` gives the cache a tracking connection of its own (a
  ``MultiplexedPool`` of one over a ``TrackingConnector``) that goes wherever the client's
  connector goes, with the client's retry policy and command timeout.
- A miss the server refused for a reason of topology is re-run by the client's ``Reroute``
  on the client's connections, which track nothing: its reply is never kept (``_unfilled``).
- ``with_cache`` makes the views of ``with_options(cache=...)``: both share the cache.
"""

# pyright: reportPrivateUsage=false
# (The wiring reads the executors' private bound methods and the store's fill.)

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from redis_oxide._cache import CachingExecutor
from redis_oxide._cache_config import CacheConfig
from redis_oxide._cache_store import Cache
from redis_oxide._cache_tracking import TrackingConnector
from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection_setup import ConnectionConfig, Connector
from redis_oxide._exceptions import RedisError
from redis_oxide._executor import Reroute, ServerExecutor
from redis_oxide._pool import MultiplexedPool
from redis_oxide._retry import Retry

__all__ = ["caching_executor", "with_cache"]


def caching_executor(
    inner: ServerExecutor,
    connector: Connector,
    config: CacheConfig,
    connection: ConnectionConfig,
    retry: Retry,
) -> CachingExecutor:
    """Put a cache in front of ``inner``, with a tracking connection through ``connector``.

    Args:
        inner: The client's executor (its ``command_timeout`` bounds the cache's misses).
        connector: Where the client connects; the tracking connection goes there too.
        config: The cache's configuration.
        connection: The client's connection settings (text encoding, connect timeout).
        retry: Reconnect and re-run policy of the tracking connection.

    Returns:
        The executor to bind onto the client.
    """
    cache = Cache._new(config, encoding=connection.encoding)
    tracking = TrackingConnector(connector, cache, connection.connect_timeout)
    # The tracking connection leases nothing; its dedicated pool stays empty.
    pool = MultiplexedPool(tracking, connections=1, max_dedicated=1, pool_timeout=0, retry=retry)
    tracked = ServerExecutor(
        pool,
        retry=retry,
        command_timeout=inner.command_timeout,
        reroute=_unfilled(inner._reroute, cache),
    )
    return CachingExecutor(inner, tracked, pool, cache, tracking)


def _unfilled(reroute: Reroute | None, cache: Cache) -> Reroute | None:
    """The client's ``Reroute`` for the cache's misses, given their parser without the fill.

    A miss the server refused for a reason of topology (a Sentinel primary demoted, LOADING)
    is re-run where the client's ``Reroute`` sends it: through the client's connections,
    which track nothing, so its reply must not be kept.
    """
    if reroute is None:
        return None

    def rerouted(
        error: RedisError,
        meta: CommandMeta,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        deadline: float | None,
    ) -> Awaitable[Any] | None:
        if getattr(parser, "func", None) == cache._fill:  # a miss: its fill is a partial
            parser = cast("functools.partial[Any]", parser).args[2]
        return reroute(error, meta, args, parser, deadline)

    return rerouted


def with_cache(
    executor: ServerExecutor | CachingExecutor, use: bool | None
) -> ServerExecutor | CachingExecutor:
    """Return ``executor`` with its reads through the cache (``use``) or past it.

    Args:
        executor: A client's executor.
        use: Whether cacheable reads use the cache; None leaves the executor as it is.

    Returns:
        An executor sharing ``executor``'s connections (and cache).

    Raises:
        ValueError: ``use`` on an executor without a cache.
    """
    if use is None:
        return executor
    if isinstance(executor, CachingExecutor):
        return executor.bypassing(not use)
    if use:
        raise ValueError("cache=True needs a client built with Redis(cache=...)")
    return executor
