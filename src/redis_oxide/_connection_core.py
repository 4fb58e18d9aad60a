"""The receiving side of a connection and its deadlines.

Rules this module keeps (``Connection`` in ``_connection.py`` adds the sending side;
``ConnectionEnd`` in ``_connection_end.py``, the base, keeps the state and ends the
connection):

- Replies are matched to commands strictly in order. An entry stays in the FIFO until its
  reply has been read, even when its caller was cancelled or timed out: the late reply is
  read and dropped, so the stream never desynchronises and a cancellation never costs a
  reconnect.
- A batch entry (``BatchChunk``) collects its replies in a tight loop and leaves the FIFO
  once all are in.
- A binary reply is read undecoded. ``_binary`` counts such replies still due; while it is
  zero ``data_received`` runs the plain loop, and only while it is not does the slower
  ``_read_mixed`` pick the decode flag reply by reply.
- A reply whose text did not decode (recorded in ``_failures``) fails only its command with
  ``ReplyDecodeError``; a push frame with such text is delivered with U+FFFD and logged.
- A ``reroutable`` server error, or the loss of the connection, is first offered to the
  command's ``FailureHook``, which may take the caller's future over. A passed deadline is
  shown to the hook too, for notice only.
- Push frames go to the push handler, never to a caller. Once a read (one
  ``data_received``) has delivered push frames and every reply in it, ``after_pushes`` is
  called, so a handler can act once on all the frames of a read (the cache refreshes the
  entries they invalidated in one command).
- Any unexpected exception while decoding or dispatching moves the connection to ``BROKEN``
  (``ConnectionEnd._break``): every pending caller fails with the cause, the transport is
  aborted and new commands are refused. The connection never limps on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, cast

from redis_oxide._connection_end import ConnectionEnd, wrong_loop_error
from redis_oxide._connection_replies import (
    BatchChunk,
    Undecoded,
    offer_failure,
    time_out_entries,
)
from redis_oxide._connection_text import decode_text, take_failure
from redis_oxide._exceptions import ProtocolError, ServerError
from redis_oxide._logs import log_fields
from redis_oxide._protocol import NOT_ENOUGH, Decoder, PushMessage

if TYPE_CHECKING:
    from redis_oxide._command import CommandMeta

__all__ = ["ConnectionCore", "PushHandler"]

logger = logging.getLogger("redis_oxide.connection")

#: Receives RESP3 push frames (and, in raw mode, unsolicited replies).
PushHandler = Callable[[Any], None]

# The loop fires a timer up to one clock tick early; a deadline this close counts as passed.
_DEADLINE_SLACK: Final = 0.001


class ConnectionCore(ConnectionEnd):
    """The reading half of ``Connection``; never used on its own.

    The slots of a connection are declared here and by ``ConnectionEnd`` (those it uses);
    ``Connection.__init__`` sets them all.
    """

    __slots__ = (
        "_decoder",
        "_encoding",
        "_errors",
        "_failures",
        "_flush_scheduled",
        "_lone",
        "_loop",
        "_new_future",
        "_pushed",
        "_timer_when",
        "after_pushes",
        "created_at",
        "lease_generation",
        "max_lifetime",
        "push_handler",
        "raw_replies",
        "server_info",
        "write_count",
        "write_when_idle",
    )

    _decoder: Decoder
    _encoding: str | None
    _errors: str
    _failures: list[UnicodeDecodeError]
    _loop: asyncio.AbstractEventLoop
    _timer_when: float
    push_handler: PushHandler | None
    #: Called once a read that delivered push frames is done with them (None: nothing).
    after_pushes: Callable[[], None] | None
    _pushed: bool
    raw_replies: bool

    def pause_reading(self) -> None:
        """Stop reading from the socket until ``resume_reading`` (pub/sub back-pressure).

        What the server sends meanwhile waits in the socket buffers and then in the server's
        output buffer, where the server's own limits apply. Replies already read are still
        delivered. Does nothing when reading is already paused or the connection is gone.
        """
        transport = self._transport
        if transport is not None and transport.is_reading():
            transport.pause_reading()

    def resume_reading(self) -> None:
        """Read from the socket again after ``pause_reading``; does nothing otherwise."""
        transport = self._transport
        if transport is None or transport.is_closing() or self._loop.is_closed():
            return  # gone (uvloop's close() ends its transports unseen)
        if not transport.is_reading():
            transport.resume_reading()

    def is_reading(self) -> bool:
        """Whether the socket is being read (attached, open and not paused)."""
        transport = self._transport
        return transport is not None and transport.is_reading()

    def decode_reply(self, value: Any, meta: CommandMeta) -> Any:
        """Decode a reply that was read undecoded, as this connection's decoder would have.

        Args:
            value: The undecoded reply (or part of one, such as one EXEC slot).
            meta: The command it answers.

        Returns:
            ``value`` with its text decoded (unchanged when the connection keeps ``bytes``),
            or, when text did not decode under ``encoding_errors="strict"``, the
            ``ReplyDecodeError`` that command gets.
        """
        if self._encoding is None:
            return value
        decoded = decode_text(value, self._encoding, self._errors)
        if self._failures:
            return take_failure(self._failures, meta, None, self._address)
        return decoded

    def _arm_timer(self, deadline: float) -> None:
        # One timer per connection, aimed at the nearest deadline. With a uniform timeout the
        # deadlines only grow, so the timer is armed once per timeout period, not per command.
        if self._timer is not None:
            self._timer.cancel()
        try:
            self._timer = self._loop.call_at(deadline, self._on_timer)
        except RuntimeError:
            if self._loop.is_closed():  # the client outlived its asyncio.run()
                raise wrong_loop_error(self._address, None) from None
            raise
        self._timer_when = deadline

    def _on_timer(self) -> None:
        self._timer = None
        now = self._loop.time() + _DEADLINE_SLACK
        nearest = time_out_entries(self._pending, now, self._address)
        if nearest is not None:
            self._arm_timer(nearest)

    # -- receiving ---------------------------------------------------------------------------

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
            failures = self._failures
            address = self._address
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
                    raise ProtocolError(f"{address} sent a reply with no command waiting for it")
                fut = pending[0][0]
                if type(fut) is BatchChunk:
                    slot: Any = reply
                    if failures:
                        slot = take_failure(failures, fut.metas[len(fut.replies)], None, address)
                    if not fut.collect(slot, next_reply, self._dispatch_push, failures, address):
                        break
                    pending.popleft()
                    fut.finish(address)
                    if self._binary:  # a push handler sent a binary command meanwhile
                        self._read_mixed()
                        return
                    continue
                fut, parser, meta, deadline, hook, args = pending.popleft()
                if failures:
                    error = take_failure(failures, meta, args, address)
                    if not fut.done():
                        fut.set_exception(error)
                elif fut.done():
                    continue  # its caller was cancelled or timed out: drop the late reply
                elif isinstance(reply, ServerError):
                    if not (
                        reply.reroutable
                        and hook is not None
                        and args is not None
                        and offer_failure(hook, fut, args, parser, meta, deadline, reply)
                    ):
                        reply.command = meta.name
                        reply.address = address
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
            if self._pushed:
                self._end_pushes()
        except Exception as exc:
            self._break(exc)

    def _read_mixed(self) -> None:
        # The read loop while a binary reply is outstanding: each reply is read with the
        # decode flag of the entry at the head of the FIFO. The head only changes once a
        # reply is complete, so a reply split across reads is always asked for alike.
        # Exceptions go to data_received, which breaks the connection.
        next_reply = self._decoder.next_reply
        pending = self._pending
        failures = self._failures
        address = self._address
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
                if undecoded and self._encoding is not None:
                    reply = decode_text(reply, self._encoding, self._errors)
                self._dispatch_push(reply)
                continue
            if not pending:
                raise ProtocolError(f"{address} sent a reply with no command waiting for it")
            if undecoded:
                self._binary -= 1
            if type(head) is BatchChunk:
                slot: Any = reply
                if failures:
                    slot = take_failure(failures, head.metas[len(head.replies)], None, address)
                head.replies.append(slot)
                if len(head.replies) == head.count:
                    pending.popleft()
                    head.finish(address)
                continue
            fut, parser, meta, deadline, hook, args = pending.popleft()
            if failures:
                error = take_failure(failures, meta, args, address)
                if not fut.done():
                    fut.set_exception(error)
                continue
            if fut.done():
                continue
            if isinstance(reply, ServerError):
                if not (
                    reply.reroutable
                    and hook is not None
                    and args is not None
                    and offer_failure(hook, fut, args, parser, meta, deadline, reply)
                ):
                    reply.command = meta.name
                    reply.address = address
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
        if self._pushed:
            self._end_pushes()

    def _end_pushes(self) -> None:
        # The read delivered push frames: their handler may act on them all at once now.
        self._pushed = False
        hook = self.after_pushes
        if hook is None:
            return
        try:
            hook()
        except Exception:  # a faulty hook must not tear down a healthy stream
            logger.exception(
                "connection %s: push handler failed",
                self._address,
                extra=log_fields("push_handler_failed", self._address),
            )

    def _dispatch_push(self, frame: Any) -> None:
        if self._failures:
            # A push frame holds text that did not decode: it is delivered with U+FFFD in
            # place of the bad bytes, as no caller waits for it.
            self._failures.clear()
            logger.warning(
                "connection %s: push frame with undecodable text",
                self._address,
                extra=log_fields("push_undecodable", self._address),
            )
        handler = self.push_handler
        if handler is None:
            logger.debug(
                "connection %s: dropped push frame with no handler",
                self._address,
                extra=log_fields("push_dropped", self._address),
            )
            return
        self._pushed = True
        try:
            handler(frame)
        except Exception:  # a faulty handler must not tear down a healthy stream
            logger.exception(
                "connection %s: push handler failed",
                self._address,
                extra=log_fields("push_handler_failed", self._address),
            )
