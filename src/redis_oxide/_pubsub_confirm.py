"""How long ``subscribe()`` and its kin wait for the server's confirmation, and what is left
when they stop waiting.

Rules this module keeps:

- The wait is bounded by the client's ``command_timeout``, as every other call is, whether
  it is spent waiting for the subscription's connection (a hung server answers no
  handshake, and ``connect_timeout`` is usually much longer than the caller asked to wait)
  or for the confirmation. Without ``command_timeout`` it waits as long as commands do.
- A call that does not return, because its time ran out or its caller was cancelled,
  leaves nothing it added: the names it added are withdrawn at once (``withdraw``), and an
  UNSUBSCRIBE follows a SUBSCRIBE already written, so the server drops them once it answers
  again. Names subscribed before the call stay.
- Nothing here touches a connection: ``withdraw`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from redis_oxide._exceptions import CommandTimeoutError, RedisError
from redis_oxide._pubsub_types import Kind

__all__ = ["confirmed"]


async def confirmed(
    placing: Awaitable[None],
    wait_timeout: float | None,
    method: str,
    kind: Kind,
    withdraw: Callable[[], bool],
) -> None:
    """Await ``placing`` (the subscription being made) for at most ``wait_timeout`` seconds.

    Args:
        placing: Resolves once the server confirmed every name.
        wait_timeout: The client's ``command_timeout``; None waits as long as it takes.
        method: The public method, for the message (``"subscribe"``).
        kind: The family of the names, for the command named in the error.
        withdraw: Gives up the names the call added; returns whether a SUBSCRIBE (or kin)
            naming them had been written.

    Raises:
        CommandTimeoutError: No confirmation within ``wait_timeout``; the names were withdrawn.
        PoolTimeoutError: ``pool_timeout`` ran out first (raised by the connection's lease).
        ConnectTimeoutError: ``connect_timeout`` ran out first.
    """
    try:
        if wait_timeout is None:
            await placing
            return
        async with asyncio.timeout(wait_timeout):
            await placing
    except asyncio.CancelledError:
        withdraw()
        raise
    except TimeoutError as exc:
        if isinstance(exc, RedisError):
            raise  # connect_timeout or pool_timeout ran out first, and said so
        sent = withdraw()
        what = (
            f"the names it added were withdrawn ({kind.subscribe} was sent: "
            f"{kind.unsubscribe} follows it for them)"
            if sent
            else "nothing was sent, and the names it added were withdrawn"
        )
        raise CommandTimeoutError(
            f"{method}() was not confirmed within command_timeout={wait_timeout} s (the "
            "server did not answer, or no connection to it could be made in time); "
            f"{what}: call {method}() again, or give the client a longer command_timeout "
            "(Redis(command_timeout=...) or with_options(command_timeout=...))",
            may_have_executed=sent,
            command=kind.subscribe,
        ) from exc
