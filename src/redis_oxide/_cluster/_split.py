"""One command split per slot (MGET of keys in many slots): a pipeline of its parts per node.

Rules this module keeps:

- ``run_split`` runs a ``multi_shard`` command whose keys span slots: one part per slot
  (``split_by_slot``), the parts of a node sent to it as one pipeline, the replies merged by
  the command's rule. The batch path (``_batches``) places, runs, redirects and merges the
  parts; its rules hold here too.
- The common case goes straight to the connections: a command whose every part's slot entry
  is a plain ``ServerExecutor`` with a ready shared connection, at most one chunk of parts per
  node. Its replies are merged as the batch path merges them, in split order: reassembled in
  key order (no response policy: MGET, JSON.MGET) or combined by the response policy (DEL,
  EXISTS, UNLINK and TOUCH summed, MSET's OKs as one). Each node's parts are framed into
  one write (a one-key part by its name's template) and sent at once, with the node's command
  timeout; their futures are awaited after every node has its write. No sub-batch, no part
  object and no task per node.
- The batch path takes everything else: a node with a client-side cache or telemetry (not a
  plain ``ServerExecutor``), no ready connection, a node marked down or a slot no node serves
  yet. Once sent, a node whose reply holds an error or whose write failed gets its part
  objects then and is settled by the batch path's ``settle_node``: redirects part by part,
  re-runs after a lost connection, the first failure raised in key order.
"""

# pyright: reportPrivateUsage=false
# (The batch path's part objects and steps are this module's fallback.)

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, cast

from redis_oxide._cluster._batches import (
    _Command,
    _group,
    _merge,
    _raise_any,
    _run_groups,
    _split_command,
)
from redis_oxide._cluster._direct import Sent, clean, outcomes, ready_connection, write
from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._replies import combine
from redis_oxide._cluster._router import Part, reassemble, split_by_slot
from redis_oxide._cluster._settle import _Part, settle_node
from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import RedisError
from redis_oxide._executor import ServerExecutor
from redis_oxide._pool._batch import Batch
from redis_oxide._pool._interfaces import CommandConnection
from redis_oxide._protocol._templates import pack_args, two_token_template

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["run_split"]

Parser = Callable[[Any], Any] | None


async def run_split(
    cluster: ClusterExecutor,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    parser: Parser,
    split: list[Part] | None = None,
) -> Any:
    """Run one ``multi_shard`` command whose keys span slots: a pipeline per node.

    Args:
        cluster: The cluster executor.
        meta: The command (``can_split(meta)``).
        args: Its wire arguments.
        parser: Applied once, to the merged reply.
        split: ``split_by_slot(meta, args)`` when the caller has it already.

    Returns:
        The merged, parsed value.

    Raises:
        RedisError: A part failed (the first failure, as a single command would).
    """
    if split is None:
        split = split_by_slot(meta, args)
    sends = _direct_sends(cluster, meta, split)
    if sends is not None:
        return await _run_direct(cluster, meta, args, parser, split, sends)
    batch = _one_command(meta, args, parser)
    groups: dict[NodeExecutor, list[int | _Part]] = {}
    alone: list[_Part] = []
    command = _split_command(cluster, 0, meta, args, split)
    _group(command, groups, None, alone)
    results: list[object] = [None]
    await _run_groups(cluster, batch, groups, None, alone, results)
    return _merged(batch, command, results)


def _one_command(meta: CommandMeta, args: tuple[ArgT, ...], parser: Parser) -> Batch:
    batch = Batch()
    batch.metas.append(meta)
    batch.args.append(args)
    batch.parsers.append(parser)
    batch.data.append(args)
    return batch


#: Per node: its executor, its ready connection, and its parts in split order.
_Sends = list[tuple[ServerExecutor, CommandConnection, list[Part]]]


