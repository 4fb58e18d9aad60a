"""The opt-in loop check: fail an async test whose event loop reported an unhandled error.

The plugin registers this module only when the ini option ``redis_oxide_loop_check`` is
true (redis-oxide's own suite turns it on in ``pyproject.toml``), so a project that merely
installs redis-oxide keeps its event loops exactly as pytest-asyncio makes them. It needs the
pytest-asyncio plugin, whose ``pytest_asyncio_loop_factories`` hook it implements twice:

- a last-resort implementation giving pytest-asyncio's default, ``asyncio.new_event_loop``
  (which honours the event loop policy), under a single name so test ids stay unchanged;
- a wrapper that takes whatever factories won (a conftest's uvloop, or the default) and wraps
  each one, so every loop records what it reports without being replaced.

Reports made while a test runs fail it; reports that surface once teardown's
``gc.collect()`` has dropped the last references become teardown errors.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Generator, Mapping

import pytest
import pytest_asyncio

from redis_oxide.testing._loopguard import LoopExceptionRecorder, LoopFactory

__all__ = ["INI_OPTION"]

INI_OPTION = "redis_oxide_loop_check"

_recorder = LoopExceptionRecorder()


@pytest.hookimpl(trylast=True)
def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, LoopFactory]:
    """Give pytest-asyncio's default loop when no other plugin or conftest chose one.

    Args:
        config: The pytest config.
        item: The test being collected.

    Returns:
        A single factory, so test ids stay unchanged.
    """
    return {"asyncio": asyncio.new_event_loop}


# A second implementation of the same hook needs a name of its own (pytest requires the prefix).
@pytest.hookimpl(wrapper=True, specname="pytest_asyncio_loop_factories")
def pytest_asyncio_loop_factories_watched(
    config: pytest.Config, item: pytest.Item
) -> Generator[None, Mapping[str, LoopFactory], Mapping[str, LoopFactory]]:
    """Wrap the chosen factories so that their loops record what they report.

    Args:
        config: The pytest config.
        item: The test being collected.

    Returns:
        The same names, each factory wrapped.
    """
    chosen = yield
    return {name: _recorder.watching(factory) for name, factory in chosen.items()}


def _fail_on_loop_reports(when: str) -> None:
    reports = _recorder.take()
    if reports:
        lines = "\n  ".join(reports)
        pytest.fail(f"the event loop reported unhandled errors {when}:\n  {lines}", pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    """Forget reports made before this test (they were charged to the previous one)."""
    _recorder.take()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """Fail a passing test if its loop recorded an unhandled error while it ran."""
    result = yield
    _fail_on_loop_reports("during the test")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    """Collect garbage once fixtures are gone, so unretrieved task errors surface here."""
    result = yield
    if pytest_asyncio.is_async_test(item):
        gc.collect()
        _fail_on_loop_reports("while tearing down")
    return result
