"""One executor per cluster node, built the way a standalone client builds its own.

Rules this module keeps:

- A node's executor is a ``ServerExecutor`` made by the client facade's factory, over the
  strategy the client options ask for, so every option (protocol, TLS, timeouts, strategy,
  pool sizes, a client-side cache: a ``CachingExecutor`` in front) means what it means for
  ``Redis``. Its connector is a ``NodeConnector``: a
  fixed address, and ``READONLY`` after the handshake when the cluster reads from replicas.
- ``READONLY`` is sent on every connection of a cluster that may read from replicas, primaries
  included: a primary ignores it, and a node keeps serving reads whatever role a failover
  gives it next. A cluster that reads from primaries only never sends it.
- Executors are made on first use (a node named by a MOVED is usable at once) and closed
  when the topology says the node left; nothing here decides either.
- Nothing here routes commands: the registry only maps addresses to executors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from redis_oxide._cache import CachingExecutor
from redis_oxide._cluster._slots import ClusterMember
from redis_oxide._command import ReplyParser
from redis_oxide._connection import Connection, PushHandler
from redis_oxide._connection_setup import ConnectionConfig, FixedConnector
from redis_oxide._exceptions import ConnectFailedError, ConnectionClosedError, RedisError
from redis_oxide._executor import Reroute, ServerExecutor
from redis_oxide._generated import _meta as _m
from redis_oxide._logs import log_fields

__all__ = [
    "RAW",
    "ExecutorFactory",
    "NodeConnector",
    "NodeExecutor",
    "NodeLookup",
    "NodeRegistry",
]

#: The parser argument that keeps a reply raw (decoded, not parsed), typed for fan-outs.
RAW: ReplyParser[Any] | None = None

#: A node's executor: its strategy's, or a client-side cache's in front of that one.
NodeExecutor = ServerExecutor | CachingExecutor

#: Makes the executor of the node at (host, port) whose reroute is the given one.
ExecutorFactory = Callable[[str, int, Reroute], NodeExecutor]

logger = logging.getLogger("redis_oxide.cluster")

# How long a node that left gets to answer the commands already sent to it before it is closed.
_LEAVE_GRACE = 5.0


class NodeLookup(Protocol):
    """Address -> node executor, as the cluster executor and its helpers look nodes up.

    A ``NodeRegistry``, or a client view's lookup that hands out its own versions of the
    registry's executors (``with_options``).
    """

    def get(self, host: str, port: int) -> NodeExecutor:
        """The executor of the node at ``host:port``, made now if it is new."""
        ...

    def of(self, node: ClusterMember) -> NodeExecutor:
        """The executor of ``node``, made now if it is new."""
        ...

    def find(self, address: str) -> NodeExecutor | None:
        """The executor of ``address`` if one was made."""
        ...

    def items(self) -> Iterator[tuple[str, NodeExecutor]]:
        """Every address and its executor."""
        ...


class NodeConnector(FixedConnector):
    """A ``Connector`` for one cluster node; sends ``READONLY`` when asked to.

    Args:
        config: Where to connect and how to set each connection up.
        readonly: Send ``READONLY`` after the handshake (replica reads).
    """

    __slots__ = ("readonly",)

    def __init__(self, config: ConnectionConfig, *, readonly: bool) -> None:
        super().__init__(config)
        self.readonly = readonly

    async def connect(self, *, push_handler: PushHandler | None = None) -> Connection:
        """Open a ready connection to the node (in ``READONLY`` mode when asked).

        Args:
            push_handler: Receives push frames arriving on it.

        Returns:
            A ready connection.

        Raises:
            ConnectTimeoutError: Connecting took longer than ``connect_timeout``.
            ConnectFailedError: The node cannot be reached, or refused ``READONLY``.
            ServerError: The node refused the handshake.
        """
        conn = await super().connect(push_handler=push_handler)
        if not self.readonly:
            return conn
        try:
            async with asyncio.timeout(self.config.connect_timeout):
                await conn.send(("READONLY",), None, _m.READONLY)
        except (RedisError, TimeoutError) as exc:
            conn.abort()
            raise ConnectFailedError(
                f"{self.address} refused READONLY: {exc}", address=self.address
            ) from exc
        except BaseException:
            conn.abort()
            raise
        return conn


class NodeRegistry:
    """Address -> the node's executor, made on first use.

    Args:
        factory: Makes a node's executor (the client facade's options, the node's address).
        reroute_for: Builds the ``Reroute`` of the executor of one address.
    """

    def __init__(self, factory: ExecutorFactory, reroute_for: Callable[[str], Reroute]) -> None:
        self._factory = factory
        self._reroute_for = reroute_for
        self._executors: dict[str, NodeExecutor] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    def get(self, host: str, port: int) -> NodeExecutor:
        """The executor of the node at ``host:port``, made now if it is new.

        Args:
            host: The node's host.
            port: The node's port.

        Returns:
            Its executor; no connection is opened yet.

        Raises:
            ConnectionClosedError: The client is closed.
        """
        address = ClusterMember(host, port).address
        executor = self._executors.get(address)
        if executor is None:
            if self._closed:
                raise ConnectionClosedError("the cluster client is closed", address=address)
            executor = self._factory(host, port, self._reroute_for(address))
            self._executors[address] = executor
        return executor

    def of(self, node: ClusterMember) -> NodeExecutor:
        """The executor of ``node``, made now if it is new."""
        return self.get(node.host, node.port)

    def find(self, address: str) -> NodeExecutor | None:
        """The executor of ``address`` if one was made."""
        return self._executors.get(address)

    def items(self) -> Iterator[tuple[str, NodeExecutor]]:
        """Every address and its executor."""
        return iter(list(self._executors.items()))

    def retire(self, keep: set[str]) -> list[str]:
        """Close, in the background, the executors of every address not in ``keep``.

        Commands already sent to such a node get ``_LEAVE_GRACE`` seconds to be answered.

        Args:
            keep: The addresses still part of the cluster.

        Returns:
            The addresses retired.
        """
        gone = [address for address in self._executors if address not in keep]
        for address in gone:
            executor = self._executors.pop(address)
            logger.info(
                "cluster node %s left; closing its connections",
                address,
                extra=log_fields("node_left", address),
            )
            task = asyncio.get_running_loop().create_task(executor.aclose(_LEAVE_GRACE))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return gone

    async def aclose(self, grace: float | None) -> None:
        """Close every node's connections.

        Args:
            grace: Longest wait for replies in flight on each shared connection.
        """
        self._closed = True
        executors = list(self._executors.values())
        self._executors.clear()
        await asyncio.gather(
            *(e.aclose(grace) for e in executors), *self._closing, return_exceptions=True
        )
