"""Optimistic transactions: WATCH, read, MULTI, queue, EXEC, on one dedicated lease.

Rules this module keeps:

- A ``Transaction`` lives on a lease (WATCH is connection state; it never touches a shared
  connection). Its state is a ``TransactionState``, changed only by ``_transition``:
  WATCHING (commands run at once: the reads before MULTI) -> QUEUING (after ``multi()``,
  commands are queued) -> DONE (after EXEC, or abandoned). A DONE transaction refuses work.
- MULTI, the queued commands and EXEC leave in one write; EXEC null raises ``WatchError``.
- ``transaction(func)``'s retry loop is ``_transaction_retry.run_transaction``.
- A lease whose transaction never reached EXEC (the callable raised, a read failed) is
  released with ``discard=True``: the connection may still watch keys, and a fresh
  connection is cheaper than proving it clean.
- Raw commands (``execute_command``) follow the state like generated ones: run at once
  while watching, queued after ``multi()``, refused once done.
- On a lease from a client-side cache (``CacheLease``), the commands sent at once and the
  queued ones EXEC sends invalidate the cache's entries of the keys they write, when sent
  and when answered, as a client's other writes do.
- An executor whose transactions are bound to one node's keys (a cluster: the watched keys'
  slot) gives a key guard (``GuardsKeys``); every command and script is checked by it when
  called, so a key elsewhere raises ``CrossSlotError`` before anything is sent or queued.
- An executor whose nodes may answer a transaction with a redirect (a cluster: MOVED, ASK,
  TRYAGAIN while its slot moves) gives a ``TransactionRedirects`` per call
  (``FollowsRedirects``). ``watch()`` sends WATCH again where and when it says (nothing ran
  yet); a redirect met inside the block or at its EXEC is raised, after the redirects object
  has patched the slot map (MOVED) and added a note saying what to do.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: transactions are built with their
# private constructor.)

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Final,
    Generic,
    Protocol,
    Self,
    TypeVar,
    overload,
    runtime_checkable,
)

from redis_oxide._cache_lease import CacheLease
from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser
from redis_oxide._exceptions import InvalidUsageError, NoScriptError, ServerError
from redis_oxide._executor import Executor
from redis_oxide._executor_blocking import lease_in_time
from redis_oxide._generated import StrT
from redis_oxide._generated import _meta as _m
from redis_oxide._parsers import Reply
from redis_oxide._pipeline import Queueing, finish_run
from redis_oxide._pool import Lease
from redis_oxide._pool._batch import Batch, send_transaction
from redis_oxide._raw_commands import command_meta

if TYPE_CHECKING:
    from redis_oxide._scripting import Script

__all__ = [
    "FollowsRedirects",
    "GuardsKeys",
    "KeyGuard",
    "Transaction",
    "TransactionRedirects",
    "TransactionState",
    "WatchBlock",
    "unclean",
]

T = TypeVar("T")


#: Raises (``CrossSlotError``) for a command whose keys the transaction's node cannot serve.
KeyGuard = Callable[[CommandMeta, tuple[ArgT, ...]], None]


@runtime_checkable
class GuardsKeys(Protocol):
    """An executor whose transactions run on one node that serves only some keys (a cluster)."""

    def transaction_guard(self, keys: Sequence[KeyT]) -> KeyGuard:
        """The check of every command of a transaction watching ``keys``."""
        ...


def _guard_of(executor: Executor, keys: Sequence[KeyT]) -> KeyGuard | None:
    return executor.transaction_guard(keys) if isinstance(executor, GuardsKeys) else None


class TransactionRedirects(Protocol):
    """What one ``transaction()`` call or ``watch()`` block does when met with a redirect."""

    async def follow(self, error: ServerError) -> bool:
        """Whether an attempt that ended with ``error`` and ran nothing is to run again.

        The map is patched (MOVED) or the migration waited for (a pause) before it returns
        True; the attempt then runs again on a new lease.
        """
        ...

    def explain(self, error: BaseException) -> bool:
        """Act on a redirect an attempt cannot run again after (patch the map, add a note)."""
        ...


@runtime_checkable
class FollowsRedirects(Protocol):
    """An executor whose nodes may answer a transaction with a redirect (a cluster)."""

    def transaction_redirects(self) -> TransactionRedirects:
        """A fresh redirect budget and deadline for one transaction or watch() block."""
        ...


def redirects_of(executor: Executor) -> TransactionRedirects | None:
    """The executor's ``TransactionRedirects``, or None (a single server never redirects)."""
    return executor.transaction_redirects() if isinstance(executor, FollowsRedirects) else None


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


