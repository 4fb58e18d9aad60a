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
- A redirect met by ``transaction(func)`` or ``watch()`` (``WatchRedirects``: MOVED, ASK or
  TRYAGAIN answering WATCH or a read, or carried by EXECABORT) means nothing of the attempt
  ran. MOVED patches the map (and refreshes it in the background) and the attempt runs again
  on the new owner, up to the redirect limit; ASK and TRYAGAIN pause and run it again until
  the deadline, counted from the first of them, as above. WATCH cannot follow ASK (the
  ``ASKING`` flag lasts one command), so a migrating slot is waited for, not followed. A
  ``watch()`` block, which redis-oxide cannot run again, gets the redirect raised with a
  note; MOVED has patched the map, so the next block goes to the new owner.
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
    CommandTimeoutError,
    CrossSlotError,
    ExecAbortError,
    MovedError,
    ServerError,
    TryAgainError,
)
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import key_slot
from redis_oxide._pool._batch import Batch

if TYPE_CHECKING:
    from redis_oxide._cluster._executor import ClusterExecutor

__all__ = ["WatchRedirects", "keys_of", "run_transaction", "slot_guard"]


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
        owner = cluster.topology.owner_of(slot) if slot is not None else None
        executor = cluster.node_at(owner) if owner is not None else cluster.random_primary()
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
                raise _timed_out(_m.EXEC, timeout, exc.address, exc, False) from exc
            batch.results = None
            retries += 1
            cluster.counters.retried += 1
            await _pause(cluster, retries, wait_until)


def _redirect_in(error: BaseException) -> ServerError | None:
    # The redirect that ended an attempt: the error itself, or the cause of an EXECABORT.
    cause = error.__cause__ if isinstance(error, ExecAbortError) else error
    return cause if isinstance(cause, MovedError | AskError | TryAgainError) else None


class WatchRedirects:
    """The redirects of one ``transaction(func)`` call or ``watch()`` block (module rules).

    Counts the MOVED replies followed against ``max_redirects`` and times the wait of a
    migrating slot from the first ASK or TRYAGAIN.
    """

    __slots__ = ("_cluster", "_deadline", "_moved", "_retries", "_wait_until")

    def __init__(self, cluster: ClusterExecutor) -> None:
        self._cluster = cluster
        self._moved = self._retries = 0
        self._deadline: float | None = None
        self._wait_until: float | None = None

    async def follow(self, error: ServerError) -> bool:
        """Whether the attempt that ended with ``error`` runs again (see the module rules).

        Raises:
            CommandTimeoutError: The slot was still migrating at the ``command_timeout``.
        """
        cause = _redirect_in(error)
        if cause is None:
            return False
        cluster = self._cluster
        if isinstance(cause, MovedError):
            self._patch(cause)
            self._moved += 1
            return self._moved <= cluster._max_redirects
        timeout = cluster.command_timeout
        now = time.monotonic()
        if self._wait_until is None:
            self._deadline = None if timeout is None else now + timeout
            self._wait_until = self._deadline or now + cluster._failover_timeout
        if now >= self._wait_until:
            if self._deadline is None:
                return False
            raise CommandTimeoutError(
                f"transaction: the watched keys' slot was still migrating after "
                f"command_timeout={timeout} s, so nothing ran (last: {error})",
                may_have_executed=False,
                command=error.command,
                address=error.address,
            ) from error
        self._retries += 1
        cluster.counters.retried += 1
        await _pause(cluster, self._retries, self._wait_until)
        return True

    def explain(self, error: BaseException) -> bool:
        """Act on a redirect a ``watch()`` block met: patch the map (MOVED), add a note.

        Returns:
            Whether ``error`` was a redirect.
        """
        cause = _redirect_in(error)
        if cause is None:
            return False
        if isinstance(cause, MovedError):
            self._patch(cause)
            what = (
                f"slot {cause.slot} moved to {cause.host or host_of(cause.address)}:{cause.port}; "
                "the slot map now sends the next watch() block there"
            )
        else:
            what = "the watched keys' slot is migrating between nodes"
        error.add_note(
            f"redis-oxide: {what}. Nothing of this watch() block's transaction ran: run the "
            "block again, or use transaction(func, *keys), which runs func again itself "
            "(waiting for a migration until the command_timeout)."
        )
        return True

    def _patch(self, moved: MovedError) -> None:
        host = moved.host or host_of(moved.address)
        self._cluster.counters.redirected("MOVED", host, moved.port)
        self._cluster.topology.moved(moved.slot, host, moved.port)
