"""``Sentinel``: clients for the servers a group of sentinels monitors.

Rules this module keeps:

- A client from ``primary_for``/``replica_for`` is an ordinary ``Redis`` (pipelines,
  transactions, scripts, both strategies) built by ``Redis._over`` over a
  ``SentinelConnector`` and a ``SentinelReroute``; nothing here runs commands for it.
- One ``Sentinel`` serves every name the sentinels monitor: its clients share the sentinel
  query connections and the one ``+switch-master`` subscription.
- Options are validated when given: the sentinel options here, the client options through
  ``build_config``, before anything connects.
- ``aclose`` closes the clients it made that are still open, then the sentinel connections.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: a Sentinel client is built by the client's
# private constructor, and its reroute is attached to that client's executor.)

from __future__ import annotations

import asyncio
import functools
import ssl as _ssl
import weakref
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Literal, Unpack, cast, overload

from redis_oxide._checks import check_credential_provider, checked_seconds
from redis_oxide._client import Redis
from redis_oxide._client_config import build_config
from redis_oxide._client_options import ClientOptions
from redis_oxide._connection_setup import ConnectionConfig, CredentialProvider, build_ssl_context
from redis_oxide._exceptions import ConnectionClosedError
from redis_oxide._sentinel import SentinelConnector
from redis_oxide._sentinel_discovery import SentinelLinks, fields, format_address, record_list
from redis_oxide._sentinel_report import (
    MonitoredPrimary,
    SentinelReport,
    build_report,
    monitored_primary,
)
from redis_oxide._sentinel_reroute import SentinelReroute
from redis_oxide._sentinel_watch import SentinelTopology

__all__ = ["Sentinel"]

# Redis's guidelines for Sentinel clients ask for "a few hundred milliseconds" per sentinel,
# so a dead one costs little; 1 s leaves room for TLS on a loaded host (Jedis uses 2 s).
_SENTINEL_TIMEOUT = 1.0
# Covers a failover with Sentinel's default down-after-milliseconds (30 s) plus election and
# promotion, a few seconds; callers with a command_timeout stop waiting sooner anyway.
_RESOLVE_TIMEOUT = 60.0


# Sentinel options redis-py users write, and what to do instead.
_REDIS_PY_SENTINEL_OPTIONS = {
    "sentinel_kwargs": "use sentinel_username=, sentinel_password=, sentinel_ssl=, "
    "sentinel_connect_timeout= and sentinel_command_timeout= for the sentinels' connections",
    "socket_timeout": "use command_timeout= for the clients' commands and "
    "sentinel_command_timeout= for the questions to the sentinels",
    "min_other_sentinels": "not offered: check(name).sentinels reports the sentinels seen",
}


class Sentinel:
    """Clients for the primaries (and replicas) a group of Redis Sentinels monitors.

    ``primary_for(name)`` returns a ``Redis`` client whose connections go to the current
    primary of ``name``: each connect asks the sentinels and checks the server's role, a
    ``+switch-master`` notice moves the client at once, and a command issued while no
    primary is reachable waits (within its own timeout) for the new one.
    ``replica_for(name)`` spreads connections over the healthy replicas.

    Args:
        sentinels: ``(host, port)`` of at least one sentinel; more are learnt from them.
        sentinel_username: ACL user for the sentinels.
        sentinel_password: Password for the sentinels (never shown in reprs or errors).
        sentinel_credential_provider: Instead of both: called at each connect to a sentinel
            (it may be a coroutine function), returns ``(username, password)``.
        sentinel_ssl: True for TLS with verification, or an ``ssl.SSLContext``.
        sentinel_connect_timeout: Seconds to connect to one sentinel before trying the next.
        sentinel_command_timeout: Seconds a sentinel has to answer.
        resolve_timeout: Longest time a client keeps trying while the sentinels name no
            reachable primary (a failover under way); None keeps trying while they answer.
        **client_options: Defaults for every client (see ``Redis``); ``primary_for`` and
            ``replica_for`` take the same options to override them.

    Raises:
        ValueError: No sentinel, a malformed address, or an invalid option.
        TypeError: An unknown client option, or ``decode_responses`` (an option of
            ``primary_for``/``replica_for``).
    """

    def __init__(
        self,
        sentinels: Iterable[tuple[str, int]],
        *,
        sentinel_username: str | None = None,
        sentinel_password: str | None = None,
        sentinel_credential_provider: CredentialProvider | None = None,
        sentinel_ssl: bool | _ssl.SSLContext = False,
        sentinel_connect_timeout: float | None = _SENTINEL_TIMEOUT,
        sentinel_command_timeout: float | None = _SENTINEL_TIMEOUT,
        resolve_timeout: float | None = _RESOLVE_TIMEOUT,
        **client_options: Unpack[ClientOptions],
    ) -> None:
        addresses = [_checked_address(entry) for entry in sentinels]
        if not addresses:
            raise ValueError("Sentinel needs at least one (host, port) sentinel address")
        for label, value in (
            ("sentinel_connect_timeout", sentinel_connect_timeout),
            ("sentinel_command_timeout", sentinel_command_timeout),
            ("resolve_timeout", resolve_timeout),
        ):
            checked_seconds(label, value)
        if "decode_responses" in cast("dict[str, object]", client_options):
            raise TypeError(
                "Sentinel() does not take decode_responses: pass it to primary_for() or "
                "replica_for() (sentinel.primary_for(name, decode_responses=True)), where it "
                "decides the client's type, Redis[str] or Redis[bytes]"
            )
        given = cast("dict[str, object]", client_options)
        for name, advice in _REDIS_PY_SENTINEL_OPTIONS.items():
            if name in given:
                raise TypeError(f"Sentinel() got unknown option {name} (redis-py's): {advice}")
        check_credential_provider(
            sentinel_credential_provider, sentinel_username, sentinel_password, "sentinel_"
        )
        _validate(client_options)
        self._client_options = client_options
        self._resolve_timeout = resolve_timeout
        context = sentinel_ssl if isinstance(sentinel_ssl, _ssl.SSLContext) else None
        if sentinel_ssl is True:
            context = build_ssl_context()
        config = ConnectionConfig(
            ssl_context=context,
            username=sentinel_username,
            password=sentinel_password,
            credential_provider=sentinel_credential_provider,
            protocol=3,
            encoding="utf-8",
            connect_timeout=sentinel_connect_timeout,
        )
        links = SentinelLinks(addresses, config, sentinel_command_timeout)
        self._topology = SentinelTopology(links, sentinel_command_timeout)
        self._clients: weakref.WeakSet[Redis[Any]] = weakref.WeakSet()
        self._closed = False

    # -- clients -----------------------------------------------------------------------------

    @overload
    def primary_for(
        self, name: str, *, decode_responses: Literal[False] = ..., **options: Unpack[ClientOptions]
    ) -> Redis[bytes]: ...

    @overload
    def primary_for(
        self, name: str, *, decode_responses: Literal[True], **options: Unpack[ClientOptions]
    ) -> Redis[str]: ...

    @overload
    def primary_for(
        self, name: str, *, decode_responses: bool, **options: Unpack[ClientOptions]
    ) -> Redis[bytes] | Redis[str]: ...

    def primary_for(
        self, name: str, *, decode_responses: bool = False, **options: Unpack[ClientOptions]
    ) -> Redis[bytes] | Redis[str]:
        """Return a client for the primary the sentinels name for ``name``.

        Nothing connects until the first command. The client follows failovers by itself.

        Args:
            name: The monitored name (``sentinel monitor <name> ...``).
            decode_responses: Decode string replies to ``str``.
            **options: Client options (see ``Redis``) overriding the ``Sentinel``'s.

        Returns:
            A ``Redis[bytes]``, or ``Redis[str]`` with ``decode_responses=True``.

        Raises:
            ValueError: An empty name or an invalid option (``unix_socket_path`` included).
            TypeError: An unknown option.
            ConnectionClosedError: The ``Sentinel`` is closed.
        """
        return self._client(name, decode_responses, options, replica=False, fallback=False)

    @overload
    def replica_for(
        self,
        name: str,
        *,
        fallback_to_primary: bool = ...,
        decode_responses: Literal[False] = ...,
        **options: Unpack[ClientOptions],
    ) -> Redis[bytes]: ...

    @overload
    def replica_for(
        self,
        name: str,
        *,
        fallback_to_primary: bool = ...,
        decode_responses: Literal[True],
        **options: Unpack[ClientOptions],
    ) -> Redis[str]: ...

    @overload
    def replica_for(
        self,
        name: str,
        *,
        fallback_to_primary: bool = ...,
        decode_responses: bool,
        **options: Unpack[ClientOptions],
    ) -> Redis[bytes] | Redis[str]: ...

    def replica_for(
        self,
        name: str,
        *,
        fallback_to_primary: bool = False,
        decode_responses: bool = False,
        **options: Unpack[ClientOptions],
    ) -> Redis[bytes] | Redis[str]:
        """Return a client for the replicas of ``name``, for reads.

        Each new connection goes to the next healthy replica (round robin); replicas the
        sentinels flag down or disconnected, or whose link to the primary is down, are
        skipped. Spread reads over several replicas with ``multiplexed_connections=N`` or
        ``strategy="pooled"``.

        Args:
            name: The monitored name.
            fallback_to_primary: Read from the primary when no replica can be used;
                otherwise commands fail with ``ReplicaNotFoundError`` then.
            decode_responses: Decode string replies to ``str``.
            **options: Client options overriding the ``Sentinel``'s.

        Returns:
            A ``Redis[bytes]``, or ``Redis[str]`` with ``decode_responses=True``.

        Raises:
            ValueError: An empty name or an invalid option.
            TypeError: An unknown option.
            ConnectionClosedError: The ``Sentinel`` is closed.
        """
        return self._client(
            name, decode_responses, options, replica=True, fallback=fallback_to_primary
        )

    def _client(
        self, name: str, decode: bool, options: ClientOptions, *, replica: bool, fallback: bool
    ) -> Redis[Any]:
        if self._closed:
            method = "replica_for" if replica else "primary_for"
            raise ConnectionClosedError(
                f"{method}({name!r}): the Sentinel object is closed (aclose() was called); "
                "make a new Sentinel for new clients"
            )
        if not name:
            raise ValueError("the monitored name must not be empty")
        merged: ClientOptions = {**self._client_options, **options}
        _validate(merged)
        config = build_config(name, 0, decode_responses=decode, options=merged)
        connector = SentinelConnector(
            self._topology,
            name,
            config.connection,
            replica=replica,
            fallback_to_primary=fallback,
            retry=config.retry,
            resolve_timeout=self._resolve_timeout,
        )
        reroute = SentinelReroute(connector)
        client = Redis._over(config, connector, reroute)
        executor = client._server
        connector.bind(executor.strategy)
        reroute.attach(executor)
        client._sentinel_report = functools.partial(self.check, name)
        client._expected_role = None if fallback else "replica" if replica else "primary"
        self._topology.register(connector)
        self._clients.add(client)
        return client

    # -- what the sentinels know -------------------------------------------------------------

    async def primaries(self) -> tuple[MonitoredPrimary, ...]:
        """Return every name the sentinels monitor, as the first one that answers sees it.

        Returns:
            One view per monitored name, sorted by name.

        Raises:
            SentinelError: No sentinel answered.
        """
        records = await self._topology.links.records("SENTINEL", "MASTERS")
        return tuple(sorted(map(monitored_primary, records), key=lambda p: p.name))

    async def check(self, name: str) -> SentinelReport:
        """Report the health of one monitored name.

        Args:
            name: The monitored name.

        Returns:
            The primary, whether the quorum can be reached, the replicas with their link
            state, and the sentinels seen.

        Raises:
            PrimaryNotFoundError: No sentinel that answered monitors ``name`` (the message
                lists each sentinel asked).
            SentinelError: No sentinel answered.
        """
        asked, (primary, replicas, peers, quorum) = await self._topology.links.ask(
            ("SENTINEL", "MASTER", name),
            ("SENTINEL", "REPLICAS", name),
            ("SENTINEL", "SENTINELS", name),
            ("SENTINEL", "CKQUORUM", name),
            about=name,
        )
        return build_report(
            name,
            asked,
            fields(primary),
            record_list(replicas),
            record_list(peers),
            quorum,
        )

    @property
    def sentinels(self) -> list[str]:
        """The sentinels (``host:port``) in the order the next question goes to them,
        configured and learnt."""
        return [format_address(a) for a in self._topology.links.addresses]

    # -- lifecycle ---------------------------------------------------------------------------

    async def aclose(self, *, grace: float | None = 5.0) -> None:
        """Close the clients this object made, gracefully, then the sentinel connections.

        The clients refuse new commands at once and close together, each giving the
        commands in flight up to ``grace`` seconds (see ``Redis.aclose``); idempotent.

        Args:
            grace: Seconds commands in flight may take; 0 aborts them, None waits for all.

        Raises:
            ValueError: ``grace`` is negative.
        """
        if grace is not None and grace < 0:
            raise ValueError(f"grace must be >= 0 or None, got {grace!r}")
        if self._closed:
            return
        self._closed = True
        await asyncio.gather(*(client.aclose(grace=grace) for client in list(self._clients)))
        await self._topology.aclose()

    async def __aenter__(self) -> Sentinel:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        subscribed = len(self._topology.subscriptions)
        closed = " closed" if self._closed else ""
        return f"<redis_oxide.Sentinel sentinels={self.sentinels} subscribed={subscribed}{closed}>"


def _checked_address(entry: object) -> tuple[str, int]:
    if not isinstance(entry, tuple) or len(cast("tuple[object, ...]", entry)) != 2:
        raise ValueError(f"a sentinel address is a (host: str, port: int) tuple, got {entry!r}")
    host, port = cast("tuple[object, object]", entry)
    if not isinstance(host, str) or isinstance(port, bool) or not isinstance(port, int):
        raise ValueError(f"a sentinel address is a (host: str, port: int) tuple, got {entry!r}")
    if not host or not 0 < port < 65536:
        raise ValueError(f"invalid sentinel address {entry!r}")
    return host, port


def _validate(options: ClientOptions) -> None:
    if options.get("unix_socket_path") is not None:
        raise ValueError(
            "unix_socket_path cannot be used with Sentinel: the sentinels name TCP addresses"
        )
    build_config("sentinel", 0, decode_responses=False, options=options)
