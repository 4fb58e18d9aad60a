"""From client options to configuration: validation, defaults, and the strategy they ask for.

Rules this module keeps:

- Every option is validated here, before any connection exists: an unknown option or a
  value of the wrong type is a ``TypeError``, a bad value a ``ValueError``.
- Every default lives here, with its reason; clients of every topology (one server, cluster
  nodes, Sentinel-resolved servers) build their configuration and their strategies through
  these functions, so an option means the same everywhere.
- Nothing here does I/O; TLS material files are read when the SSL context is built.
"""

from __future__ import annotations

import codecs
import ssl as _ssl
from dataclasses import dataclass
from typing import Final

from redis_oxide._cache import CachingExecutor
from redis_oxide._cache_config import CacheConfig
from redis_oxide._cache_setup import caching_executor
from redis_oxide._checks import (
    check_credential_provider,
    checked_client_name,
    checked_count,
    checked_retry,
    checked_seconds,
)
from redis_oxide._client_options import (
    REDIS_PY_OPTIONS,
    ClientOptions,
    StrategyName,
    checked_text_codec,
)
from redis_oxide._connection_setup import ConnectionConfig, Connector, build_ssl_context
from redis_oxide._executor import Reroute, ServerExecutor
from redis_oxide._pool import ConnectionPool, ConnectionStrategy, MultiplexedPool
from redis_oxide._retry import Retry
from redis_oxide._telemetry import Telemetry, default_telemetry, resolve_telemetry

__all__ = ["ClientConfig", "build_config", "make_executor", "make_strategy"]

# Every byte below 128 as text: what an ASCII-compatible codec encodes and decodes unchanged.
_ASCII: Final = "".join(map(chr, range(128)))

# Pooled clients: 10 connections serves a typical web worker; redis-py's
# BlockingConnectionPool defaults to 50, asyncpg's pool to 10.
_DEFAULT_MAX_CONNECTIONS = 10
# A caller waiting this long for a pooled connection is better told the pool is too small;
# redis-py's BlockingConnectionPool waits 20 s.
_DEFAULT_POOL_TIMEOUT = 10.0
# Retry's own defaults, with their reasoning there.
_DEFAULT_RETRY = Retry()
# ConnectionConfig's own default, with its reasoning there.
_DEFAULT_CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """A validated client configuration.

    Attributes:
        connection: How each connection is opened and set up (its address included).
        retry: Reconnect and re-run policy.
        command_timeout: Seconds each non-blocking command waits; None waits indefinitely.
        strategy: ``"multiplexed"`` or ``"pooled"``.
        max_connections: Upper bound on pooled (or dedicated) connections.
        multiplexed_connections: Shared connections of the multiplexed strategy.
        pool_timeout: Longest wait for a pooled connection.
        cache: The client-side cache's configuration; None without a cache.
        telemetry: What the client reports to OpenTelemetry; None when telemetry is off.
    """

    connection: ConnectionConfig
    retry: Retry
    command_timeout: float | None
    strategy: StrategyName
    max_connections: int
    multiplexed_connections: int
    pool_timeout: float | None
    cache: CacheConfig | None = None
    telemetry: Telemetry | None = None


def _checked_ascii_compatible(encoding: str) -> None:
    """Refuse a codec that does not carry ASCII as itself (UTF-16/32, UTF-7, EBCDIC ...).

    Replies are read with the client's codec, and much of what Redis answers is ASCII text
    (the handshake's map, status replies, numbers sent as text): with such a codec every
    connection would fail in its handshake.
    """
    try:
        same = codecs.encode(_ASCII, encoding) == _ASCII.encode("ascii")
        same = same and codecs.decode(_ASCII.encode("ascii"), encoding) == _ASCII
    except (UnicodeError, TypeError, ValueError):  # text-to-text or bytes-to-bytes codecs
        same = False
    if not same:
        raise ValueError(
            f"encoding {encoding!r} is not ASCII-compatible: replies are decoded with it and "
            "Redis answers much in ASCII (the connection's handshake would fail); use 'utf-8' "
            "(the default) or another ASCII-compatible codec such as 'latin-1'"
        )


