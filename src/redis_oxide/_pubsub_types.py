"""What a subscription hands to its reader, and the seams between its parts.

Rules this module keeps:

- A ``Message`` is immutable and typed by the client: ``Message[str]`` on a client that
  decodes responses, ``Message[bytes]`` otherwise. It is a ``NamedTuple`` because one is
  built per message on the receiving path, and a tuple is the cheapest immutable record.
- A subscription gets its connections through a ``SubscriberSource`` (any executor's
  ``lease``), never through a client's internals, so every topology can subscribe.
- Nothing here does I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, NamedTuple, Protocol, TypeAlias, TypedDict

from redis_oxide._command import KeyT
from redis_oxide._exceptions import RedisError
from redis_oxide._generated import StrT
from redis_oxide._pool import Lease
from redis_oxide._retry import Retry

__all__ = [
    "LINK_BACKOFF",
    "LINK_TRANSITIONS",
    "Kind",
    "LinkState",
    "Message",
    "MessageHandler",
    "OverflowPolicy",
    "PubSubOptions",
    "SUBSCRIPTION_TRANSITIONS",
    "ReconnectHandler",
    "Resubscribed",
    "Settings",
    "SubscriberSink",
    "SubscriberSource",
    "SubscriptionState",
]

# Delays between reconnect attempts: 50 ms doubling to 0.5 s, with jitter. A subscriber is a
# long-lived listener, so two tries a second while its server is down cost little, and a
# restarted server has its subscribers back within a second (the client's own reconnect
# policy caps at 1 s; redis-py's pub/sub reconnects only when it is next read).
LINK_BACKOFF: Final = Retry(attempts=1, backoff_base=0.05, backoff_cap=0.5)


class Kind(enum.Enum):
    """The three families of subscriptions, with their commands and frame names."""

    CHANNEL = ("SUBSCRIBE", "UNSUBSCRIBE", "message")
    PATTERN = ("PSUBSCRIBE", "PUNSUBSCRIBE", "pmessage")
    SHARD = ("SSUBSCRIBE", "SUNSUBSCRIBE", "smessage")

    def __init__(self, subscribe: str, unsubscribe: str, message: str) -> None:
        self.subscribe = subscribe
        self.unsubscribe = unsubscribe
        self.message = message


class LinkState(enum.Enum):
    """Where a subscriber connection is in its life."""

    IDLE = "idle"  # no connection wanted yet, or the first one could not be made
    CONNECTING = "connecting"  # opening a connection (first time or after a loss)
    RESTORING = "restoring"  # connected; subscriptions sent, not all confirmed
    ACTIVE = "active"  # every subscription confirmed
    FAILED = "failed"  # reconnecting gave up
    CLOSED = "closed"  # closed on purpose


_S = LinkState
#: The moves ``Subscriber._transition`` allows.
LINK_TRANSITIONS: Final[dict[LinkState, frozenset[LinkState]]] = {
    _S.IDLE: frozenset({_S.CONNECTING, _S.CLOSED}),
    _S.CONNECTING: frozenset({_S.RESTORING, _S.IDLE, _S.FAILED, _S.CLOSED}),
    _S.RESTORING: frozenset({_S.ACTIVE, _S.CONNECTING, _S.CLOSED}),
    _S.ACTIVE: frozenset({_S.CONNECTING, _S.CLOSED}),
    _S.FAILED: frozenset({_S.CLOSED}),
    _S.CLOSED: frozenset(),
}


class SubscriptionState(enum.Enum):
    """Where a subscription is in its life."""

    OPEN = "open"
    FAILED = "failed"  # reconnecting gave up, or the reader was too slow ("error" policy)
    CLOSED = "closed"


#: The moves ``PubSub._transition`` allows.
SUBSCRIPTION_TRANSITIONS: Final[dict[SubscriptionState, frozenset[SubscriptionState]]] = {
    SubscriptionState.OPEN: frozenset({SubscriptionState.FAILED, SubscriptionState.CLOSED}),
    SubscriptionState.FAILED: frozenset({SubscriptionState.CLOSED}),
    SubscriptionState.CLOSED: frozenset(),
}


class Message(NamedTuple, Generic[StrT]):
    """One published message, as a subscription delivers it.

    Attributes:
        kind: ``"message"`` (a channel subscription), ``"pmessage"`` (a pattern) or
            ``"smessage"`` (a shard channel).
        channel: The channel it was published to.
        data: What was published.
        pattern: For ``"pmessage"``, the pattern that matched; otherwise None.
    """

    kind: Literal["message", "pmessage", "smessage"]
    channel: StrT
    data: StrT
    pattern: StrT | None = None


@dataclass(frozen=True, slots=True)
class Resubscribed:
    """Subscriptions were restored after a lost connection, or after their slot moved.

    Messages published while no connection was subscribed were not received: Redis pub/sub
    delivers at most once. A reader that keeps state derived from messages can resynchronise
    when it is told (``on_reconnect``).

    Restores of one server that follow one another with no message between them, before
    the reader reached the first notice, come as one notice: the first one's ``cause``
    (where the gap began), the last one's ``reconnects``, and the downtimes added up.

    Attributes:
        address: The server the new connection goes to.
        cause: Why: the ``ConnectionLostError`` that ended the old connection (on a
            cluster, also when the shard channels of a failed primary moved to its
            successor), or a ``MovedError`` naming the new owner of a slot that moved. Its
            message tells a connection the server (or a proxy) closed, such as after
            CLIENT KILL or a shutdown, from one that was reset or failed, whose socket
            error (a ``ConnectionResetError`` for a reset) is its ``__cause__``.
        downtime: Seconds in which messages may have been missed: from the loss or the
            move until every subscription was confirmed again. A connection that ends while
            it is read counts from its end; one found silent by the health check, from just
            before its last frame; one that ends while reading is paused (back-pressure), or
            before the reader has caught up since, from the pause, because the server may
            have dropped the subscriber any time after it.
        reconnects: How many times this subscription has been restored so far.
    """

    address: str
    cause: RedisError
    downtime: float
    reconnects: int


#: A per-subscription callback; it may be a plain function or a coroutine function.
MessageHandler: TypeAlias = Callable[[Message[StrT]], Awaitable[None] | None]
#: Told, in stream order, that the subscription was restored after a loss.
ReconnectHandler: TypeAlias = Callable[[Resubscribed], Awaitable[None] | None]
#: What happens when the reader falls ``max_pending`` messages behind.
OverflowPolicy: TypeAlias = Literal["block", "error"]


class PubSubOptions(TypedDict, total=False):
    """Options of ``Redis.pubsub()``; every one has a default (see ``PubSub``)."""

    max_pending: int
    on_overflow: OverflowPolicy
    health_check_interval: float | None
    reconnect_retry: Retry | None
    on_reconnect: ReconnectHandler | None


# Messages that may wait for the reader. 10,000 absorbs bursts of a busy channel (about
# 2-3 MB of Python objects for 100-byte payloads) while memory stays bounded; go-redis's
# channel holds 100, redis-py and Lettuce do not bound theirs.
_DEFAULT_MAX_PENDING: Final = 10_000
# A link silent this long is dead. go-redis pings subscribers every 3 s; redis-py only
# when asked (health_check_interval=0). 5 s notices a dead link quickly without chatter.
_DEFAULT_HEALTH_CHECK_INTERVAL: Final = 5.0


@dataclass(frozen=True, slots=True)
class Settings:
    """``PubSubOptions`` checked, with their defaults filled in."""

    max_pending: int
    fail_on_overflow: bool
    health_check_interval: float | None
    reconnect_retry: Retry | None
    on_reconnect: ReconnectHandler | None

    @classmethod
    def of(cls, options: PubSubOptions) -> Settings:
        """Check ``options`` and fill in the defaults.

        Raises:
            TypeError: An option is unknown.
            ValueError: An option has an invalid value.
        """
        unknown = set(options) - set(PubSubOptions.__annotations__)
        if unknown:
            raise TypeError(f"pubsub() got unknown options: {', '.join(sorted(unknown))}")
        max_pending = options.get("max_pending", _DEFAULT_MAX_PENDING)
        if type(max_pending) is not int or max_pending < 1:
            raise ValueError(f"max_pending must be an int >= 1, got {max_pending!r}")
        on_overflow = options.get("on_overflow", "block")
        if on_overflow not in ("block", "error"):
            raise ValueError(f"on_overflow must be 'block' or 'error', not {on_overflow!r}")
        interval = options.get("health_check_interval", _DEFAULT_HEALTH_CHECK_INTERVAL)
        if interval is not None and not interval > 0:
            raise ValueError(f"health_check_interval must be > 0 or None, got {interval!r}")
        return cls(
            max_pending,
            on_overflow == "error",
            interval,
            options.get("reconnect_retry"),
            options.get("on_reconnect"),
        )


class SubscriberSource(Protocol):
    """Where a subscription gets its dedicated connections: any executor's ``lease``."""

    @property
    def command_timeout(self) -> float | None:
        """Seconds a ``subscribe()`` waits for its confirmation; None waits indefinitely."""
        ...

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a dedicated connection to the server that holds ``keys``."""
        ...


class SubscriberSink(Protocol):
    """What one subscriber connection hands to the subscription that owns it."""

    def deliver(self, message: Message[Any]) -> None:
        """Take one message, in the order the server sent it."""
        ...

    def link_restored(self, notice: Resubscribed) -> None:
        """Note that a lost connection was replaced and every subscription confirmed."""
        ...

    def link_failed(self, error: RedisError) -> None:
        """Note that the connection was lost for good (reconnecting gave up)."""
        ...
