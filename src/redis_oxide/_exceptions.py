"""Every exception redis-oxide raises, in one tree under :class:`RedisError`.

Rules this module keeps:

- Local mistakes (bad argument types or values) are ``TypeError``/``ValueError`` raised before
  anything is sent; they are not in this tree. The server refusing something is a
  :class:`ServerError`; a corrupt byte stream is a :class:`ProtocolError`; transport trouble is
  a :class:`ConnectionError` or a :class:`TimeoutError`.
- Every error carries structured fields: ``message``, ``code`` (the server's error prefix),
  ``command`` (the command *name* only) and ``address`` (``"host:port"`` or a unix socket path).
  Argument lists are never stored, so secrets cannot leak through ``str``, ``repr``, logs or
  pickles.
- Server errors are built from their message by :func:`server_error_from_message`, which looks
  the prefix up in a registry filled by ``ServerError.__init_subclass__``. A duplicate prefix
  fails at import time; an unknown prefix maps to the generic :class:`ServerError`.
- :class:`ConnectionError` and :class:`TimeoutError` also subclass the builtins of the same
  name, so ``except ConnectionError`` / ``except TimeoutError`` written against the builtins (as
  asyncio users do) catch ours too.
- Nothing here imports asyncio, socket or ssl: foreign exceptions are matched by their builtin
  base classes in :class:`map_exceptions`.
"""

from __future__ import annotations

import builtins
import re
from types import TracebackType
from typing import Any, ClassVar, Self

__all__ = [
    "AskError",
    "AuthenticationError",
    "BusyError",
    "BusyGroupError",
    "BusyKeyError",
    "ClusterDownError",
    "CommandError",
    "CommandTimeoutError",
    "ConnectFailedError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "ConnectionError",
    "ConnectionLostError",
    "CrossSlotError",
    "ExecAbortError",
    "FailoverError",
    "InvalidUsageError",
    "LoadingError",
    "MasterDownError",
    "MisconfError",
    "MovedError",
    "NoAuthError",
    "NoGroupError",
    "NoPermError",
    "NoProtoError",
    "NoReplicasError",
    "NoScriptError",
    "NotBusyError",
    "OutOfMemoryError",
    "PoolTimeoutError",
    "PrimaryNotFoundError",
    "ProtocolError",
    "PubSubError",
    "ReadOnlyError",
    "RedirectError",
    "RedisError",
    "ReplicaNotFoundError",
    "ReplyDecodeError",
    "SentinelError",
    "ServerError",
    "SlowConsumerError",
    "TimeoutError",
    "TryAgainError",
    "UnblockedError",
    "UnkillableError",
    "WatchError",
    "WrongPassError",
    "WrongTypeError",
    "map_exceptions",
    "server_error_from_message",
]

# What Redis puts first in an error reply: an upper-case word such as ERR, WRONGTYPE, MOVED.
# Module errors sometimes start with an ordinary word ("Unknown index name"); those get no code.
_CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_\-]*")


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
    """The connection to a node could not be made or did not survive."""


class ConnectFailedError(ConnectionError):
    """Connecting (TCP, unix socket or TLS handshake) failed before the connection was ready."""


class ConnectionLostError(ConnectionError):
    """An established connection died: reset, closed by the peer, or broken by a failure.

    Attributes:
        may_have_executed: ``True`` when the command had been written before the connection
            died, so the server may have run it; retrying a non-idempotent write is unsafe.
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


class ConnectionClosedError(ConnectionError):
    """The client, pool or connection was closed by the user; no new work is accepted."""


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
    """No reply arrived within the command's timeout; the command may still run."""


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


# --- server errors -------------------------------------------------------------------------

_REGISTRY: dict[str, type[ServerError]] = {}


