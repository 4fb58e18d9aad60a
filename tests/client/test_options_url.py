"""URL credentials that are never echoed, empty query credentials, and redis-py option names.

A password with an unencoded ``#``, ``/`` or ``?`` ends the URL's host part early; the
message says to percent-encode the credentials and never quotes them. ``?password=`` is no
password, as ``redis://:@host`` and redis-py read it. A redis-py option name given to the
constructor is refused with the redis-oxide option to use.
"""

from __future__ import annotations

import pytest

from redis_oxide import Redis, RedisCluster, from_url
from redis_oxide.testing._info import RedisServerInfo
from redis_oxide.types import ClientOptions, ClusterOptions

pytestmark = pytest.mark.timeout(30)


@pytest.mark.parametrize(
    "url",
    [
        "redis://admin:Hunter2#prod@cache.internal:6379/0",
        "redis://admin:20251#prod@cache.internal:6379/0",
        "redis://admin:Hunter2/prod@cache.internal:6379/0",
        "redis://admin:Hunter2?prod@cache.internal:6379/0",
        "redis://admin:Hunter2?prod=1@cache.internal:6379/0",
        "redis://Hunter2:prod@cache.internal:abc/0",
        "rediss://admin:Hunter2#prod@cache.internal",
        "unix://admin:Hunter2#prod@/tmp/redis.sock",
    ],
)
def test_unencoded_credentials_are_never_echoed(url: str) -> None:
    for build in (from_url, RedisCluster.from_url):
        with pytest.raises(ValueError, match="percent-encode") as caught:
            build(url)
        message = f"{caught.value} {caught.value.__cause__!r} {caught.value.__context__!r}"
        for fragment in ("Hunter2", "20251", "prod"):
            assert fragment not in message, message


def test_percent_encoded_credentials_still_parse() -> None:
    client = from_url("redis://admin:Hunter2%23prod%2Fx%3Fy%40z@cache.internal:6380/1")
    connection = client._config.connection
    assert (connection.username, connection.password) == ("admin", "Hunter2#prod/x?y@z")
    assert (connection.host, connection.port, connection.db) == ("cache.internal", 6380, 1)


async def test_an_empty_password_in_the_query_is_no_password(redis_7: RedisServerInfo) -> None:
    for url in (f"{redis_7.url}?password=", f"{redis_7.url}?username=&password="):
        async with from_url(url) as client:
            assert client._config.connection.password is None
            assert await client.ping() == b"PONG"


@pytest.mark.parametrize(
    ("option", "advice"),
    [
        ("socket_timeout", "use command_timeout, which does not bound blocking commands"),
        ("socket_connect_timeout", "use connect_timeout"),
        ("retry_on_timeout", "use retry=Retry(...)"),
        ("health_check_interval", "not needed: a lost connection is replaced"),
        ("connection_pool", 'use strategy="pooled"'),
    ],
)
def test_redis_py_option_names_say_what_to_use(option: str, advice: str) -> None:
    with pytest.raises(TypeError, match=rf"unknown options: {option} \(redis-py's {option}: "):
        Redis(**{option: 1})  # type: ignore[call-overload]
    with pytest.raises(TypeError) as caught:
        RedisCluster("127.0.0.1", 7000, **{option: 1})  # type: ignore[call-overload]
    assert f"{option}: {advice}" in str(caught.value)


def test_an_unknown_option_without_a_redis_py_name_lists_no_advice() -> None:
    with pytest.raises(TypeError, match=r"^got unknown options: colour$"):
        Redis(colour="blue")  # type: ignore[call-overload]


def test_cluster_options_do_not_declare_what_a_cluster_refuses() -> None:
    assert {"db", "unix_socket_path"} <= set(ClientOptions.__annotations__)
    assert not {"db", "unix_socket_path"} & set(ClusterOptions.__annotations__)
    assert "cache" in ClusterOptions.__annotations__
    shared = set(ClientOptions.__annotations__) - {"db", "unix_socket_path"}
    assert shared <= set(ClusterOptions.__annotations__)
