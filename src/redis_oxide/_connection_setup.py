"""Opening a connection: socket (TCP, unix, TLS), then the Redis handshake.

Rules this module keeps:

- ``open_connection`` either returns a ``READY`` connection or raises with the transport
  closed; a half-open connection never escapes, also when the caller is cancelled.
- The handshake is pipelined: HELLO (or AUTH/CLIENT SETNAME for RESP2), SELECT and
  CLIENT SETINFO leave in one write. Errors from SETINFO are ignored (servers before 7.2
  lack it, ACL users may be denied it); every other error fails the connection attempt.
- The password lives only in ``ConnectionConfig`` (hidden from its repr) and in the bytes
  of the AUTH/HELLO command; it is never logged and never put into an exception.
- Foreign errors (OSError, ssl.SSLError, timeouts) become redis-oxide errors here.
- Strategies open connections through a ``Connector``, which knows where "the server" is at
  the moment of connecting (a fixed address here; Sentinel or a cluster slot map elsewhere):
  strategies never hold an address themselves.
- On a decoding connection, ``encoding_errors="strict"`` becomes the recording handler
  (``RECORDING_ERRORS``), so text that does not decode fails one command, not the stream.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import ssl
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from redis_oxide._command import ArgT
from redis_oxide._connection import Connection, PushHandler
from redis_oxide._connection_text import RECORDING_ERRORS
from redis_oxide._exceptions import (
    ConnectFailedError,
    ConnectionLostError,
    ConnectTimeoutError,
    RedisError,
    ServerError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._logs import log_fields
from redis_oxide._protocol import make_decoder

__all__ = [
    "CertReqs",
    "ConnectionConfig",
    "Connector",
    "FixedConnector",
    "build_ssl_context",
    "open_connection",
]

logger = logging.getLogger("redis_oxide.connection")

CertReqs = Literal["required", "optional", "none"]


def _library_version() -> str:
    try:
        return importlib.metadata.version("redis-oxide")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


# Library identity sent with CLIENT SETINFO so that CLIENT LIST shows who is connected.
_LIB_NAME = "redis-oxide"
_LIB_VER = _library_version()


@dataclass(frozen=True, slots=True)
class ConnectionConfig:
    """Everything needed to open and set up one connection to one server.

    ``password`` is excluded from ``repr`` so that logging a config never leaks it.
    """

    host: str = "127.0.0.1"
    port: int = 6379
    unix_path: str | None = None
    ssl_context: ssl.SSLContext | None = None
    server_hostname: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    db: int = 0
    protocol: Literal[2, 3] = 3
    client_name: str | None = None
    encoding: str | None = None
    encoding_errors: str = "strict"
    decoder: Literal["hiredis", "python"] = "hiredis"
    # 10 s matches redis-py's and lettuce's connect timeouts; a local server answers in ms,
    # a remote one behind TLS may need a few round trips.
    connect_timeout: float | None = 10.0
    max_lifetime: float | None = None

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 hosts bracketed) or the unix socket path."""
        if self.unix_path is not None:
            return self.unix_path
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def build_ssl_context(
    *,
    ca_certs: str | None = None,
    certfile: str | None = None,
    keyfile: str | None = None,
    cert_reqs: CertReqs = "required",
    check_hostname: bool | None = None,
) -> ssl.SSLContext:
    """Build a client TLS context; verification is on unless explicitly turned off.

    Args:
        ca_certs: PEM file of trusted CAs; None uses the system store.
        certfile: Client certificate (PEM) for mutual TLS.
        keyfile: Private key for ``certfile``; None when the key is inside ``certfile``.
        cert_reqs: Whether the server certificate is required, optional or not checked.
        check_hostname: Whether the certificate must name the host; defaults to True when
            the certificate is required.

    Returns:
        A new ``ssl.SSLContext``.

    Raises:
        ValueError: ``cert_reqs`` is not one of the three allowed values.
        ConnectFailedError: A certificate or key file cannot be loaded.
    """
    modes = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "none": ssl.CERT_NONE}
    if cert_reqs not in modes:
        raise ValueError(f"cert_reqs must be 'required', 'optional' or 'none', not {cert_reqs!r}")
    try:
        context = ssl.create_default_context(cafile=ca_certs)
        if check_hostname is None:
            check_hostname = cert_reqs == "required"
        context.check_hostname = check_hostname
        context.verify_mode = modes[cert_reqs]
        if certfile is not None:
            context.load_cert_chain(certfile, keyfile)
    except (OSError, ssl.SSLError) as exc:
        raise ConnectFailedError(f"cannot load TLS material: {exc}") from exc
    return context


