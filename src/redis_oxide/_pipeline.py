"""Pipelines: many commands, one batch on the wire, one typed handle per command.

Rules this module keeps:

- A command is checked when it is queued, so a bad argument raises ``TypeError`` at the
  call, never at ``execute()``. Queuing never awaits and never touches a connection.
- Each queued command keeps its ``CommandMeta`` and arguments in the ``Batch``
  (``_pool._batch``), so the executor can place or split the batch; where it runs is the
  executor's decision, how it goes on the wire is the batch module's.
- A run takes the queue as it is and leaves a fresh one behind: the pipeline is reusable,
  and the handles of a run only ever see that run's replies.
- Every slot is filled before anything is raised: with ``raise_on_error`` the first error
  is raised after all handles have their value or error, and every error in a slot carries
  its position in the pipeline.
- A run cancelled before its replies arrived leaves its handles with an
  ``InvalidUsageError`` that says so, never a ``CancelledError`` for a task nobody
  cancelled.
"""

# pyright: reportPrivateUsage=false
# (Private names used across modules by design: a pipeline sets its handles' slots
# directly on the hot path.)

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Generator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, overload

from redis_oxide._command import ArgT, CommandMeta, ReplyParser
from redis_oxide._exceptions import InvalidUsageError
from redis_oxide._executor import Executor
from redis_oxide._generated import Commands, StrT
from redis_oxide._generated import _meta as _m
from redis_oxide._parsers import Reply
from redis_oxide._pool._batch import Batch, first_error
from redis_oxide._protocol._templates import THREE_TOKENS, TWO_TOKENS, pack_args
from redis_oxide._raw_commands import command_meta

if TYPE_CHECKING:
    from redis_oxide._scripting import Script

__all__ = ["Pipeline", "PipelineResult", "finish_run"]

T = TypeVar("T")
R = TypeVar("R")


class PipelineResult(Generic[T]):
    """The typed result of one queued command, available once its pipeline has run.

    ``await handle`` (or ``handle.value``) returns the command's value, or raises its error.
    Before the pipeline ran, both raise ``InvalidUsageError``.
    """

    __slots__ = ("_batch", "_index")

    _batch: Batch
    _index: int

    def __init__(self) -> None:
        raise TypeError("PipelineResult handles come from a pipeline's command methods")

    @staticmethod
    def of(handle: Awaitable[R]) -> PipelineResult[R]:
        """Return ``handle`` typed as a ``PipelineResult``.

        Queued commands are typed ``Awaitable[T]`` by the command surface they share with
        the client; this gives the handle, with ``.value``, keeping ``T``.

        Args:
            handle: What a pipeline method returned.

        Returns:
            The same object.

        Raises:
            TypeError: ``handle`` does not come from a pipeline.
        """
        if not isinstance(handle, PipelineResult):
            raise TypeError(f"expected a PipelineResult, got {type(handle).__name__}")
        return handle

    @property
    def value(self) -> T:
        """The command's value.

        Raises:
            InvalidUsageError: The pipeline has not run yet.
            RedisError: The command failed (its own error), or the whole run failed.
        """
        value: T = self._batch.value(self._index)
        return value

    def is_ready(self) -> bool:
        """Whether the pipeline has run (the value or error is known)."""
        batch = self._batch
        return batch.results is not None or batch.error is not None

    def __await__(self) -> Generator[Any, None, T]:
        value = self.value
        yield from ()
        return value

    def __repr__(self) -> str:
        batch = self._batch
        name = batch.metas[self._index].name
        if batch.results is None:
            return f"<PipelineResult {name} {'failed' if batch.error else 'pending'}>"
        return f"<PipelineResult {name} {batch.results[self._index]!r}>"


# object.__new__ typed for the one class it builds: a handle without an __init__ frame.
_new_handle: Callable[[type[PipelineResult[Any]]], PipelineResult[Any]] = object.__new__


