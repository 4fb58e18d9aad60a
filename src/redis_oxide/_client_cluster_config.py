"""From cluster client options to configuration: validation, defaults, node executors.

Rules this module keeps:

- The options a cluster shares with ``Redis`` go through ``build_config``, so they are
  validated and defaulted exactly as for one server and apply to every node; the cluster's
  own options are validated here, before anything connects.
- Every default of the cluster's own options lives here, with its reason.
- ``node_factory`` builds a node's executor the way ``Redis`` builds its own: ``make_executor``
  over a connector to that node (``NodeConnector``, with ``READONLY`` when replicas may be
  read), with the client's retry policy and command timeout, and with ``cache=`` a
  ``CachingExecutor`` of the node's own, whose cache joins the client's ``ClusterCache``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from redis_oxide._cache import CachingExecutor
from redis_oxide._cache_cluster import ClusterCache
from redis_oxide._checks import checked_count, checked_host, checked_port, checked_seconds
from redis_oxide._client_config import ClientConfig, build_config, make_executor
from redis_oxide._client_options import ClientOptions, ClusterOptions
from redis_oxide._cluster import ClusterMember, ExecutorFactory, NodeConnector, ReadFrom
from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._executor import Reroute
from redis_oxide._telemetry_cluster import traced_nodes

__all__ = ["ClusterConfig", "StartupNode", "build_cluster_config", "node_factory"]

#: A startup node: ``"host:port"``, ``(host, port)``, or a member a cluster client listed.
StartupNode = str | tuple[str, int] | ClusterMember

# Five redirects cover a slot moving twice during one call (MOVED, then ASK to the new
# owner, then MOVED again); a longer chain is a misconfigured cluster. Lettuce's default is
# 5; redis-py follows up to 16 (its RedisClusterRequestTTL).
_DEFAULT_MAX_REDIRECTS = 5
# A command without a command_timeout waits this long for a failing node's slots to move:
# Redis's default cluster-node-timeout is 15 s, and an election follows it.
_DEFAULT_FAILOVER_TIMEOUT = 20.0
# Periodic refresh, besides the ones MOVED and failures trigger; lettuce's periodic refresh
# defaults to 60 s when enabled, go-redis reloads the map every 10 s. 30 s notices added
# replicas and quiet changes at no measurable cost.
_DEFAULT_REFRESH_INTERVAL = 30.0
_CLUSTER_ONLY = frozenset(ClusterOptions.__annotations__) - frozenset(ClientOptions.__annotations__)
_READ_FROM = ("primary", "prefer_replica", "replica")


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """A validated cluster client configuration.

    Attributes:
        client: What every node's connections and executor use (its address is the first
            startup node's).
        seeds: ``(host, port)`` of the startup nodes.
        read_from: Where read-only commands with keys go.
        max_redirects: MOVED/ASK redirects followed per call.
        failover_timeout: Longest wait for a failed node's slots to move, for commands
            without a ``command_timeout``.
        refresh_interval: Seconds between periodic refreshes; None refreshes on demand only.
    """

    client: ClientConfig
    seeds: tuple[tuple[str, int], ...]
    read_from: ReadFrom
    max_redirects: int
    failover_timeout: float
    refresh_interval: float | None


def build_cluster_config(
    host: str | None,
    port: int,
    startup_nodes: Sequence[StartupNode],
    *,
    decode_responses: bool,
    options: ClusterOptions,
) -> ClusterConfig:
    """Validate cluster client options and fill in the defaults.

    Args:
        host: A startup node's host, or None.
        port: Its port.
        startup_nodes: More startup nodes.
        decode_responses: Decode string replies to ``str``.
        options: The keyword options given to the client.

    Returns:
        The configuration.

    Raises:
        TypeError: An option is unknown.
        ValueError: An option has an invalid value, or there is no startup node.
    """
    own = cast(ClusterOptions, {k: v for k, v in options.items() if k in _CLUSTER_ONLY})
    common = cast(ClientOptions, {k: v for k, v in options.items() if k not in own})
    if common.get("db", 0) != 0:
        raise ValueError("a Redis Cluster has one database: db must be 0")
    if common.get("unix_socket_path") is not None:
        raise ValueError("cluster nodes are reached over TCP: unix_socket_path is not used")
    seeds = _seeds(host, port, startup_nodes)
    client = build_config(
        seeds[0][0], seeds[0][1], decode_responses=decode_responses, options=common
    )
    read_from = own.get("read_from", "primary")
    if read_from not in _READ_FROM:
        raise ValueError(
            f"read_from must be 'primary', 'prefer_replica' or 'replica', not {read_from!r}"
        )
    max_redirects = checked_count(
        "max_redirects", own.get("max_redirects", _DEFAULT_MAX_REDIRECTS), 0
    )
    failover_timeout = own.get("failover_timeout", _DEFAULT_FAILOVER_TIMEOUT)
    if failover_timeout != 0:  # 0: fail at once
        failover_timeout = checked_seconds("failover_timeout", failover_timeout) or 0.0
    interval = checked_seconds(
        "topology_refresh_interval", own.get("topology_refresh_interval", _DEFAULT_REFRESH_INTERVAL)
    )
    return ClusterConfig(
        client=client,
        seeds=tuple(seeds),
        read_from=read_from,
        max_redirects=max_redirects,
        failover_timeout=failover_timeout,
        refresh_interval=interval,
    )


def node_factory(config: ClusterConfig, caches: ClusterCache | None = None) -> ExecutorFactory:
    """The function that builds one node's executor for a cluster client.

    Args:
        config: The cluster client's configuration.
        caches: Collects each node's cache, when the client has one.

    Returns:
        ``factory(host, port, reroute) -> executor``; nothing connects until used.
    """
    client = config.client
    readonly = config.read_from != "primary"

    def make(host: str, port: int, reroute: Reroute) -> NodeExecutor:
        connection = dataclasses.replace(client.connection, host=host, port=port)
        executor = make_executor(client, NodeConnector(connection, readonly=readonly), reroute)
        if caches is not None and isinstance(executor, CachingExecutor):
            # The collection's own hook: the factory is where node caches are made.
            caches._add(ClusterMember(host, port).address, executor.cache)  # pyright: ignore[reportPrivateUsage]
        return executor

    return traced_nodes(make, client.telemetry)


def _seeds(
    host: str | None, port: int, startup_nodes: Sequence[StartupNode]
) -> list[tuple[str, int]]:
    seeds: list[tuple[str, int]] = [] if host is None else [(host, port)]
    for node in startup_nodes:
        if isinstance(node, ClusterMember):
            seeds.append((node.host, node.port))
        elif isinstance(node, str):
            node_host, sep, node_port = node.rpartition(":")
            if not sep or not node_port.isdigit():
                raise ValueError(f"a startup node is 'host:port', got {node!r}")
            seeds.append((node_host.strip("[]"), int(node_port)))
        else:
            seeds.append((node[0], node[1]))
    if not seeds:
        raise ValueError("RedisCluster needs a host or startup_nodes")
    return [(checked_host(seed_host), checked_port(seed_port)) for seed_host, seed_port in seeds]
