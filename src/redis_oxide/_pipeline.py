"""Pipelines: many commands, one batch on the wire, one typed handle per command.

Rules this module keeps:

- A command is checked when it is queued, so a bad argument raises ``TypeError`` at the
  call, never at ``execute()``. Queuing never awaits and never touches a connection.
- Short commands of ``bytes`` arguments (``SET k v``, ``GET k``) are queued unframed and
  framed by ``execute()``, chunk by chunk, once the previous chunk is on the wire: the server
  runs chunk k while the client frames chunk k + 1. Anything else is framed when queued.
  ``_protocol._templates.is_late`` is the rule (inlined in ``Pipeline._execute``).
- A run takes the queue as it is (``_Batch``) and leaves a fresh one behind: the pipeline is
  reusable, and the handles of a run only ever see that run's replies.
- On a shared (multiplexed) connection a plain pipeline is written in chunks of
  ``_CHUNK_COMMANDS`` with at most ``_WINDOW`` chunks unanswered, one future per chunk. Other
  callers' commands are written between chunks, so they wait for at most ``_WINDOW`` chunks
  of replies, not for the whole pipeline. A transaction is one contiguous write (MULTI, the
  commands, EXEC): no other caller's bytes can land inside it, and the server runs it atomically
  anyway.
- A pipeline that holds a blocking command, or any pipeline of a pooled client, runs on a
  dedicated lease, released (or discarded when replies are outstanding) before ``execute``
  returns.
- Scripts queued with ``run_script`` are loaded (``SCRIPT LOAD``) at the head of the same
  write, before MULTI, so EVALSHA never meets NOSCRIPT for a script the batch knows.
- Commands with a binary reply (DUMP) are read undecoded; in a transaction the whole EXEC
  reply is, and its other slots are decoded afterwards.
- Every slot is filled before anything is raised: with ``raise_on_error`` the first error
  is raised after all handles have their value or error.
"""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable, Generator, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from redis_oxide._client import Redis
from redis_oxide._client_commands import command_info
from redis_oxide._command import ArgT, CommandMeta, ReplyParser
from redis_oxide._connection import Connection
from redis_oxide._exceptions import (
    ExecAbortError,
    InvalidUsageError,
    NoScriptError,
    ServerError,
    WatchError,
)
from redis_oxide._generated import Commands, StrT
from redis_oxide._generated import _meta as _m
from redis_oxide._parsers import Reply
from redis_oxide._protocol import encode_command
from redis_oxide._protocol._templates import THREE_TOKENS, TWO_TOKENS, join_frames, pack_args

if TYPE_CHECKING:
    from redis_oxide._scripting import Script

__all__ = ["Pipeline", "PipelineResult"]

T = TypeVar("T")

# 512 commands of typical size (100-byte values) are ~70 KB. A 1,000-command pipeline goes
# out in two writes: the server runs the first half while the client frames the second.
# Smaller chunks cost a write and a server wake-up each and measured slower.
_CHUNK_COMMANDS = 512
# Two chunks in flight keep the server busy while the client frames the next chunk and reads
# the replies of the previous one; another caller of the shared connection waits behind at
# most that much server work. redis-py sends a pipeline in one write however long it is.
_WINDOW = 2

_MULTI = encode_command(("MULTI",))
_EXEC = encode_command(("EXEC",))


class _Batch:
    """The commands of one run, then their results; shared by the run's handles."""

    __slots__ = ("binary", "blocking", "data", "error", "names", "parsers", "results", "scripts")

    def __init__(self) -> None:
        #: Frames, or commands that ``join_frames`` frames at execute (see the module rules).
        self.data: list[bytes | tuple[ArgT, ...]] = []
        self.parsers: list[Callable[[Any], Any] | None] = []
        self.names: list[str] = []
        #: sha1 -> script, for every script an EVALSHA of this batch runs.
        self.scripts: dict[str, Script] = {}
        self.blocking = False
        #: Positions of the commands whose replies are binary (read undecoded).
        self.binary: list[int] = []
        self.results: list[object] | None = None
        self.error: BaseException | None = None

    def queue(self, args: Sequence[ArgT], parser: Callable[[Any], Any] | None, name: str) -> int:
        self.data.append(encode_command(args))
        self.parsers.append(parser)
        self.names.append(name)
        return len(self.names) - 1

    def value(self, index: int) -> Any:
        results = self.results
        if results is None:
            if self.error is not None:
                raise self.error
            raise InvalidUsageError(
                f"the result of {self.names[index]} is not available: the pipeline has not "
                "run yet (await pipeline.execute(), or leave its async with block, first)",
                command=self.names[index],
            )
        value = results[index]
        if isinstance(value, BaseException):
            raise value
        return value


