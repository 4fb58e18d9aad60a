"""Opening a connection: socket (TCP, unix, TLS), then the Redis handshake.

Rules this module keeps:

- ``open_connection`` either returns a ``READY`` connection or raises with the transport
  closed; a half-open connection never escapes, also when the caller is cancelled.
- The handshake is pipelined: HELLO (or AUTH for RESP2), CLIENT SETNAME, SELECT and
  CLIENT SETINFO leave in one write. Errors from SETINFO are ignored (servers before 7.2
  lack it, ACL users may be denied it); every other error fails the connection attempt,
  and a server's refusal is logged (a warning with the address and the error code).
- A username authenticates even without a password (an empty one, as a ``nopass`` user
  accepts); a ``credential_provider`` is asked for both at each connect.
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
import inspect
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from redis_oxide._command import ArgT
from redis_oxide._connection import Connection, PushHandler
from redis_oxide._connection_errors import ending
from redis_oxide._connection_text import RECORDING_ERRORS
from redis_oxide._connection_tls import CertReqs, build_ssl_context, cert_reqs_mode
from redis_oxide._exceptions import (
    ConnectFailedError,
    ConnectionLostError,
    ConnectTimeoutError,
    ProtocolError,
    RedisError,
    ServerError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._logs import log_fields
from redis_oxide._protocol import make_decoder

__all__ = [
    "CertReqs",
    "ConnectionConfig",
    "CredentialProvider",
    "Connector",
    "FixedConnector",
    "build_ssl_context",
    "cert_reqs_mode",
    "open_connection",
]

logger = logging.getLogger("redis_oxide.connection")

#: ``credential_provider``: called at each connect (it may be a coroutine function), it
#: returns ``(username, password)``; a None username means the default user.
CredentialProvider = Callable[
    [], tuple[str | None, str | None] | Awaitable[tuple[str | None, str | None]]
]


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
    credential_provider: CredentialProvider | None = field(default=None, repr=False)
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
        ConnectFailedError: The socket or TLS session could not be established, or the
            connection ended during the handshake (closed or reset by the server, or answered
            with bytes that are not RESP).
        ServerError: The server refused the handshake (e.g. ``WRONGPASS``, ``NOPERM``).
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
            f"cannot connect to {address}: during the handshake, "
            f"{ending(address, exc.__cause__)}{_handshake_hint(exc.__cause__, config)}",
            address=address,
        ) from exc
    except RedisError as exc:
        await _discard(conn)
        if isinstance(exc, ServerError):
            # Every caller gets the error, but a rotated password or a changed ACL only shows
            # in the logs if said here: the code and the command, never their arguments.
            logger.warning(
                "%s refused the handshake of a new connection: %s on %s",
                address,
                exc.code,
                exc.command,
                extra=log_fields("handshake_refused", address, command=exc.command, error=exc),
            )
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


def _handshake_hint(cause: BaseException | None, config: ConnectionConfig) -> str:
    if isinstance(cause, ProtocolError):
        return f": is {config.address} a Redis server?"
    if isinstance(cause, ConnectionResetError) and config.ssl_context is None:
        # What a TLS-only Redis does to a client that does not speak TLS.
        return ": if the server requires TLS, pass ssl=True or use a rediss:// URL"
    return ""


async def _discard(conn: Connection) -> None:
    conn.abort()
    # Give the transport its loop turn to release the socket, or it warns when collected.
    await conn.wait_closed()


_REFUSED_AT_ACCEPT = "max number of clients reached"


async def _handshake(conn: Connection, config: ConnectionConfig) -> None:
    conn.begin_handshake()
    required: list[asyncio.Future[Any]] = []
    optional: list[asyncio.Future[Any]] = []
    # A username alone authenticates too, with an empty password (what a "nopass" ACL user
    # accepts, and what redis-py sends): never fall back to the default user's rights.
    username, password = config.username, config.password
    if config.credential_provider is not None:
        username, password = await _provided_credentials(config.credential_provider, conn)
    if username is not None and password is None:
        password = ""
    if config.protocol == 3:
        hello: list[ArgT] = ["HELLO", 3]
        if password is not None:
            hello += ["AUTH", username or "default", password]
        required.append(conn.send(hello, None, _m.HELLO))
    elif password is not None:
        auth: list[ArgT] = ["AUTH", password] if username is None else ["AUTH", username, password]
        required.append(conn.send(auth, None, _m.AUTH))
    if config.client_name:
        # CLIENT SETNAME on both protocols (not HELLO's SETNAME, which ACLs do not check):
        # a user denied the name fails to connect whatever the protocol.
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
    for result in results:
        if isinstance(result, ServerError) and _REFUSED_AT_ACCEPT in result.message:
            # Said on accept, before any command was read, then the server hangs up: it is
            # about the connection, not the handshake command it happens to answer.
            raise ConnectFailedError(
                f"cannot connect to {conn.address}: the server refused the connection: "
                f"{result.message}",
                address=conn.address,
            )
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


async def _provided_credentials(
    provider: CredentialProvider, conn: Connection
) -> tuple[str | None, str | None]:
    try:
        credentials = provider()
        if inspect.isawaitable(credentials):
            credentials = await credentials
    except Exception as exc:
        # Only the class: the message of a token service's error may quote the secret.
        raise ConnectFailedError(
            f"cannot connect to {conn.address}: credential_provider raised {type(exc).__name__}",
            address=conn.address,
        ) from exc
    match credentials:
        case (str() | None as username, str() | None as password):
            return username, password
        case _:
            raise ConnectFailedError(
                f"cannot connect to {conn.address}: credential_provider must return a "
                f"(username, password) tuple of str or None, not {type(credentials).__name__}",
                address=conn.address,
            )


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
