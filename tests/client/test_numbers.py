"""Numbers reach the server as Redis parses them: fractions where it reads doubles, never else.

The audit behind the ``numbers`` hints of ``codegen/overrides/arguments.toml`` is in
docs/decisions.md ("Code generator"); these tests pin its corrections against a real server.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide._client import Redis
from redis_oxide.exceptions import ServerError
from redis_oxide.testing._info import RedisServerInfo

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
async def r(redis_stack: RedisServerInfo) -> AsyncIterator[Redis[str]]:
    async with Redis(redis_stack.host, redis_stack.port, decode_responses=True) as client:
        yield client


def _key() -> str:
    return f"numbers:{uuid.uuid4().hex}"


async def test_zincrby_takes_a_fractional_increment(r: Redis[str]) -> None:
    key = _key()
    assert await r.zincrby(key, 1.5, "m") == 1.5
    assert await r.zincrby(key, -0.25, "m") == 1.25
    assert await r.zincrby(key, 2, "m") == 3.25
    assert await r.zscore(key, "m") == 3.25


async def test_set_operation_weights_are_doubles(r: Redis[str]) -> None:
    a, b, out = _key(), _key(), _key()
    await r.zadd(a, {"m": 2})
    await r.zadd(b, {"m": 4})
    assert await r.zunion(a, b, weight=[0.5, 0.25], withscores=True) == [("m", 2.0)]
    assert await r.zinter(a, b, weight=[1.5, 0.5], withscores=True) == [("m", 5.0)]
    assert await r.zunionstore(out, a, b, weight=[0.25, 0.5]) == 1
    assert await r.zscore(out, "m") == 2.5
    assert await r.zinterstore(out, a, b, weight=[0.5, 1]) == 1
    assert await r.zscore(out, "m") == 5.0


async def test_score_bounds_take_their_text_forms(r: Redis[str]) -> None:
    key = _key()
    await r.zadd(key, {"a": 1.5, "b": 2.5})
    assert await r.zcount(key, "(1.5", "+inf") == 1
    assert await r.zcount(key, 1.5, 2.5) == 2
    with pytest.warns(DeprecationWarning, match="ZRANGEBYSCORE is deprecated"):
        below = r.zrangebyscore(key, "-inf", "(2.5")
    assert await below == ["a"]
    assert await r.zremrangebyscore(key, "(2", "+inf") == 1


async def test_bitfield_offsets_take_the_width_multiplier(r: Redis[str]) -> None:
    key = _key()
    await r.set(key, "\x01\x02")
    # ``#1`` is one u8 further: the second byte.
    assert await r.bitfield_ro(key, get_block=[("u8", "#1"), ("u8", 0)]) == [2, 1]


async def test_doubles_of_the_spec_take_fractions(r: Redis[str]) -> None:
    key = _key()
    assert await r.incrbyfloat(key, 1.5) == 1.5
    assert await r.hincrbyfloat(key + ":h", "f", 0.25) == 0.25
    places = key + ":geo"
    assert await r.geoadd(places, [(13.361389, 38.115556, "a"), (15.087269, 37.502669, "b")]) == 2
    assert await r.geosearch(places, member="a", circle=(1.5, "KM")) == ["a"]
    assert await r.blpop([key + ":empty"], 0.05) is None


# (method, arguments with a fraction where the spec says integer, the same command raw)
INTEGERS: list[tuple[str, tuple[Any, ...], tuple[Any, ...]]] = [
    ("expire", ("{k}", 1.5), ("EXPIRE", "{k}", "1.5")),
    ("lrange", ("{k}", 0.5, 1), ("LRANGE", "{k}", "0.5", "1")),
    ("setrange", ("{k}", 1.5, "x"), ("SETRANGE", "{k}", "1.5", "x")),
    ("incrby", ("{k}", 1.5), ("INCRBY", "{k}", "1.5")),
    ("hincrby", ("{k}", "f", 1.5), ("HINCRBY", "{k}", "f", "1.5")),
    ("getrange", ("{k}", 0, 1.5), ("GETRANGE", "{k}", "0", "1.5")),
]


@pytest.mark.parametrize(("method", "args", "raw"), INTEGERS, ids=[m for m, _, _ in INTEGERS])
async def test_integers_refuse_fractions_like_the_server(
    r: Redis[str], method: str, args: tuple[Any, ...], raw: tuple[Any, ...]
) -> None:
    key = _key()
    with pytest.raises(ServerError, match="not an integer"):
        await r.execute_command(*(a.replace("{k}", key) for a in raw))
    call = getattr(r, method)
    with pytest.raises(TypeError, match="must be an int"):
        await call(*(key if a == "{k}" else a for a in args))
