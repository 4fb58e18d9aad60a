"""Scores read in one batch are the values ``float()`` reads from the server's own text.

Under RESP2 a WITHSCORES reply's scores are bulk strings, read by ``_parsers.floats`` in
one batch when there are enough of them (``tests/protocol/test_doubles.py`` checks the
reader). Here real servers (Redis 7.0 writes ``%.17g``, Redis 7.4 the shortest form) send
scores of every kind, and each parsed value must be, bit for bit, ``float()`` of the text
the server sent for it, on both protocols and both string types.
"""

from __future__ import annotations

import random
import struct
import uuid
from typing import Any

import pytest

from redis_oxide import _parsers
from redis_oxide._client import Redis
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(60)

_EDGES = [float("inf"), float("-inf"), -0.0, 0.0, 5e-324, 2.2250738585072014e-308, 0.1, 1e300]


def _scores(count: int) -> list[float]:
    rnd = random.Random(count)
    values = [rnd.uniform(-1e9, 1e9) for _ in range(count // 2)]
    raw = [rnd.getrandbits(64).to_bytes(8, "little") for _ in range(count)]
    values += [struct.unpack("<d", bits)[0] for bits in raw]
    return [v for v in values if v == v][: count - len(_EDGES)] + _EDGES


def _bits(pairs: Any) -> list[tuple[Any, bytes]]:
    return [(member, struct.pack("<d", score)) for member, score in pairs]


def _from_text(flat: list[Any]) -> list[tuple[Any, bytes]]:
    return _bits((flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2))


@pytest.mark.parametrize("server", ["redis_stack", "redis_7"])
@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("decode", [False, True])
@pytest.mark.parametrize("count", [_parsers.FLOATS_BATCH - 1, _parsers.FLOATS_BATCH, 1000])
async def test_withscores_values_are_float_of_the_servers_text(
    request: pytest.FixtureRequest, server: str, protocol: int, decode: bool, count: int
) -> None:
    info: RedisServerInfo = request.getfixturevalue(server)
    key = f"scores:{uuid.uuid4().hex}"
    scores = _scores(count)
    async with (
        Redis(info.host, info.port, protocol=2, decode_responses=decode) as text_client,
        Redis(info.host, info.port, protocol=protocol, decode_responses=decode) as client,
    ):
        await client.zadd(key, {f"m{i}": score for i, score in enumerate(scores)})
        flat = await text_client.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
        assert isinstance(flat, list)
        expected = _from_text(flat)
        assert len(expected) == count
        assert _bits(await client.zrange(key, 0, -1, withscores=True)) == expected
        assert _bits(await client.zunion(key, withscores=True)) == expected
        rev = await client.zrange(key, "+inf", "-inf", sortby="BYSCORE", rev=True, withscores=True)
        assert _bits(reversed(rev)) == expected
        popped = await client.zpopmin(key, count=count)
        assert _bits(popped) == expected
