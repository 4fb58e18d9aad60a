"""Client options refused at construction, before anything connects: address, name, retry."""

from __future__ import annotations

from typing import Any

import pytest

from redis_oxide import Redis, Retry, from_url
from redis_oxide.testing._info import RedisServerInfo

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
