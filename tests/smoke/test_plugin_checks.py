"""Smoke test of the plugin's own checks: loop error reports and leaked servers.

Both run in one inner pytest session in a subprocess (an in-process session
would share the outer run's server registry).
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)

_INNER_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

_LOOP_TESTS = """
import asyncio

import pytest_asyncio


async def _boom() -> None:
    raise ValueError("nobody awaits me")


@pytest_asyncio.fixture
async def leaky():
    task = asyncio.get_running_loop().create_task(_boom())
    await asyncio.sleep(0.01)
    yield
    del task  # dropped during teardown, reported when collected


async def test_drops_a_failed_task() -> None:
    task = asyncio.get_running_loop().create_task(_boom())
    await asyncio.sleep(0.01)
    del task


async def test_fixture_drops_a_failed_task(leaky: None) -> None:
    await asyncio.sleep(0)


async def test_clean() -> None:
    await asyncio.sleep(0)
"""

_LEAK_TEST = """
from redis_oxide.testing import new_server


def test_forgets_its_server() -> None:
    new_server("7").start()
"""


def test_loop_reports_and_leaked_servers_fail_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INNER_INI)
    pytester.makepyfile(test_loop=_LOOP_TESTS, test_leak=_LEAK_TEST)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio"
    )
    # The fixture case passes its call phase and errors in teardown; the leak
    # test passes, and the session check fails the run afterwards.
    result.assert_outcomes(passed=3, failed=1, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*Task exception was never retrieved*nobody awaits me*",
            "*server processes outlived their fixtures and were killed*",
            "*FAILED test_loop.py::test_drops_a_failed_task*",
            "*ERROR test_loop.py::test_fixture_drops_a_failed_task*",
        ]
    )
