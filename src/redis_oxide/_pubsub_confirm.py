"""How long ``subscribe()``, ``unsubscribe()`` and their kin wait for the server's
confirmation, and what is left when they stop waiting.

Rules this module keeps:

- The wait is bounded by the client's ``command_timeout``, as every other call is, whether
  it is spent waiting for the subscription's connection (a hung server answers no
  handshake, and ``connect_timeout`` is usually much longer than the caller asked to wait)
  or for the confirmation. Without ``command_timeout`` it waits as long as commands do.
- A call that does not return, because its time ran out or its caller was cancelled,
  leaves nothing it added: the names it added are withdrawn at once (``withdraw``), and an
  UNSUBSCRIBE follows a SUBSCRIBE already written, so the server drops them once it answers
  again. Names subscribed before the call stay.
- An unsubscribe is done when it is asked for: its names leave the wanted sets at once, so
  a new connection never subscribes them. Its wait for the confirmation is bounded alike;
  past it the UNSUBSCRIBE stays queued (the server runs it when it answers again, or the
  connection is replaced), and the handlers of its names stay until then, for the messages
  the server sent before it.
- Nothing here touches a connection: ``withdraw`` and the unsubscribe itself do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from redis_oxide._exceptions import CommandTimeoutError, RedisError
from redis_oxide._pubsub_types import Kind

__all__ = ["confirmed", "unsubscribed"]


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


async def unsubscribed(
    removing: asyncio.Future[Any], wait_timeout: float | None, method: str, kind: Kind
) -> None:
    """Wait at most ``wait_timeout`` seconds for ``removing`` (an unsubscribe), never ending it.

    Args:
        removing: Resolves once the server confirmed every name; it goes on after this
            returns or raises, cancelled included.
        wait_timeout: The client's ``command_timeout``; None waits as long as it takes.
        method: The public method, for the message (``"unsubscribe"``).
        kind: The family of the names, for the command named in the error.

    Raises:
        CommandTimeoutError: No confirmation within ``wait_timeout``.
        RedisError: The unsubscribe failed (the subscription was closed meanwhile).
    """
    # Even when it is done already: the callbacks added before (handlers retired) run first.
    await asyncio.wait((removing,), timeout=wait_timeout)
    if not removing.done():
        raise CommandTimeoutError(
            f"{method}() was not confirmed within command_timeout={wait_timeout} s (the "
            f"server did not answer); the names are unsubscribed all the same: the "
            f"subscription no longer lists them, a new connection never subscribes them, and "
            f"{kind.unsubscribe} stays queued for the server to run when it answers again "
            "(their handlers take what it sent before). Nothing needs to be called again; to "
            "wait longer, give the client a longer command_timeout (Redis(command_timeout=...) "
            "or with_options(command_timeout=...))",
            may_have_executed=True,
            command=kind.unsubscribe,
        )
    removing.result()
