"""The exception tree: prefix registry, structured fields, rendering, translation."""

from __future__ import annotations

import asyncio
import builtins
import pickle
import ssl
from pathlib import Path

import pytest

import redis_oxide.exceptions as public
from redis_oxide._exceptions import (
    AskError,
    CommandTimeoutError,
    ConnectFailedError,
    ConnectionError,
    ConnectionLostError,
    ConnectTimeoutError,
    MovedError,
    PoolTimeoutError,
    RedisError,
    ServerError,
    TimeoutError,
    map_exceptions,
    server_error_from_message,
)

PREFIXES = {
    "ERR": "CommandError",
    "WRONGTYPE": "WrongTypeError",
    "MOVED": "MovedError",
    "ASK": "AskError",
    "TRYAGAIN": "TryAgainError",
    "CLUSTERDOWN": "ClusterDownError",
    "CROSSSLOT": "CrossSlotError",
    "NOSCRIPT": "NoScriptError",
    "BUSYGROUP": "BusyGroupError",
    "NOGROUP": "NoGroupError",
    "BUSYKEY": "BusyKeyError",
    "NOAUTH": "NoAuthError",
    "WRONGPASS": "WrongPassError",
    "NOPERM": "NoPermError",
    "READONLY": "ReadOnlyError",
    "LOADING": "LoadingError",
    "BUSY": "BusyError",
    "EXECABORT": "ExecAbortError",
    "MASTERDOWN": "MasterDownError",
    "NOREPLICAS": "NoReplicasError",
    "OOM": "OutOfMemoryError",
    "MISCONF": "MisconfError",
    "UNKILLABLE": "UnkillableError",
    "NOTBUSY": "NotBusyError",
    "NOPROTO": "NoProtoError",
    "UNBLOCKED": "UnblockedError",
}


@pytest.mark.parametrize(("prefix", "name"), sorted(PREFIXES.items()))
def test_prefix_maps_to_its_class(prefix: str, name: str) -> None:
    message = f"{prefix} 1 127.0.0.1:7000" if prefix in ("MOVED", "ASK") else f"{prefix} text"
    error = server_error_from_message(message)
    assert type(error) is getattr(public, name)
    assert error.code == prefix
    assert error.message == message
    assert isinstance(error, ServerError)


def test_moved_and_ask_fields_are_parsed() -> None:
    moved = server_error_from_message("MOVED 3999 127.0.0.1:6381")
    assert isinstance(moved, MovedError)
    assert (moved.slot, moved.host, moved.port) == (3999, "127.0.0.1", 6381)
    ask = server_error_from_message("ASK 12 ::1:7000")
    assert isinstance(ask, AskError)
    assert (ask.slot, ask.host, ask.port) == (12, "::1", 7000)
    # An empty host means "the node you asked" (cluster-preferred-endpoint-type unknown).
    same_host = server_error_from_message("MOVED 1 :6380")
    assert isinstance(same_host, MovedError)
    assert (same_host.host, same_host.port) == ("", 6380)


def test_malformed_redirect_is_a_generic_server_error() -> None:
    error = server_error_from_message("MOVED nonsense")
    assert type(error) is ServerError
    assert error.code == "MOVED"


def test_unknown_prefix_is_generic_with_code() -> None:
    error = server_error_from_message("NEWCODE from a future Redis")
    assert type(error) is ServerError
    assert error.code == "NEWCODE"
    lower = server_error_from_message("Unknown index name")
    assert type(lower) is ServerError
    assert lower.code is None


def test_duplicate_prefix_registration_fails() -> None:
    with pytest.raises(TypeError, match="already registered"):

        class AnotherWrongType(ServerError):
            prefix = "WRONGTYPE"

    assert type(server_error_from_message("WRONGTYPE x")).__name__ == "WrongTypeError"


def test_timeouts_are_builtin_timeouts() -> None:
    for cls in (TimeoutError, ConnectTimeoutError, CommandTimeoutError, PoolTimeoutError):
        assert issubclass(cls, builtins.TimeoutError)
        assert issubclass(cls, asyncio.TimeoutError)
        assert issubclass(cls, RedisError)


