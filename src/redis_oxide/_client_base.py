"""What every client facade offers over its executor: raw commands and the patterns.

Rules this module keeps:

- ``ClientBase`` is the common part of ``Redis`` and ``RedisCluster``: raw commands,
  pipelines, transactions, watch blocks, scripts and libraries, locks and (from
  ``ScanIterators``) the scan iterators, each built over the facade's executor (the
  ``Executor`` protocol) and never over the facade itself. What differs between topologies
  (where a batch runs, where a lease comes from, where a script is loaded after NOSCRIPT) is
  the executor's business, or a hook a facade overrides.
- The executor's ``_execute`` is bound onto each client as an instance attribute (typed by
  ``BoundExecute``, as module namespaces see it), so a generated method calls the executor
  directly. Over a cache, the plain reads it caches are bound too (``_cache_hits``): a hit
  is then one call.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: patterns are built with their private
# constructors, scripts get their reload hook.)

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar, overload

from redis_oxide import _cache_hits
from redis_oxide._client_scans import ScanIterators
from redis_oxide._command import ArgT, KeyT
from redis_oxide._executor import Executor
from redis_oxide._generated import StrT
from redis_oxide._generated._base import BoundExecute
from redis_oxide._lock import RELEASE_SOURCE, RENEW_SOURCE, Lock
from redis_oxide._parsers import Reply
from redis_oxide._pipeline import Pipeline
from redis_oxide._raw_commands import command_meta
from redis_oxide._scripting import Library, Script, ScriptLoader, ServerLookup
from redis_oxide._transaction import Transaction, WatchBlock
from redis_oxide._transaction_retry import DEFAULT_RETRIES, run_transaction

__all__ = ["ClientBase", "ExecutorT"]

T = TypeVar("T")
#: The executor a facade runs on (one server, a cluster).
ExecutorT = TypeVar("ExecutorT", bound=Executor)


class ClientBase(ScanIterators[StrT], Generic[StrT, ExecutorT]):
    """Raw commands and patterns over a client's executor (``Redis``, ``RedisCluster``)."""

    _executor: ExecutorT
    # Bound per instance to the executor's method (module rules).
    _execute: BoundExecute

    def _bind(self, executor: ExecutorT) -> None:
        self._executor = executor
        # The same call signature as the base's method; pyright does not compare a callable
        # attribute with a method.
        self._execute = executor._execute  # pyright: ignore[reportIncompatibleMethodOverride]
        _cache_hits.bind(self, executor)

    async def execute_command(self, *args: ArgT) -> Reply:
        """Send a raw command and return its decoded reply.

        Args:
            *args: The command name (``"GET"``, ``"CLIENT"``, ...) and its arguments.

        Returns:
            The reply as decoded (``bytes``/``str``, ``int``, ``float``, ``bool``, ``list``,
            ``dict`` or None). Binary replies (DUMP) stay ``bytes`` on a decoding client. On
            a cluster, the command goes where its keys or its policy say, and the replies of
            a fanned-out command are combined.

        Raises:
            InvalidUsageError: The command changes connection state; the message names
                the API to use instead.
            TypeError: An argument cannot be sent (``bool``, ``None`` ...).
            CrossSlotError: On a cluster, its keys span slots and it cannot be split.
            ServerError: The server refused the command.
            CommandTimeoutError: No reply within ``command_timeout``.
            ConnectionLostError: The connection died; ``may_have_executed`` tells whether
                the command may have run.
        """
        if not args:
            raise TypeError("execute_command() needs at least the command name")
        reply: Reply = await self._execute(command_meta(args), args, None)
        return reply

    def pipeline(self, transaction: bool = False, *, raise_on_error: bool = True) -> Pipeline[StrT]:
        """Start a pipeline: commands are queued and sent together.

        On a cluster the commands are sent per node, and results come back in the order
        they were queued.

        Args:
            transaction: Wrap the commands in MULTI/EXEC (atomic; no WATCH). On a cluster
                all their keys must share a slot.
            raise_on_error: Raise the first command error from ``execute()``; otherwise
                errors are returned in their slots.

        Returns:
            A pipeline; use ``async with`` or call ``await pipeline.execute()``.
        """
        return Pipeline[StrT]._over(
            self._executor, transaction=transaction, raise_on_error=raise_on_error
        )

    @overload
    async def transaction(
        self,
        func: Callable[[Transaction[StrT]], Awaitable[T]],
        *watch_keys: KeyT,
        retries: int | None = None,
        raise_on_error: bool = True,
    ) -> T: ...

    @overload
    async def transaction(
        self,
        func: Callable[[Transaction[StrT]], T],
        *watch_keys: KeyT,
        retries: int | None = None,
        raise_on_error: bool = True,
    ) -> T: ...

    async def transaction(
        self,
        func: Callable[[Transaction[StrT]], Awaitable[T] | T],
        *watch_keys: KeyT,
        retries: int | None = None,
        raise_on_error: bool = True,
    ) -> T:
        """Run ``func`` in an optimistic WATCH/MULTI/EXEC loop on a dedicated connection.

        ``func`` reads through the transaction it is given (those commands run at once),
        calls ``tx.multi()``, then queues commands; EXEC follows when it returns (or ``func``
        awaits ``tx.execute()`` itself). If a watched key changed, the whole attempt
        (``func`` included) is retried after a short, jittered pause. On a cluster it runs
        on the primary of the watch keys' slot, and needs at least one. ``func`` may be a
        plain function, as redis-py allows, when it only queues: it calls ``tx.multi()``
        and queues commands, and cannot await the reads.

        Args:
            func: The attempt; it may be run several times.
            *watch_keys: Keys to WATCH before each attempt (on a cluster, in one slot).
            retries: Attempts after the first; None uses the default (64).
            raise_on_error: Raise the first error of a queued command.

        Returns:
            What ``func`` returned in the attempt that committed.

        Raises:
            WatchError: Every attempt lost its race.
            ExecAbortError: A queued command was invalid.
            CrossSlotError: On a cluster, the keys span slots.
            ValueError: On a cluster, no watch key was given.
        """
        return await run_transaction(
            self._executor,
            func,
            watch_keys,
            retries=DEFAULT_RETRIES if retries is None else retries,
            raise_on_error=raise_on_error,
        )

    def watch(self, *keys: KeyT, raise_on_error: bool = True) -> WatchBlock[StrT]:
        """WATCH ``keys`` on a dedicated connection for a transaction written by hand.

        ``async with client.watch("k") as tx:`` reads with ``await tx.get("k")``, then
        ``tx.multi()`` and queued commands; EXEC runs when the block ends without error.

        Args:
            *keys: Keys to WATCH (on a cluster, in one slot).
            raise_on_error: Raise the first error of a queued command.

        Returns:
            An async context manager yielding the transaction.

        Raises:
            ValueError: No key was given.
        """
        return WatchBlock[StrT]._over(self._executor, keys, raise_on_error=raise_on_error)

    def register_script(self, source: str | bytes, *, read_only: bool = False) -> Script:
        """Return a callable Lua script run by SHA1 (loaded on NOSCRIPT).

        On a cluster the script runs on the node of its keys and is loaded on that node.

        Args:
            source: The Lua source.
            read_only: Use EVALSHA_RO; the script must not write.

        Returns:
            The script; ``await script(keys=[...], args=[...])`` runs it.
        """
        script = Script(self._executor, source, read_only=read_only)
        script._reload = self._script_loader()
        script._batches = self._executor
        return script

    def _script_loader(self) -> ScriptLoader | None:
        # Where a script is loaded after NOSCRIPT; None: through the client (Script.load).
        return None

    def lock(
        self,
        name: str | bytes,
        *,
        timeout: float | None = None,
        sleep: float = 0.1,
        blocking: bool = True,
        blocking_timeout: float | None = None,
    ) -> Lock:
        """Return a lock held in the key ``name`` (``SET NX PX`` with a random token).

        ``async with client.lock("job:42", timeout=30):`` waits for the lock, runs the block
        and releases it. A ``Lock`` object is one holder: give each competing task its own.
        On a cluster every step runs on the node of ``name``. A lock reads past the client-side
        cache, if the client has one: its checks see the server's value.

        Args:
            name: The key that holds the lock.
            timeout: Seconds the lock lives unless extended, so a crashed holder cannot keep
                it; None: until released.
            sleep: The longest pause, in seconds, between two attempts while waiting (the
                first pause is a millisecond; each doubles, with jitter).
            blocking: Whether ``acquire()`` and ``async with`` wait while it is held.
            blocking_timeout: Seconds they wait at most; None: no limit.

        Returns:
            The lock, not yet acquired.

        Raises:
            TypeError: ``name`` is not ``str`` or ``bytes``, or an option is not a number.
            ValueError: ``timeout`` or ``sleep`` is not positive, ``timeout`` is over 2**53
                ms (about 285,000 years), or ``blocking_timeout`` is negative.
        """
        return Lock(
            self._uncached_executor(),
            name,
            timeout=timeout,
            sleep=sleep,
            blocking=blocking,
            blocking_timeout=blocking_timeout,
            release_script=self.register_script(RELEASE_SOURCE),
            renew_script=self.register_script(RENEW_SOURCE),
        )

    def _uncached_executor(self) -> ExecutorT:
        # What must read the server itself, never a client-side cache (a lock's checks).
        return self._executor

    def library(self, code: str | bytes) -> Library:
        """Return a function library helper (FUNCTION LOAD, FCALL, FCALL_RO).

        On a cluster ``load()`` loads it on every primary and each call goes to the node
        of its keys.

        Args:
            code: The library source, starting with ``#!lua name=<library>``.

        Returns:
            The library; ``await lib.load()`` loads it, ``await lib.call(...)`` calls.

        Raises:
            ValueError: The code has no ``#!lua name=...`` first line.
        """
        library = Library(self._executor, code)
        library._server_at = self._server_lookup()
        return library

    def _server_lookup(self) -> ServerLookup | None:
        # The server at an error's address; None: this client has one server.
        return None

    @property
    def command_timeout(self) -> float | None:
        """Seconds each non-blocking command waits for its reply; None waits indefinitely."""
        return self._executor.command_timeout
