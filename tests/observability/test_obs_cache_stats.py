"""``stats()`` of a client with a cache, against a Redis 7 server of its own.

The tracking connection is one of the client's connections: ``stats()`` counts it, as the
server's CLIENT LIST and the ``db.client.connection.count`` gauge do, and its bytes (the
cache's misses travel on it) are in ``bytes_written``/``bytes_read``, as in the
``redis.client.network.io`` counter.
"""

from __future__ import annotations

import pytest

from redis_oxide import Redis
from redis_oxide.testing import raw_command
from redis_oxide.testing.plugin import ServerFactory
from tests.observability.conftest import Recorded

pytestmark = pytest.mark.timeout(60)


async def test_stats_of_a_cached_client_count_the_tracking_connection(
    redis_server_factory: ServerFactory, otel: Recorded
) -> None:
    server = redis_server_factory()
    async with Redis(server.host, server.port, cache=True, telemetry=otel.telemetry) as r:
        await r.set("k", "v")
        assert await r.get("k") == b"v"  # a miss, on the tracking connection
        assert await r.get("k") == b"v"  # a hit
        stats = r.stats()
        points = otel.points()
        listed = raw_command(server.endpoint, "CLIENT", "LIST")
    assert isinstance(listed, bytes)
    ours = len(listed.decode().splitlines()) - 1  # less the connection asking
    assert stats.connections == ours == 2
    counted = sum(int(p.value) for _, p in points["db.client.connection.count"])
    assert stats.connections == counted
    io = {a["network.io.direction"]: int(p.value) for a, p in points["redis.client.network.io"]}
    assert (stats.bytes_written, stats.bytes_read) == (io["transmit"], io["receive"])