def test_connection_errors_are_builtin_connection_errors() -> None:
    assert issubclass(ConnectionError, builtins.ConnectionError)
    assert issubclass(ConnectFailedError, RedisError)


def test_context_is_added_once_and_rendered() -> None:
    error = server_error_from_message("WRONGTYPE Operation against a key")
    assert str(error) == "WRONGTYPE Operation against a key"
    assert error.with_context(command="GET", address="10.0.0.1:6379") is error
    error.with_context(command="SET", address="other:1")
    assert (error.command, error.address) == ("GET", "10.0.0.1:6379")
    assert str(error) == "WRONGTYPE Operation against a key [command=GET address=10.0.0.1:6379]"


def test_connection_lost_says_whether_the_command_may_have_run() -> None:
    error = ConnectionLostError("reset by peer", may_have_executed=True, command="INCR")
    assert error.may_have_executed
    assert ConnectionLostError("eof").may_have_executed is False


def test_errors_pickle_with_their_fields() -> None:
    error = server_error_from_message("MOVED 1 h:2").with_context(command="GET", address="a:1")
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is MovedError
    assert (clone.slot, clone.host, clone.port, clone.command, clone.address, clone.code) == (
        1,
        "h",
        2,
        "GET",
        "a:1",
        "MOVED",
    )
    lost = pickle.loads(pickle.dumps(ConnectionLostError("x", may_have_executed=True)))
    assert lost.may_have_executed


def test_map_exceptions_translates_and_chains() -> None:
    pairs = ((OSError, ConnectionLostError), (builtins.TimeoutError, CommandTimeoutError))
    with (
        pytest.raises(ConnectionLostError) as lost,
        map_exceptions(*pairs, command="GET", address="h:1"),
    ):
        raise ConnectionResetError(104, "Connection reset by peer")
    assert isinstance(lost.value.__cause__, ConnectionResetError)
    assert (lost.value.command, lost.value.address) == ("GET", "h:1")
    # The most specific mapped base wins, whatever the order of the pairs.
    with pytest.raises(CommandTimeoutError), map_exceptions(*pairs):
        raise builtins.TimeoutError
    with pytest.raises(ConnectionLostError), map_exceptions(*pairs):
        raise ssl.SSLError("bad record mac")


def test_map_exceptions_leaves_ours_and_unmapped_alone() -> None:
    pairs = ((OSError, ConnectFailedError),)
    # Our errors are OSErrors too (ConnectionError/TimeoutError): they must pass unchanged.
    with pytest.raises(CommandTimeoutError), map_exceptions(*pairs):
        raise CommandTimeoutError("slow")
    with pytest.raises(KeyError), map_exceptions(*pairs):
        raise KeyError("x")
    with map_exceptions(*pairs):
        pass


def test_public_module_exports_every_class_under_its_own_name() -> None:
    # Every class is an error of the tree, but the causes a connection records: those are
    # builtin connection errors, found as the ``__cause__`` of a ``ConnectionLostError``.
    causes = {"ConnectionClosedByPeer"}
    for name in public.__all__:
        cls = getattr(public, name)
        assert cls.__module__ == "redis_oxide.exceptions", name
        if name in causes:
            assert issubclass(cls, ConnectionResetError)
            assert not issubclass(cls, RedisError)
        else:
            assert issubclass(cls, RedisError), name
    assert {name for name in PREFIXES.values()} <= set(public.__all__)
    assert repr(public.WrongTypeError("x")) == "WrongTypeError('x')"


def test_errors_never_store_arguments() -> None:
    error = ConnectionLostError("lost", command="AUTH", address="h:1")
    assert set(vars(error)) == {
        "message",
        "code",
        "command",
        "address",
        "position",
        "may_have_executed",
    }


def test_docs_show_every_public_class() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "exceptions.md").read_text()
    missing = [name for name in public.__all__ if f" {name}" not in doc and f"\n{name}" not in doc]
    assert missing == []
