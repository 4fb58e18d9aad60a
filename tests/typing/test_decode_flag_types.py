"""Typed construction with a ``decode_responses`` known only at run time, and cluster options.

Checked by ``mypy --strict`` and pyright (strict): a plain ``bool`` flag is accepted by every
client factory. The functions give the union ``Redis[bytes] | Redis[str]``; a constructor
cannot spell that union, so its result is annotated with it to stay checked. ``RedisCluster``
declares no ``db`` and no ``unix_socket_path``: the ``ignore`` comments are the contract
(both checkers report unneeded ones, so they fail if the wrong call type-checks). The test function
builds clients without connecting.
"""

from __future__ import annotations

import os
from typing import assert_type

import pytest

from redis_oxide import Redis, RedisCluster, Sentinel, from_url

DECODE: bool = os.environ.get("REDIS_OXIDE_DECODE_SAMPLE", "1") == "1"


async def read(client: Redis[bytes] | Redis[str]) -> bytes | str | None:
    return await client.get("key")


def test_a_runtime_decode_flag_type_checks() -> None:
    direct: Redis[bytes] | Redis[str] = Redis("127.0.0.1", 6379, decode_responses=DECODE)
    cluster: RedisCluster[bytes] | RedisCluster[str] = RedisCluster(
        "127.0.0.1", 7000, decode_responses=DECODE
    )
    assert_type(from_url("redis://127.0.0.1", decode_responses=DECODE), Redis[bytes] | Redis[str])
    assert_type(
        Redis.from_url("redis://127.0.0.1", decode_responses=DECODE), Redis[bytes] | Redis[str]
    )
    assert_type(
        RedisCluster.from_url("redis://127.0.0.1:7000", decode_responses=DECODE),
        RedisCluster[bytes] | RedisCluster[str],
    )
    sentinel = Sentinel([("127.0.0.1", 26379)])
    assert_type(sentinel.primary_for("cache", decode_responses=DECODE), Redis[bytes] | Redis[str])
    assert_type(sentinel.replica_for("cache", decode_responses=DECODE), Redis[bytes] | Redis[str])
    # Literal flags keep their precise types.
    assert_type(from_url("redis://127.0.0.1", decode_responses=True), Redis[str])
    assert_type(Redis(decode_responses=False), Redis[bytes])
    assert_type(RedisCluster("127.0.0.1", 7000, decode_responses=True), RedisCluster[str])
    assert isinstance(direct, Redis)
    assert isinstance(cluster, RedisCluster)


def test_cluster_options_refuse_what_a_cluster_has_not() -> None:
    def wrong_db() -> object:
        return RedisCluster(db=3)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportUnknownVariableType]

    def wrong_socket() -> object:
        path = "/tmp/r.sock"
        return RedisCluster(unix_socket_path=path)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportUnknownVariableType]

    with pytest.raises(ValueError, match="db must be 0"):
        wrong_db()
    with pytest.raises(ValueError, match="unix_socket_path is not used"):
        wrong_socket()
    assert_type(RedisCluster("127.0.0.1", 7000, cache=True), RedisCluster[bytes])
