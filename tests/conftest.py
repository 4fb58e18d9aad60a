"""Suite-wide pytest configuration for redis-oxide.

The server fixtures (``redis_stack``, ``redis_cluster``, ``tcp_proxy`` ...) come
from the ``redis_oxide.testing.plugin``, which pytest loads through the
package's ``pytest11`` entry point; it is deliberately not listed here, as
registering it twice is an error.

``figures`` lets a test report the measured figures behind its assertions (how many commands,
how many mismatches, how long a recovery took); they are printed at the end of the run under
"redis-oxide figures", so a green run also says by how much it was green.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

# pytester runs small inner test sessions, for testing the plugin's own checks.
pytest_plugins = ["pytester"]

_FIGURES: list[str] = []

Figure = Callable[[str, object], None]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figure:
    """Record ``name: value`` for the end-of-run summary, tagged with the test's name."""

    def record(name: str, value: object) -> None:
        _FIGURES.append(f"{request.node.name}: {name} = {value}")

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("redis-oxide figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)