def _handle(batch: Batch, index: int) -> PipelineResult[Any]:
    handle: PipelineResult[Any] = _new_handle(PipelineResult)
    handle._batch = batch
    handle._index = index
    return handle


async def finish_run(
    batch: Batch, run: Awaitable[list[object]], raise_on_error: bool
) -> list[object]:
    """Await a batch's run, fill its handles, and raise as ``execute()`` promises.

    Args:
        batch: The batch the handles read.
        run: The executor's run of it.
        raise_on_error: Raise the first command error once every slot is filled.

    Returns:
        One value per command (errors in their slots when not raised).
    """
    try:
        results = await run
    except asyncio.CancelledError:
        if batch.results is None and batch.error is None:
            batch.error = InvalidUsageError(
                f"the pipeline's execute() was cancelled before its {len(batch)} replies "
                "arrived; the commands may or may not have run"
            )
        raise
    except BaseException as exc:
        if batch.results is None and batch.error is None:
            batch.error = exc
        raise
    batch.results = results
    error = first_error(results)
    if raise_on_error and error is not None:
        raise error
    return results


class Queueing(Commands[StrT]):
    """Queues commands into a batch and hands out typed handles (pipelines, transactions)."""

    __slots__ = ("_batch",)

    _batch: Batch

    def _queue(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> PipelineResult[T]:
        batch = self._batch
        return _handle(batch, batch.queue(meta, args, parser))

    def __len__(self) -> int:
        return len(self._batch)

    def result(self, handle: Awaitable[T]) -> PipelineResult[T]:
        """Return the typed handle behind a queued command's awaitable.

        Args:
            handle: What one of this object's command methods returned.

        Returns:
            The same handle, typed ``PipelineResult``.

        Raises:
            TypeError: ``handle`` was not returned by a pipeline.
        """
        return PipelineResult.of(handle)

    def _queue_script(
        self, script: Script, keys: Sequence[ArgT], args: Sequence[ArgT], parser: Any
    ) -> PipelineResult[Any]:
        batch = self._batch
        batch.scripts.setdefault(script.sha, script.source)
        meta = _m.EVALSHA_RO if script.read_only else _m.EVALSHA
        wire = (meta.name, script.sha, len(keys), *keys, *args)
        return _handle(batch, batch.queue(meta, wire, parser))

    def _take(self) -> Batch:
        batch = self._batch
        self._batch = Batch()
        return batch

    def _abandon(self, reason: str) -> None:
        # The queued commands will never run: their handles say why.
        if self._batch.metas:
            self._take().error = InvalidUsageError(reason)


class Pipeline(Queueing[StrT]):
    """Commands queued now, sent together by ``execute()``; each call returns a handle.

    Built by ``client.pipeline()``. Reusable: each ``execute()`` sends what was queued since
    the previous one.
    """

    __slots__ = ("_executor", "_raise_on_error", "_transaction")

    _executor: Executor
    _raise_on_error: bool
    _transaction: bool

    def __init__(self) -> None:
        raise TypeError("pipelines are made by client.pipeline()")

    @classmethod
    def _over(cls, executor: Executor, *, transaction: bool, raise_on_error: bool) -> Self:
        """Build a pipeline whose batches run on ``executor``.

        Args:
            executor: Where the batch runs (the client's executor).
            transaction: Wrap the batch in MULTI/EXEC.
            raise_on_error: Raise the first command error from ``execute()`` (after every
                handle has its value); otherwise errors are returned in their slots.
        """
        pipe = object.__new__(cls)
        pipe._batch = Batch()
        pipe._executor = executor
        pipe._transaction = transaction
        pipe._raise_on_error = raise_on_error
        return pipe

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> PipelineResult[T]:
        # The hot path of a pipeline: Batch.queue inlined, and the handle built without
        # running an __init__ frame (slots set directly). Generated methods always pass a
        # tuple. A short command of bytes arguments is queued unframed (is_late, inlined):
        # the batch module frames it at execute.
        batch = self._batch
        count = len(args)
        if (
            count == 3
            and type(args[1]) is bytes
            and type(args[2]) is bytes
            and args[0] in THREE_TOKENS
        ) or (count == 2 and type(args[1]) is bytes and args[0] in TWO_TOKENS):
            data: bytes | tuple[ArgT, ...] = args
        else:
            data = pack_args(args)
        metas = batch.metas
        index = len(metas)
        if meta.is_blocking:
            batch.blocking = True
        if meta.binary_reply:
            batch.binary.append(index)
        batch.data.append(data)
        batch.parsers.append(parser)
        metas.append(meta)
        batch.args.append(args)
        handle: PipelineResult[T] = _new_handle(PipelineResult)
        handle._batch = batch
        handle._index = index
        return handle

    @overload
    def execute_command(self, *args: ArgT) -> PipelineResult[Reply]: ...
    @overload
    def execute_command(self, *args: ArgT, parser: ReplyParser[T]) -> PipelineResult[T]: ...
    def execute_command(self, *args: ArgT, parser: Any = None) -> PipelineResult[Any]:
        """Queue a raw command.

        Args:
            *args: The command name and its arguments.
            parser: Applied to the reply; by default the decoded reply is the value.

        Returns:
            The command's handle.

        Raises:
            TypeError: No command name, or an argument cannot be sent.
            InvalidUsageError: The command changes connection state (MULTI, WATCH,
                SELECT ...).
        """
        if not args:
            raise TypeError("execute_command() needs at least the command name")
        return self._queue(command_meta(args), args, parser)

    @overload
    def run_script(
        self, script: Script, keys: Sequence[ArgT] = (), args: Sequence[ArgT] = ()
    ) -> PipelineResult[Reply]: ...
    @overload
    def run_script(
        self,
        script: Script,
        keys: Sequence[ArgT] = (),
        args: Sequence[ArgT] = (),
        *,
        parser: ReplyParser[T],
    ) -> PipelineResult[T]: ...
    def run_script(
        self,
        script: Script,
        keys: Sequence[ArgT] = (),
        args: Sequence[ArgT] = (),
        *,
        parser: Any = None,
    ) -> PipelineResult[Any]:
        """Queue a registered script (EVALSHA); it is loaded at the head of the batch.

        Args:
            script: The script, from ``Redis.register_script``.
            keys: Key names the script touches.
            args: Further arguments.
            parser: Applied to the script's reply; by default the reply is the value.

        Returns:
            The script call's handle.

        Raises:
            TypeError: A key or argument cannot be sent.
        """
        return self._queue_script(script, keys, args, parser)

    async def execute(self) -> list[object]:
        """Send everything queued and return the results in order.

        Returns:
            One value per queued command; on a pipeline made with
            ``client.pipeline(raise_on_error=False)`` a failed command's slot holds its
            exception.

        Raises:
            ServerError: Unless the pipeline was made with ``raise_on_error=False``, the first
                command error (its ``position`` says which queued command it was).
            ExecAbortError: A transaction was refused because a queued command was invalid.
            ConnectionLostError: The connection died; handles raise the same error.
            CommandTimeoutError: The replies did not arrive within ``command_timeout``.
        """
        batch = self._take()
        if not batch.metas:  # nothing to run: no round trip (nor an empty MULTI/EXEC)
            batch.results = []
            return []
        run = self._executor.run_batch(batch, transaction=self._transaction)
        return await finish_run(batch, run, self._raise_on_error)

    def reset(self) -> None:
        """Drop every command queued since the last ``execute()``; their handles fail."""
        batch = self._take()
        batch.error = InvalidUsageError("the pipeline was reset before these commands ran")

    async def __aenter__(self) -> Pipeline[StrT]:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.execute()
        else:
            self.reset()

    def __repr__(self) -> str:
        kind = "transaction" if self._transaction else "pipeline"
        return f"<redis_oxide.Pipeline {kind} queued={len(self)}>"
