"""What a client's own writes drop from its cache, and the lease whose writes do so.

Rules this module keeps:

- ``forgetting`` is the one rule for a batch of commands, whatever path sends it: the keys
  of its writes (``WRITE_KEYS`` in the cache's plan) are invalidated, or the whole cache is
  flushed when one of them is a keyless write (``FLUSH``). It returns None when the commands
  write nothing, so reads and commands like PING cost one dict lookup each.
- Every lease a ``CachingExecutor`` hands out is a ``CacheLease`` (a WATCH transaction's,
  ``transaction(func, *keys)``'s, on a cluster node's executor too). Commands sent on it go
  through no other path of the cache, so the lease applies the rule itself, when they are
  sent and again when they are answered: a command sent at once (``send``), and the queued
  commands a transaction sends with EXEC (``sending``). Its reads never fill: the leased
  connection does not track.
- ``execute`` stays the lease's own channel for the runtime's connection commands (WATCH,
  UNWATCH, MONITOR): a WATCH is not a write, and invalidates nothing.
- The keys the lease was taken for (a WATCH's) are invalidated when it ends.
"""

# pyright: reportPrivateUsage=false
# (The lease works on the store's private invalidation methods, as the executor does.)

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from redis_oxide._cache_config import FLUSH, WRITE_KEYS
from redis_oxide._cache_store import Cache
from redis_oxide._cache_values import key_bytes
from redis_oxide._command import ArgT, CommandMeta, KeyT
from redis_oxide._connection import Connection
from redis_oxide._keys import command_keys
from redis_oxide._pool import Lease
from redis_oxide._pool._batch import Batch
from redis_oxide._raw_commands import lookup_meta

__all__ = ["CacheLease", "forgetting"]

#: Drops what a write changes from the cache; takes (and ignores) the future it answered.
Forget = Callable[[object], None]


def forgetting(
    cache: Cache,
    plan: Mapping[str, int],
    metas: Iterable[CommandMeta],
    args: Iterable[Sequence[ArgT]],
) -> Forget | None:
    """Return what to drop from ``cache`` for these commands' writes, or None.

    Args:
        cache: The client's cache.
        plan: The executor's command plan (``command_plan``).
        metas: The commands' metadata.
        args: Their wire arguments, in the same order.

    Returns:
        ``cache._flush`` when a command is a keyless write; the invalidation of the keys the
        commands write; None when they write no key.
    """
    rkeys: list[bytes] = []
    for meta, wire in zip(metas, args, strict=True):
        kind = plan.get(meta.name)
        if kind == WRITE_KEYS:
            rkeys += [key_bytes(key) for key in command_keys(meta, wire)[0]]
        elif kind == FLUSH:
            return cache._flush
    return functools.partial(cache._invalidate_done, rkeys) if rkeys else None


async def _answered(run: Awaitable[list[object]], forget: Forget) -> list[object]:
    try:
        return await run
    finally:
        forget(None)  # answered, failed or abandoned: it may have run


class CacheLease(Lease):
    """A lease whose writes invalidate their keys in the cache when sent and when answered.

    Args:
        inner: The lease from the client's executor; released when this one is.
        cache: The client's cache.
        plan: The executor's command plan.
        keys: The keys the lease is for (a WATCH transaction's watched keys).
    """

    __slots__ = ("_cache", "_plan")

    def __init__(
        self, inner: Lease, cache: Cache, plan: Mapping[str, int], keys: Sequence[KeyT]
    ) -> None:
        rkeys = [key_bytes(key) for key in keys]

        def ended(connection: Connection, discard: bool) -> None:
            if rkeys:
                cache._invalidate(rkeys)
            inner.release(discard=discard)

        super().__init__(inner.connection, ended)
        self._cache = cache
        self._plan = plan

    def send(
        self,
        args: Sequence[ArgT],
        parser: Callable[[Any], Any] | None = None,
        meta: CommandMeta | None = None,
        timeout: float | None = None,
    ) -> asyncio.Future[Any]:
        """``Lease.send``; a write's keys are invalidated now and when it is answered."""
        meta = meta or lookup_meta(args)
        future = super().send(args, parser, meta, timeout)
        forget = forgetting(self._cache, self._plan, (meta,), (args,))
        if forget is not None:
            forget(None)
            future.add_done_callback(forget)
        return future

    def sending(self, batch: Batch, run: Awaitable[list[object]]) -> Awaitable[list[object]]:
        """Return ``run``, a transaction of ``batch`` on this lease not yet sent, with the
        keys its writes name invalidated now and again when it is answered.

        Args:
            batch: The queued commands.
            run: The awaitable that sends them with MULTI and EXEC.

        Returns:
            The awaitable of the EXEC slots.
        """
        forget = forgetting(self._cache, self._plan, batch.metas, batch.args)
        if forget is None:
            return run
        forget(None)
        return _answered(run, forget)
