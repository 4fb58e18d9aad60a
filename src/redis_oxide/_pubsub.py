"""Pub/sub: ``client.pubsub()``, an async iterator of typed messages that survives reconnects.

Rules this module keeps:

- A subscription runs on connections of its own (``Subscriber``, one per connection; one
  here, one per node for a cluster), leased through a ``SubscriberSource``. ``subscribe()``
  and its kin return once the server confirmed; bad names raise before anything is sent;
  past ``command_timeout`` they raise and leave nothing they added (``_pubsub_confirm``).
- Messages wait in ONE bounded queue, in the order the server sent them. The reader takes
  them through ``async for``, ``get_message()`` or ``run()``; a message whose channel has a
  handler goes to the handler instead, in the same order.
- Back-pressure never loses a message silently. With ``on_overflow="block"`` (the default)
  a full queue pauses reading from the socket, so the server buffers, and its own
  ``client-output-buffer-limit`` applies; a disconnect that causes is a reconnect like any
  other. With ``"error"`` the first message that does not fit closes the subscription and
  the reader gets ``SlowConsumerError`` after the messages before it.
- After a lost connection every channel, pattern and shard channel is subscribed again; the
  reader's loop goes on. Messages published meanwhile are lost (Redis pub/sub delivers at
  most once); ``on_reconnect`` is told, in stream order, where that gap is.
- A subscription dropped without ``aclose()`` closes its connections and warns
  (``_pubsub_lifetime``): nothing the loop reaches holds it, but a reader's own task.
- ``SubscriptionState`` changes only in ``_transition``.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Self, cast

from redis_oxide._command import KeyT
from redis_oxide._exceptions import PubSubError, RedisError
from redis_oxide._generated import StrT
from redis_oxide._pubsub_confirm import confirmed, unsubscribed
from redis_oxide._pubsub_frames import wire_names
from redis_oxide._pubsub_inbox import Handlers, Inbox
from redis_oxide._pubsub_lifetime import abandoned, retrieved, weak_method
from redis_oxide._pubsub_link import Subscriber
from redis_oxide._pubsub_reader import MessageReader
from redis_oxide._pubsub_types import (
    SUBSCRIPTION_TRANSITIONS,
    Kind,
    MessageHandler,
    PubSubOptions,
    Settings,
    SubscriberSource,
    SubscriptionState,
)

__all__ = ["PubSub", "PubSubOptions", "SubscriptionState"]


class PubSub(MessageReader[StrT]):
    """A subscription to channels, patterns and shard channels; see ``Redis.pubsub()``.

    ``async with client.pubsub() as p: await p.subscribe("news"); async for m in p: ...``.
    Messages are ``Message[str]`` on a client that decodes responses, ``Message[bytes]``
    otherwise.

    Built by ``client.pubsub()``; the options are documented there and in docs/pubsub.md.
    """

    # Closes what a subscription dropped without aclose() left open (``abandoned``).
    _finalizer: weakref.finalize[[list[Subscriber], list[Callable[[], None]]], PubSub[StrT]]

    def __init__(self) -> None:
        raise TypeError("subscriptions are made by client.pubsub()")

    @classmethod
    def _over(
        cls,
        source: SubscriberSource,
        *,
        encoding: str | None,
        encoding_errors: str,
        options: PubSubOptions,
    ) -> Self:
        """Build a subscription whose connections ``source`` leases.

        Args:
            source: Leases the dedicated connections (an executor).
            encoding: The client's text encoding (None keeps bytes), to match handler names.
            encoding_errors: The client's decoding error handler.
            options: What the user gave ``pubsub()``.

        Raises:
            TypeError: An unknown option was given.
            ValueError: An option has an invalid value.
        """
        pubsub = object.__new__(cls)
        pubsub._setup(source, encoding, encoding_errors, Settings.of(options))
        return pubsub

    def _setup(
        self,
        source: SubscriberSource,
        encoding: str | None,
        encoding_errors: str,
        settings: Settings,
    ) -> None:
        self._on_reconnect = settings.on_reconnect
        self._state = SubscriptionState.OPEN
        self._error: RedisError | None = None
        # The decoder turns "strict" into U+FFFD for push frames, so names are matched alike.
        errors = "replace" if encoding_errors == "strict" else encoding_errors
        self._handlers: Handlers[StrT] = Handlers(encoding, errors)
        # The connections feed the inbox: it reaches the subscription weakly (_pubsub_lifetime).
        self._inbox = Inbox(
            max_pending=settings.max_pending,
            fail_on_overflow=settings.fail_on_overflow,
            keep_notices=self._on_reconnect is not None,
            pause=weak_method(self._pause_links),
            resume=weak_method(self._resume_links),
            failed=weak_method(self._fail),
        )
        self._source = source
        self._settings = settings
        self._timeout = source.command_timeout  # bounds each subscribe()'s wait
        # One connection per server the subscription needs: one here; a cluster subscription
        # adds one per primary that owns a subscribed shard channel (see ``_place``).
        self._links: list[Subscriber] = [self._new_link()]
        self._on_drop: list[Callable[[], None]] = []  # also run when dropped without aclose()
        self._finalizer = weakref.finalize(self, abandoned, self._links, self._on_drop)
        self._finalizer.atexit = False

    # -- subscribing -----------------------------------------------------------------------

    async def subscribe(
        self, *channels: str | bytes, handler: MessageHandler[StrT] | None = None
    ) -> None:
        """Subscribe to channels; returns once the server confirmed every one.

        Args:
            *channels: Channel names.
            handler: Called with each message of these channels instead of the reader
                getting it (a function or a coroutine function); None removes a handler
                an earlier call gave them.

        Raises:
            TypeError: A name is not ``str`` or ``bytes``.
            ValueError: No name was given.
            PubSubError: The subscription is closed or failed.
            ServerError: The server refused (e.g. ``NoPermError``).
            CommandTimeoutError: No confirmation within ``command_timeout``; the names
                this call added were withdrawn.
        """
        await self._subscribe(Kind.CHANNEL, channels, handler, "subscribe")

    async def psubscribe(
        self, *patterns: str | bytes, handler: MessageHandler[StrT] | None = None
    ) -> None:
        """Subscribe to glob-style patterns (``news.*``); see ``subscribe``.

        Args:
            *patterns: Patterns.
            handler: Called with each message matching these patterns instead of the reader.

        Raises:
            TypeError: A pattern is not ``str`` or ``bytes``.
            ValueError: No pattern was given.
            PubSubError: The subscription is closed or failed.
            ServerError: The server refused.
            CommandTimeoutError: As for ``subscribe``.
        """
        await self._subscribe(Kind.PATTERN, patterns, handler, "psubscribe")

    async def ssubscribe(
        self, *channels: str | bytes, handler: MessageHandler[StrT] | None = None
    ) -> None:
        """Subscribe to shard channels (SSUBSCRIBE, Redis 7); see ``subscribe``.

        Args:
            *channels: Shard channel names.
            handler: Called with each message of these channels instead of the reader.

        Raises:
            TypeError: A name is not ``str`` or ``bytes``.
            ValueError: No name was given.
            PubSubError: The subscription is closed or failed.
            ServerError: The server refused.
            CommandTimeoutError: As for ``subscribe``.
        """
        await self._subscribe(Kind.SHARD, channels, handler, "ssubscribe")

    async def unsubscribe(self, *channels: str | bytes) -> None:
        """Unsubscribe from channels (all of them when none is given); returns once confirmed.

        Args:
            *channels: Channel names.

        Raises:
            TypeError: A name is not ``str`` or ``bytes``.
            PubSubError: The subscription is closed or failed.
            CommandTimeoutError: No confirmation within ``command_timeout``. The names are
                unsubscribed all the same: the subscription no longer lists them, a new
                connection never subscribes them, and the UNSUBSCRIBE stays queued for the
                server; their handlers take what the server sent before it answers.
        """
        await self._unsubscribe(Kind.CHANNEL, channels, "unsubscribe")

    async def punsubscribe(self, *patterns: str | bytes) -> None:
        """Unsubscribe from patterns (all of them when none is given).

        Args:
            *patterns: Patterns.

        Raises:
            TypeError: A pattern is not ``str`` or ``bytes``.
            PubSubError: The subscription is closed or failed.
            CommandTimeoutError: As for ``unsubscribe``.
        """
        await self._unsubscribe(Kind.PATTERN, patterns, "punsubscribe")

    async def sunsubscribe(self, *channels: str | bytes) -> None:
        """Unsubscribe from shard channels (all of them when none is given).

        Args:
            *channels: Shard channel names.

        Raises:
            TypeError: A name is not ``str`` or ``bytes``.
            PubSubError: The subscription is closed or failed.
            CommandTimeoutError: As for ``unsubscribe``.
        """
        await self._unsubscribe(Kind.SHARD, channels, "sunsubscribe")

    async def _subscribe(
        self,
        kind: Kind,
        names: tuple[str | bytes, ...],
        handler: MessageHandler[StrT] | None,
        method: str,
    ) -> None:
        wires = wire_names(names, method)
        if not wires:
            raise ValueError(f"{method}() needs at least one name")
        if handler is not None and not callable(handler):
            raise TypeError(f"{method}() handler must be callable, got {type(handler).__name__}")
        self._check_open(method)
        fresh = tuple(wire for wire in wires if wire not in self._wanted(kind))
        self._handlers.set(kind, wires, handler)
        try:
            withdraw = functools.partial(self._withdraw, kind, fresh)
            await confirmed(self._place(kind, wires), self._timeout, method, kind, withdraw)
        except (RedisError, asyncio.CancelledError):
            wanted = self._wanted(kind)
            self._handlers.drop(kind, tuple(wire for wire in wires if wire not in wanted))
            raise

    async def _unsubscribe(self, kind: Kind, names: tuple[str | bytes, ...], method: str) -> None:
        wires = wire_names(names, method)
        self._check_open(method)
        removing = self._remove(kind, wires)  # the names are gone here already
        # The handlers go once the server confirmed, even after the caller stopped waiting.
        removing.add_done_callback(retrieved)
        removing.add_done_callback(functools.partial(weak_method(self._retire), kind, wires))
        await unsubscribed(removing, self._timeout, method, kind)

    def _retire(self, kind: Kind, wires: tuple[bytes, ...], removing: asyncio.Future[Any]) -> None:
        if self._handlers and self._state is not SubscriptionState.CLOSED:
            # Messages received before the confirmation are in the inbox and still go to
            # their handlers; those handlers go once the reader took them.
            self._inbox.retire(kind, wires or None, self._handlers, self._wanted(kind))

    async def _place(self, kind: Kind, wires: tuple[bytes, ...]) -> None:
        # Which connection subscribes which names: one serves every kind on a single server.
        # A cluster subscription sends shard channels to the primaries owning their slots.
        await self._links[0].subscribe(kind, wires)

    def _remove(self, kind: Kind, wires: tuple[bytes, ...]) -> asyncio.Future[Any]:
        # Takes the names out of the wanted sets at once (no names: every name of ``kind``);
        # the future resolves when the server confirmed.
        return self._links[0].unsubscribe(kind, wires or None)

    def _withdraw(self, kind: Kind, wires: tuple[bytes, ...]) -> bool:
        # A subscribe() that stopped waiting gives up the names it added (_pubsub_confirm);
        # True when one of them had been sent.
        return any([link.withdraw(kind, wires) for link in self._links])  # every link

    def _new_link(self, keys: Sequence[KeyT] = ()) -> Subscriber:
        settings = self._settings
        return Subscriber(
            self._source,
            self._inbox,
            keys=keys,
            health_check_interval=settings.health_check_interval,
            reconnect_retry=settings.reconnect_retry,
        )

    def _pause_links(self) -> None:
        for link in self._links:
            link.pause()

    def _resume_links(self) -> None:
        for link in self._links:
            link.resume()

    def _wanted(self, kind: Kind) -> set[bytes]:
        return {wire for link in self._links for wire in link.wanted(kind)}

    def _check_open(self, method: str) -> None:
        closed = self._state is not SubscriptionState.OPEN
        if self._error is not None and self._state is not SubscriptionState.CLOSED:
            raise self._error.with_traceback(None)  # one raise's frames, not every one's
        if closed:
            raise PubSubError(f"PubSub.{method}() called after the subscription was closed")

    def _fail(self, error: RedisError) -> None:
        # Overflow ("error" policy) or a connection that gave up: the reader gets the
        # messages queued before, then the error.
        if self._state is not SubscriptionState.OPEN:
            return
        self._transition(SubscriptionState.FAILED)
        self._error = error
        for link in self._links:
            link.abort()
        self._inbox.fail(error)

    def _transition(self, new: SubscriptionState) -> None:
        if new not in SUBSCRIPTION_TRANSITIONS[self._state]:
            raise RuntimeError(f"illegal subscription transition {self._state.name} -> {new.name}")
        self._state = new

    # -- introspection and lifecycle -----------------------------------------------------------

    @property
    def state(self) -> SubscriptionState:
        """The current state."""
        return self._state

    @property
    def channels(self) -> frozenset[StrT]:
        """The channels subscribed to (or being subscribed to again after a loss)."""
        return self._names(Kind.CHANNEL)

    @property
    def patterns(self) -> frozenset[StrT]:
        """The patterns subscribed to."""
        return self._names(Kind.PATTERN)

    @property
    def shard_channels(self) -> frozenset[StrT]:
        """The shard channels subscribed to."""
        return self._names(Kind.SHARD)

    def _names(self, kind: Kind) -> frozenset[StrT]:
        delivered = self._handlers.delivered
        return frozenset(cast(StrT, delivered(wire)) for wire in self._wanted(kind))

    @property
    def pending(self) -> int:
        """Messages waiting for the reader."""
        return self._inbox.pending

    @property
    def reconnects(self) -> int:
        """How many times a lost connection was replaced and its subscriptions restored."""
        return sum(link.reconnects for link in self._links)

    def is_reading_paused(self) -> bool:
        """Whether reading from the socket is paused because the queue is full."""
        return self._inbox.is_paused()

    def __repr__(self) -> str:
        counts = " ".join(f"{kind.name.lower()}={len(self._wanted(kind))}" for kind in Kind)
        links = ",".join(link.state.name for link in self._links)
        return (
            f"<redis_oxide.PubSub {self._state.name} links={links} {counts} "
            f"pending={self._inbox.pending} paused={self._inbox.is_paused()} "
            f"reconnects={self.reconnects}>"
        )

    async def aclose(self) -> None:
        """Close the connection and end the subscription; calling it again does nothing.

        A reader waiting in ``async for`` stops; ``get_message()`` returns None.
        """
        if self._state is SubscriptionState.CLOSED:
            return
        self._finalizer.detach()
        self._transition(SubscriptionState.CLOSED)
        self._inbox.close()
        await asyncio.gather(*(link.aclose() for link in self._links))

    async def __aenter__(self) -> PubSub[StrT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
