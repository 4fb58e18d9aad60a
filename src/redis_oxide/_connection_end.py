"""A connection's state, and how its life ends: closed, lost, broken or given up.

Rules this module keeps (``ConnectionEnd`` is the base of ``ConnectionCore``):

- ``ConnectionEnd._transition`` is the only place that assigns the state, and it refuses
  illegal moves. ``CLOSED`` and ``BROKEN`` are terminal.
- A connection that broke records why (``cause``, read-only): the exception the socket
  reported, ``ConnectionClosedByPeer`` for an end of stream (the peer closed it in order), or
  what ``fail`` was given. It stays None for a connection closed on purpose.
- A ``ProtocolError`` from reading carries the address and the command whose reply was being
  read. A reply nested deeper than the decoder reads (``MAX_NESTING``) fails that command
  alone with a ``ProtocolError`` saying so; the rest of the stream cannot be found (the
  decoder dropped what it had buffered), so the connection is closed and the other callers
  get ``ConnectionLostError`` chained from it, as for any broken connection. All of this runs
  on the error branch only; the read loop pays nothing for it.
- ``hang_up`` shuts the socket down at once, ahead of an ``abort()`` (which closes it only on
  the loop's next turn), so the server sees the end before the caller gets control back.
- A connection serves the event loop it was opened on. Once that loop is closed (the client
  outlived its ``asyncio.run()``), a command is refused before anything is queued or written
  (``wrong_loop_error``), and closing the connection only hangs up: nothing can run on the
  dead loop any more.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from typing import Final

from redis_oxide._connection_errors import END_OF_STREAM, ConnectionClosedByPeer
from redis_oxide._connection_replies import BatchChunk, Entry, fail_entries
from redis_oxide._connection_state import LEGAL, ConnectionState
from redis_oxide._exceptions import InvalidUsageError, ProtocolError
from redis_oxide._logs import log_fields
from redis_oxide._protocol import MAX_NESTING, TOO_DEEP

__all__ = ["ConnectionEnd", "hang_up", "wrong_loop_error"]

logger = logging.getLogger("redis_oxide.connection")

_S = ConnectionState
_READY: Final = _S.READY


class ConnectionEnd(asyncio.Protocol):
    """The state and the end of a connection's life; the base of ``ConnectionCore``.

    It declares the slots it uses; ``ConnectionCore`` declares the others.
    """

    __slots__ = (
        "_address",
        "_binary",
        "_cause",
        "_closed",
        "_drained",
        "_pending",
        "_state",
        "_timer",
        "_transport",
        "_unsent",
        "_wbuf",
        "available",
        "on_unavailable",
    )

    _address: str
    _binary: int
    _cause: BaseException | None
    _closed: asyncio.Future[None]
    _drained: asyncio.Future[None] | None
    _pending: collections.deque[Entry]
    _state: ConnectionState
    _timer: asyncio.TimerHandle | None
    _transport: asyncio.Transport | None
    _unsent: int
    _wbuf: list[bytes]
    available: bool
    #: Called once, synchronously, when ``available`` turns false (None: nothing). The cache
    #: drops its entries there: a hit must never outlive its tracking connection.
    on_unavailable: Callable[[], None] | None

    def _transition(self, new: ConnectionState) -> None:
        if new not in LEGAL[self._state]:
            raise RuntimeError(f"illegal connection transition {self._state.name} -> {new.name}")
        logger.debug(
            "connection %s: %s -> %s",
            self._address,
            self._state.name,
            new.name,
            extra=log_fields("state", self._address, state=new.value),
        )
        was_available = self.available
        self._state = new
        self.available = new is _READY
        if was_available and not self.available:
            self._unavailable()

    def _unavailable(self) -> None:
        hook = self.on_unavailable
        if hook is not None:
            self.on_unavailable = None
            hook()

    @property
    def state(self) -> ConnectionState:
        """The current state."""
        return self._state

    def begin_handshake(self) -> None:
        """Allow the handshake commands; only ``open_connection`` calls this."""
        self._transition(ConnectionState.HANDSHAKING)

    def mark_ready(self) -> None:
        """Declare the handshake finished; only ``open_connection`` calls this."""
        self._transition(ConnectionState.READY)

    def is_available(self) -> bool:
        """Whether new commands may be sent."""
        return self.available

    def is_finished(self) -> bool:
        """Whether the transport is gone too (nothing left to wait for)."""
        return self._closed.done()

    def is_closed(self) -> bool:
        """Whether the connection has ended, on purpose or not."""
        return self._state is ConnectionState.CLOSED or self._state is ConnectionState.BROKEN

    @property
    def cause(self) -> BaseException | None:
        """Why the connection broke, or None while it is open or when it was closed on purpose.

        The socket's own error (a ``ConnectionResetError`` with ``ECONNRESET`` for a reset),
        ``ConnectionClosedByPeer`` for an end of stream (CLIENT KILL, a server shutdown, a
        proxy closing it), the ``ProtocolError`` of a stream that could not be read, or what
        ``fail`` was given.
        """
        return self._cause

    def eof_received(self) -> bool | None:
        return None  # let the transport close itself; connection_lost does the rest

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        state = self._state
        if state is _S.CLOSING:
            self._transition(_S.CLOSED)
        elif state is not _S.CLOSED and state is not _S.BROKEN:
            # asyncio reports an end of stream as None: recorded as such, not as a reset.
            self._cause = exc or ConnectionClosedByPeer(END_OF_STREAM)
            self._transition(_S.BROKEN)
            logger.info(
                "connection %s lost: %r",
                self._address,
                self._cause,
                extra=log_fields("connection_lost", self._address, error=self._cause),
            )
        self._fail_pending(self._cause)
        self._transport = None
        if not self._closed.done():
            self._closed.set_result(None)
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def _fail_pending(self, cause: BaseException | None) -> None:
        pending = self._pending
        if not pending:
            return
        sent = len(pending) - self._unsent
        self._wbuf.clear()
        self._unsent = 0
        self._binary = 0
        # No cause and a close under way: aclose/abort ended it, nothing was lost.
        on_purpose = cause is None and (self._state is _S.CLOSING or self._state is _S.CLOSED)
        fail_entries(pending, sent, cause, self._address, on_purpose=on_purpose)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _break(self, cause: BaseException) -> None:
        # Reading or dispatching raised: the stream cannot be trusted any more.
        if self.is_closed():
            return
        if isinstance(cause, ProtocolError):
            cause = self._unreadable(cause)
        logger.warning(
            "connection %s broken: %r",
            self._address,
            cause,
            extra=log_fields("connection_broken", self._address, error=cause),
        )
        self.fail(cause)

    def _unreadable(self, error: ProtocolError) -> ProtocolError:
        # The decoder failed on the reply at the head of the FIFO (when one is due: an
        # unsolicited reply or a push frame has none). Only this error branch looks there.
        pending = self._pending
        address = self._address
        sink = pending[0][0] if pending else None
        command = None
        if type(sink) is BatchChunk:
            command = sink.metas[len(sink.replies)].name  # the slot being read
        elif sink is not None:
            command = pending[0][2].name
        if sink is None or error.message != TOO_DEEP:
            return error.with_context(command=command, address=address)
        # A valid reply, only deeper than the decoder reads: its command fails alone, with
        # no retry (its reply would be as deep again). The decoder has dropped its buffer,
        # so where this reply ends is lost and the connection cannot go on.
        deep = ProtocolError(
            f"the reply to {command} nests arrays or maps more than {MAX_NESTING} levels "
            f"deep, past what redis-oxide's RESP reader reads; {command} ran, but its reply "
            "is lost, and the connection was closed. Return a flatter value (a Lua script "
            "can return cjson.encode(value) and the caller json.loads() it)",
            command=command,
            address=address,
        )
        deep.__cause__ = error
        pending.popleft()  # it was sent (its reply came), so ``_unsent`` is unchanged
        if not sink.done():
            sink.set_exception(deep)
        return deep

    def fail(self, cause: BaseException) -> None:
        """End the connection now as lost, e.g. because its server is no longer the right one.

        Pending callers get ``ConnectionLostError`` chained from ``cause`` (their failure
        hooks are offered the commands first, so retryable ones run again elsewhere); new
        commands are refused.

        Args:
            cause: Why the connection is given up; a ``ProtocolError`` gets this
                connection's address.
        """
        if self.is_closed():
            return
        if isinstance(cause, ProtocolError):
            cause.with_context(address=self._address)
        logger.info(
            "connection %s given up: %r",
            self._address,
            cause,
            extra=log_fields("connection_given_up", self._address, error=cause),
        )
        self._cause = cause
        self._transition(_S.BROKEN)
        self._cancel_timer()
        self._fail_pending(cause)
        if self._transport is not None:
            self._transport.abort()
        elif not self._closed.done():
            self._closed.set_result(None)


def hang_up(transport: asyncio.BaseTransport) -> None:
    """Shut the transport's socket down now, ahead of an ``abort()``.

    The transport only closes its socket on the loop's next turn; the server must see the end
    at once. A blocking command cancelled by the abort (BLPOP) would otherwise still take an
    element pushed right after its caller got control back, into a dead connection.
    """
    sock = transport.get_extra_info("socket")
    fd = -1 if sock is None else sock.fileno()
    if fd < 0:
        return
    # Through a duplicate of the descriptor: uvloop's transport sockets refuse shutdown().
    with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fd)) as duplicate:
        duplicate.shutdown(socket.SHUT_RDWR)


def wrong_loop_error(address: str, command: str | None) -> InvalidUsageError:
    """Return the error for a command issued after the connection's event loop was closed.

    Args:
        address: The connection's server address.
        command: The command refused, when known.

    Returns:
        An ``InvalidUsageError`` carrying ``address`` and ``command``; nothing was sent.
    """
    return InvalidUsageError(
        f"{command or 'a command'} was not sent: the client's connection to {address} belongs "
        "to the event loop it was opened on, which is closed (the client outlived its "
        "asyncio.run() or test). A client serves one event loop: make one per loop and "
        "aclose() it before that loop ends",
        command=command,
        address=address,
    )
