"""Transactions on a cluster: all keys in one slot, run on that slot's primary.

Rules this module keeps:

- A transaction's keys (from the key specs, else the server's ``COMMAND GETKEYS``) must share
  one slot: otherwise ``CrossSlotError`` before anything is sent.
- A MULTI that met MOVED (the EXECABORT caused by it) ran nothing and is sent again where the
  map now says, up to the redirect limit; ASK or TRYAGAIN (a migrating slot) are retried with
  the retry's backoff until the deadline, as a single command retries TRYAGAIN: the
  ``command_timeout`` (then ``CommandTimeoutError``), else the ``failover_timeout`` (then the
  ``ExecAbortError`` itself).
- ``transaction()``/``watch()`` lease a connection on the watched keys' primary; each command
  called on them (read while watching, or queued) must have its keys in that slot, checked by
  ``slot_guard`` when it is called: ``CrossSlotError`` before anything is sent, as above.
  Keys the key specs cannot show (``SORT ... BY``) are left to the server.
"""

# pyright: reportPrivateUsage=false
# (The cluster executor's limits and retry are its own; this module is part of it.)

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis_oxide._cluster._redirects import _pause, _timed_out, host_of
from redis_oxide._cluster._router import routing_keys
from redis_oxide._command import ArgT, CommandMeta
from redis_oxide._exceptions import (
    AskError,
    CrossSlotError,
    ExecAbortError,
    MovedError,
    TryAgainError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import key_slot
from redis_oxide._pool._batch import Batch

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["keys_of", "run_transaction", "slot_guard"]


async def keys_of(cluster: ClusterExecutor, meta: CommandMeta, args: tuple[ArgT, ...]) -> Any:
    """The keys of a command: from its key specs, else from the server's COMMAND GETKEYS."""
    keys, complete = routing_keys(meta, args)
    if complete:
        return keys
    return await cluster.random_primary()._execute(
        _m.COMMAND_GETKEYS, ("COMMAND", "GETKEYS", *args), None
    )


def slot_guard(slot: int) -> Callable[[CommandMeta, tuple[ArgT, ...]], None]:
    """The check of a watched transaction's commands: their keys must hash to ``slot``.

    Args:
        slot: The slot of the watched keys, whose primary the transaction runs on.

    Returns:
        A function raising ``CrossSlotError`` for a command with a key in another slot.
    """

    def guard(meta: CommandMeta, args: tuple[ArgT, ...]) -> None:
        keys, _ = routing_keys(meta, args)
        for key in keys:
            other = key_slot(key)
            if other != slot:
                raise CrossSlotError(
                    f"{meta.name}: key {key!r} hashes to slot {other}, but the transaction "
                    f"watches keys of slot {slot} and runs on that slot's primary: give every "
                    "key it reads or writes a common hash tag, e.g. {order:7}:items and "
                    "{order:7}:total",
                    code="CROSSSLOT",
                    command=meta.name,
                )

    return guard


async def run_transaction(cluster: ClusterExecutor, batch: Batch) -> list[object]:
    """Run ``batch`` as MULTI/EXEC on its slot's primary; see the module rules.

    Args:
        cluster: The cluster executor.
        batch: The queued commands.

    Returns:
        One value or error per command.

    Raises:
        CrossSlotError: The keys span slots; nothing was sent.
        ExecAbortError: The transaction was aborted (redirects beyond the limit included).
        CommandTimeoutError: The slot was still migrating at the ``command_timeout``.
    """
    slots: set[int] = set()
    for index in range(len(batch)):
        meta, args = batch.metas[index], batch.args[index]
        slots.update(key_slot(key) for key in await keys_of(cluster, meta, args))
    if len(slots) > 1:
        shown = ", ".join(map(str, sorted(slots)[:8]))
        raise CrossSlotError(
            f"the keys of a transaction hash to {len(slots)} slots ({shown}); MULTI/EXEC runs "
            "on one node, so all its keys must share a slot: give them a common hash tag, e.g. "
            "{order:7}:items and {order:7}:total",
            code="CROSSSLOT",
            command="EXEC",
        )
    slot = slots.pop() if slots else None
    timeout = cluster.command_timeout
    deadline = None if timeout is None else time.monotonic() + timeout
    wait_until = deadline if deadline is not None else time.monotonic() + cluster._failover_timeout
    redirects = retries = 0
    while True:
        node = cluster.topology.primary_of(slot) if slot is not None else None
        executor = cluster.registry.of(node) if node is not None else cluster.random_primary()
        try:
            return await executor.run_batch(batch, transaction=True)
        except ExecAbortError as exc:
            cause = exc.__cause__
            if not isinstance(cause, MovedError | AskError | TryAgainError):
                raise
            if isinstance(cause, MovedError):
                redirects += 1
                if redirects > cluster._max_redirects:
                    raise
                batch.results = None
                host = cause.host or host_of(cause.address)
                cluster.counters.redirected("MOVED", host, cause.port)
                cluster.topology.moved(cause.slot, host, cause.port)
                continue
            # ASK or TRYAGAIN: the slot is migrating; the transaction runs once it is done,
            # waited for as a single command waits for TRYAGAIN: until its deadline.
            if time.monotonic() >= wait_until:
                if deadline is None:
                    raise
                raise _timed_out(_m.EXEC, timeout, exc.address, exc) from exc
            batch.results = None
            retries += 1
            cluster.counters.retried += 1
            await _pause(cluster, retries, wait_until)
