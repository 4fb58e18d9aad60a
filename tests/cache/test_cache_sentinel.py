"""A cached client resolved through Sentinel, across a failover.

The primary is frozen (SIGSTOP): its connections stay open and silent, so nothing but the
sentinels' ``+switch-master`` tells the client its tracking connection now reaches a server
that no longer has the data. The health check is off, so only that notice can flush the cache.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from redis_oxide import CacheConfig, Sentinel
from redis_oxide.testing import SentinelInfo
from redis_oxide.testing.plugin import SentinelFactory
from tests.sentinel._failover import switch_log

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


async def test_a_failover_leaves_no_cached_value_behind(
    redis_sentinel_factory: SentinelFactory, figures: Figure
) -> None:
    group = redis_sentinel_factory()
    old = group.primary
    assert old.process is not None
    config = CacheConfig(health_check_interval=None)
    async with Sentinel(_sentinels(group)) as sentinel, switch_log(group.sentinels) as switches:
        cached = sentinel.primary_for(group.master_name, command_timeout=5.0, cache=config)
        writer = sentinel.primary_for(group.master_name, command_timeout=5.0)
        await writer.set("failover:cached", "before")
        assert await cached.get("failover:cached") == b"before"
        assert await cached.get("failover:cached") == b"before"
        cache = cached.cache
        assert cache is not None
        assert cache.hits == 1
        old.process.suspend()
        try:
            await switches.wait_first(group.master_name, 20)
            await writer.set("failover:cached", "after")  # on the promoted replica
            assert await cached.get("failover:cached") == b"after"
            figures("cache flushes at the failover", cache.flushes)
            assert cache.flushes >= 1
        finally:
            old.process.resume()
