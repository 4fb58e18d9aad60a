"""Smoke test of the plugin's own checks: loop error reports and leaked servers.

Each case runs one inner pytest session in a subprocess (an in-process session would share the
outer run's server registry and plugin state).
"""

from __future__ import annotations

import asyncio

import pytest

pytestmark = pytest.mark.timeout(60)

_INNER_INI = """\
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
"""

_LOOP_CHECK_INI = _INNER_INI + "redis_oxide_loop_check = true\n"

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

_UNTOUCHED_LOOP_TEST = """
import asyncio


async def test_loop_is_pytest_asyncios_own() -> None:
    assert asyncio.get_running_loop().get_exception_handler() is None
"""

# A project's own loop factory (uvloop, say), chosen through pytest-asyncio's hook.
_FACTORY_CONFTEST = """
import asyncio


def custom_loop() -> asyncio.AbstractEventLoop:
    loop = asyncio.new_event_loop()
    loop.made_by_conftest = True
    return loop


def pytest_asyncio_loop_factories(config, item):
    return {"custom": custom_loop}
"""

_FACTORY_TESTS = """
import asyncio


async def _boom() -> None:
    raise ValueError("nobody awaits me")


async def test_runs_on_the_conftest_loop() -> None:
    assert asyncio.get_running_loop().made_by_conftest


async def test_drops_a_failed_task() -> None:
    task = asyncio.get_running_loop().create_task(_boom())
    await asyncio.sleep(0.01)
    del task
"""

# pytest-asyncio reuses a wider-scoped loop only while the factory compares equal.
_MODULE_LOOP_TESTS = """
import asyncio

import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")
LOOPS = []


async def test_first() -> None:
    LOOPS.append(asyncio.get_running_loop())


async def test_second_shares_the_loop() -> None:
    LOOPS.append(asyncio.get_running_loop())
    assert LOOPS[0] is LOOPS[1]
    assert LOOPS[1].get_exception_handler() is not None
"""

_NO_PLUGINS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:anyio")


def test_loop_reports_and_leaked_servers_fail_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeini(_LOOP_CHECK_INI)
    pytester.makepyfile(test_loop=_LOOP_TESTS, test_leak=_LEAK_TEST)
    result = pytester.runpytest_subprocess(*_NO_PLUGINS)
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


def test_without_the_option_the_plugin_leaves_loops_alone(pytester: pytest.Pytester) -> None:
    pytester.makeini(_INNER_INI)
    pytester.makepyfile(test_loop=_LOOP_TESTS, test_untouched=_UNTOUCHED_LOOP_TEST)
    result = pytester.runpytest_subprocess(*_NO_PLUGINS, "-v")
    result.assert_outcomes(passed=4)
    # Test ids are not parametrized with a loop factory either.
    result.stdout.fnmatch_lines(["*test_loop.py::test_clean PASSED*"])


def test_loop_check_watches_a_conftest_loop_factory(pytester: pytest.Pytester) -> None:
    pytester.makeini(_LOOP_CHECK_INI)
    pytester.makeconftest(_FACTORY_CONFTEST)
    pytester.makepyfile(test_factory=_FACTORY_TESTS)
    result = pytester.runpytest_subprocess(*_NO_PLUGINS, "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_factory.py::test_runs_on_the_conftest_loop PASSED*",
            "*the event loop reported unhandled errors during the test*",
            "*FAILED test_factory.py::test_drops_a_failed_task*",
        ]
    )


def test_loop_check_keeps_a_module_scoped_loop_for_the_module(pytester: pytest.Pytester) -> None:
    pytester.makeini(_LOOP_CHECK_INI)
    pytester.makepyfile(test_module_loop=_MODULE_LOOP_TESTS)
    result = pytester.runpytest_subprocess(*_NO_PLUGINS)
    result.assert_outcomes(passed=2)


def test_loop_check_without_pytest_asyncio_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nredis_oxide_loop_check = true\n")
    pytester.makepyfile(test_sync="def test_nothing() -> None:\n    pass\n")
    result = pytester.runpytest_subprocess(*_NO_PLUGINS, "-p", "no:asyncio")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert (
        "redis_oxide_loop_check needs the pytest-asyncio plugin, 1.4 or newer: "
        "pip install 'redis-oxide[testing]'"
    ) in result.stderr.str()


async def test_this_suite_runs_every_async_test_under_the_loop_check(
    pytestconfig: pytest.Config,
) -> None:
    # pyproject.toml turns the check on; without it this suite would lose it silently.
    assert pytestconfig.pluginmanager.has_plugin("redis_oxide_loop_check")
    assert asyncio.get_running_loop().get_exception_handler() is not None
