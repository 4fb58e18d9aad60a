"""A placed batch written straight to each node's ready connection: no task per node.

Rules this module keeps:

- ``send_whole`` takes a batch placed whole (each command on its slot's node, as positions in
  the caller's order) when every node is a plain ``ServerExecutor`` with a ready shared
  connection and at most one chunk of commands, and the batch runs no script (its
  ``SCRIPT LOAD`` prefix belongs to ``send_chunks``) and no blocking command. Anything else
  returns None before anything is sent, and the caller runs a sub-batch per node.
- Each node's frames go out in one write with that node's command timeout, before any reply
  is awaited. A write the connection refused (it is closing: nothing was sent) is that
  node's outcome, as a failed sub-batch would be.
- ``outcomes`` awaits the writes in order. Leaving early (the caller cancelled) cancels the
  writes still waiting and retrieves the errors of the others, so none is reported unread.
- ``settle_sent`` gives the replies of the nodes that answered cleanly to their commands, and
  settles a node whose outcome is a failure or holds an error reply as the batch path does
  (``settle_node``: redirects command by command, re-runs after a lost connection).
"""

# pyright: reportPrivateUsage=false
# (A node's failure is settled by the batch path's own step.)

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, cast

from redis_oxide._cluster._nodes import NodeExecutor
from redis_oxide._cluster._settle import _Part, settle_node
from redis_oxide._command import CommandMeta
from redis_oxide._exceptions import RedisError
from redis_oxide._executor import ServerExecutor
from redis_oxide._pool._batch import CHUNK_COMMANDS, Batch
from redis_oxide._pool._interfaces import CommandConnection
from redis_oxide._protocol._templates import join_frames

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["Sent", "clean", "outcomes", "ready_connection", "send_whole", "settle_sent", "write"]

#: Per node, the future of its replies, or the error that refused its write.
Sent = list[asyncio.Future[list[Any]] | RedisError]


def send_whole(batch: Batch, placement: Sequence[tuple[NodeExecutor, list[int]]]) -> Sent | None:
    """Write each node's commands to its ready connection (module rules).

    Args:
        batch: The queued commands.
        placement: Each node with the positions of the commands it runs.

    Returns:
        Per node, in placement order, what was sent; None when the batch must run a
        sub-batch per node (nothing was sent then).
    """
    if batch.scripts or batch.blocking:
        return None
    ready: list[tuple[ServerExecutor, CommandConnection, list[int]]] = []
    for node, positions in placement:
        conn = ready_connection(node, len(positions))
        if conn is None:
            return None
        ready.append((cast("ServerExecutor", node), conn, positions))
    data, parsers, metas = batch.data, batch.parsers, batch.metas
    sent: Sent = []
    for node, conn, positions in ready:
        if len(positions) == len(metas):  # one node runs the whole batch
            frames, own_parsers, own_metas, binary = data, parsers, metas, batch.binary
        else:
            frames = [data[i] for i in positions]
            own_parsers = [parsers[i] for i in positions]
            own_metas = [metas[i] for i in positions]
            binary = [j for j, m in enumerate(own_metas) if m.binary_reply] if batch.binary else []
        write(sent, conn, join_frames(frames), own_parsers, own_metas, node.command_timeout, binary)
    return sent


def ready_connection(node: object, count: int) -> CommandConnection | None:
    """The ready shared connection of a plain ``ServerExecutor`` for ``count`` commands.

    None when the node is anything else (a cache, a tracer, a down node's stand-in), has no
    ready connection, or the commands take more than one chunk.
    """
    if type(node) is not ServerExecutor or count > CHUNK_COMMANDS:
        return None
    return node.strategy.ready_connection()


def write(
    sent: Sent,
    conn: CommandConnection,
    frames: bytes,
    parsers: Sequence[Any],
    metas: Sequence[CommandMeta],
    timeout: float | None,
    binary: Sequence[int],
) -> None:
    """Write one node's frames and add their future (or the refusal) to ``sent``."""
    try:
        sent.append(conn.send_batch(frames, parsers, metas, timeout, binary))
    except RedisError as exc:  # the connection refused the write: nothing was sent
        sent.append(exc)


async def outcomes(sent: Sent) -> list[list[Any] | RedisError]:
    """Await what ``send_whole`` (or a split's direct path) sent, node by node, in order.

    Returns:
        Per node, its replies (error replies among them as values) or the failure of its
        write or of its connection.
    """
    done: list[list[Any] | RedisError] = []
    try:
        for future in sent:
            if isinstance(future, RedisError):
                done.append(future)
                continue
            try:
                done.append(await future)
            except RedisError as exc:
                done.append(exc)
    finally:
        for future in sent:
            if isinstance(future, RedisError):
                continue
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()  # the first failure is already being raised
    return done


def clean(outcome: list[Any] | RedisError) -> bool:
    """Whether a node's outcome is its replies with no error among them."""
    return type(outcome) is list and not any(
        issubclass(kind, BaseException) for kind in set(map(type, outcome))
    )


async def settle_sent(
    cluster: ClusterExecutor,
    batch: Batch,
    placement: Sequence[tuple[NodeExecutor, list[int]]],
    sent: Sent,
    results: list[object],
    deadline: float | None,
) -> list[object]:
    """Await what ``send_whole`` sent and give each command its value (module rules).

    Returns:
        ``results``, filled: one value or error per command, in the caller's order.
    """
    done = await outcomes(sent)
    if len(done) == 1 and clean(done[0]):
        return cast("list[object]", done[0])  # one node ran the whole batch, in order
    failed: list[Coroutine[Any, Any, None]] = []
    for (node, positions), outcome in zip(placement, done, strict=True):
        if clean(outcome):
            for position, value in zip(positions, cast("list[object]", outcome), strict=True):
                results[position] = value
        else:
            entries = cast("list[int | _Part]", positions)  # whole commands only
            failed.append(
                settle_node(cluster, batch, node, entries, False, results, deadline, outcome)
            )
    if failed:
        await asyncio.gather(*failed)
    return results