class PipelineResult(Generic[T]):
    """The typed result of one queued command, available once its pipeline has run.

    ``await handle`` (or ``handle.value``) returns the command's value, or raises its error.
    Before the pipeline ran, both raise ``InvalidUsageError``.
    """

    __slots__ = ("_batch", "_index")

    def __init__(self, batch: _Batch, index: int) -> None:
        self._batch = batch
        self._index = index

    @staticmethod
    def of(handle: Awaitable[T]) -> PipelineResult[T]:
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
        name = batch.names[self._index]
        if batch.results is None:
            return f"<PipelineResult {name} {'failed' if batch.error else 'pending'}>"
        return f"<PipelineResult {name} {batch.results[self._index]!r}>"


_new_handle = object.__new__


def _take_error(results: list[object]) -> BaseException | None:
    # The distinct types first, in C: a run without errors (the common case) then costs no
    # Python-level isinstance per command.
    for kind in set(map(type, results)):
        if issubclass(kind, BaseException):
            for value in results:
                if isinstance(value, BaseException):
                    return value
    return None


def _script_prefix(batch: _Batch) -> tuple[list[bytes], list[str]]:
    data = [encode_command(("SCRIPT", "LOAD", s.source)) for s in batch.scripts.values()]
    return data, ["SCRIPT LOAD"] * len(data)


def _explain_noscript(batch: _Batch, loads: list[object], results: list[object]) -> None:
    # A script whose SCRIPT LOAD failed (a Lua syntax error ...) would show up as NOSCRIPT in
    # its slots; the load error is the useful explanation.
    failed = {
        sha: err
        for sha, err in zip(batch.scripts, loads, strict=True)
        if isinstance(err, ServerError)
    }
    if not failed:
        return
    for index, value in enumerate(results):
        if isinstance(value, NoScriptError):
            for sha, err in failed.items():
                if sha in value.message or len(failed) == 1:
                    results[index] = err
                    break


async def _send_chunks(
    conn: Connection, batch: _Batch, reply_timeout: float | None
) -> list[object]:
    """Send a plain batch in windowed chunks; return one value or error per command."""
    prefix, prefix_names = _script_prefix(batch)
    data, parsers, names = batch.data, batch.parsers, batch.names
    total = len(names)
    replies: list[object] = []
    in_flight: collections.deque[Any] = collections.deque()
    loads: list[object] = []
    try:
        for start in range(0, total, _CHUNK_COMMANDS):
            end = min(start + _CHUNK_COMMANDS, total)
            chunk_data = data[start:end]
            chunk_parsers: list[Callable[[Any], Any] | None] = parsers[start:end]
            chunk_names = names[start:end]
            shift = -start
            if start == 0 and prefix:
                chunk_data = [*prefix, *chunk_data]
                chunk_parsers = [*([None] * len(prefix)), *chunk_parsers]
                chunk_names = prefix_names + chunk_names
                shift = len(prefix)
            binary = [i + shift for i in batch.binary if start <= i < end]
            in_flight.append(
                conn.send_batch(
                    join_frames(chunk_data), chunk_parsers, chunk_names, reply_timeout, binary
                )
            )
            if len(in_flight) >= _WINDOW:
                replies += await in_flight.popleft()
        while in_flight:
            replies += await in_flight.popleft()
    finally:
        for future in in_flight:
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # the first failure is already being raised
    if prefix:
        loads, replies = replies[: len(prefix)], replies[len(prefix) :]
        _explain_noscript(batch, loads, replies)
    return replies


async def _send_transaction(
    conn: Connection, batch: _Batch, reply_timeout: float | None
) -> list[object]:
    """Send ``MULTI``, the batch and ``EXEC`` in one write; return the EXEC slots."""
    prefix, prefix_names = _script_prefix(batch)
    count = len(batch.names)
    data = join_frames([*prefix, _MULTI, *batch.data, _EXEC])
    names = [*prefix_names, "MULTI", *batch.names, "EXEC"]
    parsers: list[Callable[[Any], Any] | None] = [None] * len(names)
    binary = [len(names) - 1] if batch.binary else []
    replies = await conn.send_batch(data, parsers, names, reply_timeout, binary)
    loads = replies[: len(prefix)]
    multi, queued, exec_reply = replies[len(prefix)], replies[len(prefix) + 1 : -1], replies[-1]
    if isinstance(multi, ServerError):
        raise multi
    if binary and isinstance(exec_reply, list):
        keep = set(batch.binary)
        exec_reply = [
            raw if i in keep else conn.decode_reply(raw) for i, raw in enumerate(exec_reply)
        ]
    results = _exec_slots(batch, queued, exec_reply, conn.address)
    if count:
        _explain_noscript(batch, loads, results)
    return results


