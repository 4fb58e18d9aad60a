"""One subscriber connection: what it should be subscribed to, and keeping it so.

Rules this module keeps:

- A ``Subscriber`` holds at most one leased connection, and the sets of names it should be
  subscribed to (wire bytes): every new connection is subscribed to all of them.
- Everything is written with ``send_without_reply`` and every frame the server sends
  (messages, confirmations, PONGs, error replies) reaches ``_on_frame``: RESP2 (raw replies)
  and RESP3 (push frames) differ in framing only. ``Answers`` tells which command an answer
  belongs to; one that fits none means the stream is out of step: the connection is replaced.
- One supervisor task connects, restores, checks the link's health (``_pubsub_health``:
  also since when messages may be missing after a loss) and reconnects with backoff. State
  changes happen in synchronous methods (``_attach``, ``_detach``, ``_on_frame``,
  ``_restored``); only ``_transition`` assigns the state.
- It hands messages and link events to its ``SubscriberSink``. A cluster subscription runs
  one per node (``_pubsub_shard.ShardLink``: ``_restore_groups``, ``_answered`` overridden).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from redis_oxide._command import KeyT
from redis_oxide._exceptions import (
    ConnectionClosedError,
    ConnectionLostError,
    ProtocolError,
    RedisError,
    ServerError,
)
from redis_oxide._pool import Lease
from redis_oxide._pubsub_frames import (
    ANSWERS,
    MESSAGE,
    PMESSAGE,
    PONG,
    SMESSAGE,
    Answers,
    Request,
    awaited,
    frame_name,
    is_pong,
    unanswered,
)
from redis_oxide._pubsub_health import LinkHealth
from redis_oxide._pubsub_types import (
    LINK_BACKOFF,
    LINK_TRANSITIONS,
    Kind,
    LinkState,
    Message,
    Resubscribed,
    SubscriberSink,
    SubscriberSource,
)
from redis_oxide._retry import Retry

__all__ = ["Subscriber"]

logger = logging.getLogger("redis_oxide.pubsub")

_S = LinkState


class Subscriber:
    """One subscriber connection and the subscriptions it keeps alive.

    Args:
        source: Leases the dedicated connection.
        sink: Receives the messages and the link's events.
        keys: Passed to ``source.lease`` (a cluster picks the node by them).
        health_check_interval: A link silent this long (seconds) is declared dead; a PING
            is sent after half of it. None turns the check off.
        reconnect_retry: Gives up after ``attempts`` consecutive failed reconnects; None
            retries until closed.
    """

    def __init__(
        self,
        source: SubscriberSource,
        sink: SubscriberSink,
        *,
        keys: Sequence[KeyT] = (),
        health_check_interval: float | None,
        reconnect_retry: Retry | None,
    ) -> None:
        self._source = source
        self._sink = sink
        self._keys = keys
        self._health = LinkHealth(health_check_interval)
        self._retry = reconnect_retry
        self._backoff = reconnect_retry or LINK_BACKOFF
        self._wanted: dict[Kind, dict[bytes, None]] = {kind: {} for kind in Kind}
        self._expected = Answers()
        self._deferred: list[Request] = []  # subscribes waiting for a connection
        self._lease: Lease | None = None
        self._state = LinkState.IDLE
        self._task: asyncio.Task[None] | None = None
        self._marker: asyncio.Future[None] | None = None  # the PING that ends a restore
        self._ever_restored = False
        self._failures = 0
        self._heard = 0  # frames received so far; the health check compares counts
        self._lost: ConnectionLostError | None = None
        self._lost_at = 0.0  # since when messages may be missing (loop clock)
        self._unannounced: ConnectionLostError | None = None  # warned of at the next lease
        self._reconnects = 0
        self._address = ""

    # -- state -------------------------------------------------------------------------------

    @property
    def state(self) -> LinkState:
        """The current state."""
        return self._state

    @property
    def reconnects(self) -> int:
        """How many times a lost connection was replaced and its subscriptions restored."""
        return self._reconnects

    def running_on(self) -> tuple[asyncio.AbstractEventLoop, str] | None:
        """The supervisor's loop and the server's address while it holds or makes a connection."""
        if self._task is None or self._state in (_S.IDLE, _S.FAILED, _S.CLOSED):
            return None
        return self._task.get_loop(), self._address

    def wanted(self, kind: Kind) -> tuple[bytes, ...]:
        """The names of ``kind`` this subscriber is (or is becoming) subscribed to."""
        return tuple(self._wanted[kind])

    def _transition(self, new: LinkState) -> None:
        if new not in LINK_TRANSITIONS[self._state]:
            raise RuntimeError(f"illegal subscriber transition {self._state.name} -> {new.name}")
        logger.debug("subscriber %s: %s -> %s", self._address, self._state.name, new.name)
        self._state = new

    def __repr__(self) -> str:
        counts = " ".join(f"{kind.name.lower()}s={len(self._wanted[kind])}" for kind in Kind)
        return f"<Subscriber {self._state.name} {counts} reconnects={self._reconnects}>"

    # -- requests from the subscription ---------------------------------------------------

    def subscribe(self, kind: Kind, channels: tuple[bytes, ...]) -> asyncio.Future[None]:
        """Subscribe to ``channels``; the future resolves once the server confirmed them all.

        Without a connection the request waits for the next one (made on demand).
        """
        self._check_usable()
        wanted = self._wanted[kind]
        added = tuple(name for name in channels if name not in wanted)
        wanted.update(dict.fromkeys(added))
        future = asyncio.get_running_loop().create_future()
        request = Request.subscribe(kind, channels, future, added)
        if self._writable():
            self._send(request)
        else:
            self._deferred.append(request)
            self._start()
        return future

    def unsubscribe(self, kind: Kind, channels: tuple[bytes, ...] | None) -> asyncio.Future[None]:
        """Unsubscribe from ``channels`` (None: every one of ``kind``); resolves when confirmed.

        Without a connection it is done at once: the next connection never subscribes them.
        """
        self._check_usable()
        wanted = self._wanted[kind]
        names = tuple(wanted) if channels is None else channels
        for name in names:
            wanted.pop(name, None)
        future = asyncio.get_running_loop().create_future()
        if names and self._writable():
            self._send(Request.unsubscribe(kind, names, future))
        else:
            future.set_result(None)
        return future

    def withdraw(self, kind: Kind, channels: tuple[bytes, ...]) -> bool:
        """Give up ``channels``: the ``subscribe()`` that added them stopped waiting.

        Names another request still waits for stay. An UNSUBSCRIBE follows a SUBSCRIBE
        already written; without a connection, the next one never subscribes them.

        Returns:
            Whether a SUBSCRIBE naming some of ``channels`` may have been written here.
        """
        if self._state is _S.CLOSED or self._state is _S.FAILED:
            return False
        wanted = self._wanted[kind]
        sent = self._writable() and any(name in wanted for name in channels)
        busy = awaited((*self._expected.waiting(), *self._deferred), kind)
        gone = tuple(name for name in channels if name in wanted and name not in busy)
        if gone:
            self.unsubscribe(kind, gone).add_done_callback(self._unsubscribed)
        return sent

    def _unsubscribed(self, future: asyncio.Future[None]) -> None:
        # Nobody awaits an UNSUBSCRIBE sent on its own: its outcome changes nothing.
        if not future.cancelled():
            future.exception()

    def pause(self) -> None:
        """Stop reading from the connection (back-pressure); the health check rests too."""
        self._health.pause()
        if self._lease is not None:
            self._lease.pause_reading()

    def resume(self) -> None:
        """Read from the connection again."""
        self._health.resume()
        if self._lease is not None:
            self._lease.resume_reading()

    def _check_usable(self) -> None:
        if self._state is _S.CLOSED or self._state is _S.FAILED:
            raise ConnectionClosedError(f"the subscription is {self._state.value}")

    def _writable(self) -> bool:
        return self._lease is not None and self._lease.connection.available

    def _send(self, request: Request) -> None:
        assert self._lease is not None
        self._lease.send_without_reply((request.command, *request.channels))
        self._expected.expect(request)

    # -- frames from the server ----------------------------------------------------------------

    def _on_frame(self, frame: Any) -> None:
        self._heard += 1
        if isinstance(frame, list):
            items: list[Any] = frame  # pyright: ignore[reportUnknownVariableType]  # no cast call
            size = len(items)
            name = frame_name(items[0]) if size else None
            if name is MESSAGE and size == 3:
                self._sink.deliver(Message(MESSAGE, items[1], items[2]))
            elif name is PMESSAGE and size == 4:
                self._sink.deliver(Message(PMESSAGE, items[2], items[3], items[1]))
            elif name is SMESSAGE and size == 3:
                self._sink.deliver(Message(SMESSAGE, items[1], items[2]))
            elif name in ANSWERS:
                self._answered(name, items)
            else:
                self._out_of_step(f"an unexpected frame {items!r:.80}")
        elif isinstance(frame, ServerError):
            self._refused(frame)
        elif is_pong(frame):
            self._answered(PONG)  # RESP3, or RESP2 before the first subscription
        else:
            self._out_of_step(f"an unexpected reply {frame!r:.80}")

    def _answered(self, name: str, frame: list[Any] | None = None) -> None:
        wrong = self._expected.answered(name)
        if wrong is not None:
            self._out_of_step(wrong)

    def _refused(self, error: ServerError) -> None:
        request = self._expected.refused()
        if request is None:
            self._out_of_step(f"an error reply with no command waiting: {error}")
            return
        error.with_context(command=request.command, address=self._address)
        if request.kind is not None and request.subscribes:
            for name in request.added:
                self._wanted[request.kind].pop(name, None)
        if request.kind is None:
            request.resolve()  # a refused PING (an ACL without it) is an answer all the same
        elif request.future is None:
            logger.error("subscriber %s: restoring refused: %s", self._address, error)
        elif not request.future.done():
            request.future.set_exception(error)

    def _out_of_step(self, what: str) -> None:
        lease = self._lease
        if lease is None or lease.is_released():
            return
        logger.warning("subscriber %s: %s; reconnecting", self._address, what)
        lease.connection.fail(ProtocolError(f"pub/sub stream out of step: {what}"))

    # -- the supervisor --------------------------------------------------------------------

    def _start(self) -> None:
        if self._state is not _S.IDLE:
            return  # a supervisor is running and will take the deferred requests
        self._transition(_S.CONNECTING)
        self._task = task = asyncio.get_running_loop().create_task(self._supervise())
        task.add_done_callback(self._supervisor_ended)

    def _supervisor_ended(self, task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None and self._state is not _S.CLOSED:
            logger.error("subscriber %s: supervisor failed", self._address, exc_info=error)
            self._abandon(ConnectionLostError(f"the subscriber stopped: {error!r}"))

    async def _supervise(self) -> None:
        while True:
            try:
                lease = await self._source.lease(self._keys)
            except RedisError as exc:
                self._announce_loss(exc)
                if self._gave_up(exc):
                    return
                await asyncio.sleep(self._backoff.delay(self._failures))
                continue
            self._announce_loss(None)
            self._attach(lease)
            await self._health.watch(lease.connection, lambda: self._heard, self._ping)
            self._detach()  # (a link lost soon after its restore backs off too: ``flaps``)
            await asyncio.sleep(self._backoff.delay(self._failures or self._health.flaps))

    def _announce_loss(self, error: RedisError | None) -> None:
        lost, self._unannounced = self._unannounced, None
        if lost is not None and not isinstance(error, ConnectionClosedError):  # client closed
            logger.warning("subscriber %s: %s; reconnecting", self._address, lost.message)

    def _gave_up(self, error: RedisError) -> bool:
        self._failures += 1
        if not self._ever_restored:
            # Nothing was ever subscribed: the error belongs to whoever asked to subscribe.
            self._fail_deferred(error)
            self._transition(_S.IDLE)
            return True
        given_up = isinstance(error, ConnectionClosedError) or (
            self._retry is not None and self._failures >= self._retry.attempts
        )
        if given_up:
            self._abandon(error)
            return True
        logger.warning("subscriber %s: reconnecting failed: %s", self._address, error)
        return False

    def _abandon(self, error: RedisError) -> None:
        self._fail_deferred(error)
        if self._state is not _S.FAILED:
            self._transition(_S.FAILED)
        closed = isinstance(error, ConnectionClosedError)  # the client was closed: no failure
        logger.log(logging.INFO if closed else logging.ERROR, "subscriber gave up: %s", error)
        self._sink.link_failed(error)

    def _fail_deferred(self, error: BaseException) -> None:
        for request in self._deferred:
            if request.kind is not None:
                for name in request.added:
                    self._wanted[request.kind].pop(name, None)
            if request.future is not None and not request.future.done():
                request.future.set_exception(error)
        self._deferred.clear()

    def _attach(self, lease: Lease) -> None:
        self._lease = lease
        lease.set_push_handler(self._on_frame, raw_replies=True)
        self._health.attached()
        if self._health.paused:
            lease.pause_reading()
        self._address = lease.connection.address
        self._transition(_S.RESTORING)
        # Requests still waiting are sent as themselves, to be answered one by one; the rest
        # of each set is restored by commands of its own.
        waiting = {(r.kind, name) for r in self._deferred for name in r.channels}
        for kind in Kind:
            for group in self._restore_groups(kind, waiting):
                self._send(Request.subscribe(kind, group, None, group))
        for request in self._deferred:
            assert request.kind is not None
            wanted = self._wanted[request.kind]
            channels = tuple(name for name in request.channels if name in wanted)
            if not channels:
                request.resolve()
                continue
            request.channels, request.remaining = channels, len(channels)
            self._send(request)
        self._deferred.clear()
        # The server answers in order: once this PING is answered, every subscription is.
        marker = asyncio.get_running_loop().create_future()
        marker.add_done_callback(self._restored)
        self._marker = marker
        self._send(Request.ping(marker))

    def _restore_groups(
        self, kind: Kind, waiting: set[tuple[Kind | None, bytes]]
    ) -> list[tuple[bytes, ...]]:
        names = tuple(name for name in self._wanted[kind] if (kind, name) not in waiting)
        return [names] if names else []

    def _restored(self, marker: asyncio.Future[None]) -> None:
        failed = marker.cancelled() or marker.exception() is not None  # closed: error seen
        if failed or marker is not self._marker or self._state is not _S.RESTORING:
            return
        self._transition(_S.ACTIVE)
        self._failures = 0
        self._health.restored()
        self._ever_restored = True
        lost, self._lost = self._lost, None
        if lost is not None:
            self._reconnects += 1
            loop = asyncio.get_running_loop()
            notice = Resubscribed(
                self._address, lost, loop.time() - self._lost_at, self._reconnects
            )
            logger.info(
                "subscriber %s: subscriptions restored after %.3f s", self._address, notice.downtime
            )
            self._sink.link_restored(notice)

    def _ping(self) -> None:
        self._send(Request.ping(None))

    def _detach(self) -> None:
        lease, self._lease = self._lease, None
        self._marker = None
        if lease is not None:
            lease.release(discard=True)
        if self._state is _S.RESTORING:
            self._failures += 1  # lost before it was restored: back off before the next try
        lost, since = self._health.loss(self._address)
        if not self._ever_restored:
            self._lost = None  # nothing was lost: the subscription never stood
        else:
            if self._lost is None:  # else restoring failed: the first loss still counts
                self._lost, self._lost_at = lost, since
            self._unannounced = self._lost
        self._deferred += unanswered(self._expected.drain())  # sent again on the next one
        self._transition(_S.CONNECTING)

    # -- the end -----------------------------------------------------------------------------

    def abort(self) -> None:
        """Close at once: release the connection and fail every request still waiting."""
        if self._state is _S.CLOSED:
            return
        self._transition(_S.CLOSED)
        if self._task is not None:
            self._task.cancel()
        lease, self._lease = self._lease, None
        if lease is not None and not lease.is_released():
            lease.release(discard=True)
        closed = ConnectionClosedError("the subscription was closed", address=self._address)
        for request in (*self._expected.drain(), *self._deferred):
            if request.future is not None and not request.future.done():
                request.future.set_exception(closed)
        self._deferred.clear()

    async def aclose(self) -> None:
        """Close and wait for the supervisor to end."""
        self.abort()
        task = self._task
        if task is not None and not task.done():
            await asyncio.wait((task,))
