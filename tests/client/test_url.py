"""URL parsing: no server needed."""

from __future__ import annotations

import pytest

from redis_oxide._url import parse_url


def test_redis_url_with_credentials_db_and_options() -> None:
    host, port, options, decode = parse_url(
        "redis://us%40er:p%3Ass@example.org:6390/4?protocol=2&socket_timeout=1.5"
        "&socket_connect_timeout=2&client_name=app&decode_responses=yes&max_connections=7"
    )
    assert (host, port, decode) == ("example.org", 6390, True)
    assert options == {
        "username": "us@er",
        "password": "p:ss",
        "db": 4,
        "protocol": 2,
        "command_timeout": 1.5,
        "connect_timeout": 2.0,
        "client_name": "app",
        "max_connections": 7,
    }


def test_rediss_url_turns_tls_on_with_its_options() -> None:
    host, port, options, decode = parse_url(
        "rediss://127.0.0.1:6380?ssl_cert_reqs=none&ssl_ca_certs=/ca.pem"
        "&ssl_certfile=/c.pem&ssl_keyfile=/k.pem&ssl_check_hostname=false"
    )
    assert (host, port, decode) == ("127.0.0.1", 6380, None)
    assert options == {
        "ssl": True,
        "ssl_cert_reqs": "none",
        "ssl_ca_certs": "/ca.pem",
        "ssl_certfile": "/c.pem",
        "ssl_keyfile": "/k.pem",
        "ssl_check_hostname": False,
    }


def test_unix_url_takes_db_from_the_query() -> None:
    _, _, options, _ = parse_url("unix://:secret@/tmp/redis.sock?db=2&strategy=pooled")
    assert options == {
        "password": "secret",
        "unix_socket_path": "/tmp/redis.sock",
        "db": 2,
        "strategy": "pooled",
    }


def test_defaults_and_ipv6_host() -> None:
    assert parse_url("redis://")[:2] == ("127.0.0.1", 6379)
    assert parse_url("redis://[::1]:7000")[:2] == ("::1", 7000)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://localhost", "unsupported URL scheme"),
        ("redis://localhost?sockettimeout=1", "unknown Redis URL option 'sockettimeout'"),
        ("redis://localhost/x", "database number"),
        ("redis://localhost?protocol=4", "protocol must be 2 or 3"),
        ("redis://localhost?ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("unix://", "socket path"),
        ("redis://localhost?db=1&db=2", "'db' is given twice"),
    ],
)
def test_malformed_urls_are_rejected(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_url(url)


def test_bad_password_value_is_not_echoed() -> None:
    # Only booleans, numbers and enums are converted; passwords are taken verbatim, so a
    # conversion error can never quote one.
    _, _, options, _ = parse_url("redis://localhost?password=s3cr%20t")
    assert options == {"password": "s3cr t"}


def test_an_empty_password_is_none_and_the_userinfo_wins_over_the_query() -> None:
    assert "password" not in parse_url("redis://:@localhost")[2]
    assert parse_url("redis://user:@localhost")[2] == {"username": "user"}
    options = parse_url("redis://u:urlpw@localhost?password=querypw&username=q")[2]
    assert (options["username"], options["password"]) == ("u", "urlpw")
    assert parse_url("redis://localhost?password=querypw")[2] == {"password": "querypw"}
