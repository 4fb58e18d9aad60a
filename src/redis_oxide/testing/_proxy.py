"""An asyncio TCP proxy that injects network faults between a client and a server.

Rules and invariants:
- It runs in the event loop of the test that created it and must be closed
  there (`aclose`); every task it starts is tracked and awaited on close, and
  no exception escapes a task, so it never trips the loop exception check.
- Bytes are forwarded unchanged in both directions (TLS passes through), except for the
  one-shot rewrites a test asks for with ``rewrite_reply`` (server to client only).
- ``stall()`` stops forwarding and holds what arrives: each direction keeps at
  most one chunk plus the stream reader's buffer, after which the kernel's
  flow control pushes back on the sender. ``resume()`` delivers the held
  bytes in order. The number of client connections is capped.
- When either side of a connection ends, both sides are closed: Redis never
  half-closes, so a half-open pair would only hide bugs.
- `ProxyState` changes only in `_set_state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
from collections.abc import Awaitable, Callable
from typing import Protocol

__all__ = ["ProxyFactory", "ProxyState", "ProxyTarget", "TcpProxy"]

_CHUNK = 64 * 1024
# Far above what one test opens; stops a runaway reconnect loop from
# exhausting file descriptors.
_MAX_CONNECTIONS = 256
_CONNECT_TIMEOUT = 5.0


class ProxyTarget(Protocol):
    """Anything with an address and a URL, such as the fixture info objects."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def url(self) -> str: ...


class ProxyState(enum.Enum):
    """Whether a `TcpProxy` forwards bytes."""

    NEW = "new"
    FLOWING = "flowing"
    STALLED = "stalled"
    CLOSED = "closed"


_TRANSITIONS: dict[ProxyState, set[ProxyState]] = {
    ProxyState.NEW: {ProxyState.FLOWING, ProxyState.CLOSED},
    ProxyState.FLOWING: {ProxyState.STALLED, ProxyState.CLOSED},
    ProxyState.STALLED: {ProxyState.FLOWING, ProxyState.CLOSED},
    ProxyState.CLOSED: set(),
}


