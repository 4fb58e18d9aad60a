"""Values refused before anything is sent: client options at construction (address, name,
retry), and command arguments the server always refuses (checked against Redis 7.0.15 and
Redis Stack 7.4.1; the server's answer is quoted with each case)."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from redis_oxide import Redis, Retry, from_url
from redis_oxide.exceptions import CommandError
from redis_oxide.testing._info import RedisServerInfo
from tests.client._refusals import Call, refused

pytestmark = pytest.mark.timeout(30)


def _build(**kwargs: Any) -> Redis[bytes]:
    # Untyped callers (configuration files, redis-py ports) reach the same checks.
    client: Redis[bytes] = Redis(**kwargs)
    return client


@pytest.mark.parametrize("retry", [None, 3, {"attempts": 3}])
def test_retry_that_is_not_a_retry_is_refused(retry: object) -> None:
    with pytest.raises(TypeError, match=r"retry must be a Retry.*Retry\(attempts=1\)"):
        _build(retry=retry)


def test_retry_none_names_none() -> None:
    with pytest.raises(TypeError, match="not None"):
        _build(retry=None)


@pytest.mark.parametrize("strategy", ["multiplexed", "pooled"])
async def test_retry_of_one_attempt_serves(redis_7: RedisServerInfo, strategy: str) -> None:
    async with _build(
        host=redis_7.host, port=redis_7.port, strategy=strategy, retry=Retry(attempts=1)
    ) as client:
        assert await client.ping() == b"PONG"


@pytest.mark.parametrize("port", [0, -5, 70000, 65536])
def test_port_out_of_range_is_refused(port: int) -> None:
    with pytest.raises(ValueError, match="port must be between 1 and 65535"):
        Redis(port=port)


@pytest.mark.parametrize("port", [True, "6379", 6379.0, None])
def test_port_that_is_not_an_int_is_refused(port: object) -> None:
    with pytest.raises(TypeError, match="port must be an int"):
        _build(port=port)


@pytest.mark.parametrize("host", [None, 127001, b"localhost"])
def test_host_that_is_not_a_str_is_refused(host: object) -> None:
    with pytest.raises(TypeError, match="host must be a str"):
        _build(host=host)


@pytest.mark.parametrize("host", ["", "local host", "a\nb"])
def test_host_with_spaces_or_empty_is_refused(host: str) -> None:
    with pytest.raises(ValueError, match="host must be a host name or address"):
        Redis(host=host)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:0", "redis://127.0.0.1:0/2"])
def test_url_with_port_zero_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="invalid port in Redis URL: 0"):
        from_url(url)


def test_url_host_with_a_space_is_refused() -> None:
    with pytest.raises(ValueError, match="host must be a host name or address"):
        from_url("redis://local%20host:6379")


def test_url_without_port_still_means_6379() -> None:
    assert "127.0.0.1:6379" in repr(from_url("redis://127.0.0.1"))


@pytest.mark.parametrize("name", ["a b", "a\nb", "caf\u00e9", "tab\there"])
def test_client_name_the_server_refuses_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match=r"client_name .* has characters the server refuses"):
        Redis(client_name=name)


@pytest.mark.parametrize("name", [5, b"worker"])
def test_client_name_that_is_not_a_str_is_refused(name: object) -> None:
    with pytest.raises(TypeError, match="client_name must be a str"):
        _build(client_name=name)


def test_client_name_in_a_url_is_checked() -> None:
    with pytest.raises(ValueError, match="client_name"):
        from_url("redis://127.0.0.1:6379?client_name=a%20b")


async def test_client_name_the_server_accepts_names_the_connection(
    redis_7: RedisServerInfo,
) -> None:
    async with Redis(redis_7.host, redis_7.port, client_name="billing-worker_1!") as client:
        assert await client.client_getname() == b"billing-worker_1!"


NAN = float("nan")
INF = math.inf


class Score(float):
    """A float subclass (as numpy's float64 is): it takes the helper's path, not the inline one."""


NAN_MESSAGE = "must be a number, not NaN; check the computation that produced it$"

#: (id, call, message, command): each reached the server before, which refused it.
REFUSED_COMMANDS: list[tuple[str, Call, str, str]] = [
    # Redis: "syntax error" (HSCAN/SSCAN/ZSCAN of a missing key answer an empty page first).
    ("scan count 0", lambda r: r.scan(0, count=0), "^SCAN: count must be at least 1", "scan"),
    ("scan count -1", lambda r: r.scan(0, count=-1), "^SCAN: count must be at least 1", "scan"),
    ("hscan count 0", lambda r: r.hscan("h", 0, count=0), "^HSCAN: count must be", "hscan"),
    ("sscan count -3", lambda r: r.sscan("s", 0, count=-3), "^SSCAN: count must be", "sscan"),
    ("zscan count 0", lambda r: r.zscan("z", 0, count=0), "^ZSCAN: count must be", "zscan"),
    # Redis: "bit is not an integer or out of range".
    ("setbit 2", lambda r: r.setbit("b", 7, 2), "^SETBIT: value must be 0 or 1$", "setbit"),
    ("setbit -1", lambda r: r.setbit("b", 7, -1), "^SETBIT: value must be 0 or 1$", "setbit"),
    # Redis: "FAILOVER timeout must be greater than 0".
    (
        "failover timeout 0",
        lambda r: r.failover(timeout=0),
        "^FAILOVER: timeout must be more than 0 milliseconds; leave it out",
        "failover",
    ),
    (
        "failover timeout -5",
        lambda r: r.failover(timeout=-5),
        "^FAILOVER: timeout must be more than 0",
        "failover",
    ),
    (
        "failover timeout timedelta 0",
        lambda r: r.failover(timeout=timedelta(0)),
        "^FAILOVER: timeout must be more than 0",
        "failover",
    ),
    # NaN: Redis answers "value is not a valid float", "need numeric radius", "weight value
    # is not a float", "min or max is not a float", "timeout is not a float or out of range".
    ("zadd nan", lambda r: r.zadd("z", {"m": NAN}), f"^ZADD: score {NAN_MESSAGE}", "zadd"),
    (
        "zadd nan subclass",
        lambda r: r.zadd("z", {"m": 1, "n": Score(NAN)}),
        f"^ZADD: score {NAN_MESSAGE}",
        "zadd",
    ),
    ("zincrby nan", lambda r: r.zincrby("z", NAN, "m"), "^ZINCRBY: increment", "zincrby"),
    (
        "incrbyfloat nan",
        lambda r: r.incrbyfloat("f", NAN),
        "^INCRBYFLOAT: increment",
        "incrbyfloat",
    ),
    # Redis: "increment would produce NaN or Infinity", "value is NaN or Infinity".
    (
        "incrbyfloat inf",
        lambda r: r.incrbyfloat("f", INF),
        "^INCRBYFLOAT: increment must be finite",
        "incrbyfloat",
    ),
    (
        "incrbyfloat -inf",
        lambda r: r.incrbyfloat("f", -INF),
        "^INCRBYFLOAT: increment must be finite",
        "incrbyfloat",
    ),
    (
        "hincrbyfloat -inf",
        lambda r: r.hincrbyfloat("h", "f", Score(-INF)),
        "^HINCRBYFLOAT: increment must be finite",
        "hincrbyfloat",
    ),
    (
        "hincrbyfloat nan",
        lambda r: r.hincrbyfloat("h", "f", NAN),
        f"^HINCRBYFLOAT: increment {NAN_MESSAGE}",
        "hincrbyfloat",
    ),
    (
        "geoadd nan",
        lambda r: r.geoadd("g", [(NAN, 1.0, "m")]),
        f"^GEOADD: longitude {NAN_MESSAGE}",
        "geoadd",
    ),
    (
        "geosearch box nan",
        lambda r: r.geosearch("g", member="m", box=(NAN, 1.0, "KM")),
        f"^GEOSEARCH: width {NAN_MESSAGE}",
        "geosearch",
    ),
    (
        "geosearch nan",
        lambda r: r.geosearch("g", fromlonlat=(1.0, 1.0), circle=(NAN, "KM")),
        f"^GEOSEARCH: radius {NAN_MESSAGE}",
        "geosearch",
    ),
    (
        "zunion nan",
        lambda r: r.zunion("z", weight=[NAN]),
        f"^ZUNION: weight {NAN_MESSAGE}",
        "zunion",
    ),
    ("zcount nan", lambda r: r.zcount("z", NAN, 1), f"^ZCOUNT: min {NAN_MESSAGE}", "zcount"),
    (
        "zremrangebyscore nan",
        lambda r: r.zremrangebyscore("z", 0, NAN),
        f"^ZREMRANGEBYSCORE: max {NAN_MESSAGE}",
        "zremrangebyscore",
    ),
    ("blpop nan", lambda r: r.blpop(["l"], NAN), f"^BLPOP: timeout {NAN_MESSAGE}", "blpop"),
    # Score bounds typed as plain values: "min or max is not a float" with BYSCORE.
    (
        "zrange byscore nan start",
        lambda r: r.zrange("z", NAN, 1, sortby="BYSCORE"),
        f"^ZRANGE: start {NAN_MESSAGE}",
        "zrange",
    ),
    (
        "zrange byscore nan stop",
        lambda r: r.zrange("z", 0, Score(NAN), sortby="BYSCORE", rev=True),
        f"^ZRANGE: stop {NAN_MESSAGE}",
        "zrange",
    ),
    (
        "zrangestore byscore nan min",
        lambda r: r.zrangestore("dst", "z", NAN, 1, sortby="BYSCORE"),
        f"^ZRANGESTORE: min {NAN_MESSAGE}",
        "zrangestore",
    ),
    (
        "zrangestore byscore nan max",
        lambda r: r.zrangestore("dst", "z", 0, NAN, sortby="BYSCORE", limit=(0, 1)),
        f"^ZRANGESTORE: max {NAN_MESSAGE}",
        "zrangestore",
    ),
]


@pytest.mark.parametrize(
    ("call", "message", "command"),
    [case[1:] for case in REFUSED_COMMANDS],
    ids=[case[0] for case in REFUSED_COMMANDS],
)
async def test_arguments_the_server_refuses_are_refused_before_sending(
    flushed_stack: RedisServerInfo, call: Call, message: str, command: str
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        await r.hset("h", {"f": "1"})
        await r.sadd("s", "a")
        await r.zadd("z", {"a": 1})
        await refused(r, call, ValueError, message, command)


async def test_values_next_to_the_refused_ones_are_still_sent(
    flushed_stack: RedisServerInfo,
) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        assert await r.scan(0, count=1) == (0, [])
        assert await r.setbit("b", 7, 1) == 0
        assert await r.setbit("b", 7, 0) == 1
        # The largest finite increments are sent (the server judges the sum).
        assert await r.incrbyfloat("f", 1.7976931348623157e308) == 1.7976931348623157e308
        assert await r.hincrbyfloat("hf", "f", -1.7976931348623157e308) == -1.7976931348623157e308
        # Infinite scores and bounds are numbers to Redis.
        assert await r.zadd("z", {"top": INF, "bottom": -INF, "mid": Score(0.5)}) == 3
        assert await r.zincrby("z", INF, "mid") == INF
        assert await r.zcount("z", -INF, "+inf") == 3
        expected = [("bottom", -INF), ("mid", INF), ("top", INF)]
        assert await r.zunion("z", weight=[INF], withscores=True) == expected
        assert await r.zrange("z", -INF, INF, sortby="BYSCORE") == ["bottom", "mid", "top"]
        assert await r.zrangestore("dst", "z", "-inf", INF, sortby="BYSCORE") == 3
        # A positive timeout reaches the server, which wants a replica for it.
        with pytest.raises(CommandError, match="FAILOVER requires connected replicas"):
            await r.failover(timeout=timedelta(milliseconds=50))


async def test_a_pipeline_refuses_nan_when_it_is_queued(flushed_stack: RedisServerInfo) -> None:
    async with Redis(flushed_stack.host, flushed_stack.port, decode_responses=True) as r:
        pipe = r.pipeline()
        pipe.set("k", "1")
        with pytest.raises(ValueError, match=f"^ZADD: score {NAN_MESSAGE}"):
            pipe.zadd("z", {"m": NAN})
        assert len(pipe) == 1
        assert await pipe.execute() == [True]
        assert await r.exists("z") == 0
