"""A batch of queued commands (pipelines, transactions) and how it goes onto one connection.

Rules this module keeps:

- A ``Batch`` holds, per command, its frame (or its argument tuple when it is framed late),
  its parser, its ``CommandMeta`` and its argument tuple, so a topology can place or split
  the batch by key. Queuing never awaits and never touches a connection.
- Short commands of ``bytes`` arguments are queued unframed and framed by ``send_chunks``,
  chunk by chunk, once the previous chunk is on the wire: the server runs chunk k while the
  client frames chunk k + 1 (``_protocol._templates.is_late`` is the rule).
- A plain batch is written in chunks of ``CHUNK_COMMANDS`` with at most ``WINDOW`` chunks
  unanswered, one future per chunk; other callers of a shared connection wait for at most
  ``WINDOW`` chunks of replies. A transaction is one contiguous write (MULTI, the commands,
  EXEC): no other caller's bytes can land inside it.
- Scripts of the batch are loaded (``SCRIPT LOAD``) before its commands, so EVALSHA never
  meets NOSCRIPT for a script the batch knows: at the head of the same write for a plain
  batch; in a round trip of its own before a transaction, whose MULTI is not sent when a
  script does not load (once MULTI ... EXEC is written, nothing can keep EXEC from running
  the other commands).
- Commands with a binary reply (DUMP) are read undecoded. A transaction's EXEC reply always
  is (on a decoding connection), and its slots are decoded one by one afterwards: binary
  ones stay bytes, and text that does not decode fails its own slot only.
- Where a batch runs (shared connection, lease, which node) is the executor's decision;
  nothing here chooses a connection.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from typing import Any

from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import (
    ExecAbortError,
    InvalidUsageError,
    NoScriptError,
    RedisError,
    ServerError,
    WatchError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._pool._interfaces import CommandConnection
from redis_oxide._protocol import encode_command
from redis_oxide._protocol._templates import join_frames

__all__ = [
    "CHUNK_COMMANDS",
    "WINDOW",
    "Batch",
    "first_error",
    "send_chunks",
    "send_transaction",
]

# 512 commands of typical size (100-byte values) are ~70 KB. A 1,000-command pipeline goes
# out in two writes: the server runs the first half while the client frames the second.
# Smaller chunks cost a write and a server wake-up each and measured slower.
CHUNK_COMMANDS = 512
# Two chunks in flight keep the server busy while the client frames the next chunk and reads
# the replies of the previous one; another caller of the shared connection waits behind at
# most that much server work. redis-py sends a pipeline in one write however long it is.
WINDOW = 2

_MULTI = encode_command(("MULTI",))
_EXEC = encode_command(("EXEC",))

Parser = Callable[[Any], Any] | None


class Batch:
    """The commands of one run, then their results; shared by the run's handles."""

    __slots__ = (
        "args",
        "binary",
        "blocking",
        "data",
        "error",
        "metas",
        "parsers",
        "results",
        "scripts",
    )

    def __init__(self) -> None:
        #: Frames, or argument tuples that ``send_chunks`` frames late (module rules).
        self.data: list[bytes | tuple[ArgT, ...]] = []
        self.parsers: list[Parser] = []
        self.metas: list[CommandMeta] = []
        #: The wire arguments of each command, for topologies that place commands by key.
        self.args: list[tuple[ArgT, ...]] = []
        #: sha1 -> source, for every script an EVALSHA of this batch runs.
        self.scripts: dict[str, bytes] = {}
        #: Whether a command may block its connection (it then needs a lease of its own).
        self.blocking: bool = False
        #: Positions of the commands whose replies are binary (read undecoded).
        self.binary: list[int] = []
        self.results: list[object] | None = None
        self.error: BaseException | None = None

    def __len__(self) -> int:
        return len(self.metas)

    def queue(self, meta: CommandMeta, args: tuple[ArgT, ...], parser: Parser) -> int:
        """Frame and queue one command; return its position.

        Raises:
            TypeError: An argument cannot be encoded; nothing was queued.
        """
        self.data.append(encode_command(args))
        self.parsers.append(parser)
        self.metas.append(meta)
        self.args.append(args)
        if meta.is_blocking:
            self.blocking = True
        if meta.binary_reply:
            self.binary.append(len(self.metas) - 1)
        return len(self.metas) - 1

    def value(self, index: int) -> Any:
        """The value (or raised error) of the command at ``index`` once the batch ran."""
        results = self.results
        if results is None:
            if self.error is not None:
                raise self.error
            name = self.metas[index].name
            raise InvalidUsageError(
                f"the result of {name} is not available: the pipeline has not run yet "
                "(await pipeline.execute(), or leave its async with block, first)",
                command=name,
            )
        value = results[index]
        if isinstance(value, BaseException):
            raise value
        return value