class Transaction(Queueing[StrT]):
    """A transaction on a dedicated connection: read while watching, then queue and EXEC.

    Commands called before ``multi()`` run immediately (await them); after ``multi()``
    they are queued and return handles that resolve after ``execute()``. Built by
    ``client.transaction()`` and ``client.watch()``.
    """

    __slots__ = ("_guard", "_lease", "_raise_on_error", "_state", "_timeout")

    _guard: KeyGuard | None
    _lease: Lease
    _raise_on_error: bool
    _state: TransactionState
    _timeout: float | None

    def __init__(self) -> None:
        raise TypeError("transactions are made by client.transaction() or client.watch()")

    @classmethod
    def _over(
        cls,
        lease: Lease,
        *,
        raise_on_error: bool,
        command_timeout: float | None,
        guard: KeyGuard | None = None,
    ) -> Self:
        """Build a transaction on ``lease``, whose keys are already watched.

        Args:
            lease: The dedicated connection.
            raise_on_error: Raise the first error of a queued command from ``execute()``.
            command_timeout: Seconds to wait for each reply (the batch counts as one).
            guard: Checks each command's keys before it is sent or queued.
        """
        tx = object.__new__(cls)
        tx._guard = guard
        tx._batch = Batch()
        tx._lease = lease
        tx._raise_on_error = raise_on_error
        tx._timeout = command_timeout
        tx._state = TransactionState.WATCHING
        return tx

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
        if state is TransactionState.DONE:
            raise InvalidUsageError(
                f"Transaction: {meta.name} called after the transaction ran; start a new one",
                command=meta.name,
            )
        if self._guard is not None:
            self._guard(meta, args)
        if state is TransactionState.QUEUING:
            return self._queue(meta, args, parser)
        timeout = None if meta.is_blocking else self._timeout
        result: Awaitable[T] = self._lease.send(args, parser, meta, timeout)
        return result

    @overload
    def execute_command(self, *args: ArgT) -> Awaitable[Reply]: ...
    @overload
    def execute_command(self, *args: ArgT, parser: ReplyParser[T]) -> Awaitable[T]: ...
    def execute_command(self, *args: ArgT, parser: Any = None) -> Awaitable[Any]:
        """Run a raw command now (while watching) or queue it (after ``multi()``).

        Args:
            *args: The command name and its arguments.
            parser: Applied to the reply; by default the decoded reply is the value.

        Returns:
            An awaitable of the reply (a handle once queuing).

        Raises:
            TypeError: No command name, or an argument cannot be sent.
            InvalidUsageError: The command changes connection state (MULTI, WATCH,
                SELECT ...), or the transaction already ran.
            CrossSlotError: A key is in another slot than the watched keys (on a cluster).
        """
        if not args:
            raise TypeError("execute_command() needs at least the command name")
        return self._execute(command_meta(args), args, parser)

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
            CrossSlotError: A key is in another slot than the watched keys (on a cluster).
        """
        if self._state is TransactionState.DONE:
            raise InvalidUsageError("Transaction.run_script() called after the transaction ran")
        if self._guard is not None:
            self._guard(_m.EVALSHA, ("EVALSHA", script.sha, len(keys), *keys))
        if self._state is TransactionState.QUEUING:
            return self._queue_script(script, keys, args, parser)
        return self._script_now(script, keys, args, parser)

    async def _script_now(
        self, script: Script, keys: Sequence[ArgT], args: Sequence[ArgT], parser: Any
    ) -> Any:
        meta = _m.EVALSHA_RO if script.read_only else _m.EVALSHA
        wire = (meta.name, script.sha, len(keys), *keys, *args)
        try:
            return await self._lease.send(wire, parser, meta, self._timeout)
        except NoScriptError:
            load = ("SCRIPT", "LOAD", script.source)
            await self._lease.send(load, None, _m.SCRIPT_LOAD, self._timeout)
            return await self._lease.send(wire, parser, meta, self._timeout)

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
        lease = self._lease
        run: Awaitable[list[object]] = send_transaction(lease.connection, batch, self._timeout)
        if isinstance(lease, CacheLease):  # its writes invalidate the cache's entries
            run = lease.sending(batch, run)
        observer = lease.observer
        if observer is not None:
            run = observer.observe_batch(batch, True, run)
        return await finish_run(batch, run, self._raise_on_error)

    def __repr__(self) -> str:
        return f"<redis_oxide.Transaction {self._state.value} queued={len(self)}>"


def unclean(tx: Transaction[Any] | None) -> bool:
    # EXEC always ends WATCH (whatever its reply); before it ran, the connection may still
    # watch keys, and a fresh connection is cheaper than an UNWATCH round trip to prove it.
    return tx is None or tx.state is not TransactionState.DONE


class WatchBlock(Generic[StrT]):
    """``async with client.watch(*keys) as tx``: WATCH on a lease, EXEC when the block ends.

    Built by ``client.watch()``.
    """

    __slots__ = ("_executor", "_keys", "_lease", "_raise_on_error", "_redirects", "_tx")

    _executor: Executor
    _keys: Sequence[KeyT]
    _raise_on_error: bool
    _lease: Lease | None
    _redirects: TransactionRedirects | None
    _tx: Transaction[StrT] | None

    def __init__(self) -> None:
        raise TypeError("watch blocks are made by client.watch()")

    @classmethod
    def _over(cls, executor: Executor, keys: Sequence[KeyT], *, raise_on_error: bool) -> Self:
        """Build the block; nothing is sent until it is entered.

        Args:
            executor: Where the lease comes from.
            keys: Keys to WATCH.
            raise_on_error: Raise the first error of a queued command.

        Raises:
            ValueError: No key was given.
        """
        if not keys:
            raise ValueError("watch() needs at least one key")
        block = object.__new__(cls)
        block._executor = executor
        block._keys = keys
        block._raise_on_error = raise_on_error
        block._lease = None
        block._redirects = redirects_of(executor)
        block._tx = None
        return block

    async def __aenter__(self) -> Transaction[StrT]:
        if self._lease is not None:
            raise InvalidUsageError("a watch() block cannot be entered twice")
        executor = self._executor
        timeout = executor.command_timeout
        while True:
            lease = self._lease = await lease_in_time(executor.lease(self._keys), timeout, "watch")
            try:
                await lease.execute("WATCH", *self._keys, reply_timeout=timeout)
                break
            except BaseException as exc:
                lease.release(discard=True)
                # Redirected before the block ran: WATCH again on the slot's owner (MOVED)
                # or once the migration lets it (ASK, TRYAGAIN).
                redirects = self._redirects
                if not isinstance(exc, ServerError) or redirects is None:
                    raise
                if not await redirects.follow(exc):
                    raise
        self._tx = Transaction[StrT]._over(
            lease,
            raise_on_error=self._raise_on_error,
            command_timeout=timeout,
            guard=_guard_of(self._executor, self._keys),
        )
        return self._tx

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        tx, lease = self._tx, self._lease
        if lease is None or tx is None:
            return
        try:
            if exc_type is None and tx.state is not TransactionState.DONE:
                try:
                    await tx.execute()
                except ServerError as error:
                    if self._redirects is not None:
                        self._redirects.explain(error)
                    raise
            elif exc_type is not None:
                tx._abandon(f"the transaction did not run: its block raised {exc!r:.100}")
                if self._redirects is not None and exc is not None:
                    self._redirects.explain(exc)
        finally:
            lease.release(discard=unclean(tx))
