"""One adapter per client's cluster client, for the cluster suite.

Rules and invariants (those of `bench._adapters` hold as well):
- Each library's own cluster client, with its defaults: redis-py's
  `redis.asyncio.RedisCluster` (default protocol, or ``protocol=2``),
  valkey-glide's `GlideClusterClient`, redis-oxide's `RedisCluster`. Each is
  given the first primary as its one startup node and discovers the rest.
- Reads go to primaries (every library's default); no adapter reads from
  replicas.
- A pipeline spanning slots is the library's own non-transactional cluster
  batch: redis-py's `ClusterPipeline`, glide's ``ClusterBatch(is_atomic=False)``
  (split per node by its core), redis-oxide's ``pipeline(transaction=False)``.
- MGET over many slots is the library's own cross-slot read: redis-py's
  `mget_nonatomic` (its `mget` refuses keys in different slots), glide's and
  redis-oxide's `mget`, which split per slot themselves.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import cast

from bench._adapters import (
    GlideAdapter,
    KeyValueAdapter,
    OxideAdapter,
    RedisPyAdapter,
    _import,
    _OxideClient,
    _resp_version,
)
from bench._spec import BASELINE, TELEMETRY

__all__ = ["ClusterAdapter", "load_cluster_adapter"]


class ClusterAdapter(KeyValueAdapter):
    """The surface the cluster workloads drive: SET, GET and pipelines route by slot.

    `KeyValueAdapter.protocol` asks a primary; `KeyValueAdapter.open` connects through one
    startup node and loads the slot map, so no first timed command pays for discovery.
    """

    @abc.abstractmethod
    async def mget(self, keys: Sequence[bytes]) -> Sequence[object]:
        """GET of keys in many slots as one call; the values in key order."""


def _first_reply(reply: object) -> object:
    """A reply of one node, from a library that may answer per node (a mapping)."""
    if isinstance(reply, dict):
        return next(iter(cast(dict[object, object], reply).values()), None)
    return reply


class RedisPyClusterAdapter(RedisPyAdapter, ClusterAdapter):
    """redis-py's `redis.asyncio.RedisCluster` with its hiredis parser.

    ``pipeline(transaction=False)`` is its `ClusterPipeline`, grouped per node.

    Args:
        protocol: ``protocol=`` for the client; None keeps redis-py's default.
    """

    def __init__(self, protocol: int | None = None) -> None:
        super().__init__(protocol)
        self._cluster = _import("redis.asyncio.cluster", "redis")

    async def open(self, host: str, port: int) -> None:
        self._client = self._cluster.RedisCluster(host=host, port=port, **self._options)
        await self._client.initialize()

    async def protocol(self) -> int | None:
        node = self._client.get_primaries()[0]
        reply = await self._client.execute_command("CLIENT", "INFO", target_nodes=node)
        return _resp_version(_first_reply(reply))

    async def mget(self, keys: Sequence[bytes]) -> Sequence[object]:
        return cast(Sequence[object], await self._client.mget_nonatomic(keys))


class GlideClusterAdapter(GlideAdapter, ClusterAdapter):
    """valkey-glide's asyncio `GlideClusterClient` (Rust core, in-process)."""

    async def open(self, host: str, port: int) -> None:
        glide = self._glide
        config = glide.GlideClusterClientConfiguration([glide.NodeAddress(host, port)])
        self._client = await glide.GlideClusterClient.create(config)

    async def protocol(self) -> int | None:
        route = self._glide.RandomNode()
        reply = await self._client.custom_command(["CLIENT", "INFO"], route)
        return _resp_version(_first_reply(reply))

    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        batch = self._glide.ClusterBatch(is_atomic=False)
        for key in keys:
            batch.set(key, value)
        return len(await self._client.exec(batch, raise_on_error=True))

    async def mget(self, keys: Sequence[bytes]) -> Sequence[object]:
        return cast(Sequence[object], await self._client.mget(list(keys)))


class OxideClusterAdapter(OxideAdapter, ClusterAdapter):
    """redis-oxide's `redis_oxide.RedisCluster`, entered with ``async with`` (loads the map).

    Args:
        source: The source tree ``redis_oxide`` must come from; empty accepts any.
        telemetry: Turn telemetry on, recording into the OpenTelemetry SDK.
    """

    _CLASS = "RedisCluster"
    _METHODS = ("set", "get", "mget", "pipeline", "aclose")

    async def _connect(self, host: str, port: int) -> _OxideClient:
        return await self._factory(host, port, **self._options).__aenter__()

    async def mget(self, keys: Sequence[bytes]) -> Sequence[object]:
        return await self._oxide.mget(*keys)


_ADAPTERS: dict[str, Callable[[str], ClusterAdapter]] = {
    "redis-py": lambda _source: RedisPyClusterAdapter(),
    "redis-py-resp2": lambda _source: RedisPyClusterAdapter(protocol=2),
    "valkey-glide": lambda _source: GlideClusterAdapter(),
    "redis-oxide": OxideClusterAdapter,
    BASELINE: OxideClusterAdapter,
    TELEMETRY: lambda source: OxideClusterAdapter(source, telemetry=True),
}


def load_cluster_adapter(client: str, source: str = "") -> ClusterAdapter:
    """Import the client's library and build its cluster adapter.

    Args:
        client: One of `bench._spec.CLUSTER_CLIENTS`, `bench._spec.BASELINE` or
            `bench._spec.TELEMETRY`.
        source: For redis-oxide rows, the source tree ``redis_oxide`` must come from.

    Returns:
        An adapter, not yet connected.

    Raises:
        ClientUnavailable: The library is missing or lacks its cluster client, or (redis-oxide)
            was imported from another tree than ``source``.
        KeyError: The client has no cluster adapter.
    """
    return _ADAPTERS[client](source)
