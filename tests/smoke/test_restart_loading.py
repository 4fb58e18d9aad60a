"""``ServerProcess.restart()`` waits while the server loads its data set (``LOADING``)."""

from __future__ import annotations

import time

import pytest

from redis_oxide.testing import raw_command
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(60)

_KEYS = 5000


def test_restart_waits_while_the_server_loads_its_data(
    redis_server_factory: ServerFactory,
) -> None:
    info = redis_server_factory(
        "7",
        config=[
            ("appendonly", "yes"),
            # Slow the load down (microseconds per key) and answer clients while loading,
            # so the restart meets LOADING replies for about half a second.
            ("key-load-delay", "100"),
            ("loading-process-events-interval-bytes", "1024"),
        ],
    )
    assert info.process is not None
    raw_command(info.endpoint, "DEBUG", "POPULATE", str(_KEYS))
    raw_command(info.endpoint, "BGREWRITEAOF")
    deadline = time.monotonic() + 10
    while b"aof_rewrite_in_progress:0" not in _persistence(info):
        assert time.monotonic() < deadline, "the AOF rewrite did not end"
        time.sleep(0.05)
    info.process.restart()
    assert raw_command(info.endpoint, "DBSIZE") == _KEYS


def _persistence(info: RedisServerInfo) -> bytes:
    reply = raw_command(info.endpoint, "INFO", "persistence")
    assert isinstance(reply, bytes)
    return reply
