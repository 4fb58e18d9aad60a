"""The reader's half of a subscription: ``async for``, ``get_message()`` and ``run()``.

Rules this module keeps:

- The reader takes the inbox's items in stream order: a message goes to its handler, when
  its name has one, or to the reader; a ``Resubscribed`` notice goes to ``on_reconnect``; a
  ``Retired`` marker takes the handlers of names unsubscribed before it.
- Handlers and ``on_reconnect`` run in the reader's task, so nothing overtakes the stream.
- Only the reader awaits here; the connections feed the inbox synchronously.
"""

from __future__ import annotations

import asyncio
from typing import Generic, Self, cast

from redis_oxide._exceptions import PubSubError
from redis_oxide._generated import StrT
from redis_oxide._pubsub_inbox import Handlers, Inbox, Retired
from redis_oxide._pubsub_types import Kind, Message, ReconnectHandler, Resubscribed

__all__ = ["MessageReader"]


class MessageReader(Generic[StrT]):
    """What ``PubSub`` gives its reader; ``PubSub`` sets the attributes."""

    _inbox: Inbox
    _handlers: Handlers[StrT]
    _on_reconnect: ReconnectHandler | None

    def _wanted(self, kind: Kind) -> set[bytes]:
        """The names of ``kind`` the subscription is (or is becoming) subscribed to."""
        raise NotImplementedError

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Message[StrT]:
        message = await self._next(None)
        if message is None:
            raise StopAsyncIteration
        return message

    # redis-py's signature, which its users know.
    async def get_message(self, timeout: float | None = 0.0) -> Message[StrT] | None:  # noqa: ASYNC109
        """Return the next message, or None if none arrives within ``timeout``.

        For redis-py users: subscribe confirmations are never returned (``subscribe()``
        awaits them), so there is no ``ignore_subscribe_messages``.

        Args:
            timeout: Seconds to wait; 0 does not wait, None waits until a message arrives or
                the subscription is closed.

        Returns:
            The message, or None (timeout, or the subscription was closed).

        Raises:
            ValueError: ``timeout`` is negative.
            SlowConsumerError: Messages were dropped (``on_overflow="error"``).
            ConnectionError: Reconnecting gave up (``reconnect_retry``).
        """
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 or None, got {timeout!r}")
        return await self._next(timeout)

    async def run(self) -> None:
        """Hand every message to its handler until the subscription is closed.

        Raises:
            PubSubError: A message arrived for a subscription without a handler; it stays
                first in line, for ``get_message()`` or a handler given meanwhile.
            SlowConsumerError: Messages were dropped (``on_overflow="error"``).
            ConnectionError: Reconnecting gave up (``reconnect_retry``).
        """
        async for message in self:
            self._inbox.put_back(message)
            raise PubSubError(
                f"a {message.kind} on {message.channel!r} has no handler; "
                "give one to subscribe(), or read with `async for`"
            )

    async def _next(self, wait: float | None) -> Message[StrT] | None:
        deadline = None if wait is None else asyncio.get_running_loop().time() + wait
        while True:
            item = await self._inbox.take(deadline)
            if item is None:
                return None
            if type(item) is Retired:
                self._handlers.forget(item, self._wanted)
                continue
            if type(item) is Resubscribed:
                if self._on_reconnect is not None:
                    done = self._on_reconnect(item)
                    if done is not None:
                        await done
                continue
            message = cast(Message[StrT], item)
            if self._handlers:
                handler = self._handlers.of(message)
                if handler is not None:
                    outcome = handler(message)
                    if outcome is not None:
                        await outcome
                    continue
            return message
