"""Public exceptions of redis-oxide: ``from redis_oxide.exceptions import ...``.

This module only re-exports; the classes live in ``redis_oxide._exceptions`` and report
``redis_oxide.exceptions`` as their module so reprs, tracebacks and pickles name this path.
See ``docs/exceptions.md`` for the tree.
"""

from redis_oxide._exceptions import (
    AskError,
    AuthenticationError,
    BusyError,
    BusyGroupError,
    BusyKeyError,
    ClusterDownError,
    CommandError,
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionClosedError,
    ConnectionError,
    ConnectionLostError,
    ConnectTimeoutError,
    CrossSlotError,
    ExecAbortError,
    InvalidUsageError,
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
    PoolTimeoutError,
    ProtocolError,
    PubSubError,
    ReadOnlyError,
    RedirectError,
    RedisError,
    ReplyDecodeError,
    ServerError,
    SlowConsumerError,
    TimeoutError,
    TryAgainError,
    UnblockedError,
    UnkillableError,
    WatchError,
    WrongPassError,
    WrongTypeError,
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
    "ConnectionLostError",
    "CrossSlotError",
    "ExecAbortError",
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
    "ProtocolError",
    "PubSubError",
    "ReadOnlyError",
    "RedirectError",
    "RedisError",
    "ReplyDecodeError",
    "ServerError",
    "SlowConsumerError",
    "TimeoutError",
    "TryAgainError",
    "UnblockedError",
    "UnkillableError",
    "WatchError",
    "WrongPassError",
    "WrongTypeError",
]


def _rename_module() -> None:
    for name in __all__:
        globals()[name].__module__ = __name__


_rename_module()
del _rename_module
