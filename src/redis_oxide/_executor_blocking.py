"""Client-side deadlines for the calls the executor does not bound by ``command_timeout`` alone.

Rules this module keeps:

- A blocking command (BLPOP, XREAD BLOCK …) is bounded by its own timeout argument on the
  server. On the client it gets ``timeout + command_timeout``, so a hung server cannot hold
  it forever; a timeout of 0 (block forever), a client without ``command_timeout``, or an
  argument the server would refuse leaves it unbounded, as before.
- A pipeline holding blocking commands runs on a lease of its own, and its replies are
  awaited for ``command_timeout`` plus the blocking commands' own timeouts (they may block
  one after the other); one that blocks forever leaves the batch unbounded. Inside
  MULTI/EXEC nothing blocks, so a transaction is bounded by ``command_timeout`` alone.
- A batch that needs a lease of its own (pooled strategy) waits for it within its
  ``command_timeout``, like a single pooled command.
- A WATCH transaction's lease (``watch()``, ``transaction(func)``) is waited for within
  ``command_timeout`` too: a hung server answers no handshake, and ``connect_timeout`` is
  usually much longer than the caller asked to wait.
- Nothing here runs for an ordinary command: the executor calls in only for blocking
  commands and leased batches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import CommandTimeoutError, RedisError
from redis_oxide._pool import ConnectionStrategy, Lease
from redis_oxide._raw_commands import block_option

__all__ = ["batch_timeout", "block_deadline", "lease_in_time", "lease_within"]

# Where a blocking command carries its timeout: the wire index of the argument (negative
# counts from the end) and its unit in seconds. XREAD and XREADGROUP carry it after BLOCK.
_TIMEOUT_AT: dict[str, tuple[int, float]] = {
    "BLPOP": (-1, 1.0),
    "BRPOP": (-1, 1.0),
    "BLMOVE": (-1, 1.0),
    "BRPOPLPUSH": (-1, 1.0),
    "BZPOPMIN": (-1, 1.0),
    "BZPOPMAX": (-1, 1.0),
    "BLMPOP": (1, 1.0),
    "BZMPOP": (1, 1.0),
    "WAIT": (2, 0.001),
    "WAITAOF": (3, 0.001),
}


def _block_seconds(meta: CommandMeta, args: Sequence[ArgT]) -> float | None:
    """The server-side timeout of a blocking command in seconds; None when it has none
    (0 blocks forever) or it cannot be read."""
    place = _TIMEOUT_AT.get(meta.name)
    value: ArgT | None = None
    unit = 0.001
    if place is not None:
        index, unit = place
        if -len(args) < index < len(args):
            value = args[index]
    else:  # XREAD, XREADGROUP: BLOCK <milliseconds>, before STREAMS
        found = block_option(args)
        if found is not None and found + 1 < len(args):
            value = args[found + 1]
    if value is not None:
        value = _text(value)
    try:
        seconds = float(value) * unit if value is not None else 0.0
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 and seconds != float("inf") else None


def _text(arg: ArgT) -> str | int | float:
    if isinstance(arg, bytes | memoryview):
        return bytes(arg).decode("latin-1")
    return arg


def block_deadline(
    meta: CommandMeta, args: Sequence[ArgT], command_timeout: float | None
) -> float | None:
    """Return when the client stops waiting for a blocking command, or None for never.

    Args:
        meta: The command's metadata (a blocking command).
        args: Its wire arguments.
        command_timeout: The client's ``command_timeout``; None leaves it unbounded.

    Returns:
        ``time.monotonic()`` plus the command's own timeout plus ``command_timeout``.
    """
    if command_timeout is None:
        return None
    seconds = _block_seconds(meta, args)
    if seconds is None:
        return None
    return time.monotonic() + seconds + command_timeout


def batch_timeout(
    metas: Sequence[CommandMeta], args: Sequence[Sequence[ArgT]], command_timeout: float | None
) -> float | None:
    """Return how long a pipeline holding blocking commands waits for its replies.

    Args:
        metas: The metadata of each queued command.
        args: The wire arguments of each queued command.
        command_timeout: The client's ``command_timeout``; None leaves it unbounded.

    Returns:
        ``command_timeout`` plus each blocking command's own timeout, or None when one of
        them blocks forever (or its timeout cannot be read).
    """
    if command_timeout is None:
        return None
    total = command_timeout
    for meta, wire in zip(metas, args, strict=True):
        if meta.is_blocking:
            seconds = _block_seconds(meta, wire)
            if seconds is None:
                return None
            total += seconds
    return total


async def lease_within(strategy: ConnectionStrategy, wait_timeout: float, what: str) -> Lease:
    """Lease a connection for a batch, waiting at most ``wait_timeout`` seconds.

    Args:
        strategy: Where to lease from.
        wait_timeout: The batch's ``command_timeout``.
        what: The batch, for the message (``"pipeline"``, ``"transaction"``).

    Returns:
        The lease.

    Raises:
        CommandTimeoutError: No connection within ``wait_timeout``; nothing was sent
            (``may_have_executed=False``).
        PoolTimeoutError: ``pool_timeout`` ran out first.
        ConnectTimeoutError: ``connect_timeout`` ran out first.
    """
    address = strategy.address
    waited = f"{round(wait_timeout, 3):g} s"
    message = f"{what}: no pooled connection to {address} within {waited}; it was not sent"
    return await _within(strategy.lease(), wait_timeout, message, address)


async def lease_in_time(pending: Awaitable[Lease], wait_timeout: float | None, what: str) -> Lease:
    """Await a lease for ``what``, at most ``wait_timeout`` seconds.

    Args:
        pending: The executor's ``lease(keys)``, not awaited yet.
        wait_timeout: The client's ``command_timeout``; None waits as long as it takes.
        what: The caller, for the message (``"watch"``, ``"transaction"``).

    Returns:
        The lease.

    Raises:
        CommandTimeoutError: No connection within ``wait_timeout``; nothing was sent
            (``may_have_executed=False``).
        PoolTimeoutError: ``pool_timeout`` ran out first.
        ConnectTimeoutError: ``connect_timeout`` ran out first.
    """
    if wait_timeout is None:
        return await pending
    waited = f"{round(wait_timeout, 3):g} s"
    message = f"{what}: no connection within {waited} (command_timeout); nothing was sent"
    return await _within(pending, wait_timeout, message, None)


async def _within(
    pending: Awaitable[Lease], wait_timeout: float, message: str, address: str | None
) -> Lease:
    try:
        async with asyncio.timeout(wait_timeout):
            return await pending
    except TimeoutError as exc:
        if isinstance(exc, RedisError):
            raise  # pool_timeout or connect_timeout ran out first
        raise CommandTimeoutError(message, may_have_executed=False, address=address) from exc
