"""Typed descriptions of the servers the fixtures provide.

Rules: every info object is a frozen dataclass, safe to share across tests;
secrets are excluded from ``repr``; ``endpoint`` is what the raw helper
needs to reach the server (with TLS or AUTH already filled in), and
``process`` is the handle a test may stop, kill or restart (None when the
server was not started by this run).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from redis_oxide.testing._raw import Endpoint
from redis_oxide.testing._servers import ServerProcess

__all__ = [
    "ACLServerInfo",
    "ClusterInfo",
    "MonitoredGroup",
    "NodeInfo",
    "RedisServerInfo",
    "SentinelInfo",
    "TLSServerInfo",
]


@dataclass(frozen=True)
class RedisServerInfo:
    """A plain (TCP, optionally unix socket) server.

    Attributes:
        host: Loopback address the server listens on.
        port: TCP port.
        url: ``redis://host:port``.
        unix_path: Unix socket path, or None.
        version: ``redis_version`` from INFO, for example ``7.4.1``.
        process: The process handle, or None for an external server.
    """

    host: str
    port: int
    url: str
    unix_path: str | None
    version: str
    process: ServerProcess | None = field(default=None, compare=False)

    @property
    def endpoint(self) -> Endpoint:
        """How the raw helper reaches this server."""
        return Endpoint(self.host, self.port, self.unix_path)

    @classmethod
    def from_process(cls, process: ServerProcess) -> RedisServerInfo:
        """Describe a started process.

        Args:
            process: A server that has been started.

        Returns:
            The info object.
        """
        return cls(
            host=process.host,
            port=process.port,
            url=f"redis://{process.host}:{process.port}",
            unix_path=process.unix_path,
            version=process.version,
            process=process,
        )


@dataclass(frozen=True)
class NodeInfo(RedisServerInfo):
    """One cluster node.

    Attributes:
        node_id: The 40-character cluster node id.
        role: The role assigned at start-up (failover tests may change it).
        primary_id: For a replica, the node id of its primary; else None.
    """

    node_id: str = ""
    role: Literal["primary", "replica"] = "primary"
    primary_id: str | None = None


@dataclass(frozen=True)
class ClusterInfo:
    """A six-node cluster: three primaries with one replica each.

    Attributes:
        nodes: Every node, primaries first.
        primaries: The three primaries, in slot order.
        replicas: The replicas; ``replicas[i]`` replicates ``primaries[i]``.
        startup_url: A URL to bootstrap a cluster client from.
    """

    nodes: tuple[NodeInfo, ...]
    primaries: tuple[NodeInfo, ...]
    replicas: tuple[NodeInfo, ...]
    startup_url: str


@dataclass(frozen=True)
class MonitoredGroup:
    """One name a sentinel group monitors: its primary and replicas at start-up.

    Attributes:
        name: The name the sentinels monitor the primary under.
        primary: The primary at start-up.
        replicas: Its replicas at start-up.
    """

    name: str
    primary: RedisServerInfo
    replicas: tuple[RedisServerInfo, ...]


@dataclass(frozen=True)
class SentinelInfo:
    """Primaries, their replicas and three sentinels monitoring them.

    The fields without ``groups`` describe the first monitored name; ``groups`` lists
    every name (the first one first).

    Attributes:
        master_name: The name the sentinels monitor the (first) primary under.
        primary: The primary at start-up.
        replica: The (first) replica at start-up.
        sentinels: The three sentinels.
        quorum: Sentinels needed to agree the primary is down.
        down_after_ms: ``down-after-milliseconds``.
        failover_timeout_ms: ``failover-timeout``.
        groups: Every monitored name with its primary and replicas.
    """

    master_name: str
    primary: RedisServerInfo
    replica: RedisServerInfo
    sentinels: tuple[RedisServerInfo, ...]
    quorum: int
    down_after_ms: int
    failover_timeout_ms: int
    groups: tuple[MonitoredGroup, ...] = ()

    @property
    def replicas(self) -> tuple[RedisServerInfo, ...]:
        """Every replica of ``master_name`` at start-up."""
        return self.groups[0].replicas if self.groups else (self.replica,)

    def processes(self) -> list[ServerProcess]:
        """Every process of the group (primaries, replicas, sentinels) that has a handle.

        Returns:
            The handles, data servers first.
        """
        groups = self.groups or (MonitoredGroup(self.master_name, self.primary, (self.replica,)),)
        servers = [s for g in groups for s in (g.primary, *g.replicas)]
        return [s.process for s in (*servers, *self.sentinels) if s.process is not None]


@dataclass(frozen=True)
class TLSServerInfo:
    """A server that accepts TLS connections only.

    Attributes:
        host: Loopback address.
        port: The TLS port (the plain port is disabled).
        url: ``rediss://host:port``.
        version: ``redis_version`` from INFO.
        ca_cert: PEM file of the CA that signed both certificates.
        server_cert: PEM certificate of the server (SAN 127.0.0.1, ::1, localhost).
        server_key: PEM key of the server.
        client_cert: PEM client certificate.
        client_key: PEM client key.
        client_auth_required: True when the server demands a client certificate.
        process: The process handle.
    """

    host: str
    port: int
    url: str
    version: str
    ca_cert: Path
    server_cert: Path
    server_key: Path = field(repr=False)
    client_cert: Path = field(repr=False)
    client_key: Path = field(repr=False)
    client_auth_required: bool
    process: ServerProcess | None = field(default=None, compare=False)

    def ssl_context(self, *, client_cert: bool = True) -> ssl.SSLContext:
        """Build a client context that trusts the test CA.

        Args:
            client_cert: Present the client certificate.

        Returns:
            A new context with hostname checking on.
        """
        context = ssl.create_default_context(cafile=str(self.ca_cert))
        if client_cert:
            context.load_cert_chain(str(self.client_cert), str(self.client_key))
        return context

    @property
    def endpoint(self) -> Endpoint:
        """How the raw helper reaches this server (with the client certificate)."""
        return Endpoint(self.host, self.port, ssl_context=self.ssl_context())


@dataclass(frozen=True)
class ACLServerInfo:
    """A server with ACL users: a restricted ``username`` and an admin ``default``.

    Attributes:
        host: Loopback address.
        port: TCP port.
        url: ``redis://host:port`` (no credentials).
        version: ``redis_version`` from INFO.
        username: The restricted user (``oxide``).
        password: Its password, random per run.
        admin_password: Password of the ``default`` user, which has every permission.
        process: The process handle.
    """

    host: str
    port: int
    url: str
    version: str
    username: str
    password: str = field(repr=False)
    admin_password: str = field(repr=False)
    process: ServerProcess | None = field(default=None, compare=False)

    @property
    def endpoint(self) -> Endpoint:
        """How the raw helper reaches this server, authenticated as ``default``."""
        return Endpoint(self.host, self.port, password=self.admin_password)

    @property
    def user_endpoint(self) -> Endpoint:
        """The endpoint authenticated as the restricted user."""
        return Endpoint(self.host, self.port, username=self.username, password=self.password)
