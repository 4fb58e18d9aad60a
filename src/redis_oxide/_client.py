"""The standalone client: a thin facade over a configuration, a strategy and an executor.

Rules this module keeps:

- ``Redis`` holds no connection logic. ``build_config`` validates the options,
  ``make_executor`` builds the strategy over a ``FixedConnector``, and a ``ServerExecutor``
  runs every command. The executor's ``_execute`` is bound onto the client as an instance
  attribute, so a generated method calls it directly: the facade costs no frame per command.
- Commands that change connection state (SELECT, MULTI, SUBSCRIBE …) are refused as raw
  calls, with the API to use instead (``_raw_commands``).
- Raw commands, pipelines, transactions and scripts come from ``ClientBase``, over the
  executor; they depend on the executor's protocol, never on this class.
- ``with_options`` views share the root's strategy and cache; only the root closes it.
- Telemetry on wraps the executor in a ``TracedExecutor`` before binding; off, nothing does.
  With a cache, telemetry sits beneath it (``traced_cache``), as on a cluster node: the
  calls that reach the server have spans, a hit has none.
- No secret reaches ``repr``, logs or exceptions: the password lives in the connection
  config, whose repr hides it.
- A client made by the user (not a Sentinel's or a cluster's) that becomes unreachable
  without ``aclose()``, with every view, pipeline, subscription and script made from it, has
  its connections closed on the running loop and warns (``ResourceWarning``), as an unclosed
  file does: its executors share a ``_lifetime`` token that a finalizer watches. A cached
  client's finalizer also ends its tracking connection and stops its watcher.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: the facade binds its executor's
# ``_execute`` and builds patterns with their private constructors.)

from __future__ import annotations

import asyncio
import copy
import functools
import warnings
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from types import TracebackType
from typing import Any, Generic, Literal, Unpack, overload

from redis_oxide._cache import Cache, CachingExecutor
from redis_oxide._cache_setup import with_cache
from redis_oxide._checks import checked_host, checked_port, checked_seconds
from redis_oxide._client_base import ClientBase
from redis_oxide._client_config import ClientConfig, build_config, make_executor
from redis_oxide._client_options import ClientOptions
from redis_oxide._connection_setup import Connector, FixedConnector
from redis_oxide._executor import Executor, Reroute, ServerExecutor
from redis_oxide._generated import StrT
from redis_oxide._health import DEFAULT_HEALTH_TIMEOUT, HealthReport, server_report
from redis_oxide._monitor import Monitor
from redis_oxide._pool import ConnectionStrategy, PoolStats
from redis_oxide._pubsub import PubSub, PubSubOptions
from redis_oxide._sentinel_report import SentinelReport
from redis_oxide._telemetry_cluster import traced_cache
from redis_oxide._telemetry_executor import instrument
from redis_oxide._url import parse_url

__all__ = ["Redis", "StrT"]

# How long aclose() lets replies in flight arrive before it aborts the shared connections.
_CLOSE_GRACE = 5.0

_UNSET: Any = object()

# Closes of dropped clients under way; asyncio keeps tasks only weakly.
_CLOSING: set[asyncio.Task[None]] = set()


class _Lifetime:
    """Held by a client's executors, views included; collected when the last one goes."""


# What a dropped client's finalizer runs: its strategies' aclose(0) (and a cache's stop).
_Close = Callable[[], Coroutine[Any, Any, None]]


def _abandoned(strategies: tuple[ConnectionStrategy, ...], close: _Close, name: str) -> None:
    # The finalizer of a client dropped without aclose(): close its connections, and say so
    # when it had any (a client that never connected leaves nothing behind).
    stats = [strategy.stats() for strategy in strategies]
    opened = any(s.connections or s.pending or s.waiting or s.leased for s in stats)
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        task = loop.create_task(close())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)
        fate = "its connections are being closed"
    else:
        fate = "its connections stay open until its event loop closes"
    if not opened:
        return
    warnings.warn(
        f"{name} was dropped without aclose(); {fate} (use async with, or await aclose())",
        ResourceWarning,
        stacklevel=1,
    )