def build_config(
    host: str, port: int, *, decode_responses: bool, options: ClientOptions
) -> ClientConfig:
    """Validate client options and fill in the defaults.

    Args:
        host: Server host name or address.
        port: Server TCP port.
        decode_responses: Decode string replies to ``str`` (with ``encoding``).
        options: The keyword options given to the client.

    Returns:
        The configuration.

    Raises:
        TypeError: An option is unknown, or has the wrong type.
        ValueError: An option has an invalid value.
        ImportError: Telemetry is on and ``opentelemetry-api`` is not installed.
    """
    unknown = set(options) - set(ClientOptions.__annotations__)
    if unknown:
        hints = [f"{n}: {REDIS_PY_OPTIONS[n]}" for n in sorted(unknown) if n in REDIS_PY_OPTIONS]
        hint = f" (redis-py's {'; '.join(hints)})" if hints else ""
        raise TypeError(f"got unknown options: {', '.join(sorted(unknown))}{hint}")
    provider = options.get("credential_provider")
    check_credential_provider(provider, options.get("username"), options.get("password"))
    # RESP2 unless asked: hiredis builds RESP3 maps and pairs at a higher cost per element
    # (docs/decisions.md, "Default protocol"); the cache needs RESP3's push frames.
    cache = options.get("cache")
    protocol = options.get("protocol", 2 if cache is None or cache is False else 3)
    if protocol not in (2, 3):
        raise ValueError(f"protocol must be 2 or 3, got {protocol!r}")
    strategy = options.get("strategy", "multiplexed")
    if strategy not in ("multiplexed", "pooled"):
        raise ValueError(f"strategy must be 'multiplexed' or 'pooled', not {strategy!r}")
    max_connections = checked_count(
        "max_connections", options.get("max_connections", _DEFAULT_MAX_CONNECTIONS), 1
    )
    multiplexed = checked_count(
        "multiplexed_connections", options.get("multiplexed_connections", 1), 1
    )
    encoding = options.get("encoding", "utf-8")
    encoding_errors = options.get("encoding_errors", "strict")
    checked_text_codec(encoding, encoding_errors)
    _checked_ascii_compatible(encoding)
    connection = ConnectionConfig(
        host=host,
        port=port,
        unix_path=options.get("unix_socket_path"),
        ssl_context=_ssl_context(options),
        username=options.get("username") or None,
        password=options.get("password"),
        credential_provider=provider,
        db=checked_count("db", options.get("db", 0), 0),
        protocol=protocol,
        client_name=checked_client_name(options.get("client_name")),
        encoding=encoding if decode_responses else None,
        encoding_errors=encoding_errors,
        connect_timeout=checked_seconds(
            "connect_timeout", options.get("connect_timeout", _DEFAULT_CONNECT_TIMEOUT)
        ),
    )
    return ClientConfig(
        connection=connection,
        retry=checked_retry("retry", options.get("retry", _DEFAULT_RETRY)),
        command_timeout=checked_seconds("command_timeout", options.get("command_timeout")),
        strategy=strategy,
        max_connections=max_connections,
        multiplexed_connections=multiplexed,
        pool_timeout=checked_seconds(
            "pool_timeout", options.get("pool_timeout", _DEFAULT_POOL_TIMEOUT)
        ),
        cache=_cache(cache, connection),
        telemetry=(
            resolve_telemetry(options["telemetry"])
            if "telemetry" in options
            else default_telemetry()
        ),
    )


# Decoding error handlers whose result maps back to the bytes the server sent, as the cache
# needs for the keys of invalidations ("strict" records the failure and gives U+FFFD).
_REVERSIBLE_ERRORS = frozenset({"strict", "replace", "surrogateescape"})


