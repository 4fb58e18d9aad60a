"""Optimistic transactions: WATCH, read, MULTI, queue, EXEC, on one dedicated lease.

Rules this module keeps:

- A ``Transaction`` lives on a lease (WATCH is connection state; it never touches a shared
  connection). Its state is a ``TransactionState``, changed only by ``_transition``:
  WATCHING (commands run at once: the reads before MULTI) -> QUEUING (after ``multi()``,
  commands are queued) -> DONE (after EXEC, or abandoned). A DONE transaction refuses work.
- MULTI, the queued commands and EXEC leave in one write; EXEC null raises ``WatchError``.
- ``run_transaction`` retries only on ``WatchError``. A lease whose transaction never reached
  EXEC (the callable raised, a read failed) is released with ``discard=True``: the connection
  may still watch keys, and a fresh connection is cheaper than proving it clean.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, TypeVar, overload

from redis_oxide._client import Redis
from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser
from redis_oxide._exceptions import InvalidUsageError, NoScriptError, WatchError
from redis_oxide._generated import StrT
from redis_oxide._generated import _meta as _m
from redis_oxide._parsers import Reply
from redis_oxide._pipeline import _Queueing, _send_transaction, _take_error
from redis_oxide._pool import Lease

if TYPE_CHECKING:
    from redis_oxide._scripting import Script

__all__ = ["Transaction", "TransactionState", "run_transaction", "watch"]

T = TypeVar("T")

# Each retry is one more round trip after losing a race on a watched key; a transaction that
# loses this many times in a row is in a contention pattern retries will not fix, and the
# caller should hear about it. redis-py's transaction() retries without limit.
DEFAULT_RETRIES: Final = 16


class TransactionState(enum.Enum):
    """Where a watched transaction is."""

    WATCHING = "watching"
    QUEUING = "queuing"
    DONE = "done"


_LEGAL: Final = {
    TransactionState.WATCHING: frozenset({TransactionState.QUEUING, TransactionState.DONE}),
    TransactionState.QUEUING: frozenset({TransactionState.DONE}),
    TransactionState.DONE: frozenset[TransactionState](),
}


class Transaction(_Queueing[StrT]):
    """A transaction on a dedicated connection: read while watching, then queue and EXEC.

    Commands called before ``multi()`` run immediately (await them); after ``multi()``
    they are queued and return handles that resolve after ``execute()``.

    Args:
        lease: The dedicated connection, with the keys already watched.
        raise_on_error: Raise the first error of a queued command from ``execute()``.
        command_timeout: Seconds to wait for each reply (the batch counts as one).
    """

    __slots__ = ("_lease", "_raise_on_error", "_state", "_timeout")

    def __init__(
        self, lease: Lease, *, raise_on_error: bool = True, command_timeout: float | None = None
    ) -> None:
        super().__init__()
        self._lease = lease
        self._raise_on_error = raise_on_error
        self._timeout = command_timeout
        self._state = TransactionState.WATCHING

    @property
    def state(self) -> TransactionState:
        """The current state."""
        return self._state

    def _transition(self, new: TransactionState, method: str) -> None:
        if new not in _LEGAL[self._state]:
            raise InvalidUsageError(
                f"Transaction.{method}() is not allowed once the transaction is {self._state.value}"
            )
        self._state = new

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        state = self._state
        if state is TransactionState.QUEUING:
            return self._queue(meta, args, parser)
        if state is TransactionState.WATCHING:
            timeout = None if meta.is_blocking else self._timeout
            result: Awaitable[T] = self._lease.send(
                args, parser, meta.name, timeout, binary=meta.binary_reply
            )
            return result
        raise InvalidUsageError(
            f"Transaction: {meta.name} called after the transaction ran; start a new one",
            command=meta.name,
        )

    def multi(self) -> None:
        """Start queuing: later commands run atomically at ``execute()``.

        Raises:
            InvalidUsageError: ``multi()`` was already called, or the transaction ran.
        """
        self._transition(TransactionState.QUEUING, "multi")

    @overload
    def run_script(
        self, script: Script, keys: Sequence[ArgT] = (), args: Sequence[ArgT] = ()
    ) -> Awaitable[Reply]: ...
    @overload
    def run_script(
        self,
        script: Script,
        keys: Sequence[ArgT] = (),
        args: Sequence[ArgT] = (),
        *,
        parser: ReplyParser[T],
    ) -> Awaitable[T]: ...
    def run_script(
        self,
        script: Script,
        keys: Sequence[ArgT] = (),
        args: Sequence[ArgT] = (),
        *,
        parser: Any = None,
    ) -> Awaitable[Any]:
        """Run a registered script now (while watching) or queue it (after ``multi()``).

        Args:
            script: The script, from ``Redis.register_script``.
            keys: Key names the script touches.
            args: Further arguments.
            parser: Applied to the script's reply; by default the reply is the value.

        Returns:
            An awaitable of the script's value (a handle once queuing).

        Raises:
            InvalidUsageError: The transaction already ran.
        """
        if self._state is TransactionState.QUEUING:
            return self._queue_script(script, keys, args, parser)
        if self._state is TransactionState.DONE:
            raise InvalidUsageError("Transaction.run_script() called after the transaction ran")
        return self._script_now(script, keys, args, parser)

    async def _script_now(
        self, script: Script, keys: Sequence[ArgT], args: Sequence[ArgT], parser: Any
    ) -> Any:
        meta = _m.EVALSHA_RO if script.read_only else _m.EVALSHA
        wire = (meta.name, script.sha, len(keys), *keys, *args)
        try:
            return await self._lease.send(wire, parser, meta.name, self._timeout)
        except NoScriptError:
            await self._lease.send(("SCRIPT", "LOAD", script.source), None, "SCRIPT LOAD")
            return await self._lease.send(wire, parser, meta.name, self._timeout)

    async def execute(self) -> list[object]:
        """Send MULTI, the queued commands and EXEC in one write.

        Returns:
            One value per queued command; with ``raise_on_error=False`` a failed command's
            slot holds its exception.

        Raises:
            WatchError: A watched key changed; nothing ran.
            ExecAbortError: A queued command was invalid; nothing ran.
            ServerError: With ``raise_on_error``, the first error of a command that ran.
            InvalidUsageError: The transaction already ran.
        """
        self._transition(TransactionState.DONE, "execute")
        batch = self._take()
        try:
            results = await _send_transaction(self._lease.connection, batch, self._timeout)
        except BaseException as exc:
            if batch.results is None and batch.error is None:
                batch.error = exc
            raise
        batch.results = results
        if self._raise_on_error:
            error = _take_error(results)
            if error is not None:
                raise error
        return results

    def __repr__(self) -> str:
        return f"<redis_oxide.Transaction {self._state.value} queued={len(self)}>"


async def run_transaction(
    client: Redis[StrT],
    func: Callable[[Transaction[StrT]], Awaitable[T]],
    keys: Sequence[KeyT],
    *,
    retries: int = DEFAULT_RETRIES,
    raise_on_error: bool = True,
) -> T:
    """Run ``func`` in a WATCH/MULTI/EXEC loop until EXEC succeeds; see ``Redis.transaction``.

    Args:
        client: Where the lease comes from.
        func: Reads through the transaction, calls ``multi()``, queues commands.
        keys: Keys to WATCH before each attempt.
        retries: Attempts after the first one that may follow a ``WatchError``.
        raise_on_error: Raise the first error of a queued command.

    Returns:
        What ``func`` returned in the attempt whose EXEC succeeded.

    Raises:
        WatchError: Every attempt lost its race.
        ValueError: ``retries`` is negative.
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    lease = await client._lease()
    tx: Transaction[StrT] | None = None
    try:
        for attempt in range(retries + 1):
            if keys:
                await lease.execute("WATCH", *keys, reply_timeout=client.command_timeout)
            tx = Transaction[StrT](
                lease, raise_on_error=raise_on_error, command_timeout=client.command_timeout
            )
            value = await func(tx)
            try:
                if tx.state is not TransactionState.DONE:
                    await tx.execute()
            except WatchError:
                if attempt == retries:
                    raise
                continue
            return value
        raise AssertionError("unreachable: the last attempt returns or raises")
    finally:
        lease.release(discard=_unclean(tx))


