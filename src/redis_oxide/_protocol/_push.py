"""The class of RESP3 push frames, identical for both decoders.

Invariant: every push frame either decoder returns has exactly this type, and no other reply
does, so ``type(reply) is PushMessage`` tells an out-of-band frame (pub/sub message, tracking
invalidation) from a reply, at the cost of one pointer comparison.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis_oxide._protocol._types import RespValue

__all__ = ["PushMessage"]

if TYPE_CHECKING:

    class PushMessage(list[RespValue]):
        """A RESP3 push frame (``>``): pub/sub messages, tracking invalidations, …"""

else:
    # hiredis builds its own list subclass for push frames in C and cannot be told to use
    # ours, so when hiredis is installed its class *is* PushMessage and the pure decoder
    # builds that class too. Both decoders then answer ``type(reply) is PushMessage`` alike.
    from redis_oxide._protocol._hiredis import PUSH_CLASS

    if PUSH_CLASS is None:

        class PushMessage(list):
            """A RESP3 push frame (``>``): pub/sub messages, tracking invalidations, …"""

            __slots__ = ()

    else:
        PushMessage = PUSH_CLASS
