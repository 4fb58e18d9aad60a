"""One adapter per benchmarked client, all behind the same small async surface.

Rules and invariants:
- An adapter is built inside the worker process only; importing this module
  imports no client library. `load_adapter` does the import and turns a
  missing library into `ClientUnavailable` with the import error as reason, so
  the report says "not installed: <reason>" instead of dropping the column.
- Every adapter uses its library the way its documentation recommends for
  the task (its own pipeline API, its own connection management), with
  bytes keys and values and no response decoding.
- Adapters return the library's native reply; the worker validates only its
  size, so no adapter pays for a normalisation the others skip.
- redis-oxide is reached through `getattr` and small protocols: the adapter
  keeps working as its API grows, and reports "unavailable" (not a crash)
  while `redis_oxide.Redis` does not exist. Given a source tree, it refuses
  (unavailable) a `redis_oxide` imported from anywhere else, so a baseline row
  can never silently measure the working tree.
- `ClientAdapter.protocol` asks the server which RESP version the connection
  speaks (``resp=`` of CLIENT INFO), so the report states what was measured
  instead of what a library's default is believed to be.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import importlib
import importlib.metadata
import re
from collections.abc import Awaitable, Callable, Sequence, Sized
from pathlib import Path
from typing import Any, Protocol, cast

from bench._bare import BareClient
from bench._spec import BASELINE, TELEMETRY, Status

__all__ = ["ClientAdapter", "ClientUnavailable", "KeyValueAdapter", "load_adapter"]


class ClientUnavailable(Exception):
    """The client cannot run here; `status` says whether it is missing or broken."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _import(module: str, distribution: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ClientUnavailable(Status.NOT_INSTALLED, f"{distribution}: {exc}") from exc
    except Exception as exc:
        # Installed but broken (e.g. a half-regenerated package): say so, don't crash.
        raise ClientUnavailable(
            Status.UNAVAILABLE, f"importing {module} failed: {type(exc).__name__}: {exc}"
        ) from exc


_RESP = re.compile(rb"(?:^| )resp=(\d+)")


def _resp_version(client_info: object) -> int | None:
    """Read ``resp=N`` from a CLIENT INFO reply (bytes or str); None if absent."""
    text = client_info.encode() if isinstance(client_info, str) else client_info
    found = _RESP.search(text) if isinstance(text, bytes) else None
    return int(found.group(1)) if found else None


class KeyValueAdapter(abc.ABC):
    """What both suites' adapters offer; one instance per measured connection set."""

    version: str = ""
    notes: tuple[str, ...] = ()
    source: str = ""

    async def protocol(self) -> int | None:
        """Return the RESP version of the open connection, None if this adapter cannot ask."""
        return None

    @abc.abstractmethod
    async def open(self, host: str, port: int) -> None:
        """Connect to the server."""

    @abc.abstractmethod
    async def set(self, key: bytes, value: bytes) -> object:
        """SET key value."""

    @abc.abstractmethod
    async def get(self, key: bytes) -> object:
        """GET key; the reply is the value as bytes (validated by the worker)."""

    @abc.abstractmethod
    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        """SET every key to value in one non-transactional pipeline; return the count."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release every connection."""


class ClientAdapter(KeyValueAdapter):
    """The surface the standalone workloads drive."""

    @abc.abstractmethod
    async def hgetall(self, key: bytes) -> Sized:
        """HGETALL key in the library's native shape."""

    @abc.abstractmethod
    async def zrange_withscores(self, key: bytes) -> Sized:
        """ZRANGE key 0 -1 WITHSCORES in the library's native shape."""


class RedisPyAdapter(ClientAdapter):
    """redis-py's `redis.asyncio.Redis` with its hiredis parser.

    Args:
        protocol: ``protocol=`` for the client; None keeps redis-py's default.
    """

    def __init__(self, protocol: int | None = None) -> None:
        self._asyncio = _import("redis.asyncio", "redis")
        utils = _import("redis.utils", "redis")
        self.version = _version("redis")
        if not utils.HIREDIS_AVAILABLE:
            self.notes = ("pure-Python parser (hiredis missing)",)
        self._options: dict[str, int] = {} if protocol is None else {"protocol": protocol}
        self._client: Any = None

    async def open(self, host: str, port: int) -> None:
        self._client = self._asyncio.Redis(host=host, port=port, **self._options)

    async def protocol(self) -> int | None:
        return _resp_version(await self._client.execute_command("CLIENT", "INFO"))

    async def set(self, key: bytes, value: bytes) -> object:
        return await self._client.set(key, value)

    async def get(self, key: bytes) -> object:
        return await self._client.get(key)

    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, value)
            return len(await pipe.execute())

    async def hgetall(self, key: bytes) -> Sized:
        return cast(Sized, await self._client.hgetall(key))

    async def zrange_withscores(self, key: bytes) -> Sized:
        return cast(Sized, await self._client.zrange(key, 0, -1, withscores=True))

    async def close(self) -> None:
        await self._client.aclose()


