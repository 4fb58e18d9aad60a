"""Every exception redis-oxide raises, in one tree under :class:`RedisError`.

Rules this package keeps (``_base``, ``_server`` and ``_map`` hold the classes):

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

from redis_oxide._exceptions._base import (
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionClosedByPeer,
    ConnectionClosedError,
    ConnectionError,
    ConnectionLostError,
    ConnectTimeoutError,
    FailoverError,
    InvalidUsageError,
    LockError,
    LockNotOwnedError,
    PoolTimeoutError,
    PrimaryNotFoundError,
    ProtocolError,
    PubSubError,
    RedisError,
    ReplicaNotFoundError,
    ReplyDecodeError,
    SentinelError,
    SlowConsumerError,
    TimeoutError,
    WatchError,
)
from redis_oxide._exceptions._map import map_exceptions
from redis_oxide._exceptions._server import (
    AskError,
    AuthenticationError,
    BusyError,
    BusyGroupError,
    BusyKeyError,
    ClusterDownError,
    CommandError,
    CrossSlotError,
    ExecAbortError,
    LoadingError,
    MasterDownError,
    MisconfError,
    MovedError,
    NoAuthError,
    NoGroupError,
    NoPermError,
    NoProtoError,
    NoReplicasError,
    NoScriptError,
    NotBusyError,
    OutOfMemoryError,
    ReadOnlyError,
    RedirectError,
    ServerError,
    TryAgainError,
    UnblockedError,
    UnkillableError,
    WrongPassError,
    WrongTypeError,
    server_error_from_message,
)

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
    "ConnectionClosedByPeer",
    "ConnectionLostError",
    "CrossSlotError",
    "ExecAbortError",
    "FailoverError",
    "InvalidUsageError",
    "LoadingError",
    "LockError",
    "LockNotOwnedError",
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
