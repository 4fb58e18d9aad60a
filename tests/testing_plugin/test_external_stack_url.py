"""``REDIS_OXIDE_TEST_URL`` names a running Redis Stack server that ``redis_stack`` describes.

Only ``redis://host:port`` is accepted: the fixtures would silently ignore a database number,
credentials or options, and ``flushed_stack`` runs FLUSHALL, which empties every database of
the server. The server must have the Stack modules that ``redis_stack`` promises. Each case
runs an inner pytest session in a subprocess against a server of its own.
"""

from __future__ import annotations

import pytest

from redis_oxide.testing import RedisServerInfo, raw_command
from redis_oxide.testing.plugin import ServerFactory

pytestmark = pytest.mark.timeout(60)

_INI = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"

_USES_FLUSHED_STACK = """
from redis_oxide.testing import raw_command


def test_writes(flushed_stack) -> None:
    assert flushed_stack.process is None
    assert raw_command(flushed_stack.endpoint, "JSON.SET", "doc", "$", "1") == b"OK"
"""


def _run_inner(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str
) -> pytest.RunResult:
    monkeypatch.setenv("REDIS_OXIDE_TEST_URL", url)
    pytester.makeini(_INI)
    pytester.makepyfile(test_inner=_USES_FLUSHED_STACK)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly")


@pytest.mark.parametrize("suffix", ["/5", "/0", "?protocol=3", "#fragment"])
def test_url_with_a_database_or_options_is_a_usage_error_and_flushes_nothing(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    redis_server_factory: ServerFactory,
    suffix: str,
) -> None:
    server = redis_server_factory("stack", modules=True)
    raw_command(server.endpoint, "SET", "precious", "data")
    result = _run_inner(pytester, monkeypatch, server.url + suffix)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"REDIS_OXIDE_TEST_URL must look like redis://host:port, got '{server.url}{suffix}'" in (
        result.stderr.str()
    )
    assert "no database number or options" in result.stderr.str()
    assert raw_command(server.endpoint, "GET", "precious") == b"data"


def test_url_with_credentials_is_refused_without_showing_the_password(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, redis_stack: RedisServerInfo
) -> None:
    url = f"redis://user:s3cret@{redis_stack.host}:{redis_stack.port}"
    result = _run_inner(pytester, monkeypatch, url)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    error = result.stderr.str()
    assert "the fixtures do not authenticate" in error
    assert "user:***@" in error
    assert "s3cret" not in error + result.stdout.str()


def test_url_of_a_server_without_the_stack_modules_fails_redis_stack(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, redis_7: RedisServerInfo
) -> None:
    result = _run_inner(pytester, monkeypatch, redis_7.url)
    result.assert_outcomes(errors=1)
    assert (
        f"REDIS_OXIDE_TEST_URL={redis_7.url} names a server without the Redis Stack modules "
        "['ReJSON', 'bf', 'search', 'timeseries'] that redis_stack provides"
    ) in result.stdout.str()


def test_url_of_a_stack_server_serves_flushed_stack(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, redis_server_factory: ServerFactory
) -> None:
    server = redis_server_factory("stack", modules=True)
    result = _run_inner(pytester, monkeypatch, server.url + "/")
    result.assert_outcomes(passed=1)
    assert raw_command(server.endpoint, "EXISTS", "doc") == 1