def _direct_sends(cluster: ClusterExecutor, meta: CommandMeta, split: list[Part]) -> _Sends | None:
    # The parts per node when every node is a plain executor with a ready connection (module
    # rules); None sends the command the batch path's way.
    table = cluster.table(meta.is_readonly)
    nodes: dict[ServerExecutor, list[Part]] = {}
    for part in split:
        target = table[part[0]]
        if type(target) is not ServerExecutor:
            return None
        parts = nodes.get(target)
        if parts is None:
            nodes[target] = [part]
        else:
            parts.append(part)
    sends: _Sends = []
    for node, parts in nodes.items():
        conn = ready_connection(node, len(parts))
        if conn is None:
            return None
        sends.append((node, conn, parts))
    return sends


def _frames(parts: list[Part]) -> bytes:
    # A part of one key (MGET's usual part) by the name's template: what pack_args gives,
    # without its type checks and without hiredis's sprintf per length.
    template = two_token_template(parts[0][1][0]) if type(parts[0][1][0]) is str else None
    frames: list[bytes] = []
    append = frames.append
    for _, sub, _ in parts:
        if len(sub) == 2 and template is not None:  # (every part has the same name)
            key = sub[1]
            data = key.encode() if type(key) is str else key if type(key) is bytes else None
            if data is not None:
                append(template % (len(data), data))
                continue
        append(pack_args(sub))
    return b"".join(frames)


async def _run_direct(
    cluster: ClusterExecutor,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    parser: Parser,
    split: list[Part],
    sends: _Sends,
) -> Any:
    timeout = cluster.command_timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    binary = meta.binary_reply
    sent: Sent = []
    for node, conn, parts in sends:
        count = len(parts)
        frames = _frames(parts)
        kinds = range(count) if binary else ()
        write(sent, conn, frames, [None] * count, [meta] * count, node.command_timeout, kinds)
    done = await outcomes(sent)
    ordered: list[Part] = []
    replies: list[Any] = []
    for (_, _, parts), outcome in zip(sends, done, strict=True):
        if not clean(outcome):
            return await _settle(cluster, meta, args, parser, split, sends, done, deadline)
        ordered += parts
        replies += cast("list[Any]", outcome)
    if meta.response_policy is None:
        raw = reassemble(ordered, replies)
    else:
        # Combined in split order, as the batch path does (a node's replies are together).
        by_part = {id(part): reply for part, reply in zip(ordered, replies, strict=True)}
        raw = _combined(meta, split)([by_part[id(part)] for part in split])
    return raw if parser is None else parser(raw)


async def _settle(
    cluster: ClusterExecutor,
    meta: CommandMeta,
    args: tuple[ArgT, ...],
    parser: Parser,
    split: list[Part],
    sends: _Sends,
    outcomes: list[list[Any] | RedisError],
    deadline: float | None,
) -> Any:
    # A node failed or answered an error: the parts become the batch path's, which settles
    # each node's outcome and merges as it would have.
    batch = _one_command(meta, args, parser)
    results: list[object] = [None]
    made: dict[int, _Part] = {}
    settling: list[Coroutine[Any, Any, None]] = []
    for (node, _, parts), outcome in zip(sends, outcomes, strict=True):
        entries: list[int | _Part] = []
        for part in parts:
            entry = made[id(part)] = _Part(0, node, part[1])
            entries.append(entry)
        settling.append(
            settle_node(cluster, batch, node, entries, None, results, deadline, outcome)
        )
    await asyncio.gather(*settling)
    command = _Command([made[id(part)] for part in split], _combined(meta, split))
    return _merged(batch, command, results)


def _combined(meta: CommandMeta, split: list[Part]) -> Callable[[list[Any]], Any]:
    # The merge of the parts' replies, in split order: by key order, or by the command's
    # response policy (DEL's sum, MSET's one OK), as ``_split_command`` merges them.
    if meta.response_policy is None:
        return lambda values: reassemble(split, _raise_any(values))
    return lambda values: combine(meta, values, [str(slot) for slot, _, _ in split])


def _merged(batch: Batch, command: _Command, results: list[object]) -> Any:
    _merge(batch, [(0, command)], results)
    value = results[0]
    if isinstance(value, BaseException):
        raise value
    return value
