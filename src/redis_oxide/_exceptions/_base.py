"""The base of the tree, transport and timeout errors, and the runtime's own refusals.

Rules: every error carries ``message``, ``code``, ``command``, ``address`` and ``position``;
argument lists are never stored. ``ConnectionError`` and ``TimeoutError`` also subclass the
builtins of the same name. ``ConnectionClosedByPeer`` is not an error of the tree but a cause
(a ``ConnectionResetError``): what a connection records when the peer ended the stream.
"""

from __future__ import annotations

import builtins
from typing import Any, Self

__all__ = [
    "CommandTimeoutError",
    "ConnectFailedError",
    "ConnectTimeoutError",
    "ConnectionClosedByPeer",
    "ConnectionClosedError",
    "ConnectionError",
    "ConnectionLostError",
    "FailoverError",
    "InvalidUsageError",
    "LockError",
    "LockNotOwnedError",
    "PoolTimeoutError",
    "PrimaryNotFoundError",
    "ProtocolError",
    "PubSubError",
    "RedisError",
    "ReplicaNotFoundError",
    "ReplyDecodeError",
    "SentinelError",
    "SlowConsumerError",
    "TimeoutError",
    "WatchError",
]


class RedisError(Exception):
    """Base class of every error redis-oxide raises.

    Attributes:
        message: Human-readable text; for server errors, the server's text verbatim.
        code: The server's error prefix (``"WRONGTYPE"``), or ``None``.
        command: Name of the command involved (``"GET"``, ``"CLIENT LIST"``), never its
            arguments, or ``None`` when not known.
        address: ``"host:port"`` or unix socket path of the node involved, or ``None``.
        position: For an error of a command run in a pipeline or transaction, the command's
            position in it (0 for the first queued command), else ``None``.
    """

    message: str
    code: str | None
    command: str | None
    address: str | None
    position: int | None

    def __init__(
        self,
        message: str = "",
        *,
        code: str | None = None,
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.command = command
        self.address = address
        self.position = None

    def with_context(self, *, command: str | None = None, address: str | None = None) -> Self:
        """Fill in the command name and node address, keeping values already set.

        The decoder builds server errors before anyone knows which command they answer; the
        connection calls this on the way out. Returns the same object so it reads
        ``raise err.with_context(command=..., address=...)``.

        Args:
            command: Command name, e.g. ``"GET"``. Never pass arguments.
            address: ``"host:port"`` or unix socket path.

        Returns:
            This exception.
        """
        if self.command is None:
            self.command = command
        if self.address is None:
            self.address = address
        return self

    def __str__(self) -> str:
        context: list[str] = []
        if self.command is not None:
            context.append(f"command={self.command}")
        if self.address is not None:
            context.append(f"address={self.address}")
        if self.position is not None:
            context.append(f"position={self.position}")
        if not context:
            return self.message
        return f"{self.message} [{' '.join(context)}]"

    def _state(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "message"}

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields are not in ``args``; without this, pickling (multiprocessing,
        # logging handlers) would drop the command, address and code.
        return (type(self), (self.message,), self._state())


# --- transport ---------------------------------------------------------------------------


# Shadows the builtin name on purpose, as redis-py does, and subclasses it (module docstring).
class ConnectionError(RedisError, builtins.ConnectionError):
    """The connection to a node could not be made, did not survive, or was closed.

    Attributes:
        may_have_executed: ``True`` when the command had been written before the connection
            ended, so the server may have run it; retrying a non-idempotent write is unsafe.
            ``False`` when it was never sent (connect failures, closed clients, commands
            still waiting for a connection or in the write buffer).
    """

    may_have_executed: bool

    def __init__(
        self,
        message: str = "",
        *,
        may_have_executed: bool = False,
        code: str | None = None,
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(message, code=code, command=command, address=address)
        self.may_have_executed = may_have_executed


class ConnectFailedError(ConnectionError):
    """Connecting (TCP, unix socket or TLS handshake) failed before the connection was ready.

    Nothing was sent: ``may_have_executed`` is always ``False``.
    """


class ConnectionClosedByPeer(ConnectionResetError):
    """The peer ended the stream in order (it closed the socket; not a reset).

    What a connection records as its cause when the socket reads end of file: CLIENT KILL, a
    server shutdown, restart or idle timeout, or a proxy closing the connection. It is the
    ``__cause__`` of the ``ConnectionLostError`` its pending callers get. A subclass of
    ``ConnectionResetError`` (as asyncio reports a lost connection), with no ``errno``: a reset
    read from the socket is a plain ``ConnectionResetError`` with ``ECONNRESET``.
    """


class ConnectionLostError(ConnectionError):
    """An established connection died: reset, closed by the peer, or broken by a failure.

    ``may_have_executed`` says whether the command had been written before it died.
    """


class ConnectionClosedError(ConnectionError):
    """The client, pool or connection was closed by the user; no new work is accepted.

    A command that was in flight when ``aclose()`` ended its connection gets this error with
    ``may_have_executed=True`` if it had been written; a command refused or never sent has
    ``may_have_executed=False``.
    """


class SentinelError(ConnectionError):
    """The sentinels could not give a server to connect to (none of them answered).

    The message lists each sentinel tried and why it failed.
    """


class PrimaryNotFoundError(SentinelError):
    """No usable primary: no sentinel monitors the name, or the primary they name could not
    be reached as a primary within ``resolve_timeout``."""


class ReplicaNotFoundError(SentinelError):
    """No healthy replica could be reached, and falling back to the primary was not asked for."""


class FailoverError(SentinelError):
    """The primary changed (a ``+switch-master`` notice, or a ``READONLY`` reply from a demoted
    primary). Commands in flight on the old server fail with ``ConnectionLostError`` whose
    ``__cause__`` is this error; reads are re-run on the new primary instead."""


# Shadows and subclasses the builtin, like ConnectionError above.
class TimeoutError(RedisError, builtins.TimeoutError):
    """A time limit ran out. Also a builtin ``TimeoutError`` (which is ``asyncio.TimeoutError``)."""


class ConnectTimeoutError(TimeoutError):
    """Connecting, including the handshake, took longer than ``connect_timeout``."""


class CommandTimeoutError(TimeoutError):
    """A command did not complete within its timeout (``command_timeout``).

    Attributes:
        may_have_executed: ``True`` when the command had been written and no reply came in
            time: the server may have run it, or may still run it, so retrying a
            non-idempotent write (INCR, LPUSH) is unsafe. ``False`` when it provably never
            left the client, or every attempt was refused unrun: the time ran out while it
            waited for a connection (a pooled connection, a blocking command's own
            connection, a connect, a ``watch()`` lease), or while a cluster slot kept
            answering ASK, TRYAGAIN or MOVED, or between retries of attempts never sent.
    """

    may_have_executed: bool

    def __init__(
        self,
        message: str = "",
        *,
        may_have_executed: bool = True,
        code: str | None = None,
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(message, code=code, command=command, address=address)
        # True by default: a timeout that cannot tell must not invite a retry.
        self.may_have_executed = may_have_executed


class PoolTimeoutError(TimeoutError):
    """No connection became available from the pool within ``pool_timeout``."""


class ProtocolError(RedisError):
    """The byte stream from the server is not valid RESP; the connection cannot continue."""


class ReplyDecodeError(RedisError, ValueError):
    """A reply's text did not decode with the client's encoding (``encoding_errors="strict"``).

    Only the command that read the reply fails; the connection and every other caller go on.
    The ``UnicodeDecodeError`` is the ``__cause__``. Read such values with a client that keeps
    ``bytes`` (``decode_responses=False``) or choose another ``encoding_errors``.
    """


# --- runtime refusals (not from the server) ----------------------------------------------------


class InvalidUsageError(RedisError):
    """The runtime refused a call that cannot work the way it was made.

    For example ``SELECT`` on a shared connection ("use Redis(db=...)"), or a pipeline used
    after its connection lease was released.
    """


class PubSubError(RedisError):
    """A pub/sub object was used in a way its state does not allow."""


class SlowConsumerError(PubSubError):
    """A subscription's queue overflowed with ``on_overflow="error"``: its reader was too slow.

    The messages received before the overflow are still delivered; this error comes after
    them, and the subscription is closed.

    Attributes:
        max_pending: The queue bound that was exceeded.
    """

    max_pending: int | None

    def __init__(
        self,
        message: str = "",
        *,
        max_pending: int | None = None,
        code: str | None = None,
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(message, code=code, command=command, address=address)
        self.max_pending = max_pending


class WatchError(RedisError):
    """``EXEC`` returned null: a watched key changed, so the transaction did not run."""


class LockError(RedisError):
    """A ``Lock`` could not be taken, or was used in a way its state does not allow.

    For example ``async with lock:`` whose wait ran out, or ``release()`` of a lock this
    object does not hold.
    """


class LockNotOwnedError(LockError):
    """A held ``Lock`` expired before it was released or extended.

    The key may belong to another holder by now; it was left alone.
    """