def _unclean(tx: Transaction[Any] | None) -> bool:
    # EXEC always ends WATCH (whatever its reply); before it ran, the connection may still
    # watch keys, and a fresh connection is cheaper than an UNWATCH round trip to prove it.
    return tx is None or tx.state is not TransactionState.DONE


@asynccontextmanager
async def watch(
    client: Redis[StrT], keys: Sequence[KeyT], *, raise_on_error: bool = True
) -> AsyncIterator[Transaction[StrT]]:
    """WATCH ``keys`` on a lease and yield a transaction; see ``Redis.watch``.

    Args:
        client: Where the lease comes from.
        keys: Keys to WATCH.
        raise_on_error: Raise the first error of a queued command.

    Yields:
        The transaction, in the WATCHING state.

    Raises:
        ValueError: No key was given.
        WatchError: At the end of the block, a watched key had changed.
    """
    if not keys:
        raise ValueError("watch() needs at least one key")
    lease = await client._lease()
    tx: Transaction[StrT] | None = None
    try:
        await lease.execute("WATCH", *keys, reply_timeout=client.command_timeout)
        tx = Transaction[StrT](
            lease, raise_on_error=raise_on_error, command_timeout=client.command_timeout
        )
        yield tx
        if tx.state is not TransactionState.DONE:
            await tx.execute()
    finally:
        lease.release(discard=_unclean(tx))
