"""Record what an event loop reports to its exception handler.

asyncio reports problems nobody awaited ("Task exception was never
retrieved", exceptions in callbacks, unclosed transports in debug mode)
to the loop's exception handler, which by default only logs them. The
loop check of the pytest plugin (`redis_oxide.testing._loopcheck`) wraps
each loop factory with `LoopExceptionRecorder.watching` and fails a test
after which anything was recorded. The handler the loop had before still
runs (the default one logs), so the report also shows up in the captured
log. Nothing here imports pytest.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

__all__ = ["LoopExceptionRecorder", "LoopFactory"]

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


class LoopExceptionRecorder:
    """Collects exception-handler contexts from the loops it watches."""

    def __init__(self) -> None:
        """Start with nothing recorded."""
        self._reports: list[str] = []
        self._watched: dict[LoopFactory, LoopFactory] = {}

    def watching(self, factory: LoopFactory) -> LoopFactory:
        """Wrap a loop factory so that every loop it makes reports into this object.

        Args:
            factory: Creates a new, not yet running, event loop (asyncio's, uvloop's ...).

        Returns:
            A factory making the same loops, with a recording exception handler that
            passes each report on to the handler the loop had (or the default one). The
            same factory always gets the same wrapper: pytest-asyncio compares factories
            to decide whether a wider-scoped loop can be reused by the next test.
        """
        if factory in self._watched:
            return self._watched[factory]

        def new_loop() -> asyncio.AbstractEventLoop:
            loop = factory()
            previous = loop.get_exception_handler()

            def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
                self._record(context)
                if previous is None:
                    loop.default_exception_handler(context)
                else:
                    previous(loop, context)

            loop.set_exception_handler(handle)
            return loop

        self._watched[factory] = new_loop
        return new_loop

    def _record(self, context: dict[str, Any]) -> None:
        message = str(context.get("message", "unhandled exception in event loop"))
        exception = context.get("exception")
        self._reports.append(f"{message}: {exception!r}" if exception is not None else message)

    def take(self) -> list[str]:
        """Return what was recorded since the last call and forget it.

        Returns:
            One line per report.
        """
        reports, self._reports = self._reports, []
        return reports
