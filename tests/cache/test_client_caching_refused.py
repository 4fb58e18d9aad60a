"""CLIENT CACHING is refused before it is sent: it only works after CLIENT TRACKING OPTIN or
OPTOUT on the same connection, which redis-oxide never turns on (its cache tracks its reads
on a connection of its own). It has no method, and a raw call raises ``InvalidUsageError``
saying what to use, as CLIENT TRACKING does.
"""

from __future__ import annotations

import pytest

from redis_oxide import Pipeline, Redis, RedisCluster, Transaction
from redis_oxide.exceptions import InvalidUsageError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize("cache", [True, False])
async def test_raw_client_caching_is_refused_before_sending(
    flushed_stack: RedisServerInfo, cache: bool
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, cache=cache) as client:
        for args in (("CLIENT", "CACHING", "YES"), ("client", "caching", "no")):
            with pytest.raises(InvalidUsageError, match="CLIENT TRACKING OPTIN") as caught:
                await client.execute_command(*args)
            assert "Redis(cache=True)" in str(caught.value)
            with pytest.raises(InvalidUsageError, match="CLIENT CACHING"):
                client.pipeline().execute_command(*args)
        assert client.stats().connections == 0  # nothing was sent


def test_no_client_caching_method() -> None:
    for surface in (Redis, RedisCluster, Pipeline, Transaction):
        assert not hasattr(surface, "client_caching"), surface
