"""``transaction(func, *keys)``: the WATCH/MULTI/EXEC loop and when it runs ``func`` again.

Rules this module keeps:

- It retries on ``WatchError`` however it arises (from the EXEC it runs, or from an
  ``execute()`` the callable awaits itself), after a jittered pause that grows with each lost
  race, so contenders spread out instead of colliding again. An attempt that did not reach
  EXEC is followed by UNWATCH: a dirty WATCH survives a new WATCH.
- It retries, on a new lease, when the lease's connection was lost (a server restart, a
  failover, a killed client) before EXEC could have run: the WATCH ended with the
  connection, so nothing of the attempt was committed, and ``func`` runs again as it does
  after a lost race. A loss after EXEC was written (``may_have_executed``) is raised: the
  transaction may have run. So is a client closed with ``aclose()``.
- Both kinds of retry share the ``retries`` budget.
- On an executor that redirects (a cluster, ``FollowsRedirects``), an attempt ended by a
  redirect (MOVED, ASK or TRYAGAIN answering WATCH or a read, or carried by EXECABORT) ran
  nothing: the executor's ``TransactionRedirects`` patches the map or waits, and the attempt
  runs again on a new lease, bounded by its redirect limit and deadline, not by ``retries``.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: transactions are built with their
# private constructor.)

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

from redis_oxide._command import KeyT
from redis_oxide._exceptions import ConnectionLostError, ServerError, WatchError
from redis_oxide._executor import Executor
from redis_oxide._executor_blocking import lease_in_time
from redis_oxide._generated import StrT
from redis_oxide._transaction import (
    Transaction,
    TransactionState,
    _guard_of,
    redirects_of,
    unclean,
)

__all__ = ["DEFAULT_RETRIES", "run_transaction"]

T = TypeVar("T")

# Each retry is one more round trip after losing a race on a watched key; with the jittered
# pauses below, 50 tasks incrementing one key all commit within a few dozen attempts each. A
# transaction that loses this many times in a row is in a contention pattern retries will not
# fix, and the caller should hear about it. redis-py's transaction() retries without limit.
DEFAULT_RETRIES: Final = 64
# Pause before retry n: uniform in [0, min(cap, base * 2**n)] ("full jitter"). 1 ms is about a
# local round trip; 100 ms bounds the pause when contention is heavy.
_BACKOFF_BASE: Final = 0.001
_BACKOFF_CAP: Final = 0.1


async def run_transaction(
    executor: Executor,
    func: Callable[[Transaction[StrT]], Awaitable[T] | T],
    keys: Sequence[KeyT],
    *,
    retries: int = DEFAULT_RETRIES,
    raise_on_error: bool = True,
) -> T:
    """Run ``func`` in a WATCH/MULTI/EXEC loop until EXEC succeeds; see ``Redis.transaction``.

    Args:
        executor: Where the lease comes from.
        func: Reads through the transaction, calls ``multi()``, queues commands; a plain
            function (one that only queues) is called, a coroutine function awaited.
        keys: Keys to WATCH before each attempt.
        retries: Attempts after the first one that may follow a ``WatchError`` or a
            connection lost before EXEC could have run.
        raise_on_error: Raise the first error of a queued command.

    Returns:
        What ``func`` returned in the attempt whose EXEC succeeded.

    Raises:
        WatchError: Every attempt lost its race.
        ConnectionLostError: The connection was lost after EXEC was written (the transaction
            may have run), or on the last attempt.
        ValueError: ``retries`` is negative.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    timeout = executor.command_timeout
    lease = await lease_in_time(executor.lease(keys), timeout, "transaction")
    tx: Transaction[StrT] | None = None
    guard = _guard_of(executor, keys) if keys else None
    redirects = redirects_of(executor)
    attempt = 0  # attempts lost to a race or a lost connection, against ``retries``
    pause = False
    try:
        while True:
            if pause:
                pause = False
                if tx is not None and unclean(tx):  # not on a fresh lease: nothing watched
                    await lease.execute("UNWATCH", reply_timeout=timeout)
                ceiling = min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** min(attempt, 16))
                await asyncio.sleep(random.uniform(0, ceiling))
            tx = None
            try:
                if keys:
                    await lease.execute("WATCH", *keys, reply_timeout=timeout)
                tx = Transaction[StrT]._over(
                    lease, raise_on_error=raise_on_error, command_timeout=timeout, guard=guard
                )
                # redis-py's transaction() takes a plain function as well as a coroutine one.
                result: Any = func(tx)
                value: T = await result if inspect.isawaitable(result) else result
                if tx.state is not TransactionState.DONE:
                    await tx.execute()
            except WatchError:
                if attempt == retries:
                    raise
                attempt += 1
                pause = True
                continue
            except ConnectionLostError as exc:
                if tx is not None:
                    tx._abandon(f"the transaction did not run: its connection was lost ({exc})")
                exec_sent = (
                    tx is not None and tx.state is TransactionState.DONE and exc.may_have_executed
                )
                if exec_sent or attempt == retries:
                    raise
                # The WATCH ended with the connection: nothing of this attempt was committed.
                lease.release(discard=True)
                tx = None
                lease = await lease_in_time(executor.lease(keys), timeout, "transaction")
                attempt += 1
                pause = True
                continue
            except BaseException as exc:
                if tx is not None:
                    tx._abandon(f"the transaction did not run: its function raised {exc!r:.100}")
                if not isinstance(exc, ServerError) or redirects is None:
                    raise
                if not await redirects.follow(exc):
                    raise
                # Redirected: nothing of this attempt ran; run it again where the slot is now.
                lease.release(discard=True)
                tx = None
                lease = await lease_in_time(executor.lease(keys), timeout, "transaction")
                continue
            return value
    finally:
        lease.release(discard=unclean(tx))
