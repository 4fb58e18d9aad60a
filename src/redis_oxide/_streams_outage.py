"""How a stream worker waits out its server (``Outage``) and a group that vanished.

Rules this module keeps:

- Only trouble that passes is waited out: the server unreachable, restarting or still
  loading its data (``TRANSIENT``). A client closed by its user ends the run at once.
- Between two failed reads the worker backs off (``reconnect_retry``'s delays, or 50 ms
  doubling to 0.5 s); ``reconnect_retry.attempts`` consecutive failures give up.
- ``stop()`` ends a backoff, and a read made while the server is away (which may spend the
  client's whole reconnect policy), at once.
- A group that vanished with its stream is created again from ``0``; one destroyed while its
  stream stays, after the last entry the worker got (``resume_point``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Final

from redis_oxide._command import KeyT
from redis_oxide._exceptions import (
    ConnectionClosedError,
    ConnectionError,
    LoadingError,
    TimeoutError,
)
from redis_oxide._generated import Commands, StrT
from redis_oxide._retry import Retry
from redis_oxide._streams_entries import StreamEntry

__all__ = ["TRANSIENT", "Outage", "resume_point"]

logger = logging.getLogger("redis_oxide.streams")

# Waits between reads that failed for want of a server: 50 ms doubling to 0.5 s, as a
# subscriber reconnects; a restarted server has its workers back within a second.
_BACKOFF: Final = Retry(attempts=1, backoff_base=0.05, backoff_cap=0.5)
#: What a worker waits out (ConnectionClosedError, the client closed, is re-raised).
TRANSIENT: Final = (ConnectionError, TimeoutError, LoadingError)


class Outage:
    """Consecutive reads that failed for want of a server, and the waits between them.

    Args:
        stream: The stream's key, for the log.
        retry: Gives up after ``attempts`` consecutive failures; None waits until stopped.
    """

    def __init__(self, stream: object, retry: Retry | None) -> None:
        self._stream = stream
        self._retry = retry
        self._failures = 0
        self._since = 0.0
        self._waker: asyncio.Future[None] | None = None  # what stop() wakes

    def wake(self) -> None:
        """End the wait or the read in progress (``stop()`` was called)."""
        if self._waker is not None and not self._waker.done():
            self._waker.set_result(None)

    async def read(self, fetch: Callable[[], Coroutine[object, object, None]]) -> None:
        """Run one read; while the server is away, ``wake()`` cuts it short."""
        if not self._failures:
            await fetch()
            return
        task = asyncio.create_task(fetch())
        task.add_done_callback(_retrieve)
        self._waker = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait((task, self._waker), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._waker = None
            dropped = not task.done()  # stopped (or this task cancelled): the read is dropped
            if dropped:
                task.cancel()
        if dropped:
            return
        task.result()  # its error, if any
        if self._failures:
            down = time.monotonic() - self._since
            logger.warning("stream %r: reading again after %.2f s", self._stream, down)
            self._failures = 0

    async def failed(self, error: Exception) -> None:
        """Wait before the next read, or raise ``error``: the client is closed, or give up."""
        self._failures += 1
        gave_up = self._retry is not None and self._failures >= self._retry.attempts
        if gave_up or isinstance(error, ConnectionClosedError):
            raise error
        if self._failures == 1:
            self._since = time.monotonic()
            what = f"{type(error).__name__}: {error}"
            until = (
                "until stop()"
                if self._retry is None
                else f"until stop() or {self._retry.attempts} failures in a row"
            )
            logger.warning("stream %r: reading failed (%s); retrying %s", self._stream, what, until)
        self._waker = asyncio.get_running_loop().create_future()
        try:
            await asyncio.wait(
                (self._waker,), timeout=(self._retry or _BACKOFF).delay(self._failures)
            )
        finally:
            self._waker = None


async def resume_point(
    client: Commands[StrT], stream: KeyT, group: str | bytes, last: StreamEntry[StrT] | None
) -> StrT | None:
    """Where to create a group again after NOGROUP; None: from ``0``.

    The stream still holding the last entry handed out (same ID, same fields) means the group
    alone was destroyed: it is created again after that entry, so the history is not handled
    again. Otherwise the stream was deleted (and maybe written again): every entry is new.
    """
    if last is not None:
        found = await client.xrange(stream, last.id, last.id)
        if found and found[0][1] == last.fields:
            logger.warning(
                "stream %r: group %r was destroyed while the stream stays; creating it again "
                "after the last entry this worker got, %r",
                stream,
                group,
                last.id,
            )
            return last.id
    logger.warning(
        "stream %r: group %r is gone with the stream (deleted); creating it again from '0', "
        "so every entry now in the stream is delivered",
        stream,
        group,
    )
    return None


def _retrieve(task: asyncio.Task[None]) -> None:
    # A read dropped by stop() may still fail: its error is expected, not "never retrieved".
    if not task.cancelled():
        task.exception()
