"""Suite-wide pytest configuration for redis-oxide.

The server fixtures (``redis_stack``, ``redis_cluster``, ``tcp_proxy`` ...) come
from the redis-oxide pytest plugin, which pytest loads through the package's
``pytest11`` entry point (the small ``redis_oxide_pytest`` module); it needs no
listing here.

The plugin's loop check is on for every async test of this suite (``redis_oxide_loop_check``
in ``pyproject.toml``); projects that install redis-oxide keep their loops untouched.

``figures`` lets a test report the measured figures behind its assertions (how many commands,
how many mismatches, how long a recovery took); they are printed at the end of the run under
"redis-oxide figures", so a green run also says by how much it was green.

``stoppable_server`` is a Redis 7 server of the test's own that the test may freeze
(``process.suspend()``, SIGSTOP); it is resumed before it is stopped.

Checks against reference data kept outside the project (Redis's published specs, in
``../shared/specs`` beside the clone) carry ``@pytest.mark.reference_spec(file, env=VAR)`` and
get the file from the ``reference_spec`` fixture. Where the file is absent they are skipped
with the path in the reason, and the summary says under "redis-oxide reference specs" how many
did not run; a file named by the variable must exist, so a typo fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from redis_oxide.testing import RedisServerInfo
from redis_oxide.testing.plugin import ServerFactory

# pytester runs small inner test sessions, for testing the plugin's own checks.
pytest_plugins = ["pytester"]

_FIGURES: list[str] = []

#: Where the reference specs live unless a test's variable names a file elsewhere.
REFERENCE_SPECS = Path(__file__).resolve().parents[1].parent / "shared" / "specs"
_REFERENCE_MISSING: dict[Path, list[tuple[str, str]]] = {}
_REFERENCE_FOUND: dict[str, Path] = {}
_REFERENCE_OUTCOMES: Counter[str] = Counter()

Figure = Callable[[str, object], None]


@pytest.fixture
async def stoppable_server(redis_server_factory: ServerFactory) -> AsyncIterator[RedisServerInfo]:
    info = redis_server_factory("7")
    assert info.process is not None
    try:
        yield info
    finally:
        await asyncio.to_thread(info.process.resume)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figure:
    """Record ``name: value`` for the end-of-run summary, tagged with the test's name."""

    def record(name: str, value: object) -> None:
        _FIGURES.append(f"{request.node.name}: {name} = {value}")

    return record


def _reference_path(marker: pytest.Mark) -> tuple[Path, str, bool]:
    """The file a ``reference_spec`` mark names, its variable, and whether the variable is set."""
    (name,) = marker.args
    env: str = marker.kwargs["env"]
    configured = os.environ.get(env)
    return (Path(configured) if configured else REFERENCE_SPECS / name), env, bool(configured)


@pytest.fixture
def reference_spec(request: pytest.FixtureRequest) -> Path:
    """The reference file named by the test's ``reference_spec`` mark."""
    marker = request.node.get_closest_marker("reference_spec")
    if marker is None:
        pytest.fail("the reference_spec fixture needs @pytest.mark.reference_spec(file, env=...)")
    path, env, _ = _reference_path(marker)
    if not path.is_file():
        pytest.fail(f"reference spec not found at {path}, which {env} names", pytrace=False)
    return path


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip, visibly, the reference checks whose file is not beside the clone."""
    for item in items:
        marker = item.get_closest_marker("reference_spec")
        if marker is None:
            continue
        path, env, configured = _reference_path(marker)
        if configured or path.is_file():
            _REFERENCE_FOUND[item.nodeid] = path.parent
            continue
        _REFERENCE_MISSING.setdefault(path.parent, []).append((path.name, env))
        reason = f"reference spec not found at {path} (kept outside the project; set {env})"
        item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.nodeid in _REFERENCE_FOUND:
        _REFERENCE_OUTCOMES[report.outcome] += 1


def _checks(n: int) -> str:
    return f"{n} check" if n == 1 else f"{n} checks"


def _reference_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _REFERENCE_MISSING and not _REFERENCE_OUTCOMES:
        return
    terminalreporter.section("redis-oxide reference specs")
    for directory, wanted in _REFERENCE_MISSING.items():
        files = ", ".join(sorted({name for name, _ in wanted}))
        envs = ", ".join(sorted({env for _, env in wanted}))
        terminalreporter.write_line(
            f"reference specs not found at {directory}: {_checks(len(wanted))} did not run "
            f"({files}; set {envs} to use copies kept elsewhere)",
            yellow=True,
        )
    if _REFERENCE_OUTCOMES:
        places = ", ".join(sorted({str(path) for path in _REFERENCE_FOUND.values()}))
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_REFERENCE_OUTCOMES.items()))
        ran = _checks(sum(_REFERENCE_OUTCOMES.values()))
        terminalreporter.write_line(f"reference specs at {places}: {ran} ran ({outcomes})")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("redis-oxide figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
    _reference_summary(terminalreporter)
