"""Set-up errors of the plugin say what is wrong here and what to do about it."""

from __future__ import annotations

import pytest

from redis_oxide.testing import MissingBinaryError, new_server

pytestmark = pytest.mark.timeout(60)


def test_loop_check_with_pytest_asyncio_disabled_says_it_is_disabled(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\nredis_oxide_loop_check = true\n")
    pytester.makepyfile(test_sync="def test_nothing() -> None:\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:asyncio")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "here it is installed and disabled (-p no:asyncio, or plugin autoload off without "
        "-p asyncio): enable it, or set redis_oxide_loop_check = false"
    ) in result.stderr.str()


def test_missing_libssl_directory_says_how_an_installed_user_gets_libssl_1_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_OXIDE_LIBSSL_DIR", "/nonexistent/libssl1.1")
    with pytest.raises(MissingBinaryError) as raised:
        new_server("stack", modules=True)
    message = str(raised.value)
    assert "libssl 1.1 directory not found at /nonexistent/libssl1.1" in message
    assert "`apt-get download libssl1.1` with a bullseye sources list" in message
    assert "`dpkg -x libssl1.1_*.deb DIR`" in message
    assert "set REDIS_OXIDE_LIBSSL_DIR to DIR/usr/lib/x86_64-linux-gnu" in message