class CoredisAdapter(ClientAdapter):
    """coredis's `coredis.Redis`, entered as the async context it requires."""

    def __init__(self) -> None:
        self._coredis = _import("coredis", "coredis")
        self.version = _version("coredis")
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None

    async def open(self, host: str, port: int) -> None:
        client = self._coredis.Redis(host=host, port=port)
        self._client = await self._stack.enter_async_context(client)

    async def set(self, key: bytes, value: bytes) -> object:
        return await self._client.set(key, value)

    async def get(self, key: bytes) -> object:
        return await self._client.get(key)

    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, value)
        return len(keys)

    async def hgetall(self, key: bytes) -> Sized:
        return cast(Sized, await self._client.hgetall(key))

    async def zrange_withscores(self, key: bytes) -> Sized:
        return cast(Sized, await self._client.zrange(key, 0, -1, withscores=True))

    async def protocol(self) -> int | None:
        info = await self._client.client_info()
        return int(info["resp"]) if "resp" in info else None

    async def close(self) -> None:
        await self._stack.aclose()


class GlideAdapter(ClientAdapter):
    """valkey-glide's asyncio `GlideClient` (Rust core, in-process)."""

    def __init__(self) -> None:
        self._glide = _import("glide", "valkey-glide")
        self.version = _version("valkey-glide")
        self._client: Any = None
        self._everything = self._glide.RangeByIndex(0, -1)

    async def open(self, host: str, port: int) -> None:
        glide = self._glide
        config = glide.GlideClientConfiguration([glide.NodeAddress(host, port)])
        self._client = await glide.GlideClient.create(config)

    async def set(self, key: bytes, value: bytes) -> object:
        return await self._client.set(key, value)

    async def get(self, key: bytes) -> object:
        return await self._client.get(key)

    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        batch = self._glide.Batch(is_atomic=False)
        for key in keys:
            batch.set(key, value)
        return len(await self._client.exec(batch, raise_on_error=True))

    async def hgetall(self, key: bytes) -> Sized:
        return cast(Sized, await self._client.hgetall(key))

    async def zrange_withscores(self, key: bytes) -> Sized:
        return cast(Sized, await self._client.zrange_withscores(key, self._everything))

    async def protocol(self) -> int | None:
        return _resp_version(await self._client.custom_command(["CLIENT", "INFO"]))

    async def close(self) -> None:
        await self._client.close()


class BareAdapter(ClientAdapter):
    """The ceiling reference in `bench._bare`."""

    def __init__(self) -> None:
        self.version = "hiredis " + _version("hiredis")
        self._client: BareClient | None = None

    @property
    def _bare(self) -> BareClient:
        assert self._client is not None, "open() first"
        return self._client

    async def open(self, host: str, port: int) -> None:
        self._client = await BareClient.connect(host, port)

    async def set(self, key: bytes, value: bytes) -> object:
        return await self._bare.set(key, value)

    async def get(self, key: bytes) -> object:
        return await self._bare.get(key)

    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        return len(await self._bare.execute_many([(b"SET", key, value) for key in keys]))

    async def hgetall(self, key: bytes) -> Sized:
        return await self._bare.hgetall(key)

    async def zrange_withscores(self, key: bytes) -> Sized:
        return await self._bare.zrange_withscores(key)

    async def protocol(self) -> int | None:
        return _resp_version(await self._bare.execute(b"CLIENT", b"INFO"))

    async def close(self) -> None:
        await self._bare.aclose()


class _OxidePipeline(Protocol):
    async def __aenter__(self) -> _OxidePipeline: ...
    async def __aexit__(self, *exc_info: object) -> object: ...
    def set(self, key: bytes, value: bytes) -> object: ...


class _OxideClient(Protocol):
    async def __aenter__(self) -> _OxideClient: ...
    async def set(self, key: bytes, value: bytes) -> object: ...
    async def get(self, key: bytes) -> object: ...
    async def mget(self, *keys: bytes) -> Sequence[object]: ...
    async def hgetall(self, key: bytes) -> Sized: ...
    async def zrange(self, key: bytes, start: int, stop: int, *, withscores: bool) -> Sized: ...
    async def aclose(self) -> None: ...


def _imported_from(module: Any, source: str) -> str:
    """Check that a module was imported from inside ``source``; return its directory."""
    location = Path(module.__file__).resolve().parent
    if source and not location.is_relative_to(Path(source).resolve()):
        raise ClientUnavailable(
            Status.UNAVAILABLE, f"redis_oxide was imported from {location}, not from {source}"
        )
    return str(location)


