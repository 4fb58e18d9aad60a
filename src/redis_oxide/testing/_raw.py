"""A deliberately tiny blocking RESP client for fixtures and smoke tests.

It exists so the fixtures can check readiness, build clusters and flush
databases without depending on the client under test. Rules: one request,
one reply, blocking sockets with a timeout on every operation; error replies
at the top level raise `RawReplyError`, nested ones (inside EXEC) are returned
in place. It speaks RESP2 and the RESP3 types a HELLO 3 connection may send.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, TypeAlias

from redis_oxide.testing._errors import RawReplyError

__all__ = [
    "Endpoint",
    "RawConnection",
    "RawValue",
    "encode_command",
    "open_raw",
    "parse_info",
    "raw_command",
]

RawValue: TypeAlias = (
    "bytes | int | float | bool | RawReplyError | list[RawValue] | dict[RawKey, RawValue] | None"
)
RawKey: TypeAlias = "bytes | int | float | bool | None"
RawArg: TypeAlias = "str | bytes | int | float"

# Fixtures talk to servers on the loopback interface: anything slower than
# this is a hung server, not a slow network.
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach one server.

    Attributes:
        host: IP address or name.
        port: TCP port (the TLS port for TLS servers).
        unix_path: Unix socket path, if the server listens on one.
        ssl_context: Client TLS context, for TLS-only servers.
        username: ACL user to AUTH as, or None for the default user.
        password: Password to AUTH with; None skips AUTH.
    """

    host: str
    port: int
    unix_path: str | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)


def encode_command(*args: RawArg) -> bytes:
    """Encode one command as a RESP array of bulk strings.

    Args:
        *args: Command name and arguments.

    Returns:
        The bytes to send.
    """
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RawConnection:
    """One blocking connection that sends commands and reads replies in order."""

    def __init__(self, sock: socket.socket) -> None:
        """Wrap a connected socket.

        Args:
            sock: A connected (and, for TLS, wrapped) socket with a timeout set.
        """
        self._sock = sock
        self._file: BinaryIO = sock.makefile("rb")

    def send(self, *args: RawArg) -> None:
        """Send one command without reading its reply.

        Args:
            *args: Command name and arguments.
        """
        self._sock.sendall(encode_command(*args))

    def read_reply(self) -> RawValue:
        """Read the next reply.

        Returns:
            The decoded reply; an error reply is returned as a `RawReplyError`.

        Raises:
            ConnectionError: The server closed the connection.
        """
        return _read_value(self._file)

    def command(self, *args: RawArg) -> RawValue:
        """Send one command and return its reply.

        Args:
            *args: Command name and arguments.

        Returns:
            The decoded reply.

        Raises:
            RawReplyError: The server replied with an error.
            ConnectionError: The server closed the connection.
        """
        self.send(*args)
        reply = self.read_reply()
        if isinstance(reply, RawReplyError):
            raise reply
        return reply

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        self._file.close()
        self._sock.close()


def _connect_socket(endpoint: Endpoint, use_unix: bool, timeout: float) -> socket.socket:
    if use_unix:
        if endpoint.unix_path is None:
            raise ValueError(f"{endpoint!r} has no unix socket")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(endpoint.unix_path)
        except BaseException:
            sock.close()
            raise
        return sock
    sock = socket.create_connection((endpoint.host, endpoint.port), timeout=timeout)
    if endpoint.ssl_context is None:
        return sock
    try:
        return endpoint.ssl_context.wrap_socket(sock, server_hostname=endpoint.host)
    except BaseException:
        sock.close()
        raise


@contextmanager
def open_raw(
    endpoint: Endpoint, *, use_unix: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> Generator[RawConnection, None, None]:
    """Open a connection, AUTH if the endpoint has a password, and close it on exit.

    Args:
        endpoint: The server to reach.
        use_unix: Connect through the unix socket instead of TCP.
        timeout: Seconds allowed for each socket operation.

    Yields:
        The open connection.

    Raises:
        OSError: The connection could not be made.
        RawReplyError: AUTH was refused.
    """
    conn = RawConnection(_connect_socket(endpoint, use_unix, timeout))
    try:
        if endpoint.password is not None:
            if endpoint.username is None:
                conn.command("AUTH", endpoint.password)
            else:
                conn.command("AUTH", endpoint.username, endpoint.password)
        yield conn
    finally:
        conn.close()


def raw_command(
    endpoint: Endpoint, *args: RawArg, use_unix: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> RawValue:
    """Run one command on a fresh connection.

    Args:
        endpoint: The server to reach (every fixture info object has an ``endpoint``).
        *args: Command name and arguments.
        use_unix: Connect through the unix socket instead of TCP.
        timeout: Seconds allowed for each socket operation.

    Returns:
        The decoded reply.

    Raises:
        RawReplyError: The server replied with an error.
        OSError: The connection failed.
    """
    with open_raw(endpoint, use_unix=use_unix, timeout=timeout) as conn:
        return conn.command(*args)


def parse_info(reply: RawValue) -> dict[str, str]:
    """Parse an INFO reply into a flat ``field -> value`` mapping.

    Args:
        reply: The bulk string INFO returned.

    Returns:
        Every ``key:value`` line; section headers and blank lines are dropped.

    Raises:
        TypeError: The reply is not a bulk string.
    """
    if not isinstance(reply, bytes):
        raise TypeError(f"INFO returned {reply!r}")
    fields: dict[str, str] = {}
    for line in reply.decode().splitlines():
        if line and not line.startswith("#") and ":" in line:
            key, value = line.split(":", 1)
            fields[key] = value
    return fields


def _read_line(stream: BinaryIO) -> bytes:
    line = stream.readline()
    if not line.endswith(b"\r\n"):
        raise ConnectionError("connection closed while reading a reply")
    return line[:-2]


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    data = stream.read(size + 2)
    if len(data) != size + 2:
        raise ConnectionError("connection closed while reading a reply")
    return data[:-2]


def _read_items(stream: BinaryIO, count: int) -> list[RawValue]:
    return [_read_value(stream) for _ in range(count)]


def _read_value(stream: BinaryIO) -> RawValue:
    line = _read_line(stream)
    kind, rest = line[:1], line[1:]
    if kind == b"+":
        return rest
    if kind in (b"-", b"!"):
        text = rest if kind == b"-" else _read_exact(stream, int(rest))
        return RawReplyError(text.decode(errors="replace"))
    if kind in (b":", b"("):
        return int(rest)
    if kind in (b"$", b"="):
        size = int(rest)
        return None if size < 0 else _read_exact(stream, size)
    if kind in (b"*", b"~", b">"):
        size = int(rest)
        return None if size < 0 else _read_items(stream, size)
    if kind == b"_":
        return None
    if kind == b",":
        return float(rest)
    if kind == b"#":
        return rest == b"t"
    if kind == b"%":
        flat = _read_items(stream, 2 * int(rest))
        return {_as_key(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
    if kind == b"|":
        # Attributes annotate the reply that follows; this helper has no use for them.
        _read_items(stream, 2 * int(rest))
        return _read_value(stream)
    raise ConnectionError(f"unexpected RESP type byte in {line!r}")


def _as_key(value: RawValue) -> RawKey:
    if isinstance(value, bytes | int | float | bool) or value is None:
        return value
    raise ConnectionError(f"unhashable map key {value!r}")
