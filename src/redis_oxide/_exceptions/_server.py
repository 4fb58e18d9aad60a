"""Errors the server answers with, and the registry that builds them from the reply text.

Rules: a subclass of ``ServerError`` declares its ``prefix`` and is registered when defined; a
duplicate prefix fails at import; an unknown prefix gives a plain ``ServerError`` whose
``code`` is the prefix when it looks like one. ``reroutable`` marks the errors after which
the command did not run and may run again elsewhere.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from redis_oxide._exceptions._base import RedisError

__all__ = [
    "AskError",
    "AuthenticationError",
    "BusyError",
    "BusyGroupError",
    "BusyKeyError",
    "ClusterDownError",
    "CommandError",
    "CrossSlotError",
    "ExecAbortError",
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
    "ReadOnlyError",
    "RedirectError",
    "ServerError",
    "TryAgainError",
    "UnblockedError",
    "UnkillableError",
    "WrongPassError",
    "WrongTypeError",
    "server_error_from_message",
]

# What Redis puts first in an error reply: an upper-case word such as ERR, WRONGTYPE, MOVED.
# Module errors sometimes start with an ordinary word ("Unknown index name"); those get no code.
_CODE_PATTERN = re.compile(r"[A-Z][A-Z0-9_\-]*")


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
