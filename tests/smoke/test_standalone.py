"""Smoke tests: the standalone fixtures answer raw RESP over TCP and unix sockets."""

from __future__ import annotations

import pytest

from redis_oxide.testing import RedisServerInfo, parse_info, raw_command
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(30)


def test_stack_answers_ping_and_is_7_4_1(redis_stack: RedisServerInfo) -> None:
    assert raw_command(redis_stack.endpoint, "PING") == b"PONG"
    info = parse_info(raw_command(redis_stack.endpoint, "INFO", "server"))
    assert info["redis_version"] == "7.4.1"
    assert redis_stack.version == "7.4.1"


def test_debian_server_answers_ping_and_is_7_0_15(redis_7: RedisServerInfo) -> None:
    assert raw_command(redis_7.endpoint, "PING") == b"PONG"
    info = parse_info(raw_command(redis_7.endpoint, "INFO", "server"))
    assert info["redis_version"] == "7.0.15"
    assert redis_7.version == "7.0.15"


def test_stack_loads_json_search_bloom_and_timeseries(redis_stack: RedisServerInfo) -> None:
    modules = raw_command(redis_stack.endpoint, "MODULE", "LIST")
    assert isinstance(modules, list)
    names = set()
    for entry in modules:
        assert isinstance(entry, list)
        fields = dict(zip(entry[::2], entry[1::2], strict=True))
        names.add(fields[b"name"])
    assert {b"ReJSON", b"search", b"bf", b"timeseries"} <= names


def test_stack_server_answers_on_its_unix_socket(redis_server_factory: ServerFactory) -> None:
    # A fresh server rather than redis_stack, which REDIS_OXIDE_TEST_URL may replace
    # with an external server whose socket path is unknown.
    stack = redis_server_factory("stack")
    assert stack.unix_path is not None
    assert raw_command(stack.endpoint, "PING", use_unix=True) == b"PONG"
    client = raw_command(stack.endpoint, "CLIENT", "INFO", use_unix=True)
    assert isinstance(client, bytes)
    assert f"laddr={stack.unix_path}".encode() in client


def test_debian_server_answers_on_its_unix_socket(redis_7: RedisServerInfo) -> None:
    assert raw_command(redis_7.endpoint, "PING", use_unix=True) == b"PONG"


@pytest.mark.parametrize("round_", [1, 2])
def test_flushed_stack_starts_empty_after_earlier_writes(
    flushed_stack: RedisServerInfo, round_: int
) -> None:
    assert raw_command(flushed_stack.endpoint, "DBSIZE") == 0
    assert raw_command(flushed_stack.endpoint, "SET", "smoke:flush", round_) == b"OK"
    assert raw_command(flushed_stack.endpoint, "DBSIZE") == 1


def test_json_module_round_trips_a_document(flushed_stack: RedisServerInfo) -> None:
    endpoint = flushed_stack.endpoint
    assert raw_command(endpoint, "JSON.SET", "smoke:doc", "$", '{"a": [1, 2]}') == b"OK"
    assert raw_command(endpoint, "JSON.GET", "smoke:doc", "$.a[1]") == b"[2]"
