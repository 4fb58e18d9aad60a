"""The cache keys its entries by what the wire carries, not by Python equality.

``1 == 1.0`` and ``0 == -0.0`` in Python, but ``GET 1`` and ``GET 1.0`` read different keys.
A read is never answered with the entry of an argument list that is equal in Python but
different on the wire. The uncached client is the oracle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import Redis
from redis_oxide.testing._info import RedisServerInfo
from tests.cache.test_cache import settled

pytestmark = pytest.mark.timeout(30)


def _number(value: float) -> Any:
    """A number as a key: the annotations say str or bytes, redis-py habits send numbers."""
    return value


@pytest.fixture
async def clients(
    flushed_stack: RedisServerInfo,
) -> AsyncIterator[tuple[Redis[str], Redis[str]]]:
    info = flushed_stack
    async with (
        Redis(info.host, info.port, cache=True, decode_responses=True) as cached,
        Redis(info.host, info.port, decode_responses=True) as plain,
    ):
        yield cached, plain


async def test_get_of_int_and_float_keys_reads_each_key(
    clients: tuple[Redis[str], Redis[str]],
) -> None:
    cached, plain = clients
    await plain.set("1", "key-one")
    await plain.set("1.0", "key-one-point-zero")
    await plain.set("0", "key-zero")
    await plain.set("-0.0", "key-minus-zero")
    for first, second in ((1, 1.0), (1.0, 1), (0, -0.0), (-0.0, 0), (0, 0.0)):
        for key in (first, second, first, second):
            assert await cached.get(_number(key)) == await plain.get(_number(key)), key


async def test_hget_of_int_and_float_fields_reads_each_field(
    clients: tuple[Redis[str], Redis[str]],
) -> None:
    cached, plain = clients
    fields = {"1": "field-1", "1.0": "field-1.0", "0": "field-0", "-0.0": "field--0.0"}
    await plain.hset("h", fields)
    for field in (1, 1.0, 1, 0, -0.0, 0, 0.0):
        assert await cached.hget("h", field) == await plain.hget("h", field), field


async def test_numeric_reads_are_cached_by_their_wire_form(
    clients: tuple[Redis[str], Redis[str]],
) -> None:
    cached, plain = clients
    cache = cached.cache
    assert cache is not None
    await plain.set("1", "one")
    await plain.rpush("l", "a", "b", "c")
    assert await cached.get(_number(1)) == "one"  # a miss
    assert await cached.get(_number(1)) == "one"  # a hit
    assert await cached.get(_number(1.0)) is None  # the key "1.0": its own entry, not that of 1
    assert await cached.get(_number(1.0)) is None
    assert await cached.get(b"1") == "one"  # GET 1 on the wire: the entry of 1
    assert await cached.lrange("l", 0, -1) == ["a", "b", "c"]
    assert await cached.lrange("l", 0, -1) == ["a", "b", "c"]
    assert (len(cache), cache.hits, cache.misses) == (3, 4, 3)
    await plain.set("1", "uno")
    # The invalidation of "1" drops its entry (a refresh may bring it back, with "uno") and
    # leaves those of "1.0" and the list alone.
    await settled(lambda: cache.invalidations >= 1)
    assert len(cache) in (2, 3)
    hits = cache.hits
    assert await cached.get(_number(1.0)) is None
    assert await cached.lrange("l", 0, -1) == ["a", "b", "c"]
    assert cache.hits == hits + 2  # both entries outlived the invalidation of "1"
    assert await cached.get(_number(1)) == "uno"
    with pytest.raises(TypeError, match="bool"):
        await cached.get(_number(True))
