"""A lock's time to live stays within what the server and the renewal script can set."""

from __future__ import annotations

import pytest

from redis_oxide import Redis
from redis_oxide._lock import MAX_TTL_MS
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)

LONGEST = MAX_TTL_MS / 1000


@pytest.mark.parametrize("seconds", [1e16, 1e17, LONGEST * 1.001, 10**30])
async def test_a_timeout_past_the_longest_ttl_is_refused_before_anything_is_sent(
    flushed_stack: RedisServerInfo, seconds: float
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        with pytest.raises(ValueError, match=r"lock timeout must be at most .* not "):
            client.lock("limits:lock", timeout=seconds)
        assert not await client.exists("limits:lock")


async def test_the_longest_ttl_is_set_kept_by_extend_and_reset_by_reacquire(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port) as client:
        lock = client.lock("limits:lock", timeout=LONGEST)
        assert await lock.acquire()
        assert await client.pttl("limits:lock") > MAX_TTL_MS - 60_000
        with pytest.raises(ValueError, match="lock additional_time must be at most") as caught:
            await lock.extend(LONGEST * 2)
        assert "None" not in str(caught.value)  # extend(None) is no way out
        # Extending past the longest time to live stops there, however often it is done.
        for _ in range(12):
            await lock.extend(LONGEST)
        assert MAX_TTL_MS - 60_000 < await client.pttl("limits:lock") <= MAX_TTL_MS
        await lock.extend(LONGEST, replace_ttl=True)
        await lock.reacquire()
        assert await client.pttl("limits:lock") > MAX_TTL_MS - 60_000
        await lock.release()
        assert not await client.exists("limits:lock")
