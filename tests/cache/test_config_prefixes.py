"""``CacheConfig(mode="bcast", prefixes=...)``: prefixes the server would refuse are refused first.

The server refuses ``CLIENT TRACKING ON BCAST`` when one prefix starts another (a duplicate
too); every cacheable read under them would fail with that error, from a GET. The
configuration refuses them when it is built, naming both; prefixes that do not overlap work
against a real server.
"""

from __future__ import annotations

import uuid

import pytest

from redis_oxide import CacheConfig, Redis
from redis_oxide.testing import RawReplyError, open_raw
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


OVERLAPS = [
    (["a", "ab"], ("'a'", "'ab'")),
    (["user:admin:", "zz", "user:"], ("'user:'", "'user:admin:'")),
    (["a", "a"], ("'a'", "'a'")),
    ([b"k:", "k:"], ("b'k:'", "'k:'")),
    (["", "x"], ("''", "'x'")),
]


def _tracking(info: RedisServerInfo, prefixes: list[str | bytes]) -> None:
    with open_raw(info.endpoint) as conn:
        conn.command("HELLO", "3")
        words = [word for prefix in prefixes for word in ("PREFIX", prefix)]
        conn.command("CLIENT", "TRACKING", "ON", "BCAST", *words)


@pytest.mark.parametrize(("prefixes", "named"), OVERLAPS)
def test_overlapping_prefixes_are_refused_naming_both(
    redis_stack: RedisServerInfo, prefixes: list[str | bytes], named: tuple[str, str]
) -> None:
    with pytest.raises(RawReplyError, match="overlaps"):
        _tracking(redis_stack, prefixes)  # the server's rule, which the check follows
    with pytest.raises(ValueError, match="cache prefixes") as caught:
        CacheConfig(mode="bcast", prefixes=prefixes)
    for name in named:
        assert name in str(caught.value)


async def test_prefixes_that_do_not_overlap_are_taken(flushed_stack: RedisServerInfo) -> None:
    tag = uuid.uuid4().hex[:6]
    user, users = f"{tag}user:", f"{tag}users"  # neither is a prefix of the other
    prefixes: list[str | bytes] = [user, users, f"{tag}item:".encode()]
    _tracking(flushed_stack, prefixes)
    config = CacheConfig(mode="bcast", prefixes=prefixes)
    async with Redis(flushed_stack.host, flushed_stack.port, cache=config) as client:
        for key in (f"{user}1", f"{users}1"):
            await client.set(key, "v")
            assert await client.get(key) == b"v"
            assert await client.get(key) == b"v"
        cache = client.cache
        assert cache is not None
        assert (cache.misses, cache.hits) == (2, 2)