async def open_connection(
    config: ConnectionConfig, *, push_handler: PushHandler | None = None
) -> Connection:
    """Connect, run the handshake and return a ``READY`` connection.

    Args:
        config: Where to connect and how to set the connection up.
        push_handler: Receives RESP3 push frames arriving on this connection.

    Returns:
        A connection in state ``READY``.

    Raises:
        ConnectTimeoutError: Connecting plus handshake took longer than
            ``config.connect_timeout``.
        ConnectFailedError: The socket or TLS session could not be established.
        ServerError: The server refused the handshake (e.g. ``WRONGPASS``, ``NOPERM``).
        ConnectionLostError: The server closed the connection during the handshake.
    """
    loop = asyncio.get_running_loop()
    address = config.address
    errors = config.encoding_errors
    if errors == "strict":
        errors = RECORDING_ERRORS
    decoder = make_decoder(encoding=config.encoding, errors=errors, implementation=config.decoder)
    conn = Connection(
        address=address,
        decoder=decoder,
        loop=loop,
        push_handler=push_handler,
        max_lifetime=config.max_lifetime,
        encoding=config.encoding,
        encoding_errors=errors,
    )
    try:
        async with asyncio.timeout(config.connect_timeout):
            if config.unix_path is not None:
                await loop.create_unix_connection(
                    lambda: conn, config.unix_path, ssl=config.ssl_context
                )
            else:
                hostname = None
                if config.ssl_context is not None:
                    hostname = config.server_hostname or config.host
                await loop.create_connection(
                    lambda: conn,
                    config.host,
                    config.port,
                    ssl=config.ssl_context,
                    server_hostname=hostname,
                )
            await _handshake(conn, config)
    except ConnectionLostError as exc:
        # The server hung up during the handshake (e.g. TLS client certificate refused
        # after a TLS 1.3 handshake): to the caller the connection never came up.
        await _discard(conn)
        raise ConnectFailedError(
            f"cannot connect to {address}: the server closed the connection during the "
            f"handshake ({exc.__cause__ or exc.message})",
            address=address,
        ) from exc
    except RedisError:
        await _discard(conn)
        raise
    except TimeoutError as exc:
        await _discard(conn)
        raise ConnectTimeoutError(
            f"connecting to {address} took longer than {config.connect_timeout} s",
            address=address,
        ) from exc
    except (OSError, ssl.SSLError, EOFError) as exc:
        await _discard(conn)
        raise ConnectFailedError(f"cannot connect to {address}: {exc}", address=address) from exc
    except BaseException:
        conn.abort()
        raise
    logger.debug(
        "connected to %s (protocol %d, db %d)",
        address,
        config.protocol,
        config.db,
        extra=log_fields("connected", address, protocol=config.protocol, db=config.db),
    )
    return conn


async def _discard(conn: Connection) -> None:
    conn.abort()
    # Give the transport its loop turn to release the socket, or it warns when collected.
    await conn.wait_closed()


async def _handshake(conn: Connection, config: ConnectionConfig) -> None:
    conn.begin_handshake()
    required: list[asyncio.Future[Any]] = []
    optional: list[asyncio.Future[Any]] = []
    if config.protocol == 3:
        hello: list[ArgT] = ["HELLO", 3]
        if config.password is not None:
            hello += ["AUTH", config.username or "default", config.password]
        if config.client_name:
            hello += ["SETNAME", config.client_name]
        required.append(conn.send(hello, None, _m.HELLO))
    else:
        if config.password is not None:
            auth: list[ArgT] = ["AUTH", config.password]
            if config.username is not None:
                auth.insert(1, config.username)
            required.append(conn.send(auth, None, _m.AUTH))
        if config.client_name:
            setname = ["CLIENT", "SETNAME", config.client_name]
            required.append(conn.send(setname, None, _m.CLIENT_SETNAME))
    if config.db:
        required.append(conn.send(["SELECT", config.db], None, _m.SELECT))
    optional.append(
        conn.send(["CLIENT", "SETINFO", "LIB-NAME", _LIB_NAME], None, _m.CLIENT_SETINFO)
    )
    optional.append(conn.send(["CLIENT", "SETINFO", "LIB-VER", _LIB_VER], None, _m.CLIENT_SETINFO))
    # Wait for every reply so no future is left with an unretrieved exception.
    results = await asyncio.gather(*required, *optional, return_exceptions=True)
    for result in results[: len(required)]:
        if isinstance(result, BaseException):
            raise result
    for result in results[len(required) :]:
        if isinstance(result, ServerError):
            logger.debug(
                "CLIENT SETINFO refused by %s: %s",
                conn.address,
                result.code,
                extra=log_fields("setinfo_refused", conn.address, error=result),
            )
        elif isinstance(result, BaseException):
            raise result
    if config.protocol == 3:
        conn.server_info = results[0]
    conn.mark_ready()


class Connector(Protocol):
    """Opens connections to wherever the server is at the moment of connecting.

    Strategies hold a connector, never an address: a fixed server, the primary a Sentinel
    reports, or a cluster node are all a connector.
    """

    @property
    def address(self) -> str:
        """The address the last (or next) connection goes to, for messages."""
        ...

    async def connect(self, *, push_handler: PushHandler | None = None) -> Connection:
        """Open and set up one connection; see ``open_connection`` for the errors."""
        ...


class FixedConnector:
    """A ``Connector`` for one server at a fixed address.

    Args:
        config: Where to connect and how to set each connection up.
    """

    __slots__ = ("_address", "config")

    def __init__(self, config: ConnectionConfig) -> None:
        self.config = config
        # Built once: telemetry reads it per command and compares it by identity.
        self._address = config.address

    @property
    def address(self) -> str:
        """``host:port`` or the unix socket path."""
        return self._address

    async def connect(self, *, push_handler: PushHandler | None = None) -> Connection:
        """Open a connection to the configured server.

        Args:
            push_handler: Receives push frames arriving on it.

        Returns:
            A ready connection.

        Raises:
            ConnectTimeoutError: Connecting took longer than ``connect_timeout``.
            ConnectFailedError: The server cannot be reached.
            ServerError: The server refused the handshake.
        """
        return await open_connection(self.config, push_handler=push_handler)

    def __repr__(self) -> str:
        return f"<FixedConnector {self.config.address}>"
