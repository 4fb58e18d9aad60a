"""Smoke tests: disposable servers stop, die and come back on the same port."""

from __future__ import annotations

import os
import socket

import pytest

from redis_oxide.testing import (
    MissingBinaryError,
    PortInUseError,
    ProcessState,
    new_server,
    raw_command,
)
from redis_oxide.testing._ports import free_port
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(30)


def test_killed_server_restarts_on_the_same_port(redis_server_factory: ServerFactory) -> None:
    info = redis_server_factory()
    process = info.process
    assert process is not None
    assert raw_command(info.endpoint, "SET", "k", "v") == b"OK"
    first_pid = process.pid
    process.kill()
    assert not process.is_running()
    with pytest.raises(ConnectionRefusedError):
        raw_command(info.endpoint, "PING")
    process.restart()
    assert process.port == info.port
    assert process.pid != first_pid
    assert raw_command(info.endpoint, "PING") == b"PONG"
    # Persistence is off: a restarted server starts empty.
    assert raw_command(info.endpoint, "GET", "k") is None


def test_suspended_server_answers_nothing_until_resumed(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory()
    process = info.process
    assert process is not None
    process.suspend()
    assert process.state is ProcessState.SUSPENDED
    assert process.is_running()
    with pytest.raises(TimeoutError):
        raw_command(info.endpoint, "PING", timeout=0.3)
    process.resume()
    assert process.state is ProcessState.RUNNING
    assert raw_command(info.endpoint, "PING") == b"PONG"
    process.suspend()
    process.close()  # a frozen server still stops at once
    assert process.state is ProcessState.CLOSED


def test_closed_server_process_is_gone(redis_server_factory: ServerFactory) -> None:
    info = redis_server_factory()
    assert info.process is not None
    pid = info.process.pid
    assert pid is not None
    info.process.close()
    assert info.process.state is ProcessState.CLOSED
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_restart_reports_a_port_taken_meanwhile(redis_server_factory: ServerFactory) -> None:
    info = redis_server_factory()
    assert info.process is not None
    info.process.stop()
    with socket.socket() as squatter:
        squatter.bind((info.host, info.port))
        squatter.listen()
        with pytest.raises(PortInUseError, match="Address already in use"):
            info.process.restart()


def test_start_retries_with_a_new_port_after_losing_the_race(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = iter([taken])
        # The first port handed to the server is one this test holds.
        monkeypatch.setattr(
            "redis_oxide.testing._servers.free_port", lambda: next(ports, None) or free_port()
        )
        process = new_server("7")
        try:
            process.start()
            assert process.port != taken
            assert raw_command(process.endpoint, "PING") == b"PONG"
        finally:
            process.close()


def test_missing_binary_names_the_setup_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_OXIDE_REDIS_SERVER", "/nonexistent/redis-server")
    with pytest.raises(MissingBinaryError, match="make setup"):
        new_server("7")
