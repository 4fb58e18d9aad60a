"""Record what an event loop reports to its exception handler.

asyncio reports problems nobody awaited ("Task exception was never
retrieved", exceptions in callbacks, unclosed transports in debug mode)
to the loop's exception handler, which by default only logs them. The
pytest plugin creates every test loop through `LoopExceptionRecorder.new_loop`
and fails a test after which anything was recorded; the default handler
still runs, so the report also shows up in the captured log.
"""

from __future__ import annotations

import asyncio
from typing import Any

__all__ = ["LoopExceptionRecorder"]


class LoopExceptionRecorder:
    """Collects exception-handler contexts from the loops it created."""

    def __init__(self) -> None:
        """Start with nothing recorded."""
        self._reports: list[str] = []

    def new_loop(self) -> asyncio.AbstractEventLoop:
        """Create an event loop whose exception handler records into this object.

        Returns:
            A new, not yet running, event loop.
        """
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self._handle)
        return loop

    def _handle(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", "unhandled exception in event loop"))
        exception = context.get("exception")
        self._reports.append(f"{message}: {exception!r}" if exception is not None else message)
        loop.default_exception_handler(context)

    def take(self) -> list[str]:
        """Return what was recorded since the last call and forget it.

        Returns:
            One line per report.
        """
        reports, self._reports = self._reports, []
        return reports
