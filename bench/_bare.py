"""The "bare" baseline: the least an asyncio client over hiredis can do per command.

It is the ceiling reference of the benchmark, not a client anyone should use:
no pool, no reconnect, no timeouts, no type conversion beyond what redis-py
also returns (HGETALL as a dict, WITHSCORES as (member, float) pairs).

Rules and invariants:
- One connection, RESP2, replies matched to futures strictly in FIFO order.
- Commands issued during one loop turn leave in one `transport.write`: the
  first command of a turn schedules the flush with `call_soon`, later ones
  only append. That is the auto-pipelining every multiplexed client aims for.
- A batch (`execute_many`, its pipeline) is one FIFO entry with one future for
  all its replies: no future, no callback and no task wake-up per command.
- A lost connection fails every pending future; nothing is retried.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Sequence
from typing import cast

import hiredis

__all__ = ["BareClient"]

_Arg = bytes | str | int | float


class _NeedData:
    """Sentinel for "no complete reply buffered" (hiredis's default, False, is a value)."""


_NEED_DATA = _NeedData()


class _Batch:
    """One FIFO entry standing for `count` commands; resolves its future once."""

    __slots__ = ("count", "future", "replies")

    def __init__(self, future: asyncio.Future[list[object]], count: int) -> None:
        self.future = future
        self.count = count
        self.replies: list[object] = []


def _pack(args: Sequence[_Arg]) -> bytes:
    # hiredis's stub types the argument as a one-element tuple; any tuple works.
    return cast(bytes, hiredis.pack_command(cast(tuple[bytes], tuple(args))))


class _BareProtocol(asyncio.Protocol):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._reader = hiredis.Reader(notEnoughData=_NEED_DATA)
        self._pending: collections.deque[asyncio.Future[object] | _Batch] = collections.deque()
        self._outgoing: list[bytes] = []
        self._transport: asyncio.Transport | None = None
        self._lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)

    def send(self, args: Sequence[_Arg]) -> asyncio.Future[object]:
        if self._lost is not None:
            raise ConnectionError("connection lost") from self._lost
        future: asyncio.Future[object] = self._loop.create_future()
        self._pending.append(future)
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(_pack(args))
        return future

    def send_many(self, commands: Sequence[Sequence[_Arg]]) -> asyncio.Future[list[object]]:
        if self._lost is not None:
            raise ConnectionError("connection lost") from self._lost
        future: asyncio.Future[list[object]] = self._loop.create_future()
        self._pending.append(_Batch(future, len(commands)))
        if not self._outgoing:
            self._loop.call_soon(self._flush)
        self._outgoing.append(b"".join([_pack(args) for args in commands]))
        return future

    def _flush(self) -> None:
        if self._transport is not None and self._outgoing:
            self._transport.write(b"".join(self._outgoing))
        self._outgoing.clear()

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while True:
            reply: object = self._reader.gets()
            if reply is _NEED_DATA:
                return
            head = self._pending[0]
            if isinstance(head, _Batch):
                head.replies.append(reply)  # errors stay in their slots
                if len(head.replies) == head.count:
                    self._pending.popleft()
                    if not head.future.done():
                        head.future.set_result(head.replies)
                continue
            self._pending.popleft()
            future = head
            if future.done():
                continue
            if isinstance(reply, Exception):
                future.set_exception(reply)
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = exc or ConnectionError("connection closed")
        while self._pending:
            entry = self._pending.popleft()
            future = entry.future if isinstance(entry, _Batch) else entry
            if not future.done():
                future.set_exception(ConnectionError("connection lost"))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class BareClient:
    """A single auto-pipelined connection exposing the benchmark's five commands."""

    def __init__(self, protocol: _BareProtocol) -> None:
        self._protocol = protocol

    @classmethod
    async def connect(cls, host: str, port: int) -> BareClient:
        """Open the connection.

        Args:
            host: Server address.
            port: Server port.

        Returns:
            A connected client.
        """
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(lambda: _BareProtocol(loop), host, port)
        return cls(protocol)

    def execute(self, *args: _Arg) -> asyncio.Future[object]:
        """Queue one command for this loop turn's write.

        Args:
            *args: Command name and arguments.

        Returns:
            A future resolved with the decoded reply.
        """
        return self._protocol.send(args)

    def execute_many(self, commands: Sequence[Sequence[_Arg]]) -> asyncio.Future[list[object]]:
        """Queue a batch of commands for this loop turn's write, with one future.

        Args:
            commands: Each command's name and arguments.

        Returns:
            A future resolved with the decoded replies, in order.
        """
        return self._protocol.send_many(commands)

    async def set(self, key: bytes, value: bytes) -> object:
        """SET key value."""
        return await self._protocol.send((b"SET", key, value))

    async def get(self, key: bytes) -> object:
        """GET key."""
        return await self._protocol.send((b"GET", key))

    async def hgetall(self, key: bytes) -> dict[bytes, bytes]:
        """HGETALL key, as a dict."""
        flat = cast(list[bytes], await self._protocol.send((b"HGETALL", key)))
        it = iter(flat)
        return dict(zip(it, it, strict=True))

    async def zrange_withscores(self, key: bytes) -> list[tuple[bytes, float]]:
        """ZRANGE key 0 -1 WITHSCORES, as (member, score) pairs."""
        flat = cast(list[bytes], await self._protocol.send((b"ZRANGE", key, 0, -1, b"WITHSCORES")))
        it = iter(flat)
        return [(member, float(score)) for member, score in zip(it, it, strict=True)]

    async def aclose(self) -> None:
        """Close the connection."""
        self._protocol.close()