def _traced(server: ServerExecutor | CachingExecutor, config: ClientConfig) -> Executor:
    # What a client binds: a cache is traced beneath already (``traced_cache``).
    if isinstance(server, CachingExecutor):
        return server
    return instrument(server, config.telemetry, config.connection.db)


class Redis(ClientBase[StrT, Executor], Generic[StrT]):
    """An asyncio Redis client for one server (TCP, TLS or unix socket).

    ``Redis()`` returns ``Redis[bytes]``; ``Redis(decode_responses=True)`` returns
    ``Redis[str]``. Connections open lazily on the first command. Use ``async with`` or
    ``await client.aclose()`` to release them.

    Args:
        host: Server host name or address.
        port: Server TCP port.
        decode_responses: Decode string replies to ``str`` (with ``encoding``).
        **options: See ``ClientOptions``: ``db``, ``username``, ``password`` (a username alone
            authenticates with an empty password), ``credential_provider`` (instead of both:
            called at each connect, sync or async, returns ``(username, password)``),
            ``protocol`` (2, the default, or 3 for RESP3; 3 when ``cache`` is on), ``ssl`` (True
            or an ``ssl.SSLContext``), ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
            ``ssl_password``, ``ssl_cert_reqs``, ``ssl_check_hostname`` (the ``ssl_*`` options
            need ``ssl=True``), ``unix_socket_path``, ``strategy``
            (``"multiplexed"`` or ``"pooled"``), ``max_connections``, ``multiplexed_connections``,
            ``connect_timeout``, ``command_timeout``, ``pool_timeout``, ``retry``, ``client_name``,
            ``encoding``, ``encoding_errors``, ``cache`` (True or a ``CacheConfig``), ``telemetry``
            (a ``Telemetry``, True for the defaults; see ``configure_telemetry`` for the
            process-wide default).

    Raises:
        ValueError: An option has an invalid value (a port outside 1-65535, an empty host, TLS
            material that cannot be loaded, ``ssl_*`` options without ``ssl=True``).
        TypeError: An unknown option was given, or a value has the wrong type.
        ImportError: ``telemetry`` is on and ``opentelemetry-api`` is not installed.
    """

    #: The client-side cache of ``Redis(cache=...)`` (counters, ``clear()``), or None.
    cache: Cache | None
    _finalizer: weakref.finalize[[tuple[ConnectionStrategy, ...], _Close, str], _Lifetime] | None

    @overload
    def __init__(
        self: Redis[bytes],
        host: str = ...,
        port: int = ...,
        *,
        decode_responses: Literal[False] = ...,
        **options: Unpack[ClientOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: Redis[str],
        host: str = ...,
        port: int = ...,
        *,
        decode_responses: Literal[True],
        **options: Unpack[ClientOptions],
    ) -> None: ...

    @overload
    def __init__(
        # A flag known only at run time: checkers cannot tell bytes from str (annotate the
        # result ``Redis[bytes] | Redis[str]`` to keep both checked); ``__init__`` cannot
        # spell that union, ``from_url`` does.
        self: Redis[Any],
        host: str = ...,
        port: int = ...,
        *,
        decode_responses: bool,
        **options: Unpack[ClientOptions],
    ) -> None: ...

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 6379,
        *,
        decode_responses: bool = False,
        **options: Unpack[ClientOptions],
    ) -> None:
        config = build_config(
            checked_host(host),
            checked_port(port),
            decode_responses=decode_responses,
            options=options,
        )
        self._setup(config, FixedConnector(config.connection), None)
        server = self._server
        lifetime = server._lifetime = _Lifetime()
        if isinstance(server, CachingExecutor):
            owned, close = server.owned()  # its tracking connection and watcher too
        else:
            owned, close = (server.strategy,), functools.partial(server.strategy.aclose, 0)
        name = f"<redis_oxide.Redis {server.strategy.address}>"
        self._finalizer = weakref.finalize(lifetime, _abandoned, owned, close, name)
        self._finalizer.atexit = False

    def _setup(self, config: ClientConfig, connector: Connector, reroute: Reroute | None) -> None:
        self._config = config
        server = make_executor(config, connector, reroute)
        if config.telemetry is not None and isinstance(server, CachingExecutor):
            # Traced beneath the cache: the calls that reach the server, a hit has no span.
            server = traced_cache(server, config.telemetry, config.connection.db)
        self._server = server
        self.cache = server.cache if isinstance(server, CachingExecutor) else None
        # What patterns run on: the executor above, or its traced wrapper.
        self._bind(_traced(server, config))
        # Set by Sentinel: the sentinels' report and the role this client needs, for health().
        self._sentinel_report: Callable[[], Awaitable[SentinelReport]] | None = None
        self._expected_role: str | None = None
        self._is_view = False
        self._closed = False
        self._finalizer = None

    @classmethod
    def _over(
        cls, config: ClientConfig, connector: Connector, reroute: Reroute | None = None
    ) -> Redis[Any]:
        """Build a client whose connections come from ``connector`` (Sentinel, cluster node).

        The caller types the result (``Redis[bytes]`` or ``Redis[str]`` following
        ``config.connection.encoding``).
        """
        client: Redis[Any] = object.__new__(cls)
        client._setup(config, connector, reroute)
        return client

    # -- construction helpers ---------------------------------------------------------------

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: Literal[False] = ..., **options: Unpack[ClientOptions]
    ) -> Redis[bytes]: ...

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: Literal[True], **options: Unpack[ClientOptions]
    ) -> Redis[str]: ...

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: bool, **options: Unpack[ClientOptions]
    ) -> Redis[bytes] | Redis[str]: ...

    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: bool = _UNSET, **options: Unpack[ClientOptions]
    ) -> Redis[bytes] | Redis[str]:
        """Build a client from a URL; see the module function ``from_url``.

        Args:
            url: ``redis://``, ``rediss://`` or ``unix://`` URL.
            decode_responses: Decode string replies to ``str``.
            **options: Client options overriding those in the URL.

        Returns:
            A new client.

        Raises:
            ValueError: The URL is malformed or has an unknown option.
        """
        host, port, parsed, url_decode = parse_url(url)
        merged: ClientOptions = {**parsed, **options}
        decode = decode_responses if decode_responses is not _UNSET else bool(url_decode)
        if decode:
            return Redis(host, port, decode_responses=True, **merged)
        return Redis(host, port, decode_responses=False, **merged)

    def _uncached_executor(self) -> Executor:
        if self.cache is None:
            return self._executor
        return self.with_options(cache=False)._executor

    def with_options(
        self, *, command_timeout: float | None = _UNSET, cache: bool | None = None
    ) -> Redis[StrT]:
        """Return a view of this client with other per-call settings.

        The view shares this client's connections (and cache); closing the view does
        nothing, closing this client closes both.

        Args:
            command_timeout: Seconds to wait for each reply; None waits indefinitely.
            cache: False reads past the cache (writes still invalidate it); True uses it.

        Returns:
            A light client view.

        Raises:
            ValueError: ``cache=True`` on a client built without a cache.
        """
        view = copy.copy(self)
        view._is_view = True
        server = self._server
        if command_timeout is not _UNSET:
            server = server.with_timeout(checked_seconds("command_timeout", command_timeout))
        server = with_cache(server, cache)
        if server is not self._server:  # else the view keeps the root's (traced) executor
            view._server = server
            view._bind(_traced(server, self._config))
        return view

    # -- subscriptions --------------------------------------------------------------------

    def pubsub(self, **options: Unpack[PubSubOptions]) -> PubSub[StrT]:
        """Start a subscription on a connection of its own.

        ``async with client.pubsub() as p:``, then ``await p.subscribe("news")`` (returns
        once the server confirmed, within ``command_timeout``) and ``async for message in
        p:``. A lost connection is replaced and every subscription restored; the loop goes on.

        Args:
            **options: ``max_pending`` (messages that may wait for the reader, 10,000),
                ``on_overflow`` (``"block"``: stop reading from the socket when the reader
                falls behind, the default; ``"error"``: raise ``SlowConsumerError``),
                ``health_check_interval`` (seconds of silence after which the link is
                declared dead, 5.0; None turns it off), ``reconnect_retry`` (a ``Retry``
                bounding consecutive failed reconnects; None retries until closed),
                ``on_reconnect`` (called in stream order after a reconnect). See ``PubSub``.

        Returns:
            The subscription, typed like this client (``PubSub[str]`` or ``PubSub[bytes]``).

        Raises:
            TypeError: An unknown option was given.
            ValueError: An option has an invalid value.
        """
        config = self._config.connection
        return PubSub[StrT]._over(
            self._executor,
            encoding=config.encoding,
            encoding_errors=config.encoding_errors,
            options=options,
        )

    def monitor(self, *, max_pending: int = 10_000) -> Monitor[StrT]:
        """Watch every command the server runs (MONITOR), on a connection of its own.

        ``async with client.monitor() as monitor:`` returns once the server confirmed;
        ``async for entry in monitor:`` yields a ``MonitorEntry`` (time, database, client,
        command name, arguments) per command. MONITOR slows the server down: it is for
        debugging.

        Args:
            max_pending: Entries that may wait for the reader; past that the socket is not
                read until the reader catches up (nothing is dropped).

        Returns:
            The monitor, typed like this client (``Monitor[str]`` or ``Monitor[bytes]``).

        Raises:
            TypeError, ValueError: ``max_pending`` is not an int of at least 2.
        """
        config = self._config.connection
        return Monitor[StrT]._over(
            self._executor,
            encoding=config.encoding,
            encoding_errors=config.encoding_errors,
            max_pending=max_pending,
        )

    # -- introspection and lifecycle --------------------------------------------------------

    def stats(self) -> PoolStats:
        """Return connection counts (connections, pending, leased, reconnects, bytes ...).

        Returns:
            A snapshot of the strategy's bookkeeping.
        """
        return self._server.stats()

    async def health(self, *, check_timeout: float = DEFAULT_HEALTH_TIMEOUT) -> HealthReport:
        """Check the server (and, for a Sentinel client, the sentinels) in ``check_timeout``.

        Never raises for an unhealthy target: what is wrong is in ``report.problems``.

        Args:
            check_timeout: Longest time the check may take, in seconds (default 2).

        Returns:
            The round-trip latency (``PING``), the server's role and replication state and,
            for a Sentinel client, the quorum, replicas and sentinels.

        Raises:
            ValueError: ``check_timeout`` is not positive.
        """
        role, sentinel = self._expected_role, self._sentinel_report
        return await server_report(
            self._server, check_timeout, expected_role=role, sentinel=sentinel
        )

    def __repr__(self) -> str:
        s = self._server.stats()
        config = self._config.connection
        closed = " closed" if self._closed else ""
        view = " view" if self._is_view else ""
        return (
            f"<redis_oxide.Redis {self._server.strategy.address} db={config.db} "
            f"protocol={config.protocol} strategy={s.strategy} "
            f"connections={s.connections} pending={s.pending} leased={s.leased} "
            f"reconnects={s.reconnects}{view}{closed}>"
        )

    async def aclose(self, *, grace: float | None = _CLOSE_GRACE) -> None:
        """Close gracefully: refuse new commands, let those in flight finish, then close.

        From the call on, a new command raises ``ConnectionClosedError``; commands already
        sent (or waiting for a connection) get up to ``grace`` seconds, then the rest is
        aborted (their callers get ``ConnectionClosedError``, whose ``may_have_executed``
        says whether the command had been sent). On a ``with_options`` view it does nothing.
        Cancelling the call does not stop the close: it goes on in the background and ends
        every connection when ``grace`` runs out. A second call waits for the close under
        way, aborting what is left when its own ``grace`` runs out first.

        Args:
            grace: Seconds commands in flight may take (default 5); 0 aborts them at once,
                None waits for them all.

        Raises:
            ValueError: ``grace`` is negative.
        """
        if grace is not None and grace < 0:
            raise ValueError(f"grace must be >= 0 or None, got {grace!r}")
        if self._is_view:
            return
        self._closed = True
        if self._finalizer is not None:
            self._finalizer.detach()
        await self._server.aclose(grace)  # idempotent: a later call finishes a cancelled one

    async def __aenter__(self) -> Redis[StrT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