def _cache(option: CacheConfig | bool | None, connection: ConnectionConfig) -> CacheConfig | None:
    if option is None or option is False:
        return None
    config = CacheConfig() if option is True else option
    if not isinstance(config, CacheConfig):  # pyright: ignore[reportUnnecessaryIsInstance]
        # Options also come from untyped code.
        raise TypeError(f"cache must be True, False, None or a CacheConfig, not {option!r}")
    if connection.protocol != 3:
        raise ValueError(
            "cache needs protocol=3: invalidations arrive as RESP3 push frames on the "
            "connection that read the key (RESP2's redirect mode is not supported)"
        )
    if connection.encoding is not None and connection.encoding_errors not in _REVERSIBLE_ERRORS:
        raise ValueError(
            f"cache with encoding_errors={connection.encoding_errors!r} cannot match "
            "invalidated keys that do not decode; use 'strict', 'replace' or 'surrogateescape'"
        )
    return config


def make_executor(
    config: ClientConfig, connector: Connector, reroute: Reroute | None
) -> ServerExecutor | CachingExecutor:
    """Build the executor a client binds: its strategy's, behind the cache if it has one.

    Args:
        config: The client configuration.
        connector: Opens connections to wherever the server is.
        reroute: What the executor does with reroutable server errors.

    Returns:
        A ``ServerExecutor``, or a ``CachingExecutor`` in front of one; nothing connects yet.
    """
    executor = ServerExecutor(
        make_strategy(config, connector),
        retry=config.retry,
        command_timeout=config.command_timeout,
        reroute=reroute,
    )
    if config.cache is None:
        return executor
    return caching_executor(executor, connector, config.cache, config.connection, config.retry)


def make_strategy(config: ClientConfig, connector: Connector) -> ConnectionStrategy:
    """Build the connection strategy the configuration asks for.

    Args:
        config: The client configuration.
        connector: Opens connections to wherever the server is.

    Returns:
        A multiplexed or pooled strategy; no connection is opened yet.
    """
    if config.strategy == "pooled":
        return ConnectionPool(
            connector, max_connections=config.max_connections, pool_timeout=config.pool_timeout
        )
    return MultiplexedPool(
        connector,
        connections=config.multiplexed_connections,
        max_dedicated=config.max_connections,
        pool_timeout=config.pool_timeout,
        retry=config.retry,
    )


_SSL_OPTIONS = (
    "ssl_ca_certs",
    "ssl_certfile",
    "ssl_keyfile",
    "ssl_password",
    "ssl_cert_reqs",
    "ssl_check_hostname",
)


def _ssl_context(options: ClientOptions) -> _ssl.SSLContext | None:
    ssl_option = options.get("ssl") or False
    given = [name for name in _SSL_OPTIONS if options.get(name) is not None]
    if isinstance(ssl_option, _ssl.SSLContext):
        if given:
            raise ValueError(
                f"{', '.join(given)} cannot be combined with ssl=<SSLContext>, which is used "
                "as given: set them on the context, or pass ssl=True instead of the context"
            )
        return ssl_option
    if ssl_option is not True and ssl_option is not False:
        raise TypeError(f"ssl must be True, False or an ssl.SSLContext, not {ssl_option!r}")
    if not ssl_option:
        if given:
            raise ValueError(
                f"{', '.join(given)} given without TLS: the connection would be plain text and "
                "ignore them; pass ssl=True (or use a rediss:// URL)"
            )
        return None
    return build_ssl_context(
        ca_certs=options.get("ssl_ca_certs"),
        certfile=options.get("ssl_certfile"),
        keyfile=options.get("ssl_keyfile"),
        password=options.get("ssl_password"),
        cert_reqs=options.get("ssl_cert_reqs", "required"),
        check_hostname=options.get("ssl_check_hostname"),
    )
