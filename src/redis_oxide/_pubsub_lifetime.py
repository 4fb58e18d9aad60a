"""What becomes of a subscription dropped without ``aclose()``.

Rules this module keeps:

- Nothing the event loop reaches holds a subscription (``PubSub``): what its connections
  call back (the inbox's pause, resume and failure hooks, an unsubscribe's confirmation, a
  cluster's map listener and shard links) reaches it through ``weak_method`` or a weak
  reference. A reader in ``async for``, ``get_message()`` or ``run()`` holds it from its own
  task, so a subscription in use is never collected.
- A collected subscription's finalizer (``abandoned``) closes its connections and stops
  their tasks on their own loop, at the loop's next turn: a garbage collection may run in
  the middle of a connection's own code, which must not be torn down under it. It warns
  once (``ResourceWarning``) when a connection was open, as a client dropped without
  ``aclose()`` does.
- The connections hold the client's executor (they reconnect through it), so a client whose
  last user was the subscription is collected, and closed by its own finalizer, once they
  ended.
"""

from __future__ import annotations

import asyncio
import warnings
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ParamSpec

from redis_oxide._exceptions import RedisError
from redis_oxide._pubsub_link import Subscriber
from redis_oxide._pubsub_types import Kind

if TYPE_CHECKING:
    from redis_oxide._pubsub_shard import ShardLink, ShardOwner

__all__ = ["WeakOwner", "abandoned", "retrieved", "weak_method"]

P = ParamSpec("P")

_COUNTED = ((Kind.CHANNEL, "channels"), (Kind.PATTERN, "patterns"), (Kind.SHARD, "shard_channels"))


def weak_method(method: Callable[P, None]) -> Callable[P, None]:
    """Bound ``method`` called through a weak reference: nothing once its object is gone."""
    ref = weakref.WeakMethod(method)

    def call(*args: P.args, **kwargs: P.kwargs) -> None:
        bound = ref()
        if bound is not None:
            bound(*args, **kwargs)

    return call


class WeakOwner:
    """A cluster subscription as its shard links see it: weakly (``ShardOwner``).

    Args:
        owner: The subscription.
    """

    __slots__ = ("_owner",)

    def __init__(self, owner: ShardOwner) -> None:
        self._owner = weakref.ref(owner)

    def left(self, link: ShardLink, names: tuple[bytes, ...], error: RedisError | None) -> None:
        """As ``ShardOwner.left``; nothing once the subscription was collected."""
        if (owner := self._owner()) is not None:
            owner.left(link, names, error)

    def refused(self, names: tuple[bytes, ...]) -> None:
        """As ``ShardOwner.refused``."""
        if (owner := self._owner()) is not None:
            owner.refused(names)

    def idle(self, link: ShardLink) -> None:
        """As ``ShardOwner.idle``."""
        if (owner := self._owner()) is not None:
            owner.idle(link)


def retrieved(future: asyncio.Future[Any]) -> None:
    """A done callback marking ``future``'s error as seen: nobody may be waiting for it."""
    if not future.cancelled():
        future.exception()


def abandoned(links: list[Subscriber], hooks: list[Callable[[], None]]) -> None:
    """Close what a subscription collected without ``aclose()`` left open; warn if it had any.

    Args:
        links: Its connections (the subscription's own list: a cluster's grows and shrinks).
        hooks: Run at once (a cluster's map listener removal).
    """
    for hook in hooks:
        hook()
    running = [(link, found) for link in links if (found := link.running_on()) is not None]
    if not running:
        return  # never connected, failed, or closed: nothing left open
    fate = "its connections are being closed"
    for link, (loop, _) in running:
        if loop.is_closed():
            fate = "its event loop was closed first"
        else:
            loop.call_soon_threadsafe(link.abort)
    counts = " ".join(
        f"{label}={sum(len(link.wanted(kind)) for link in links)}" for kind, label in _COUNTED
    )
    servers = ",".join(dict.fromkeys(address for _, (_, address) in running if address))
    name = f"<redis_oxide.PubSub {servers or 'connecting'} {counts}>"
    warnings.warn(
        f"{name} was dropped without aclose(); {fate} "
        "(use async with client.pubsub() as p, or await p.aclose())",
        ResourceWarning,
        stacklevel=1,
    )
