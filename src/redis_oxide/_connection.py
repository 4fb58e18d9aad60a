"""One Redis connection: a socket as an ``asyncio.Protocol`` with a FIFO of pending replies.

Rules this module keeps (its bases' rules hold here too: ``ConnectionCore`` reads the
replies and keeps the deadlines, ``ConnectionEnd`` keeps the state and ends the connection):

- A command is encoded when it is issued (bad arguments raise ``TypeError`` before anything
  is queued). All commands issued during one event-loop turn leave in ONE
  ``transport.write`` at the start of the next turn; with ``write_when_idle`` (set by the
  strategies once the handshake is done) a lone caller's command (nothing pending, last
  write carried one command) is written at once instead, saving it a loop turn.
- A command travels with its ``CommandMeta`` and may carry a ``FailureHook`` (offered the
  command when the connection is lost before its reply, or when the reply is a
  ``reroutable`` server error). Only the failure path pays for it.
- A batch (``send_batch``: pipeline chunks, transactions) is ONE FIFO entry with one future.
- A reply whose text does not decode (``encoding_errors="strict"``) fails only the command
  that read it: the decoder records the failure (``_connection_replies.RECORDING_ERRORS``)
  and finishes the reply, so the stream stays in step.
- Nothing here knows about pools or topology, and no secret is ever stored here.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any, Final

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._connection_core import ConnectionCore, PushHandler
from redis_oxide._connection_end import hang_up, wrong_loop_error
from redis_oxide._connection_replies import (
    BatchChunk,
    Entry,
    FailureHook,
    Undecoded,
    blocking_pending,
    future_factory,
    pending_commands,
    refusal_error,
)
from redis_oxide._connection_state import ConnectionState
from redis_oxide._connection_text import decode_failures
from redis_oxide._exceptions import RedisError
from redis_oxide._logs import log_fields
from redis_oxide._protocol import Decoder, encode_command
from redis_oxide._protocol._templates import pack_args

__all__ = ["Connection", "ConnectionState", "FailureHook", "PushHandler"]

logger = logging.getLogger("redis_oxide.connection")

_S = ConnectionState
_NONE: Final[frozenset[int]] = frozenset()
_READY: Final = _S.READY
_HANDSHAKING: Final = _S.HANDSHAKING


class Connection(ConnectionCore):
    """A single Redis connection with pipelined, FIFO-matched replies.

    Built by ``open_connection``; the transport is attached by asyncio through
    ``connection_made``.
    """

    __slots__ = ()

    def __init__(
        self,
        *,
        address: str,
        decoder: Decoder,
        loop: asyncio.AbstractEventLoop,
        push_handler: PushHandler | None = None,
        max_lifetime: float | None = None,
        encoding: str | None = None,
        encoding_errors: str = "strict",
    ) -> None:
        self._address = address
        self._decoder = decoder
        # The decoder's own text settings, needed to decode what was read undecoded.
        self._encoding = encoding
        self._errors = encoding_errors
        # Where the decoder records text that did not decode (RECORDING_ERRORS); checked
        # after each reply, and empty unless something failed.
        self._failures = decode_failures()
        # Pending entries marked Undecoded; only meaningful when _encoding is set.
        self._binary = 0
        self._loop = loop
        self._new_future = future_factory(loop)
        self._state = ConnectionState.CONNECTING
        #: Whether new commands may be sent (the state is READY); a plain attribute so the
        #: strategies can test it per command without a call.
        self.available = False
        self.on_unavailable = None
        self._transport: asyncio.Transport | None = None
        self._pending: collections.deque[Entry] = collections.deque()
        self._wbuf: list[bytes] = []
        # Entries at the tail of the FIFO whose bytes are still in _wbuf: if the connection
        # dies now they certainly did not run.
        self._unsent = 0
        self._flush_scheduled = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0
        self._cause: BaseException | None = None
        self._closed: asyncio.Future[None] = loop.create_future()
        self._drained: asyncio.Future[None] | None = None
        self.push_handler = push_handler
        self.after_pushes = None
        self._pushed = False
        #: When true, replies that arrive with no pending command go to the push handler
        #: (RESP2 pub/sub); otherwise such a reply is a protocol violation.
        self.raw_replies = False
        #: The server's HELLO reply (RESP3) once the handshake is done.
        self.server_info: Any = None
        #: Owned by the pool: bumped every time a lease on this connection ends.
        self.lease_generation: int = 0
        self.max_lifetime: float | None = max_lifetime
        self.created_at: float = loop.time()
        #: ``transport.write`` calls so far; tests and metrics read it to see coalescing.
        self.write_count: int = 0
        #: Write a command at once when nothing is pending and the last write carried one
        #: command (a lone caller): no loop turn of latency. Off during the handshake.
        self.write_when_idle: bool = False
        # Whether the last write carried a single command: only a lone caller writes at
        # once. Under concurrency an early write would split each wave of callers in two.
        self._lone = True

    # -- state -----------------------------------------------------------------------------

    @property
    def address(self) -> str:
        """``host:port`` or the unix socket path of the server."""
        return self._address

    @property
    def pending_count(self) -> int:
        """Commands sent or queued whose replies have not been read yet."""
        return pending_commands(self._pending)

    def is_idle(self) -> bool:
        """Whether no reply is outstanding."""
        return not self._pending

    def is_blocked(self) -> bool:
        """Whether a blocking command (BLPOP, XREAD BLOCK …) waits for its reply here."""
        return blocking_pending(self._pending)

    def has_expired(self) -> bool:
        """Whether the connection should be replaced rather than reused."""
        if self._state is not ConnectionState.READY:
            return True
        lifetime = self.max_lifetime
        return lifetime is not None and self._loop.time() - self.created_at > lifetime

    def __repr__(self) -> str:
        return (
            f"<Connection {self._address} {self._state.name} "
            f"pending={len(self._pending)} unsent={self._unsent}>"
        )

    # -- sending ----------------------------------------------------------------------------

    def _refusal(self) -> RedisError:
        state = self._state.name.lower()
        if self._state is _S.BROKEN:  # lost or given up, not closed on purpose
            return refusal_error(self._address, f"{state} ({self._cause!r})", self._cause)
        return refusal_error(self._address, state)

    def send(
        self,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        meta: CommandMeta,
        timeout: float | None = None,
        hook: FailureHook | None = None,
    ) -> asyncio.Future[Any]:
        """Queue one command and return the future of its (parsed) reply.

        Args:
            args: The wire arguments, command name first.
            parser: Applied to the decoded reply before it resolves the future; None keeps
                the decoded value.
            meta: The command's metadata: its name for errors, and ``binary_reply`` (read
                the reply undecoded even when this connection decodes text: DUMP).
            timeout: Seconds to wait for the reply; None waits as long as the connection
                lives.
            hook: Offered the command if the connection is lost before its reply, or if the
                reply is a reroutable server error; it may take the future over.

        Returns:
            A future resolving to the reply. Cancelling it leaves the connection intact.

        Raises:
            TypeError: An argument cannot be encoded; nothing was queued.
            ConnectionClosedError: The connection was closed; nothing was sent.
            ConnectionLostError: The connection broke; nothing was sent.
            InvalidUsageError: The loop the connection was opened on is closed.
        """
        state = self._state
        if state is not _READY and state is not _HANDSHAKING:
            raise self._refusal()
        # An exact-type test, not isinstance: the cheapest check on the hot path.
        data = pack_args(args) if type(args) is tuple else encode_command(args)  # pyright: ignore[reportUnknownArgumentType]
        fut: asyncio.Future[Any] = self._new_future()
        deadline = None
        if timeout is not None:
            deadline = self._loop.time() + timeout
            if self._timer is None or deadline < self._timer_when:
                self._arm_timer(deadline)
        pending = self._pending
        transport = self._transport
        if (
            not pending
            and self._lone
            and self.write_when_idle
            and not self._wbuf
            and transport is not None
            and not self._loop.is_closed()  # a closed loop's transport would still write
        ):
            # Idle: no reply is due, so waiting a loop turn to coalesce would only add
            # latency; commands issued after this one in the same turn still coalesce.
            if meta.binary_reply and self._encoding is not None:
                parser = Undecoded(parser)
                self._binary += 1
            pending.append((fut, parser, meta, deadline, hook, args))  # pyright: ignore[reportUnknownArgumentType]
            transport.write(data)
            self.write_count += 1
            return fut
        if not self._flush_scheduled:
            self._schedule_flush(meta.name)  # first: on a closed loop it raises, unqueued
        if meta.binary_reply and self._encoding is not None:
            parser = Undecoded(parser)
            self._binary += 1
        pending.append((fut, parser, meta, deadline, hook, args))  # pyright: ignore[reportUnknownArgumentType]
        self._wbuf.append(data)
        self._unsent += 1
        return fut

    def send_batch(
        self,
        data: bytes,
        parsers: Sequence[Callable[[Any], Any] | None],
        metas: Sequence[CommandMeta],
        timeout: float | None = None,
        binary: Collection[int] = (),
    ) -> asyncio.Future[list[Any]]:
        """Queue already encoded commands as one block with ONE future for all their replies.

        Args:
            data: The encoded commands, back to back; they leave in one write.
            parsers: One parser (or None) per command, in order.
            metas: One command's metadata per command, in order.
            timeout: Seconds to wait for the whole block; None waits as long as the
                connection lives.
            binary: Positions of the commands whose replies are read undecoded.

        Returns:
            A future of the replies in order. A server error or a parser failure is the
            value of its command's slot; a lost or closed connection or a timeout fails the
            future itself.

        Raises:
            ValueError: ``parsers`` is empty or its length differs from ``metas``.
            ConnectionClosedError: The connection was closed; nothing was sent.
            ConnectionLostError: The connection broke; nothing was sent.
            InvalidUsageError: The loop the connection was opened on is closed.
        """
        count = len(parsers)
        if count == 0 or count != len(metas):
            raise ValueError("send_batch needs one parser and one meta per command")
        state = self._state
        if state is not _READY and state is not _HANDSHAKING:
            raise self._refusal()
        if binary and not all(0 <= index < count for index in binary):
            raise ValueError("send_batch: a binary position is outside the batch")
        # Only a decoding connection reads binary replies differently: without an encoding
        # every reply already is bytes.
        undecoded = frozenset(binary) if binary and self._encoding is not None else _NONE
        future: asyncio.Future[list[Any]] = self._new_future()
        deadline = None if timeout is None else self._loop.time() + timeout
        pending = self._pending
        idle = not pending and self.write_when_idle and state is _READY and not self._wbuf
        if not idle and not self._flush_scheduled:
            self._schedule_flush(metas[0].name)  # first: on a closed loop it raises, unqueued
        elif self._loop.is_closed():
            raise wrong_loop_error(self._address, metas[0].name)
        # One FIFO entry for the whole batch; its replies are collected in one go.
        chunk = BatchChunk(future, parsers, metas, undecoded)
        pending.append((chunk, None, metas[0], deadline, None, None))
        self._binary += len(undecoded)
        if deadline is not None and (self._timer is None or deadline < self._timer_when):
            self._arm_timer(deadline)
        if idle:
            self._write_now(data)
            return future
        self._wbuf.append(data)
        self._unsent += 1
        return future

    def send_without_reply(self, args: Sequence[ArgT]) -> None:
        """Write a command whose answer arrives as push frames (RESP3 SUBSCRIBE and kin).

        Args:
            args: The wire arguments, command name first.

        Raises:
            TypeError: An argument cannot be encoded.
            ConnectionClosedError: The connection was closed; nothing was sent.
            ConnectionLostError: The connection broke; nothing was sent.
            InvalidUsageError: The loop the connection was opened on is closed.
        """
        state = self._state
        if state is not _READY and state is not _HANDSHAKING:
            raise self._refusal()
        data = encode_command(args)
        if not self._flush_scheduled:
            self._schedule_flush(str(args[0]))
        self._wbuf.append(data)

    def flush(self) -> None:
        """Write the commands queued so far now, not at the end of this loop turn."""
        if self._wbuf:
            self._flush()

    def _schedule_flush(self, command: str | None = None) -> None:
        try:
            self._loop.call_soon(self._flush)
        except RuntimeError:
            if self._loop.is_closed():  # the client outlived its asyncio.run()
                raise wrong_loop_error(self._address, command) from None
            raise
        self._flush_scheduled = True

    def _flush(self) -> None:
        self._flush_scheduled = False
        buf = self._wbuf
        if not buf:
            return
        data = buf[0] if len(buf) == 1 else b"".join(buf)
        buf.clear()
        self._lone = self._unsent <= 1
        self._unsent = 0
        state = self._state
        transport = self._transport
        if transport is not None and (
            state is _READY or state is _HANDSHAKING or state is _S.CLOSING
        ):
            transport.write(data)
            self.write_count += 1

    def _write_now(self, data: bytes) -> None:
        transport = self._transport
        if transport is None:  # not attached yet: the flush writes once it is
            self._wbuf.append(data)
            self._unsent += 1
            if not self._flush_scheduled:
                self._schedule_flush()
            return
        transport.write(data)
        self.write_count += 1

    def abort(self) -> None:
        """Close at once: pending callers fail with ``ConnectionClosedError``."""
        if self.is_closed():
            return
        if self._loop.is_closed():
            self._forsake()
            return
        if self._state is not _S.CLOSING:
            self._transition(_S.CLOSING)
        self._cancel_timer()
        self._fail_pending(None)
        if self._transport is not None:
            hang_up(self._transport)
            self._transport.abort()
        else:
            self._transition(_S.CLOSED)
            if not self._closed.done():
                self._closed.set_result(None)

    def _forsake(self) -> None:
        # The loop it was opened on is closed (the client outlived its asyncio.run()): nothing
        # can run there any more, its callers are gone. The server is told at once; the socket
        # itself is closed when the transport is collected.
        self._state = _S.CLOSED
        if self.available:
            self.available = False
            self._unavailable()
        self._pending.clear()
        self._wbuf.clear()
        if self._transport is not None:
            hang_up(self._transport)

    def stop_accepting(self) -> None:
        """Refuse new commands from now on (``CLOSING``); replies in flight still arrive."""
        if self._state is _S.READY or self._state is _S.HANDSHAKING:
            self._transition(_S.CLOSING)

    async def aclose(self, grace: float | None = None) -> None:
        """Close gracefully: refuse new commands, wait for replies in flight, then close.

        Args:
            grace: Longest wait for replies in flight, in seconds; then the connection is
                aborted. None waits for all of them.
        """
        if self._loop.is_closed():
            self._forsake()
            return
        self.stop_accepting()
        if self._state is _S.CLOSING and self._pending:
            self._drained = self._loop.create_future()
            try:
                async with asyncio.timeout(grace):
                    await asyncio.shield(self._drained)
            except TimeoutError:
                logger.info(
                    "connection %s: replies still in flight, aborting",
                    self._address,
                    extra=log_fields("drain_timeout", self._address, pending=len(self._pending)),
                )
        if self._state is _S.CLOSING:
            if self._pending:
                self.abort()
            elif self._transport is not None:
                self._transport.close()
            else:
                self.abort()
        await self.wait_closed()

    async def wait_closed(self) -> None:
        """Wait until the transport is gone; safe to call any number of times."""
        if not self._loop.is_closed():  # else nothing is left to wait for (``_forsake``)
            await asyncio.shield(self._closed)
