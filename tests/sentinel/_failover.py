"""Helpers of the failover tests: a SET/GET loop that judges every reply, and an independent
listener for the sentinels' ``+switch-master`` notices.

The listener talks raw RESP2 over asyncio streams, so the times it records do not depend on
the client under test. Every wait here is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from redis_oxide._client import Redis
from redis_oxide.exceptions import CommandTimeoutError, ConnectionLostError, RedisError
from redis_oxide.testing import RedisServerInfo, encode_command

_FAILED: Any = object()


@dataclass
class Call:
    """One call of the loop: what, when, and how it ended."""

    op: str
    started: float
    ended: float
    error: RedisError | None = None


@dataclass
class SetGetLoop:
    """One task looping ``SET key i`` / ``GET key`` and checking what GET returns.

    A GET must return the last acknowledged value, or the value of a SET that failed in a
    way that says it may have run (``may_have_executed``, or a timeout); anything else is a
    wrong value.
    """

    client: Redis[bytes]
    key: str
    calls: list[Call] = field(default_factory=list)
    wrong: list[tuple[int | None, int]] = field(default_factory=list)
    acked: int = 0
    maybe: set[int] = field(default_factory=set)
    paused: asyncio.Event = field(default_factory=asyncio.Event)
    _stop: bool = False

    async def run(self) -> None:
        i = 0
        while not self._stop:
            if self.paused.is_set():
                await asyncio.sleep(0.005)
                continue
            i += 1
            if await self._call("SET", self.client.set(self.key, i)) is not _FAILED:
                self.acked, self.maybe = i, set()
            else:
                error = self.calls[-1].error
                lost = isinstance(error, ConnectionLostError) and error.may_have_executed
                if lost or isinstance(error, CommandTimeoutError):
                    self.maybe.add(i)
            value = await self._call("GET", self.client.get(self.key))
            if value is not _FAILED:
                got = None if value is None else int(value)
                if got == self.acked or got in self.maybe:
                    self.acked, self.maybe = got, set()
                else:
                    self.wrong.append((got, self.acked))

    async def _call(self, op: str, awaitable: Any) -> Any:
        started = time.monotonic()
        try:
            result = await awaitable
        except RedisError as exc:
            self.calls.append(Call(op, started, time.monotonic(), exc))
            return _FAILED
        self.calls.append(Call(op, started, time.monotonic()))
        return result

    def stop(self) -> None:
        self._stop = True

    def failures(self, since: float = 0.0) -> list[Call]:
        return [c for c in self.calls if c.error is not None and c.ended >= since]

    def first_write_after(self, moment: float) -> float | None:
        return next(
            (
                c.ended
                for c in self.calls
                if c.op == "SET" and c.error is None and c.started > moment
            ),
            None,
        )

    def longest(self) -> float:
        return max(c.ended - c.started for c in self.calls)

    def describe_failures(self, since: float = 0.0) -> str:
        kinds: Counter[str] = Counter()
        for call in self.failures(since):
            error = call.error
            detail = type(error).__name__
            if isinstance(error, ConnectionLostError):
                detail += f"(may_have_executed={error.may_have_executed})"
            kinds[f"{call.op} {detail}"] += 1
        return ", ".join(f"{n}x {kind}" for kind, n in sorted(kinds.items())) or "none"


@contextlib.asynccontextmanager
async def looping(*loops: SetGetLoop) -> AsyncIterator[None]:
    """Run the loops while the block runs; stop them and wait for their last call after."""
    tasks = [asyncio.ensure_future(loop.run()) for loop in loops]
    try:
        yield
    finally:
        for loop in loops:
            loop.stop()
        # A last call may wait up to its command timeout (5 s in these tests).
        await asyncio.wait_for(asyncio.gather(*tasks), 6)


@contextlib.asynccontextmanager
async def switch_log(sentinels: tuple[RedisServerInfo, ...]) -> AsyncIterator[SwitchLog]:
    """Listen to every sentinel's ``+switch-master`` while the block runs."""
    log = SwitchLog()
    try:
        await log.start(sentinels)
        yield log
    finally:
        await log.aclose()


class SwitchLog:
    """Every sentinel's ``+switch-master`` notices, with the time each was read."""

    def __init__(self) -> None:
        self.notices: list[tuple[float, int, str]] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._writers: list[asyncio.StreamWriter] = []

    async def start(self, sentinels: tuple[RedisServerInfo, ...]) -> None:
        for sentinel in sentinels:
            reader, writer = await asyncio.open_connection(sentinel.host, sentinel.port)
            writer.write(encode_command("SUBSCRIBE", "+switch-master"))
            await writer.drain()
            async with asyncio.timeout(5):
                await _read_reply(reader)  # the subscription's confirmation
            self._writers.append(writer)
            self._tasks.append(asyncio.ensure_future(self._listen(sentinel.port, reader)))

    async def _listen(self, port: int, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                reply = await _read_reply(reader)
                if isinstance(reply, list) and len(reply) == 3:
                    self.notices.append((time.monotonic(), port, reply[2].decode()))

    def first(self, name: str) -> float | None:
        return min((t for t, _, text in self.notices if text.split()[0] == name), default=None)

    async def wait_first(self, name: str, seconds: float) -> float:
        await eventually(lambda: self.first(name) is not None, seconds)
        moment = self.first(name)
        assert moment is not None
        return moment

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for writer in self._writers:
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def eventually(
    check: Callable[[], bool | Awaitable[bool]], seconds: float, step: float = 0.01
) -> None:
    """Poll ``check`` until it holds; ``TimeoutError`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        outcome = check()
        if outcome if isinstance(outcome, bool) else await outcome:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not reached within {seconds} s")
        await asyncio.sleep(step)


async def _read_reply(reader: asyncio.StreamReader) -> Any:
    line = await reader.readuntil(b"\r\n")
    kind, rest = line[:1], line[1:-2]
    if kind == b"*":
        return [await _read_reply(reader) for _ in range(int(rest))]
    if kind == b"$":
        return (await reader.readexactly(int(rest) + 2))[:-2]
    if kind == b":":
        return int(rest)
    return rest
