"""The keyword options of ``Redis``, ``RedisCluster`` and ``from_url``, as typed dictionaries.

One definition serves the constructor overloads, ``from_url`` and the URL parser, so an
option is added in exactly one place. Defaults live in ``_client_config`` (and the cluster's
own in ``_client_cluster``).
"""

from __future__ import annotations

import codecs
import ssl as _ssl
from typing import Literal, TypedDict

from redis_oxide._cache_config import CacheConfig
from redis_oxide._cluster import ReadFrom
from redis_oxide._connection_setup import CredentialProvider
from redis_oxide._retry import Retry
from redis_oxide._telemetry import Telemetry

__all__ = [
    "REDIS_PY_OPTIONS",
    "ClientOptions",
    "ClusterOptions",
    "CredentialProvider",
    "ReadFrom",
    "StrategyName",
    "checked_text_codec",
]

StrategyName = Literal["multiplexed", "pooled"]


class _SharedOptions(TypedDict, total=False):
    """Keyword options ``Redis(...)`` and ``RedisCluster(...)`` both take."""

    username: str | None
    password: str | None
    credential_provider: CredentialProvider | None
    protocol: Literal[2, 3]
    ssl: bool | _ssl.SSLContext
    ssl_ca_certs: str | None
    ssl_certfile: str | None
    ssl_keyfile: str | None
    ssl_password: str | None
    ssl_cert_reqs: Literal["required", "optional", "none"] | _ssl.VerifyMode
    ssl_check_hostname: bool | None
    strategy: StrategyName
    max_connections: int
    multiplexed_connections: int
    connect_timeout: float | None
    command_timeout: float | None
    pool_timeout: float | None
    retry: Retry
    client_name: str | None
    encoding: str
    encoding_errors: str
    cache: CacheConfig | bool | None
    telemetry: Telemetry | bool | None


class ClientOptions(_SharedOptions, total=False):
    """Keyword options accepted by ``Redis(...)`` and ``from_url(...)``."""

    db: int
    unix_socket_path: str | None


class ClusterOptions(_SharedOptions, total=False):
    """Keyword options of ``RedisCluster(...)``: those of ``Redis`` (without ``db`` and
    ``unix_socket_path``, which a cluster does not have) and the cluster's own."""

    read_from: ReadFrom
    max_redirects: int
    failover_timeout: float
    topology_refresh_interval: float | None


# Option names redis-py users write, and what to do instead in redis-oxide.
REDIS_PY_OPTIONS = {
    "socket_timeout": "use command_timeout, which does not bound blocking commands such as "
    "BLPOP (their own timeout argument does)",
    "socket_connect_timeout": "use connect_timeout",
    "timeout": "use pool_timeout",
    "retry_on_timeout": "use retry=Retry(...): reads, and commands never sent, are re-run "
    "after a lost connection; a timed-out command is not",
    "retry_on_error": "use retry=Retry(...)",
    "connection_pool": 'use strategy="pooled" with max_connections and pool_timeout',
    "single_connection_client": 'not needed: the default strategy="multiplexed" shares one '
    "connection",
    "health_check_interval": "not needed: a lost connection is replaced when it is noticed",
    "socket_keepalive": "not configurable",
    "lib_name": "not configurable: CLIENT SETINFO sends redis-oxide",
    "ssl_ca_path": "pass ssl=<an ssl.SSLContext> loaded with load_verify_locations(capath=...)",
}


def checked_text_codec(encoding: object, errors: object) -> None:
    """Check ``encoding`` and ``encoding_errors`` name a codec and an error handler.

    Raises:
        TypeError: Either is not a ``str``.
        ValueError: Python knows no such codec or error handler.
    """
    for name, value in (("encoding", encoding), ("encoding_errors", errors)):
        if not isinstance(value, str):
            raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        codecs.lookup(str(encoding))
    except LookupError:
        raise ValueError(f"encoding {encoding!r} is not a codec Python knows") from None
    try:
        codecs.lookup_error(str(errors))
    except LookupError:
        raise ValueError(f"encoding_errors {errors!r} is not an error handler") from None