def _exec_slots(batch: _Batch, queued: list[Any], exec_reply: Any, address: str) -> list[object]:
    if isinstance(exec_reply, ServerError):
        rejected = [(i, err) for i, err in enumerate(queued) if isinstance(err, ServerError)]
        detail = "; ".join(f"{batch.names[i]}: {err.message}" for i, err in rejected[:3])
        abort = ExecAbortError(
            f"{exec_reply.message} ({detail})" if detail else exec_reply.message,
            code=exec_reply.code,
            command="EXEC",
            address=address,
        )
        abort.__cause__ = rejected[0][1] if rejected else exec_reply
        results: list[object] = [abort] * len(queued)
        for index, err in rejected:
            results[index] = err
        batch.results = results
        raise abort
    if exec_reply is None:
        watch_error = WatchError(
            "EXEC returned null: a watched key changed, the transaction did not run",
            command="EXEC",
            address=address,
        )
        batch.error = watch_error
        raise watch_error
    results = []
    for raw, parser, name in zip(exec_reply, batch.parsers, batch.names, strict=True):
        if isinstance(raw, ServerError):
            results.append(raw.with_context(command=name, address=address))
        elif parser is None:
            results.append(raw)
        else:
            try:
                results.append(parser(raw))
            except Exception as exc:  # a parser bug fails its slot, not the transaction
                results.append(exc)
    return results


class _Queueing(Commands[StrT]):
    """Queues commands into a batch and hands out typed handles (pipelines, transactions)."""

    __slots__ = ("_batch",)

    def __init__(self) -> None:
        self._batch = _Batch()

    def _queue(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> PipelineResult[T]:
        batch = self._batch
        if meta.is_blocking:
            batch.blocking = True
        index = batch.queue(args, parser, meta.name)
        if meta.binary_reply:
            batch.binary.append(index)
        return PipelineResult(batch, index)

    def __len__(self) -> int:
        return len(self._batch.names)

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
        name, _, blocking, binary = command_info(args)
        batch = self._batch
        batch.blocking = batch.blocking or blocking
        index = batch.queue(args, parser, name)
        if binary:
            batch.binary.append(index)
        return PipelineResult(batch, index)

    def _queue_script(
        self, script: Script, keys: Sequence[ArgT], args: Sequence[ArgT], parser: Any
    ) -> PipelineResult[Any]:
        batch = self._batch
        batch.scripts.setdefault(script.sha, script)
        meta = _m.EVALSHA_RO if script.read_only else _m.EVALSHA
        wire = (meta.name, script.sha, len(keys), *keys, *args)
        return PipelineResult(batch, batch.queue(wire, parser, meta.name))

    def _take(self) -> _Batch:
        batch = self._batch
        self._batch = _Batch()
        return batch


class Pipeline(_Queueing[StrT]):
    """Commands queued now, sent together by ``execute()``; each call returns a handle.

    Built by ``Redis.pipeline()``. Reusable: each ``execute()`` sends what was queued since
    the previous one.

    Args:
        client: The client whose connections carry the batch.
        transaction: Wrap the batch in MULTI/EXEC.
        raise_on_error: Raise the first command error from ``execute()`` (after every
            handle has its value); otherwise errors are returned in their slots.
    """

    __slots__ = ("_client", "_raise_on_error", "_transaction")

    def __init__(
        self, client: Redis[StrT], *, transaction: bool = False, raise_on_error: bool = True
    ) -> None:
        super().__init__()
        self._client: Redis[StrT] = client
        self._transaction = transaction
        self._raise_on_error = raise_on_error

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> PipelineResult[T]:
        # The hot path of a pipeline: _queue inlined, and the handle built without running
        # an __init__ frame (slots set directly). Generated methods always pass a tuple.
        batch = self._batch
        count = len(args)
        # is_late(args), inlined: such a command is framed by execute().
        if (
            count == 3
            and type(args[1]) is bytes
            and type(args[2]) is bytes
            and args[0] in THREE_TOKENS
        ) or (count == 2 and type(args[1]) is bytes and args[0] in TWO_TOKENS):
            data: bytes | tuple[ArgT, ...] = args
        else:
            data = pack_args(args)
        names = batch.names
        index = len(names)
        if meta.is_blocking:
            batch.blocking = True
        if meta.binary_reply:
            batch.binary.append(index)
        batch.data.append(data)
        batch.parsers.append(parser)
        names.append(meta.name)
        handle: PipelineResult[T] = _new_handle(PipelineResult)
        handle._batch = batch
        handle._index = index
        return handle

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
            One value per queued command; with ``raise_on_error=False`` a failed command's
            slot holds its exception.

        Raises:
            ServerError: With ``raise_on_error``, the first command error.
            ExecAbortError: A transaction was refused because a queued command was invalid.
            WatchError: Not raised by plain pipelines (no WATCH); see ``Redis.watch``.
            ConnectionLostError: The connection died; handles raise the same error.
            CommandTimeoutError: The replies did not arrive within ``command_timeout``.
        """
        batch = self._take()
        if not batch.names and not self._transaction:
            batch.results = []
            return []
        try:
            results = await self._run(batch)
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

    async def _run(self, batch: _Batch) -> list[object]:
        client = self._client
        timeout = client.command_timeout
        send = _send_transaction if self._transaction else _send_chunks
        if not batch.blocking:
            conn = await client._shared_connection()
            if conn is not None:
                return await send(conn, batch, timeout)
        # Pooled client, or a blocking command that must not stall a shared connection.
        async with await client._lease() as lease:
            return await send(lease.connection, batch, None if batch.blocking else timeout)

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
