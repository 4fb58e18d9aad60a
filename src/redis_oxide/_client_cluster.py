"""The cluster client: a thin facade over a configuration and a ``ClusterExecutor``.

Rules this module keeps:

- ``RedisCluster`` holds no routing logic: options are validated by ``build_cluster_config``
  (through ``build_config``, as for ``Redis``, so an option means the same on both), each
  node's executor is built by ``node_factory``, and the ``ClusterExecutor`` runs every
  command. Its ``_execute`` is bound onto the client as an instance attribute: a
  generated method calls the executor directly.
- The slot map is loaded by the first command (or ``async with``), never in ``__init__``.
- Pipelines, transactions, scripts and libraries are the standalone ones over the cluster
  executor; ``on(target)`` returns a view whose commands run on the nodes it names.
- No secret reaches ``repr``, logs or exceptions.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: the facade binds its executor's
# ``_execute`` and builds patterns with their private constructors.)

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, Unpack, cast, overload

from redis_oxide._cache_cluster import ClusterCache
from redis_oxide._checks import checked_seconds
from redis_oxide._client import _CLOSE_GRACE, _UNSET
from redis_oxide._client_base import ClientBase
from redis_oxide._client_cluster_config import StartupNode, build_cluster_config, node_factory
from redis_oxide._client_cluster_scripting import load_script, node_at
from redis_oxide._client_cluster_view import (
    ClusterStats,
    ClusterTarget,
    ClusterView,
    cluster_stats,
)
from redis_oxide._client_options import ClusterOptions
from redis_oxide._client_scans import scan_options
from redis_oxide._cluster import ClusterExecutor, ClusterMember
from redis_oxide._cluster._scan import scan_iter
from redis_oxide._cluster._view import ClusterExecutorView
from redis_oxide._command import KeyT
from redis_oxide._exceptions import ConnectionClosedError
from redis_oxide._generated import StrT
from redis_oxide._health import DEFAULT_HEALTH_TIMEOUT, HealthReport, describe_error
from redis_oxide._health_cluster import cluster_health
from redis_oxide._pubsub import PubSub
from redis_oxide._pubsub_cluster import ClusterPubSub
from redis_oxide._pubsub_types import PubSubOptions
from redis_oxide._scripting import ScriptLoader, ServerLookup
from redis_oxide._telemetry_cluster import instrument_cluster
from redis_oxide._url import parse_url

__all__ = ["RedisCluster", "StartupNode"]

T = TypeVar("T")


class RedisCluster(ClientBase[StrT, ClusterExecutor], Generic[StrT]):
    """An asyncio client for a Redis Cluster: keys route to their slot's node.

    ``RedisCluster(host, port)`` returns ``RedisCluster[bytes]``;
    ``RedisCluster(..., decode_responses=True)`` returns ``RedisCluster[str]``. The slot map
    is loaded from any reachable startup node on the first command. Multi-key commands whose
    policy allows it (MGET, MSET, DEL, EXISTS, UNLINK, TOUCH) are split per slot; other
    multi-key commands need their keys in one slot (``CrossSlotError`` otherwise, before
    anything is sent). Keyless commands go where their ``request_policy`` says and their
    replies are combined into the single-server type (``dbsize()`` sums the primaries).

    Args:
        host: A startup node's host (None when only ``startup_nodes`` are given).
        port: That node's port.
        startup_nodes: More startup nodes: ``"host:port"``, ``(host, port)`` or members.
        decode_responses: Decode string replies to ``str`` (with ``encoding``).
        **options: Everything ``Redis`` takes (see ``ClientOptions``) except ``db`` and
            ``unix_socket_path``, applied to every node (``cache``: one cache per node, see
            ``ClusterCache``); and ``read_from``
            (``"primary"``, ``"prefer_replica"`` or ``"replica"``: where read-only commands
            with keys go), ``max_redirects`` (5), ``failover_timeout`` (20 s: how long a
            command without ``command_timeout`` waits for a failed node's slots to move) and
            ``topology_refresh_interval`` (30 s; None refreshes only on MOVED and failures).

    Raises:
        ValueError: An option has an invalid value, or no startup node was given.
        TypeError: An unknown option was given.
    """

    #: The client-side caches of ``RedisCluster(cache=...)``, one per node, or None.
    cache: ClusterCache | None

    @overload
    def __init__(
        self: RedisCluster[bytes],
        host: str | None = ...,
        port: int = ...,
        *,
        startup_nodes: Sequence[StartupNode] = ...,
        decode_responses: Literal[False] = ...,
        **options: Unpack[ClusterOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: RedisCluster[str],
        host: str | None = ...,
        port: int = ...,
        *,
        startup_nodes: Sequence[StartupNode] = ...,
        decode_responses: Literal[True],
        **options: Unpack[ClusterOptions],
    ) -> None: ...

    @overload
    def __init__(
        self: RedisCluster[Any],  # a run-time flag: see ``Redis.__init__``
        host: str | None = ...,
        port: int = ...,
        *,
        startup_nodes: Sequence[StartupNode] = ...,
        decode_responses: bool,
        **options: Unpack[ClusterOptions],
    ) -> None: ...

    def __init__(
        self,
        host: str | None = None,
        port: int = 6379,
        *,
        startup_nodes: Sequence[StartupNode] = (),
        decode_responses: bool = False,
        **options: Unpack[ClusterOptions],
    ) -> None:
        config = build_cluster_config(
            host, port, startup_nodes, decode_responses=decode_responses, options=options
        )
        self._config = config.client
        caches = config.client.cache
        self.cache = None if caches is None else ClusterCache._new(caches)
        executor = ClusterExecutor(
            node_factory(config, self.cache),
            config.seeds,
            read_from=config.read_from,
            command_timeout=config.client.command_timeout,
            retry=config.client.retry,
            max_redirects=config.max_redirects,
            failover_timeout=config.failover_timeout,
            refresh_interval=config.refresh_interval,
            tls=config.client.connection.ssl_context is not None,
        )
        if self.cache is not None:
            executor.topology.add_listener(self.cache._map_changed)
        self._bind(instrument_cluster(executor, config.client.telemetry))
        self._closed = False
        self._is_view = False

    # -- construction helpers ---------------------------------------------------------------

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: Literal[False] = ..., **options: Unpack[ClusterOptions]
    ) -> RedisCluster[bytes]: ...

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: Literal[True], **options: Unpack[ClusterOptions]
    ) -> RedisCluster[str]: ...

    @overload
    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: bool, **options: Unpack[ClusterOptions]
    ) -> RedisCluster[bytes] | RedisCluster[str]: ...

    @classmethod
    def from_url(
        cls, url: str, *, decode_responses: bool = _UNSET, **options: Unpack[ClusterOptions]
    ) -> RedisCluster[bytes] | RedisCluster[str]:
        """Build a cluster client from the URL of one startup node.

        Args:
            url: ``redis://[[user]:password@]host[:port][?option=value...]``, or
                ``rediss://`` for TLS; query options as for ``redis_oxide.from_url``.
            decode_responses: Decode string replies to ``str``; overrides the URL.
            **options: Options overriding those in the URL, cluster options included.

        Returns:
            A new cluster client.

        Raises:
            ValueError: The URL is malformed, has an unknown option, or is a ``unix://`` URL.
        """
        host, port, parsed, url_decode = parse_url(url)
        if parsed.get("unix_socket_path") is not None:
            raise ValueError("a cluster client needs a redis:// or rediss:// URL")
        merged = cast(ClusterOptions, {**parsed, **options})
        decode = decode_responses if decode_responses is not _UNSET else bool(url_decode)
        return RedisCluster(host, port, decode_responses=decode, **merged)

    def _uncached_executor(self) -> ClusterExecutor:
        if self.cache is None:
            return self._executor
        return self.with_options(cache=False)._executor

    def with_options(
        self, *, command_timeout: float | None = _UNSET, cache: bool | None = None
    ) -> RedisCluster[StrT]:
        """Return a view of this client with other per-call settings.

        The view shares this client's slot map, connections and caches; closing the view
        does nothing, closing this client closes both. A view's timeout that expires on a
        node counts as that node failing, as the client's own timeouts do: the client probes
        the node before it sends it more commands.

        Args:
            command_timeout: Seconds to wait for each reply, retries and redirects
                included; None waits indefinitely.
            cache: False reads past the node caches (writes still invalidate them); True
                uses them.

        Returns:
            A light client view.

        Raises:
            ValueError: ``cache=True`` on a client built without a cache.
        """
        if cache and self.cache is None:
            raise ValueError("cache=True needs a client built with RedisCluster(cache=...)")
        view = copy.copy(self)
        view._is_view = True
        timeout = (
            self.command_timeout
            if command_timeout is _UNSET
            else checked_seconds("command_timeout", command_timeout)
        )
        executor = ClusterExecutorView(self._executor, command_timeout=timeout, cache=cache)
        view._bind(instrument_cluster(executor, self._config.telemetry))
        return view

    # -- nodes -------------------------------------------------------------------------------

    def on(self, target: ClusterTarget) -> ClusterView[StrT]:
        """Return a view whose commands run on the nodes ``target`` names.

        For admin commands: ``await cluster.on(node).info()`` reads one node,
        ``await cluster.on("primaries").config_set(...)`` sets every primary (replies combined
        by the command's policy; one without, like ROLE, is refused: ``view.each(...)``
        gives a value per node).

        Args:
            target: A ``ClusterMember`` (from ``nodes()``), ``"primaries"``, ``"replicas"``
                or ``"all"``, resolved against the slot map at each call.

        Returns:
            The view; it shares this client's connections.

        Raises:
            ValueError: ``target`` is not one of those.
        """
        return ClusterView[StrT]._over(self._executor, target)

    async def nodes(
        self, which: Literal["primaries", "replicas", "all"] = "all"
    ) -> list[ClusterMember]:
        """The nodes of the current slot map (loading it first if needed).

        Args:
            which: ``"primaries"``, ``"replicas"`` or ``"all"``.

        Returns:
            The nodes, primaries in slot order.
        """
        await self._executor.start()
        return self._executor.topology_nodes(which)

    def scan_iter(
        self,
        match: KeyT | None = None,
        *,
        count: int | None = None,
        type: str | None = None,
    ) -> AsyncIterator[StrT]:
        """Iterate over every key of the cluster (SCAN on each primary).

        Every key that exists for the whole iteration is yielded, even when slots move or a
        primary fails over meanwhile; a key may be yielded more than once.

        Args:
            match: Only keys matching this glob pattern.
            count: SCAN's ``COUNT`` hint.
            type: Only keys of this type (``"string"``, ``"hash"`` ...).

        Returns:
            An async iterator of keys.

        Raises:
            TypeError, ValueError: ``match``, ``count`` or ``type`` is of the wrong type, or
                ``count`` is below 1 (raised here, before anything is sent).
        """
        return self._scan_iter(*scan_options(match, count, type))

    async def _scan_iter(
        self, pattern: str | bytes | None, count: int | None, type_: str | None
    ) -> AsyncIterator[StrT]:
        await self._executor.start()
        batches = scan_iter(
            self._executor,
            match=pattern,
            count=count,
            type_=type_,
            give_up_after=self._executor._failover_timeout,
        )
        async for keys in batches:
            for key in keys:
                yield key

    # -- subscriptions ------------------------------------------------------------------------

    def pubsub(self, **options: Unpack[PubSubOptions]) -> PubSub[StrT]:
        """Start a subscription on the cluster: shard channels on the primaries that own them.

        ``ssubscribe()`` subscribes each shard channel on the primary that owns its slot (one
        connection per such primary, one SSUBSCRIBE per slot), and follows the slot when it
        moves (a migration, a failover): the ``async for`` loop goes on. ``subscribe()`` and
        ``psubscribe()`` run on one connection to any primary, as classic pub/sub reaches
        every node. Publish with ``spublish()`` (routed by slot) or ``publish()``.

        Args:
            **options: As for ``Redis.pubsub()``: ``max_pending``, ``on_overflow``,
                ``health_check_interval``, ``reconnect_retry`` (per node: a primary down
                for longer than its attempts take fails the subscription, even if a
                failover would follow; leave it None to ride failovers), ``on_reconnect``
                (also called, in stream order, after shard channels followed their slot).

        Returns:
            The subscription, typed like this client (``PubSub[str]`` or ``PubSub[bytes]``).

        Raises:
            TypeError: An unknown option was given.
            ValueError: An option has an invalid value.
        """
        config = self._config.connection
        return ClusterPubSub[StrT]._over(
            self._executor,
            encoding=config.encoding,
            encoding_errors=config.encoding_errors,
            options=options,
        )

    # -- scripting -----------------------------------------------------------------------------

    def _script_loader(self) -> ScriptLoader | None:
        return partial(load_script, self._executor)

    def _server_lookup(self) -> ServerLookup | None:
        return partial(node_at, self._executor)

    # -- introspection and lifecycle --------------------------------------------------------

    def stats(self) -> ClusterStats:
        """Return each node's connection counts and how often the slow paths ran.

        Returns:
            A snapshot.
        """
        return cluster_stats(self._executor)

    def __repr__(self) -> str:
        topology = self._executor.topology
        known = "no map yet" if topology.map is None else f"{len(topology.map.shards)} shards"
        closed = " closed" if self._closed else ""
        view = " view" if self._is_view else ""
        return (
            f"<redis_oxide.RedisCluster{view} {known} "
            f"protocol={self._config.connection.protocol} "
            f"strategy={self._config.strategy}{closed}>"
        )

    async def health(self, *, check_timeout: float = DEFAULT_HEALTH_TIMEOUT) -> HealthReport:
        """Check every node of the slot map, and the slots' coverage, in ``check_timeout``.

        Never raises for an unhealthy cluster: what is wrong is in ``report.problems``.

        Args:
            check_timeout: Longest time the check may take, in seconds (default 2).

        Returns:
            Each node's round trip, role and replication state, and ``report.cluster``:
            ``cluster_state``, the slots covered and the ranges without a reachable primary.

        Raises:
            ValueError: ``check_timeout`` is not positive.
        """
        try:
            return await cluster_health(self._executor, check_timeout)
        except ConnectionClosedError as exc:  # the client was closed: unhealthy, as Redis says
            return HealthReport(
                healthy=False, problems=(describe_error(exc),), nodes=(), elapsed=0.0
            )

    async def aclose(self, *, grace: float | None = _CLOSE_GRACE) -> None:
        """Close gracefully: refuse new commands, let those in flight finish, then close.

        From the call on, a new command raises ``ConnectionClosedError``; commands already
        sent to any node get up to ``grace`` seconds, then the rest is aborted. A second
        call is harmless.

        Args:
            grace: Seconds commands in flight may take (default 5); 0 aborts them at once,
                None waits for them all.

        Raises:
            ValueError: ``grace`` is negative.
        """
        if grace is not None and grace < 0:
            raise ValueError(f"grace must be >= 0 or None, got {grace!r}")
        if self._is_view or self._closed:
            return  # a view's connections are its client's
        self._closed = True
        await self._executor.aclose(grace)

    async def __aenter__(self) -> RedisCluster[StrT]:
        await self._executor.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