class ServerError(RedisError):
    """The server answered with an error reply.

    Subclasses declare ``prefix``; defining a subclass registers it for
    :func:`server_error_from_message`. An error whose prefix is not registered is a plain
    ``ServerError`` whose ``code`` is the prefix (or ``None`` when the message has none).
    """

    prefix: ClassVar[str] = ""
    #: The command was not run and may be run again elsewhere or later (a redirect, a node
    #: still loading, a demoted primary): executors are offered these errors when they
    #: arrive, before the caller sees them.
    reroutable: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        prefix = cls.__dict__.get("prefix")
        if not prefix:
            return
        other = _REGISTRY.get(prefix)
        if other is not None:
            raise TypeError(
                f"server error prefix {prefix!r} of {cls.__qualname__} is already registered "
                f"by {other.__module__}.{other.__qualname__}"
            )
        _REGISTRY[prefix] = cls

    @classmethod
    def _from_message(cls, message: str) -> ServerError:
        return cls(message, code=cls.prefix)


def server_error_from_message(message: str) -> ServerError:
    """Build the exception for a server error reply.

    This is the factory the decoders call for every ``-`` reply; the error is returned as a
    value in the reply, not raised.

    Args:
        message: The error text without the leading ``-``, e.g. ``"MOVED 3999 10.0.0.2:6381"``.

    Returns:
        An instance of the class registered for the message's prefix, or a generic
        :class:`ServerError`.
    """
    prefix = message.partition(" ")[0]
    cls = _REGISTRY.get(prefix)
    if cls is not None:
        # The per-class parsing hook is this module's own machinery, not API.
        return cls._from_message(message)  # pyright: ignore[reportPrivateUsage]
    code = prefix if _CODE_PATTERN.fullmatch(prefix) else None
    return ServerError(message, code=code)


class CommandError(ServerError):
    """``ERR``: the generic refusal (syntax, arity, unknown command, value out of range…)."""

    prefix = "ERR"


class WrongTypeError(ServerError):
    """``WRONGTYPE``: the key holds a value of another type."""

    prefix = "WRONGTYPE"


