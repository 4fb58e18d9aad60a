"""The messages of a subscription that wait for its reader: bounded, in order, never lost silently.

Rules this module keeps:

- ONE queue per subscription holds messages in the order the server sent them, whichever
  connection brought them.
- With the "block" policy, reaching ``max_pending`` asks the connections to stop reading
  (the server buffers what follows); the queue may exceed the bound only by what the read in
  progress still holds. Reading resumes once the reader has taken it down to half.
- With the "error" policy, a message that does not fit ends the subscription: the reader
  gets the messages before it, then ``SlowConsumerError``.
- Only ``take`` awaits; everything a connection calls is synchronous.
- A message whose name has a handler goes to the handler when the reader reaches it, so
  handled and unhandled messages keep one order and one bound.
- An unsubscribe takes the handlers away at once from names with no message waiting; for
  the others a ``Retired`` marker keeps them until the reader took those messages. Markers
  are not messages: they stay out of the queue (``pending``, ``max_pending`` and the
  "block" pause never count them), one per place in the queue takes every unsubscribe made
  there, and they name only names with a message waiting, so they stay within the queue's
  bound.
- ``Resubscribed`` notices are not messages either: kept beside the queue at their place in
  the stream, they never count in ``pending`` or against ``max_pending`` (a burst of
  reconnects must not end an "error" subscription). Notices of one server at one place (no
  message between) merge into one, so they too stay within the queue's bound.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import replace
from typing import Any, Generic

from redis_oxide._exceptions import RedisError, SlowConsumerError
from redis_oxide._generated import StrT
from redis_oxide._pubsub_types import Kind, Message, MessageHandler, Resubscribed

__all__ = ["Handlers", "Inbox", "Retired"]


class Inbox:
    """The reader's side of a subscription; the ``SubscriberSink`` its connections feed.

    Args:
        max_pending: Messages that may wait for the reader.
        fail_on_overflow: The "error" policy; otherwise "block".
        keep_notices: Queue ``Resubscribed`` notices (someone listens for them).
        pause: Stop reading from every connection of the subscription.
        resume: Read from them again.
        failed: End the subscription with an error (overflow, or reconnecting gave up).
    """

    def __init__(
        self,
        *,
        max_pending: int,
        fail_on_overflow: bool,
        keep_notices: bool,
        pause: Callable[[], None],
        resume: Callable[[], None],
        failed: Callable[[RedisError], None],
    ) -> None:
        self._max = max_pending
        self._resume_at = max_pending // 2
        self._fail_on_overflow = fail_on_overflow
        self._keep_notices = keep_notices
        self._pause = pause
        self._resume = resume
        self._failed = failed
        self._queue: collections.deque[Message[Any]] = collections.deque()
        # Oldest first; each at a place in the stream, counted in messages the reader took.
        self._markers: collections.deque[Retired] = collections.deque()
        self._notices: collections.deque[tuple[int, Resubscribed]] = collections.deque()
        self._taken = 0
        self._wakeup: asyncio.Future[None] | None = None
        self._paused = False
        self._error: RedisError | None = None
        self._closed = False

    @property
    def pending(self) -> int:
        """Messages waiting for the reader."""
        return len(self._queue)

    def is_paused(self) -> bool:
        """Whether reading is paused because the queue is full."""
        return self._paused

    # -- fed by the connections (SubscriberSink) ------------------------------------------

    def deliver(self, message: Message[Any]) -> None:
        """Queue one message (called by a subscriber connection)."""
        queue = self._queue
        # With "block", reading is already paused past the bound and what still comes is
        # from the read in progress: it is kept.
        if self._fail_on_overflow and len(queue) >= self._max:
            self._failed(
                SlowConsumerError(
                    f"more than max_pending={self._max} messages waited for the reader; "
                    "the subscription was closed (on_overflow='error')",
                    max_pending=self._max,
                )
            )
            return
        queue.append(message)
        if len(queue) >= self._max and not self._paused and not self._fail_on_overflow:
            self._paused = True
            self._pause()
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    def link_restored(self, notice: Resubscribed) -> None:
        """Keep a restored-subscription notice for the reader, at its place in the stream.

        A notice from the same server at the same place (no message between, the reader not
        there yet) is merged into that one: the first loss's cause (where the gap began),
        both downtimes added up, the latest count of restores.
        """
        if not self._keep_notices or self._error is not None or self._closed:
            return
        at = self._taken + len(self._queue)
        notices = self._notices
        if notices and notices[-1][0] == at and notices[-1][1].address == notice.address:
            first = notices.pop()[1]
            downtime = first.downtime + notice.downtime
            notice = replace(first, downtime=downtime, reconnects=notice.reconnects)
        notices.append((at, notice))
        self._wake()

    def retire(
        self,
        kind: Kind,
        wires: tuple[bytes, ...] | None,
        handlers: Handlers[Any],
        wanted: AbstractSet[bytes],
    ) -> None:
        """Take the handlers from names just unsubscribed (None: every name of ``kind``).

        Messages the server sent before confirming the unsubscribe are queued: names with
        such a message keep their handler until the reader took it, the others lose it now.
        Names in ``wanted`` (subscribed again since) keep theirs.
        """
        deferred = handlers.unsubscribed(kind, wires, wanted, self._waiting)
        if not deferred:
            return
        at = self._taken + len(self._queue)
        markers = self._markers
        if markers and markers[-1].at == at:  # no message since the last one: one marker
            marker = markers[-1]
        else:
            marker = Retired(at)
            markers.append(marker)
        marker.names.setdefault(kind, set()).update(deferred)

    def _waiting(self, kind: Kind) -> set[object]:
        """The names, as messages carry them, that queued messages of ``kind`` are for."""
        frame = kind.message
        queue = self._queue
        if kind is Kind.PATTERN:
            return {m.pattern for m in queue if m.kind == frame}
        return {m.channel for m in queue if m.kind == frame}

    def link_failed(self, error: RedisError) -> None:
        """A connection gave up reconnecting: the subscription ends with ``error``."""
        self._failed(error)

    def put_back(self, message: Message[Any]) -> None:
        """Return the message just taken to the head of the line (``run()`` without handler)."""
        self._queue.appendleft(message)
        self._taken -= 1

    # -- the end ---------------------------------------------------------------------------

    def fail(self, error: RedisError) -> None:
        """Let the reader have what is queued, then ``error``."""
        if self._error is None:
            self._error = error
        self._wake()

    def close(self) -> None:
        """Drop what is queued; the reader gets None from now on."""
        self._closed = True
        self._queue.clear()
        self._markers.clear()
        self._notices.clear()
        self._wake()

    def _wake(self) -> None:
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    # -- the reader ------------------------------------------------------------------------

    async def take(self, deadline: float | None) -> Message[Any] | Resubscribed | Retired | None:
        """Return the oldest item, waiting until ``deadline`` (loop clock; None: no limit).

        A ``Retired`` marker or a ``Resubscribed`` notice comes once the reader took every
        message queued before it.

        Returns:
            The item; None once the deadline passed or the subscription was closed.

        Raises:
            RedisError: The subscription failed, after everything queued before was taken.
        """
        markers, notices, queue = self._markers, self._notices, self._queue
        loop = asyncio.get_running_loop()
        while True:
            if markers and markers[0].at <= self._taken:
                return markers.popleft()
            if notices and notices[0][0] <= self._taken:
                return notices.popleft()[1]
            if queue:
                break
            if self._closed:  # closed by its owner: from then on the reader gets None
                return None
            if self._error is not None:
                raise self._error.with_traceback(None)  # one raise's frames, not every one's
            wakeup = self._wakeup
            if wakeup is None or wakeup.done():
                wakeup = self._wakeup = loop.create_future()
            # asyncio.wait never cancels the future, which other readers may share.
            if deadline is None:
                await asyncio.wait((wakeup,))
                continue
            remaining = deadline - loop.time()
            if remaining > 0:
                await asyncio.wait((wakeup,), timeout=remaining)
                continue
            # A loop polling with timeout=0 must still let the loop run.
            await asyncio.sleep(0)
            if notices and notices[0][0] <= self._taken:
                return notices.popleft()[1]
            if not queue:
                return None
            break
        item = queue.popleft()
        self._taken += 1
        if self._paused and len(queue) <= self._resume_at:
            self._paused = False
            self._resume()
        return item


class Retired:
    """In the inbox: names unsubscribed give up their handlers once the reader is here.

    Messages the server sent before confirming the unsubscribe are queued ahead of it and
    still go to their handlers.

    Args:
        at: Its place in the stream: after that many items taken by the reader.
    """

    __slots__ = ("at", "names")

    def __init__(self, at: int) -> None:
        self.at = at
        #: The names, as messages carry them, by kind.
        self.names: dict[Kind, set[object]] = {}


class Handlers(Generic[StrT]):
    """The handlers of a subscription, by kind and by name as messages carry it.

    Args:
        encoding: The client's text encoding; None when names stay ``bytes``.
        errors: The decoding error handler matching the connection's.
    """

    def __init__(self, encoding: str | None, errors: str) -> None:
        self._encoding = encoding
        self._errors = errors
        self._tables: dict[Kind, dict[object, MessageHandler[StrT]]] = {k: {} for k in Kind}
        self._any = False  # tested per message: a bool, not a walk over the tables

    def __bool__(self) -> bool:
        return self._any

    def delivered(self, wire: bytes) -> object:
        """A name as messages carry it: decoded as the connection decodes text."""
        return wire if self._encoding is None else wire.decode(self._encoding, self._errors)

    def set(
        self, kind: Kind, wires: tuple[bytes, ...], handler: MessageHandler[StrT] | None
    ) -> None:
        """Give ``wires`` to ``handler``; None gives them back to the reader.

        Raises:
            ValueError: A name does not decode with the client's encoding: messages carry it
                with U+FFFD in place, where names that differ only there would share one
                handler. Nothing was changed.
        """
        if handler is None:
            self.drop(kind, wires)
            return
        encoding = self._encoding
        for wire in wires:
            try:
                if encoding is not None:
                    wire.decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(
                    f"a handler needs a name that decodes as {encoding}, the client's "
                    f"encoding; {wire!r} does not: subscribe it without a handler, or on a "
                    "client without decode_responses"
                ) from None
        table = self._tables[kind]
        for wire in wires:
            table[self.delivered(wire)] = handler
        self._any = True

    def drop(self, kind: Kind, wires: tuple[bytes, ...] | None) -> None:
        """Forget the handlers of ``wires`` (None: of every name of ``kind``)."""
        table = self._tables[kind]
        if wires is None:
            table.clear()
        for wire in wires or ():
            table.pop(self.delivered(wire), None)
        self._any = any(self._tables.values())

    def unsubscribed(
        self,
        kind: Kind,
        wires: tuple[bytes, ...] | None,
        wanted: AbstractSet[bytes],
        waiting: Callable[[Kind], AbstractSet[object]],
    ) -> list[object]:
        """Forget the handlers of ``wires`` (None: of every name of ``kind``) now, but of
        names subscribed again since (``wanted``) and of names with a message ``waiting``
        (asked only when a handler is to go).

        Returns:
            The names, as messages carry them, whose handlers wait for the reader to take
            their messages (``forget`` them then).
        """
        table = self._tables[kind]
        if not table:
            return []
        keep = {self.delivered(wire) for wire in wanted}
        names = list(table) if wires is None else [self.delivered(wire) for wire in wires]
        deferred: list[object] = []
        queued: AbstractSet[object] | None = None
        for name in names:
            if name in keep or name not in table:
                continue
            if queued is None:
                queued = waiting(kind)
            if name in queued:
                deferred.append(name)
            else:
                del table[name]
        self._any = any(self._tables.values())
        return deferred

    def forget(self, marker: Retired, wanted: Callable[[Kind], AbstractSet[bytes]]) -> None:
        """Forget the handlers of ``marker``'s names, but of those subscribed again since."""
        for kind, names in marker.names.items():
            table = self._tables[kind]
            keep = {self.delivered(wire) for wire in wanted(kind)}
            for name in names - keep:
                table.pop(name, None)
        self._any = any(self._tables.values())

    def of(self, message: Message[StrT]) -> MessageHandler[StrT] | None:
        """The handler that takes ``message``, if any."""
        if message.kind == "pmessage":
            return self._tables[Kind.PATTERN].get(message.pattern)
        if message.kind == "smessage":
            return self._tables[Kind.SHARD].get(message.channel)
        return self._tables[Kind.CHANNEL].get(message.channel)