def first_error(results: list[object]) -> BaseException | None:
    """Return the first error among ``results``, marking each error with its position.

    Args:
        results: One value or error per command of a batch, in order.

    Returns:
        The first error, or None.
    """
    # The distinct types first, in C: a run without errors (the common case) then costs no
    # Python-level isinstance per command.
    if not any(issubclass(kind, BaseException) for kind in set(map(type, results))):
        return None
    first: BaseException | None = None
    for index, value in enumerate(results):
        if isinstance(value, BaseException):
            if isinstance(value, RedisError) and not isinstance(value, ExecAbortError):
                value.position = index if value.position is None else value.position
            first = first or value
    return first


def _script_prefix(batch: Batch) -> list[bytes]:
    return [encode_command(("SCRIPT", "LOAD", source)) for source in batch.scripts.values()]


def _failed_loads(batch: Batch, loads: list[Any]) -> dict[str, ServerError]:
    # The scripts whose SCRIPT LOAD failed (a Lua syntax error ...), with their errors.
    return {
        sha: err
        for sha, err in zip(batch.scripts, loads, strict=True)
        if isinstance(err, ServerError)
    }


def _explain_noscript(batch: Batch, loads: list[object], results: list[object]) -> None:
    # A script whose SCRIPT LOAD failed (a Lua syntax error ...) would show up as NOSCRIPT in
    # its slots; the load error is the useful explanation.
    failed = _failed_loads(batch, loads)
    if not failed:
        return
    for index, value in enumerate(results):
        if isinstance(value, NoScriptError):
            for sha, err in failed.items():
                if sha in value.message or len(failed) == 1:
                    results[index] = err
                    break


async def send_chunks(
    conn: CommandConnection, batch: Batch, reply_timeout: float | None
) -> list[object]:
    """Send a plain batch in windowed chunks; return one value or error per command.

    Args:
        conn: The connection (shared or leased) the executor chose.
        batch: The commands.
        reply_timeout: Seconds each chunk waits for its replies; None waits indefinitely.

    Returns:
        One value per command; server and parser errors are values in their slots.

    Raises:
        ConnectionLostError: The connection died; nothing is retried (a batch may write).
        CommandTimeoutError: A chunk's replies did not arrive in time.
    """
    prefix = _script_prefix(batch)
    data, parsers, metas = batch.data, batch.parsers, batch.metas
    total = len(metas)
    replies: list[object] = []
    in_flight: collections.deque[Any] = collections.deque()
    try:
        for start in range(0, total, CHUNK_COMMANDS):
            end = min(start + CHUNK_COMMANDS, total)
            chunk_data = data[start:end]
            chunk_parsers: list[Parser] = parsers[start:end]
            chunk_metas = metas[start:end]
            shift = -start
            if start == 0 and prefix:
                chunk_data = [*prefix, *chunk_data]
                chunk_parsers = [*([None] * len(prefix)), *chunk_parsers]
                chunk_metas = [*([_m.SCRIPT_LOAD] * len(prefix)), *chunk_metas]
                shift = len(prefix)
            binary = [i + shift for i in batch.binary if start <= i < end]
            in_flight.append(
                conn.send_batch(
                    join_frames(chunk_data), chunk_parsers, chunk_metas, reply_timeout, binary
                )
            )
            if len(in_flight) >= WINDOW:
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