class OxideAdapter(ClientAdapter):
    """redis-oxide's `redis_oxide.Redis`.

    Args:
        source: The source tree ``redis_oxide`` must come from; empty accepts any.
        telemetry: Turn telemetry on, recording into the OpenTelemetry SDK.
    """

    _CLASS = "Redis"
    _METHODS: tuple[str, ...] = ("set", "get", "hgetall", "zrange", "aclose")

    def __init__(self, source: str = "", *, telemetry: bool = False) -> None:
        module = _import("redis_oxide", "redis-oxide")
        self._options: dict[str, object] = (
            {"telemetry": _sdk_telemetry(module)} if telemetry else {}
        )
        self.source = _imported_from(module, source)
        name = f"redis_oxide.{self._CLASS}"
        factory = getattr(module, self._CLASS, None)
        if factory is None:
            raise ClientUnavailable(Status.UNAVAILABLE, f"{name} does not exist")
        missing = [method for method in self._METHODS if not hasattr(factory, method)]
        if missing:
            raise ClientUnavailable(Status.UNAVAILABLE, f"{name} has no {', '.join(missing)}")
        self._factory: Callable[..., _OxideClient] = factory
        self.version = _version("redis-oxide")
        self._client: _OxideClient | None = None
        self._pipeline: Callable[..., _OxidePipeline] | None = None
        self._execute: Callable[..., Awaitable[object]] | None = None

    @property
    def _oxide(self) -> _OxideClient:
        assert self._client is not None, "open() first"
        return self._client

    async def _connect(self, host: str, port: int) -> _OxideClient:
        """Build the client (a subclass may connect it before the workload)."""
        return self._factory(host, port, **self._options)

    async def open(self, host: str, port: int) -> None:
        client = await self._connect(host, port)
        self._client = client
        self._pipeline = getattr(client, "pipeline", None)
        if self._pipeline is None:
            self._execute = getattr(client, "execute_command", None)
            if self._execute is None:
                raise ClientUnavailable(
                    Status.UNAVAILABLE,
                    f"redis_oxide.{self._CLASS} has neither pipeline nor execute_command",
                )
            self.notes = ("no pipeline API: gathered execute_command calls",)

    async def set(self, key: bytes, value: bytes) -> object:
        return await self._oxide.set(key, value)

    async def get(self, key: bytes) -> object:
        return await self._oxide.get(key)

    async def pipeline_set(self, keys: Sequence[bytes], value: bytes) -> int:
        if self._pipeline is not None:
            async with self._pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(key, value)
            return len(keys)
        execute = self._execute
        assert execute is not None
        return len(await asyncio.gather(*[execute("SET", key, value) for key in keys]))

    async def hgetall(self, key: bytes) -> Sized:
        return await self._oxide.hgetall(key)

    async def zrange_withscores(self, key: bytes) -> Sized:
        return await self._oxide.zrange(key, 0, -1, withscores=True)

    async def protocol(self) -> int | None:
        info = getattr(self._oxide, "execute_command", None)
        return None if info is None else _resp_version(await info("CLIENT", "INFO"))

    async def close(self) -> None:
        await self._oxide.aclose()


_ADAPTERS: dict[str, Callable[[str], ClientAdapter]] = {
    "redis-py": lambda _source: RedisPyAdapter(),
    "redis-py-resp2": lambda _source: RedisPyAdapter(protocol=2),
    "coredis": lambda _source: CoredisAdapter(),
    "valkey-glide": lambda _source: GlideAdapter(),
    "bare": lambda _source: BareAdapter(),
    "redis-oxide": OxideAdapter,
    BASELINE: OxideAdapter,
    TELEMETRY: lambda source: OxideAdapter(source, telemetry=True),
}


def _sdk_telemetry(module: Any) -> object:
    """A ``Telemetry`` recording into the OpenTelemetry SDK, exporting nothing.

    Spans go through the SDK's batch processor (as an application would export them) to an
    exporter that drops them; metrics are aggregated for an in-memory reader nobody reads.
    """
    telemetry = getattr(module, "Telemetry", None)
    if telemetry is None:
        raise ClientUnavailable(Status.UNAVAILABLE, "redis_oxide.Telemetry does not exist")
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            SpanExporter,
            SpanExportResult,
        )
    except ImportError as exc:
        raise ClientUnavailable(Status.NOT_INSTALLED, f"not installed: {exc}") from exc

    class DroppingExporter(SpanExporter):
        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DroppingExporter()))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return telemetry(tracer_provider=tracer_provider, meter_provider=meter_provider)


def load_adapter(client: str, source: str = "") -> ClientAdapter:
    """Import the client's library and build its adapter.

    Args:
        client: One of `bench._spec.CLIENTS` or `bench._spec.BASELINE`.
        source: For redis-oxide rows, the source tree ``redis_oxide`` must come from.

    Returns:
        An adapter, not yet connected.

    Raises:
        ClientUnavailable: The library is missing, lacks the needed API or (redis-oxide)
            was imported from another tree than ``source``.
        KeyError: The client name is unknown.
    """
    return _ADAPTERS[client](source)