class RedirectError(ServerError):
    """A cluster node says a slot is served elsewhere (base of ``MOVED`` and ``ASK``).

    Attributes:
        slot: The hash slot.
        host: Target host; an empty string means "the host you are already talking to".
        port: Target port.
    """

    slot: int
    host: str
    port: int

    def __init__(
        self,
        message: str = "",
        *,
        slot: int = 0,
        host: str = "",
        port: int = 0,
        code: str | None = None,
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        super().__init__(message, code=code, command=command, address=address)
        self.slot = slot
        self.host = host
        self.port = port

    @classmethod
    def _from_message(cls, message: str) -> ServerError:
        # "MOVED 3999 127.0.0.1:6381"; an IPv6 host carries colons, so split on the last one.
        parts = message.split(" ")
        if len(parts) == 3:
            host, sep, port = parts[2].rpartition(":")
            if sep and parts[1].isdigit() and port.isdigit():
                return cls(message, slot=int(parts[1]), host=host, port=int(port), code=cls.prefix)
        # Malformed redirects must not look like usable ones.
        return ServerError(message, code=cls.prefix)


class MovedError(RedirectError):
    """``MOVED``: the slot lives on another node for good; refresh the slot map."""

    prefix = "MOVED"
    reroutable = True


class AskError(RedirectError):
    """``ASK``: the slot is migrating; retry this one command on the target after ``ASKING``."""

    prefix = "ASK"
    reroutable = True


class TryAgainError(ServerError):
    """``TRYAGAIN``: a multi-key command hit a slot being migrated; retry after a moment."""

    prefix = "TRYAGAIN"
    reroutable = True


class ClusterDownError(ServerError):
    """``CLUSTERDOWN``: the cluster cannot serve the slot right now."""

    prefix = "CLUSTERDOWN"
    reroutable = True


class CrossSlotError(ServerError):
    """``CROSSSLOT``: the keys of one command hash to different slots."""

    prefix = "CROSSSLOT"


class NoScriptError(ServerError):
    """``NOSCRIPT``: ``EVALSHA`` named a script the server does not have cached."""

    prefix = "NOSCRIPT"


class BusyGroupError(ServerError):
    """``BUSYGROUP``: the stream consumer group already exists."""

    prefix = "BUSYGROUP"


class NoGroupError(ServerError):
    """``NOGROUP``: the stream key or consumer group does not exist."""

    prefix = "NOGROUP"


class BusyKeyError(ServerError):
    """``BUSYKEY``: the target key already exists (``RESTORE``, ``COPY``…)."""

    prefix = "BUSYKEY"


class AuthenticationError(ServerError):
    """Authentication or authorisation failed (base of ``NOAUTH``, ``WRONGPASS``, ``NOPERM``)."""


class NoAuthError(AuthenticationError):
    """``NOAUTH``: the server requires authentication first."""

    prefix = "NOAUTH"


class WrongPassError(AuthenticationError):
    """``WRONGPASS``: wrong username/password pair, or the user is disabled."""

    prefix = "WRONGPASS"


class NoPermError(AuthenticationError):
    """``NOPERM``: the user's ACL does not allow the command, key or channel."""

    prefix = "NOPERM"


class ReadOnlyError(ServerError):
    """``READONLY``: a write was sent to a read-only replica."""

    prefix = "READONLY"
    reroutable = True


class LoadingError(ServerError):
    """``LOADING``: the server is loading its dataset into memory."""

    prefix = "LOADING"
    reroutable = True


class BusyError(ServerError):
    """``BUSY``: a script or function is running; only a few commands are served."""

    prefix = "BUSY"


class NotBusyError(ServerError):
    """``NOTBUSY``: ``SCRIPT KILL``/``FUNCTION KILL`` found nothing running."""

    prefix = "NOTBUSY"


class UnkillableError(ServerError):
    """``UNKILLABLE``: the running script already wrote and cannot be killed."""

    prefix = "UNKILLABLE"


class ExecAbortError(ServerError):
    """``EXECABORT``: ``EXEC`` discarded the transaction because a queued command was invalid."""

    prefix = "EXECABORT"


class MasterDownError(ServerError):
    """``MASTERDOWN``: the replica lost its primary and ``replica-serve-stale-data`` is off."""

    prefix = "MASTERDOWN"
    reroutable = True


class NoReplicasError(ServerError):
    """``NOREPLICAS``: not enough replicas acknowledge writes (``min-replicas-to-write``)."""

    prefix = "NOREPLICAS"


class OutOfMemoryError(ServerError):
    """``OOM``: the command would exceed ``maxmemory``."""

    prefix = "OOM"


class MisconfError(ServerError):
    """``MISCONF``: writes are refused because the last RDB save failed."""

    prefix = "MISCONF"


class NoProtoError(ServerError):
    """``NOPROTO``: ``HELLO`` asked for a protocol version the server does not speak."""

    prefix = "NOPROTO"


class UnblockedError(ServerError):
    """``UNBLOCKED``: a blocking command was ended by ``CLIENT UNBLOCK ... ERROR``."""

    prefix = "UNBLOCKED"


# --- translating foreign exceptions ----------------------------------------------------------


# Lower-case because it reads like a function at the call site: ``with map_exceptions(...)``.
class map_exceptions:
    """Context manager translating foreign exceptions into redis-oxide ones.

    The most specific mapped class in the raised exception's MRO wins, so
    ``map_exceptions((OSError, ConnectionLostError), (TimeoutError, CommandTimeoutError))``
    maps a builtin timeout (an ``OSError`` too) to the timeout error whatever the order of
    the pairs. The original exception is
    chained as ``__cause__``. redis-oxide's own errors and ``BaseException``\\ s that are not
    ``Exception`` (cancellation) pass through untouched.

    Args:
        *pairs: ``(foreign exception class, redis-oxide class)`` pairs.
        command: Command name to record on the new error.
        address: Node address to record on the new error.

    Raises:
        RedisError: The translated exception, on leaving the block.
    """

    __slots__ = ("_address", "_command", "_mapping")

    def __init__(
        self,
        *pairs: tuple[type[Exception], type[RedisError]],
        command: str | None = None,
        address: str | None = None,
    ) -> None:
        self._mapping: dict[type, type[RedisError]] = dict(pairs)
        self._command = command
        self._address = address

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None or not issubclass(exc_type, Exception):
            return
        if issubclass(exc_type, RedisError):
            return
        for base in exc_type.__mro__:
            if base in self._mapping:
                target = self._mapping[base]
                message = str(exc) or exc_type.__name__
                raise target(message, command=self._command, address=self._address) from exc