class _Link:
    """One client connection and its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter, upstream: asyncio.StreamWriter) -> None:
        self.writers = (client, upstream)
        self.tasks: list[asyncio.Task[None]] = []
        self.closed = False

    def close(self, *, abort: bool = False, rst: bool = False) -> None:
        if self.closed:
            return
        self.closed = True
        for writer in self.writers:
            if rst:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    # Linger 0 turns close() into a TCP RST.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            if abort or rst:
                writer.transport.abort()
            else:
                writer.close()
        for task in self.tasks:
            if task is not asyncio.current_task():
                task.cancel()


class TcpProxy:
    """A loopback TCP proxy in front of one server.

    Create it with ``await TcpProxy.start(target)`` (or the ``tcp_proxy``
    fixture) and point the client at ``proxy.url``.
    """

    def __init__(self, target: ProxyTarget) -> None:
        """Prepare a proxy; call `start` (or use `TcpProxy.start`) to listen.

        Args:
            target: The server to forward to.
        """
        self.target = target
        self.host = "127.0.0.1"
        self.port = 0
        self._state = ProxyState.NEW
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._rewrites: list[tuple[bytes, bytes]] = []

    def __repr__(self) -> str:
        return (
            f"<TcpProxy {self.host}:{self.port} -> {self.target.host}:{self.target.port} "
            f"state={self._state.value} connections={len(self._links)}>"
        )

    @classmethod
    async def start(cls, target: ProxyTarget) -> TcpProxy:
        """Create a proxy and start listening on a free loopback port.

        Args:
            target: The server to forward to.

        Returns:
            The listening proxy.
        """
        proxy = cls(target)
        proxy._server = await asyncio.start_server(proxy._accept, proxy.host, 0)
        proxy.port = proxy._server.sockets[0].getsockname()[1]
        proxy._set_state(ProxyState.FLOWING)
        return proxy

    @property
    def url(self) -> str:
        """The target's URL with the proxy's address (scheme kept, so TLS stays TLS)."""
        scheme = self.target.url.split("://", 1)[0]
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def state(self) -> ProxyState:
        """The forwarding state."""
        return self._state

    @property
    def connection_count(self) -> int:
        """Client connections currently open through the proxy."""
        return len(self._links)

    def _set_state(self, new: ProxyState) -> None:
        if new not in _TRANSITIONS[self._state]:
            raise RuntimeError(f"{self!r}: cannot go from {self._state.value} to {new.value}")
        self._state = new

    def stall(self) -> None:
        """Stop forwarding in both directions; connections stay open and bytes are held.

        Raises:
            RuntimeError: The proxy is closed.
        """
        if self._state is ProxyState.STALLED:
            return
        self._set_state(ProxyState.STALLED)
        self._flowing.clear()

    def resume(self) -> None:
        """Forward again, delivering the held bytes first.

        Raises:
            RuntimeError: The proxy is closed.
        """
        if self._state is ProxyState.FLOWING:
            return
        self._set_state(ProxyState.FLOWING)
        self._flowing.set()

    def rewrite_reply(self, old: bytes, new: bytes) -> None:
        """Replace the next occurrence of ``old`` sent by the server with ``new``, once.

        For forging one reply (a ``-MOVED`` redirect, say): ``old`` must arrive within one
        read from the server, which holds for a short reply to a single command.

        Args:
            old: Bytes as the server sends them (e.g. ``b"$1\r\nv\r\n"``).
            new: What the client gets instead.
        """
        self._rewrites.append((old, new))

    @property
    def pending_rewrites(self) -> int:
        """Rewrites asked for that have not happened yet."""
        return len(self._rewrites)

    def cut(self) -> None:
        """Close every current connection now (FIN); new connections are still accepted."""
        for link in list(self._links):
            link.close(abort=True)

    def reset(self) -> None:
        """Abort every current connection with a TCP RST; new ones are still accepted."""
        for link in list(self._links):
            link.close(rst=True)

    def close(self) -> None:
        """Stop listening and abort every connection; `aclose` also waits for the tasks."""
        if self._state is ProxyState.CLOSED:
            return
        self._set_state(ProxyState.CLOSED)
        self._flowing.set()
        if self._server is not None:
            self._server.close()
        self.cut()
        for task in self._tasks:
            task.cancel()

    async def aclose(self) -> None:
        """Close the proxy and wait until every connection and task has finished."""
        self.close()
        while self._tasks:
            # A snapshot, cleared before waiting: a finished task leaves ``_tasks`` through a
            # done callback, which runs on a later loop turn, and since Python 3.12 a gather of
            # tasks that are all done returns without yielding to the loop.
            tasks = list(self._tasks)
            self._tasks.difference_update(tasks)
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    def _track(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        current = asyncio.current_task()
        if current is not None:
            self._track(current)
        if self._state is ProxyState.CLOSED or len(self._links) >= _MAX_CONNECTIONS:
            writer.transport.abort()
            return
        try:
            async with asyncio.timeout(_CONNECT_TIMEOUT):
                up_reader, up_writer = await asyncio.open_connection(
                    self.target.host, self.target.port
                )
        except (OSError, TimeoutError, asyncio.CancelledError):
            writer.transport.abort()
            return
        link = _Link(writer, up_writer)
        if self.state is ProxyState.CLOSED:  # closed while connecting upstream
            link.close(abort=True)
            return
        self._links.add(link)
        for source, sink, replies in ((reader, up_writer, False), (up_reader, writer, True)):
            task = asyncio.get_running_loop().create_task(
                self._pump(source, sink, link, replies=replies)
            )
            link.tasks.append(task)
            self._track(task)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        link: _Link,
        *,
        replies: bool,
    ) -> None:
        try:
            while not link.closed:
                data = await source.read(_CHUNK)
                if not data:
                    break
                await self._flowing.wait()
                if link.closed:
                    break
                if replies and self._rewrites:
                    data = self._rewrite(data)
                sink.write(data)
                await sink.drain()
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            self._links.discard(link)
            with contextlib.suppress(OSError, RuntimeError):
                link.close()

    def _rewrite(self, data: bytes) -> bytes:
        for index, (old, new) in enumerate(self._rewrites):
            if old in data:
                del self._rewrites[index]
                return data.replace(old, new, 1)
        return data


#: What the ``tcp_proxy`` fixture yields: ``await make(target)`` starts a proxy to ``target``.
ProxyFactory = Callable[[ProxyTarget], Awaitable[TcpProxy]]