async def send_transaction(
    conn: CommandConnection, batch: Batch, reply_timeout: float | None
) -> list[object]:
    """Send ``MULTI``, the batch and ``EXEC`` in one write; return the EXEC slots.

    Args:
        conn: The connection (shared, or the lease that holds the WATCH).
        batch: The commands.
        reply_timeout: Seconds to wait for all the replies; None waits indefinitely.

    Returns:
        One value per command; errors of commands that ran are values in their slots.

    Raises:
        WatchError: EXEC returned null (a watched key changed); nothing ran.
        ExecAbortError: A queued command was refused; nothing ran.
        ConnectionLostError: The connection died.
        CommandTimeoutError: The replies did not arrive in time.
    """
    prefix = _script_prefix(batch)
    if prefix:
        started = time.monotonic()
        loads = await conn.send_batch(
            join_frames(prefix), [None] * len(prefix), [_m.SCRIPT_LOAD] * len(prefix), reply_timeout
        )
        _abort_unloaded(batch, loads, conn.address)
        if reply_timeout is not None:
            reply_timeout = max(0.0, reply_timeout - (time.monotonic() - started))
    data = join_frames([_MULTI, *batch.data, _EXEC])
    metas = [_m.MULTI, *batch.metas, _m.EXEC]
    parsers: list[Parser] = [None] * len(metas)
    # EXEC is read undecoded (a no-op on a connection that keeps bytes) and decoded slot by
    # slot: a binary reply stays bytes, and text that does not decode fails its slot alone.
    binary = [len(metas) - 1]
    replies = await conn.send_batch(data, parsers, metas, reply_timeout, binary)
    multi, queued, exec_reply = replies[0], replies[1:-1], replies[-1]
    if isinstance(multi, ServerError):
        raise multi
    if isinstance(exec_reply, list):
        keep = set(batch.binary)
        slots: list[Any] = exec_reply  # pyright: ignore[reportUnknownVariableType]
        exec_reply = [
            raw if i in keep else conn.decode_reply(raw, meta)
            for i, (raw, meta) in enumerate(zip(slots, batch.metas, strict=True))
        ]
    return _exec_slots(batch, queued, exec_reply, conn.address)


def _abort_unloaded(batch: Batch, loads: list[Any], address: str) -> None:
    # A script that does not load (a Lua syntax error) aborts the transaction before MULTI:
    # its calls get the load error, every other command the abort, and nothing ran.
    failed = _failed_loads(batch, loads)
    if not failed:
        return
    first = next(iter(failed.values()))
    abort = ExecAbortError(
        f"a script of the transaction did not load, so nothing ran: {first.message}",
        code=first.code,
        command="SCRIPT LOAD",
        address=address,
    )
    abort.__cause__ = first
    results: list[object] = [abort] * len(batch.metas)
    for index, args in enumerate(batch.args):
        sha = args[1] if len(args) > 1 and batch.metas[index].name.startswith("EVALSHA") else None
        err = failed.get(sha.decode() if isinstance(sha, bytes) else str(sha))
        if err is not None:
            results[index] = err.with_context(command=batch.metas[index].name, address=address)
    batch.results = results
    raise abort


def _exec_slots(batch: Batch, queued: list[Any], exec_reply: Any, address: str) -> list[object]:
    if isinstance(exec_reply, ServerError):
        rejected = [(i, err) for i, err in enumerate(queued) if isinstance(err, ServerError)]
        detail = "; ".join(f"#{i} {batch.metas[i].name}: {err.message}" for i, err in rejected[:3])
        abort = ExecAbortError(
            f"{exec_reply.message} ({detail})" if detail else exec_reply.message,
            code=exec_reply.code,
            command="EXEC",
            address=address,
        )
        abort.__cause__ = rejected[0][1] if rejected else exec_reply
        results: list[object] = [abort] * len(queued)
        for index, err in rejected:
            err.command = batch.metas[index].name
            err.address = address
            err.position = index
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
    for raw, parser, meta in zip(exec_reply, batch.parsers, batch.metas, strict=True):
        if isinstance(raw, RedisError):
            results.append(raw.with_context(command=meta.name, address=address))
        elif parser is None:
            results.append(raw)
        else:
            try:
                results.append(parser(raw))
            except Exception as exc:  # a parser bug fails its slot, not the transaction
                results.append(exc)
    return results
