"""One Redis connection: a socket as an ``asyncio.Protocol`` with a FIFO of pending replies.

Rules this module keeps:

- This file owns every connection state transition; ``_transition`` is the only place that
  assigns ``_state`` and it refuses illegal moves. ``CLOSED`` and ``BROKEN`` are terminal.
- Replies are matched to commands strictly in order. An entry stays in the FIFO until its
  reply has been read, even when its caller was cancelled or timed out: the late reply is
  read and dropped, so the stream never desynchronises and a cancellation never costs a
  reconnect.
- A command is encoded when it is issued (bad arguments raise ``TypeError`` before anything
  is queued). All commands issued during one event-loop turn leave in ONE
  ``transport.write`` at the start of the next turn; with ``write_when_idle`` (set by the
  strategies once the handshake is done) a lone caller's command (nothing pending, last
  write carried one command) is written at once instead, saving it a loop turn.
- A command may carry a ``LostHook``: when the connection is lost before its reply, the hook
  is offered the command (and may take its future over, to re-run it elsewhere) before the
  caller is failed. Only the failure path pays for it.
- Push frames go to the push handler, never to a caller.
- A batch (``send_batch``: pipeline chunks, transactions) is ONE FIFO entry with one future:
  the reader collects its replies in a tight loop and the entry leaves the FIFO once all are
  in.
- A binary reply (``binary=True``: DUMP payloads) is read undecoded even when the decoder
  decodes text. ``_binary`` counts such replies still due (an entry's, or positions of a
  batch); while it is zero,
  ``data_received`` runs the plain loop, which never looks for them, and only while it is
  non-zero does the slower ``_read_mixed`` pick the decode flag reply by reply.
- Any unexpected exception while decoding or dispatching moves the connection to ``BROKEN``:
  every pending caller fails with the cause, the transport is aborted and new commands are
  refused. The connection never limps on.
- Nothing here knows about pools or topology, and no secret is ever stored here.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any, Final, cast

from redis_oxide._command import ArgT
from redis_oxide._connection_replies import (
    BatchChunk,
    Entry,
    LostHook,
    Undecoded,
    decode_text,
    fail_entries,
    future_factory,
    pending_commands,
    refusal_error,
    time_out_entries,
)
from redis_oxide._connection_state import LEGAL, ConnectionState
from redis_oxide._exceptions import (
    ProtocolError,
    RedisError,
    ServerError,
)
from redis_oxide._protocol import (
    NOT_ENOUGH,
    Decoder,
    PushMessage,
    encode_command,
)
from redis_oxide._protocol._templates import pack_args

__all__ = ["Connection", "ConnectionState", "LostHook", "PushHandler"]

logger = logging.getLogger("redis_oxide.connection")

#: Receives RESP3 push frames (and, in raw mode, unsolicited replies).
PushHandler = Callable[[Any], None]


# The loop fires a timer up to one clock tick early; a deadline this close counts as passed.
_DEADLINE_SLACK: Final = 0.001


_S = ConnectionState
_NONE: Final[frozenset[int]] = frozenset()
# States are compared by identity on the hot path: Enum.__hash__ is a Python-level call, so a
# frozenset membership test would cost a frame per command.
_READY: Final = _S.READY
_HANDSHAKING: Final = _S.HANDSHAKING


class Connection(asyncio.Protocol):
    """A single Redis connection with pipelined, FIFO-matched replies.

    Built by ``open_connection``; the transport is attached by asyncio through
    ``connection_made``.
    """

    __slots__ = (
        "_address",
        "_binary",
        "_cause",
        "_closed",
        "_decoder",
        "_drained",
        "_encoding",
        "_errors",
        "_flush_scheduled",
        "_lone",
        "_loop",
        "_new_future",
        "_pending",
        "_state",
        "_timer",
        "_timer_when",
        "_transport",
        "_unsent",
        "_wbuf",
        "available",
        "created_at",
        "lease_generation",
        "max_lifetime",
        "push_handler",
        "raw_replies",
        "server_info",
        "write_count",
        "write_when_idle",
    )

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
        # Pending entries marked Undecoded; only meaningful when _encoding is set.
        self._binary = 0
        self._loop = loop
        self._new_future = future_factory(loop)
        self._state = ConnectionState.CONNECTING
        #: Whether new commands may be sent (the state is READY); a plain attribute so the
        #: strategies can test it per command without a call.
        self.available = False
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
        #: When true, replies that arrive with no pending command go to the push handler
        #: (RESP2 pub/sub); otherwise such a reply is a protocol violation.
        self.raw_replies = False
        #: The server's HELLO reply (RESP3) once the handshake is done.
        self.server_info: Any = None
        #: Owned by the pool: bumped every time a lease on this connection ends.
        self.lease_generation = 0
        self.max_lifetime = max_lifetime
        self.created_at = loop.time()
        #: ``transport.write`` calls so far; tests and metrics read it to see coalescing.
        self.write_count = 0
        #: Write a command at once when nothing is pending and the last write carried one
        #: command (a lone caller): no loop turn of latency. Off during the handshake.
        self.write_when_idle = False
        # Whether the last write carried a single command: only a lone caller writes at
        # once. Under concurrency an early write would split each wave of callers in two.
        self._lone = True

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        """The current state."""
        return self._state

    @property
    def address(self) -> str:
        """``host:port`` or the unix socket path of the server."""
        return self._address

    @property
    def pending_count(self) -> int:
        """Commands sent or queued whose replies have not been read yet."""
        return pending_commands(self._pending)

    def _transition(self, new: ConnectionState) -> None:
        if new not in LEGAL[self._state]:
            raise RuntimeError(f"illegal connection transition {self._state.name} -> {new.name}")
        logger.debug("connection %s: %s -> %s", self._address, self._state.name, new.name)
        self._state = new
        self.available = new is _READY

    def begin_handshake(self) -> None:
        """Allow the handshake commands; only ``open_connection`` calls this."""
        self._transition(ConnectionState.HANDSHAKING)

    def mark_ready(self) -> None:
        """Declare the handshake finished; only ``open_connection`` calls this."""
        self._transition(ConnectionState.READY)

    def is_available(self) -> bool:
        """Whether new commands may be sent."""
        return self.available

    def is_idle(self) -> bool:
        """Whether no reply is outstanding."""
        return not self._pending

    def is_closed(self) -> bool:
        """Whether the connection has ended, on purpose or not."""
        return self._state is ConnectionState.CLOSED or self._state is ConnectionState.BROKEN

    def is_finished(self) -> bool:
        """Whether the transport is gone too (nothing left to wait for)."""
        return self._closed.done()

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
        if self._state is _S.BROKEN:
            state = f"{state} ({self._cause!r})"
        return refusal_error(self._address, state)

    def send(
        self,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None,
        name: str,
        timeout: float | None = None,
        binary: bool = False,
        on_lost: LostHook | None = None,
    ) -> asyncio.Future[Any]:
        """Queue one command and return the future of its (parsed) reply.

        Args:
            args: The wire arguments, command name first.
            parser: Applied to the decoded reply before it resolves the future; None keeps
                the decoded value.
            name: The command name attached to errors.
            timeout: Seconds to wait for the reply; None waits as long as the connection
                lives.
            binary: Read the reply undecoded (``bytes``) even when this connection decodes
                text: the reply is binary data (DUMP).
            on_lost: Offered the command if the connection is lost before its reply; it
                may take the future over (the client re-runs retryable commands so).

        Returns:
            A future resolving to the reply. Cancelling it leaves the connection intact.

        Raises:
            TypeError: An argument cannot be encoded; nothing was queued.
            ConnectionClosedError: The connection no longer accepts commands.
        """
        state = self._state
        if state is not _READY and state is not _HANDSHAKING:
            raise self._refusal()
        data = pack_args(args) if type(args) is tuple else encode_command(args)
        fut: asyncio.Future[Any] = self._new_future()
        deadline = None
        if timeout is not None:
            deadline = self._loop.time() + timeout
            if self._timer is None or deadline < self._timer_when:
                self._arm_timer(deadline)
        if binary and self._encoding is not None:
            parser = Undecoded(parser)
            self._binary += 1
        pending = self._pending
        transport = self._transport
        if (
            not pending
            and self._lone
            and self.write_when_idle
            and not self._wbuf
            and transport is not None
        ):
            # Idle: no reply is due, so waiting a loop turn to coalesce would only add
            # latency; commands issued after this one in the same turn still coalesce.
            pending.append((fut, parser, name, deadline, on_lost, args))
            transport.write(data)
            self.write_count += 1
            return fut
        pending.append((fut, parser, name, deadline, on_lost, args))
        self._wbuf.append(data)
        self._unsent += 1
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return fut

    def send_batch(
        self,
        data: bytes,
        parsers: Sequence[Callable[[Any], Any] | None],
        names: Sequence[str],
        timeout: float | None = None,
        binary: Collection[int] = (),
    ) -> asyncio.Future[list[Any]]:
        """Queue already encoded commands as one block with ONE future for all their replies.

        Args:
            data: The encoded commands, back to back; they leave in one write.
            parsers: One parser (or None) per command, in order.
            names: One command name per command, in order.
            timeout: Seconds to wait for the whole block; None waits as long as the
                connection lives.
            binary: Positions of the commands whose replies are read undecoded.

        Returns:
            A future of the replies in order. A server error or a parser failure is the
            value of its command's slot; a lost or closed connection or a timeout fails the
            future itself.

        Raises:
            ValueError: ``parsers`` is empty or its length differs from ``names``.
            ConnectionClosedError: The connection no longer accepts commands.
        """
        count = len(parsers)
        if count == 0 or count != len(names):
            raise ValueError("send_batch needs one parser and one name per command")
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
        # One FIFO entry for the whole batch; its replies are collected in one go.
        chunk = BatchChunk(future, parsers, names, undecoded)
        pending.append((chunk, None, names[0], deadline, None, None))
        self._binary += len(undecoded)
        if deadline is not None and (self._timer is None or deadline < self._timer_when):
            self._arm_timer(deadline)
        if idle:
            self._write_now(data)
            return future
        self._wbuf.append(data)
        self._unsent += 1
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return future

    def decode_reply(self, value: Any) -> Any:
        """Decode a reply that was read undecoded, as this connection's decoder would have.

        Args:
            value: The undecoded reply (or part of one, such as one EXEC slot).

        Returns:
            ``value`` with its text decoded; unchanged when the connection keeps ``bytes``.

        Raises:
            UnicodeDecodeError: Text did not decode under ``encoding_errors="strict"``.
        """
        if self._encoding is None:
            return value
        return decode_text(value, self._encoding, self._errors)

    def send_without_reply(self, args: Sequence[ArgT]) -> None:
        """Write a command whose answer arrives as push frames (RESP3 SUBSCRIBE and kin).

        Args:
            args: The wire arguments, command name first.

        Raises:
            TypeError: An argument cannot be encoded.
            ConnectionClosedError: The connection no longer accepts commands.
        """
        state = self._state
        if state is not _READY and state is not _HANDSHAKING:
            raise self._refusal()
        self._wbuf.append(encode_command(args))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

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
                self._flush_scheduled = True
                self._loop.call_soon(self._flush)
            return
        transport.write(data)
        self.write_count += 1

    # -- per-command deadlines --------------------------------------------------------------

    def _arm_timer(self, deadline: float) -> None:
        # One timer per connection, aimed at the nearest deadline. With a uniform timeout the
        # deadlines only grow, so the timer is armed once per timeout period, not per command.
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self._loop.call_at(deadline, self._on_timer)
        self._timer_when = deadline

    def _on_timer(self) -> None:
        self._timer = None
        now = self._loop.time() + _DEADLINE_SLACK
        nearest = time_out_entries(self._pending, now, self._address)
        if nearest is not None:
            self._arm_timer(nearest)

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._decoder.feed(data)
            if self._binary:
                self._read_mixed()
                return
            next_reply = self._decoder.next_reply
            pending = self._pending
            while True:
                reply = next_reply()
                if reply is NOT_ENOUGH:
                    break
                if type(reply) is PushMessage or (not pending and self.raw_replies):
                    self._dispatch_push(reply)
                    if self._binary:  # the handler sent a binary command
                        self._read_mixed()
                        return
                    continue
                if not pending:
                    raise ProtocolError(
                        f"{self._address} sent a reply with no command waiting for it"
                    )
                fut = pending[0][0]
                if type(fut) is BatchChunk:
                    if not fut.collect(reply, next_reply, self._dispatch_push):
                        break
                    pending.popleft()
                    fut.finish(self._address)
                    if self._binary:  # a push handler sent a binary command meanwhile
                        self._read_mixed()
                        return
                    continue
                fut, parser, name, _, _, _ = pending.popleft()
                if fut.done():
                    continue  # its caller was cancelled or timed out: drop the late reply
                if isinstance(reply, ServerError):
                    reply.command = name
                    reply.address = self._address
                    fut.set_exception(reply)
                elif parser is None:
                    fut.set_result(reply)
                else:
                    try:
                        value = parser(reply)
                    except Exception as exc:  # a parser bug fails its caller, not the stream
                        fut.set_exception(exc)
                    else:
                        fut.set_result(value)
            if not pending and self._drained is not None and not self._drained.done():
                self._drained.set_result(None)
        except Exception as exc:
            self._break(exc)

    def _read_mixed(self) -> None:
        # The read loop while a binary reply is outstanding: each reply is read with the
        # decode flag of the entry at the head of the FIFO. The head only changes once a
        # reply is complete, so a reply split across reads is always asked for alike.
        # Exceptions go to data_received, which breaks the connection.
        next_reply = self._decoder.next_reply
        pending = self._pending
        while True:
            head = pending[0][0] if pending else None
            if type(head) is BatchChunk:
                undecoded = len(head.replies) in head.binary
            else:
                undecoded = head is not None and type(pending[0][1]) is Undecoded
            reply = next_reply(not undecoded)
            if reply is NOT_ENOUGH:
                break
            if type(reply) is PushMessage or (not pending and self.raw_replies):
                self._dispatch_push(self.decode_reply(reply) if undecoded else reply)
                continue
            if not pending:
                raise ProtocolError(f"{self._address} sent a reply with no command waiting for it")
            if undecoded:
                self._binary -= 1
            if type(head) is BatchChunk:
                head.replies.append(reply)
                if len(head.replies) == head.count:
                    pending.popleft()
                    head.finish(self._address)
                continue
            fut, parser, name, _, _, _ = pending.popleft()
            if fut.done():
                continue
            if isinstance(reply, ServerError):
                reply.command = name
                reply.address = self._address
                fut.set_exception(reply)
                continue
            try:
                value = reply if parser is None else parser(reply)
            except Exception as exc:
                fut.set_exception(exc)
            else:
                fut.set_result(value)
        if not pending and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def _dispatch_push(self, frame: Any) -> None:
        handler = self.push_handler
        if handler is None:
            logger.debug("connection %s: dropped push frame with no handler", self._address)
            return
        try:
            handler(frame)
        except Exception:  # a faulty handler must not tear down a healthy stream
            logger.exception("connection %s: push handler failed", self._address)

    def eof_received(self) -> bool | None:
        return None  # let the transport close itself; connection_lost does the rest

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        state = self._state
        if state is _S.CLOSING:
            self._transition(_S.CLOSED)
        elif state is not _S.CLOSED and state is not _S.BROKEN:
            self._cause = exc or ConnectionResetError("server closed the connection")
            self._transition(_S.BROKEN)
            logger.info("connection %s lost: %r", self._address, self._cause)
        self._fail_pending(self._cause)
        self._transport = None
        if not self._closed.done():
            self._closed.set_result(None)
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    # -- ending -----------------------------------------------------------------------------

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
        if self.is_closed():
            return
        logger.warning("connection %s broken: %r", self._address, cause)
        self._cause = cause
        self._transition(_S.BROKEN)
        self._cancel_timer()
        self._fail_pending(cause)
        if self._transport is not None:
            self._transport.abort()
        elif not self._closed.done():
            self._closed.set_result(None)

    def abort(self) -> None:
        """Close at once: pending callers fail with ``ConnectionClosedError``."""
        if self.is_closed():
            return
        if self._state is not _S.CLOSING:
            self._transition(_S.CLOSING)
        self._cancel_timer()
        self._fail_pending(None)
        if self._transport is not None:
            self._transport.abort()
        else:
            self._transition(_S.CLOSED)
            if not self._closed.done():
                self._closed.set_result(None)

    async def aclose(self, grace: float | None = None) -> None:
        """Close gracefully: refuse new commands, wait for replies in flight, then close.

        Args:
            grace: Longest wait for replies in flight, in seconds; then the connection is
                aborted. None waits for all of them.
        """
        if self._state is _S.READY or self._state is _S.HANDSHAKING:
            self._transition(_S.CLOSING)
        if self._state is _S.CLOSING and self._pending:
            self._drained = self._loop.create_future()
            try:
                async with asyncio.timeout(grace):
                    await asyncio.shield(self._drained)
            except TimeoutError:
                logger.info("connection %s: replies still in flight, aborting", self._address)
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
        await asyncio.shield(self._closed)
