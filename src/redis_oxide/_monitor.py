"""MONITOR on a connection of its own: every command the server runs, as typed entries.

Rules this module keeps:

- ``MONITOR`` takes its connection over for good, so a ``Monitor`` leases a dedicated
  connection, routes every line the server sends after the ``+OK`` to itself
  (``raw_replies``) and discards the connection when it ends.
- Nothing is dropped: when ``max_pending`` lines wait for the reader, the socket is no longer
  read until the reader has taken half of them (the server buffers meanwhile).
- A lost connection ends the iteration with ``ConnectionLostError``, after the lines
  received before it; the monitor does not reconnect, because a stream with a silent gap
  would mislead whoever reads it.
- A line is parsed when it is read, not when it arrives. The server escapes every byte
  that is not printable ASCII (``\\n``, ``\\"``, ``\\xHH`` ...), so a line is ASCII and the
  arguments come back byte for byte. On a decoding client, an argument that does not decode
  shows U+FFFD in place of the bad bytes under ``encoding_errors="strict"`` (as pub/sub
  messages do): a MONITOR entry has no command of its own to fail.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import re
from types import TracebackType
from typing import Any, Final, Generic, Self, cast

from redis_oxide._exceptions import (
    ConnectionLostError,
    InvalidUsageError,
    ProtocolError,
    ServerError,
)
from redis_oxide._executor import Executor
from redis_oxide._generated import StrT
from redis_oxide._pool import Lease

__all__ = ["Monitor", "MonitorEntry", "parse_monitor_line"]

# The client is "lua", "unix:<path>", "<ipv4>:<port>" or "[<ipv6>]:<port>" (brackets inside).
_LINE: Final = re.compile(r"(\d+(?:\.\d+)?) \[(\d+) (\[[^\]]*\]:\d+|[^\]]*)\] (.*)", re.DOTALL)
_ESCAPES: Final = {"n": 10, "r": 13, "t": 9, "a": 7, "b": 8, '"': 34, "\\": 92}


@dataclasses.dataclass(frozen=True, slots=True)
class MonitorEntry(Generic[StrT]):
    """One command the server ran, as MONITOR reports it.

    Attributes:
        time: When the server ran it (Unix time, seconds).
        db: The database it ran in.
        client: Who sent it: ``"host:port"``, ``"unix:/path"``, or ``"lua"`` for a command
            a script ran.
        command: The command's name as the client sent it (``"set"``, ``"SET"``).
        args: The arguments after the name, byte for byte (decoded on a decoding client).
    """

    time: float
    db: int
    client: str
    command: str
    args: list[StrT]


def _unquote(text: str, start: int) -> tuple[bytes, int]:
    # One "..." argument from ``start`` (its opening quote); returns it and the index after.
    out = bytearray()
    index = start + 1
    while True:
        char = text[index]
        if char == '"':
            return bytes(out), index + 1
        if char != "\\":
            out.append(ord(char))
            index += 1
            continue
        escaped = text[index + 1]
        if escaped == "x":
            out.append(int(text[index + 2 : index + 4], 16))
            index += 4
        else:
            out.append(_ESCAPES[escaped])
            index += 2


def parse_monitor_line(line: str) -> tuple[float, int, str, list[bytes]]:
    """Split one MONITOR line into time, database, client and the quoted words.

    Args:
        line: The line without its ``+`` and CRLF, e.g.
            ``1700000000.123456 [0 127.0.0.1:50000] "SET" "k" "v"``.

    Returns:
        ``(time, db, client, words)``, the command name first among the words.

    Raises:
        ProtocolError: The line is not a MONITOR line.
    """
    match = _LINE.fullmatch(line)
    if match is None:
        raise ProtocolError(f"not a MONITOR line: {line[:200]!r}")
    stamp, db, client, rest = match.groups()
    words: list[bytes] = []
    index = 0
    try:
        while index < len(rest):
            word, index = _unquote(rest, index)
            words.append(word)
            index += 1  # the space between two words
    except (IndexError, KeyError, ValueError) as exc:
        raise ProtocolError(f"not a MONITOR line: {line[:200]!r}") from exc
    if not words:
        raise ProtocolError(f"a MONITOR line without a command: {line[:200]!r}")
    return float(stamp), int(db), client, words


class Monitor(Generic[StrT]):
    """Every command the server runs, from ``client.monitor()``.

    ``async with client.monitor() as monitor:`` starts MONITOR on a connection of its own and
    returns once the server confirmed; ``async for entry in monitor:`` reads
    ``MonitorEntry`` values until ``aclose()`` (or the end of the block). MONITOR costs the
    server a copy of every command for every monitor: use it to debug, not in production
    paths.

    Built by ``client.monitor()``.
    """

    def __init__(self) -> None:
        raise TypeError("monitors are made by client.monitor()")

    @classmethod
    def _over(
        cls,
        executor: Executor,
        *,
        encoding: str | None,
        encoding_errors: str,
        max_pending: int = 10_000,
    ) -> Self:
        """Build a monitor whose connection ``executor`` leases.

        Args:
            executor: Where the connection is leased from.
            encoding: The client's text encoding, or None to keep arguments as ``bytes``.
            encoding_errors: The client's decoding error handler.
            max_pending: Lines that may wait for the reader before the socket stops being
                read.

        Raises:
            TypeError, ValueError: ``max_pending`` is not an int of at least 2.
        """
        if type(max_pending) is not int:
            raise TypeError(f"max_pending must be an int, not {type(max_pending).__name__}")
        if max_pending < 2:
            raise ValueError(f"max_pending must be at least 2, not {max_pending}")
        monitor = object.__new__(cls)
        monitor._setup(executor, encoding, encoding_errors, max_pending)
        return monitor

    def _setup(
        self, executor: Executor, encoding: str | None, encoding_errors: str, max_pending: int
    ) -> None:
        self._executor = executor
        self._encoding = encoding
        # A line that does not decode still shows, with U+FFFD (as pub/sub messages do).
        self._errors = "replace" if encoding_errors == "strict" else encoding_errors
        self._max_pending = max_pending
        self._lines: collections.deque[bytes | str] = collections.deque()
        self._lease: Lease | None = None
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._closed = False
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> Self:
        """Lease a connection and send MONITOR; returns once the server confirmed.

        Returns:
            This monitor.

        Raises:
            InvalidUsageError: It was started already.
            ServerError: The server refused MONITOR (an ACL without it, for example).
        """
        if self._lease is not None or self._closed:
            raise InvalidUsageError("this Monitor was started already; make a new one")
        lease = await self._executor.lease()
        self._lease = lease
        try:
            lease.set_push_handler(self._on_line, raw_replies=True)
            await lease.execute("MONITOR")
        except BaseException:
            self._lease = None
            lease.release(discard=True)
            raise
        self._watcher = asyncio.get_running_loop().create_task(self._watch(lease))
        return self

    def _on_line(self, line: Any) -> None:
        if isinstance(line, ServerError):
            self._end(line)
            return
        self._lines.append(line)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if not self._paused and len(self._lines) >= self._max_pending:
            self._paused = True
            if self._lease is not None:
                self._lease.pause_reading()

    async def _watch(self, lease: Lease) -> None:
        connection = lease.connection
        await connection.wait_closed()
        if not self._closed:
            self._end(
                ConnectionLostError(
                    f"the MONITOR connection to {connection.address} was lost",
                    command="MONITOR",
                    address=connection.address,
                )
            )

    def _end(self, error: BaseException | None) -> None:
        if self._error is None:
            self._error = error
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> MonitorEntry[StrT]:
        lines = self._lines
        while not lines:
            if self._error is not None:
                raise self._error
            if self._closed:
                raise StopAsyncIteration
            if self._lease is None:
                raise InvalidUsageError(
                    "this Monitor was not started: use `async with client.monitor() as m:` "
                    "(or `await m.start()`) before `async for`"
                )
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        line = lines.popleft()
        if self._paused and len(lines) <= self._max_pending // 2:
            self._paused = False
            if self._lease is not None:
                self._lease.resume_reading()
        return self._entry(line)

    def _entry(self, line: bytes | str) -> MonitorEntry[StrT]:
        text = line if isinstance(line, str) else line.decode("ascii", "replace")
        time, db, client, words = parse_monitor_line(text)
        name = words[0].decode("ascii", "replace")
        if self._encoding is None:
            args: list[Any] = words[1:]
        else:
            args = [word.decode(self._encoding, self._errors) for word in words[1:]]
        return MonitorEntry(time, db, client, name, cast("list[StrT]", args))

    async def aclose(self) -> None:
        """Stop monitoring: the connection is closed (it cannot serve anything else).

        Entries not read yet are dropped, and the iteration ends.
        """
        if self._closed:
            return
        self._closed = True
        self._lines.clear()
        lease, self._lease = self._lease, None
        if lease is not None:
            lease.release(discard=True)
        if self._watcher is not None:
            self._watcher.cancel()
        self._end(None)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._lease is not None else "new"
        return f"<redis_oxide.Monitor {state} pending={len(self._lines)}>"
