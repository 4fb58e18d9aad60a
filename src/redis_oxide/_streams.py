"""Stream consumer groups: a worker that reclaims and dead-letters, and a producer that trims.

Rules this module keeps:

- Everything goes through the generated commands of any client (``Commands[StrT]``): the
  worker and the producer know no connection, so every topology can run them.
- Delivery is at least once. An entry is acknowledged only after it was handled without
  error; an entry that was not (its handler raised, its worker died or was cancelled) stays
  pending, and after ``min_idle`` seconds any worker of the group claims it with XAUTOCLAIM.
- Redis counts deliveries: a claimed entry delivered more than ``max_deliveries`` times
  is moved to the dead-letter stream and acknowledged in ONE script, so it is acknowledged
  exactly once even when two workers race for it.
- Stopping finishes the entry in hand; entries fetched but not started are handed back
  (XCLAIM ... IDLE min_idle RETRYCOUNT n JUSTID), so other workers claim them at once, with
  the delivery count they had before this worker fetched them. So does any other end of a
  run but cancellation (whose entries are reclaimed after ``min_idle``).
- A lost connection does not end a run: the worker waits (``reconnect_retry``) and reads
  again. A group that vanished with its stream is created again from ``0``: every entry of
  the new stream is new to it; a group destroyed while its stream stays is created again at
  ``group_start``, so the history it had handled is not handled again.
- One consumer, one loop: a second run or a second concurrent iteration is refused. An
  iteration acknowledges only the entry it handed out itself; a loop left early (break, an
  error, ``aclose()``) leaves its entry in hand pending.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Final, Generic

from redis_oxide._checks import checked_count, checked_retry, checked_seconds
from redis_oxide._command import KeyT
from redis_oxide._exceptions import (
    BusyGroupError,
    ConnectionClosedError,
    InvalidUsageError,
    NoGroupError,
    RedisError,
    UnblockedError,
)
from redis_oxide._generated import Commands, StrT
from redis_oxide._generated._types import XpendingFilters
from redis_oxide._retry import Retry
from redis_oxide._streams_dead_letter import DeadLetters, dead_letter_key
from redis_oxide._streams_entries import (
    ConsumerStats,
    StreamEntry,
    checked_group_start,
    hand_back,
)
from redis_oxide._streams_outage import TRANSIENT, Outage, resume_point

__all__ = ["ConsumerStats", "GroupConsumer", "StreamEntry"]

logger = logging.getLogger("redis_oxide.streams")

# A worker's defaults. min_idle: an entry nobody acknowledged for a minute is presumed
# abandoned; handlers that take longer need a larger value, or duplicates follow. Five
# deliveries ride out transient failures without retrying a poison entry forever. Ten
# entries per read amortise the round trip without hoarding work another worker could do.
_MIN_IDLE: Final = 60.0
_MAX_DELIVERIES: Final = 5
_COUNT: Final = 10
# XREADGROUP BLOCK: how often an idle worker wakes, and so how long stop() may wait.
_BLOCK_TIMEOUT: Final = 1.0


class GroupConsumer(Generic[StrT]):
    """One worker of a stream consumer group: read, handle, acknowledge, reclaim, dead-letter.

    ``await worker.run(handler)`` handles entries until ``stop()``; or ``async with worker:``
    and ``async for entry in worker:`` acknowledges each entry when the next one is asked for
    (an entry in hand when the loop is left stays pending, and is delivered again after
    ``min_idle``; leaving the ``async with`` hands the entries fetched with it back).

    Args:
        client: Any redis-oxide client; entries are typed like it (``str`` or ``bytes``).
        stream: The stream's key.
        group: The consumer group; created (with the stream) when missing.
        consumer: This worker's name, unique in the group. A worker restarted under the
            same name first gets the entries it had not acknowledged.
        min_idle: Seconds an entry may stay unacknowledged before another worker claims it.
        max_deliveries: Deliveries after which an entry goes to the dead-letter stream.
        dead_letter: The dead-letter stream's key; ``<stream>:dead-letter`` by default. On a
            cluster it must share the stream's slot; the default is then
            ``{<stream>}:dead-letter`` when the stream's name has no hash tag.
        count: Entries fetched per read.
        block_timeout: Seconds one read waits for new entries.
        group_start: Where the group starts when this worker first creates it: ``"$"``
            (new entries only), ``"0"`` (the whole stream) or an entry ID (``"<ms>-<seq>"``).
            A group that vanished later with its stream is created again from ``"0"``; one
            destroyed while its stream stays, from ``group_start`` again.
        claim_interval: Seconds between two XAUTOCLAIM sweeps; ``min_idle / 2`` by default.
        reconnect_retry: A run gives up (raises the last error) after ``attempts``
            consecutive reads failed for want of a server, waiting its backoff in between;
            None (the default) tries again until ``stop()``.

    Raises:
        TypeError: An argument has the wrong type.
        ValueError: An argument is out of range, or, on a cluster, ``dead_letter`` is in
            another slot than ``stream``.
    """

    def __init__(
        self,
        client: Commands[StrT],
        stream: KeyT,
        group: str | bytes,
        consumer: str | bytes,
        *,
        min_idle: float = _MIN_IDLE,
        max_deliveries: int = _MAX_DELIVERIES,
        dead_letter: KeyT | None = None,
        count: int = _COUNT,
        block_timeout: float = _BLOCK_TIMEOUT,
        group_start: str = "$",
        claim_interval: float | None = None,
        reconnect_retry: Retry | None = None,
    ) -> None:
        for label, seconds in (("min_idle", min_idle), ("block_timeout", block_timeout)):
            checked_seconds(label, seconds, finite=True, none=False)
        checked_seconds("claim_interval", claim_interval, finite=True)
        checked_count("max_deliveries", max_deliveries, 1)
        checked_count("count", count, 1)
        checked_group_start(group_start)
        if reconnect_retry is not None:
            checked_retry("reconnect_retry", reconnect_retry)
        self._client: Commands[StrT] = client
        self._stream = stream
        self._group = group
        self._consumer = consumer
        self._min_idle_ms = max(1, round(min_idle * 1000))
        self._max_deliveries = max_deliveries
        #: What this worker has done so far.
        self.stats: ConsumerStats = ConsumerStats()
        key = dead_letter_key(client, stream, dead_letter)
        self._dead: DeadLetters[StrT] = DeadLetters(client, stream, group, key, self.stats)
        self._count = count
        self._block_ms = max(1, round(block_timeout * 1000))
        self._group_start = group_start
        self._claim_interval = min_idle / 2 if claim_interval is None else claim_interval
        self._local: deque[StreamEntry[StrT]] = deque()  # fetched, not handed out yet
        # Handed out by the iteration in progress, not acknowledged; and the task whose
        # `async for` began that iteration (its loop may still be handling the entry).
        self._in_hand: StreamEntry[StrT] | None = None
        self._iterator: asyncio.Task[object] | None = None
        # First this consumer's own unacknowledged entries (a restart under the same name),
        # read from this ID on; None once they are all read.
        self._history: str | bytes | None = "0"
        self._cursor: str | bytes = "0-0"
        self._next_claim = 0.0
        self._group_ready = False
        # The last entry handed out, and where a destroyed group is created again (after it).
        self._last: StreamEntry[StrT] | None = None
        self._resume_at: StrT | None = None
        self._vanished = False  # NOGROUP answered: find out why before creating it again
        self._group_lost = False  # it vanished with its stream: create it again from "0"
        self._stopping = False
        self._running = False  # a run() is in progress
        self._reading = False  # an iteration step is waiting for an entry
        self._outage = Outage(stream, reconnect_retry)

    # -- lifecycle ---------------------------------------------------------------------------

    async def ensure_group(self) -> bool:
        """Create the group (and the stream) unless it exists.

        Returns:
            True when this call created it.
        """
        start = "0" if self._group_lost else (self._resume_at or self._group_start)
        try:
            await self._client.xgroup_create(self._stream, self._group, id=start, mkstream=True)
        except BusyGroupError:
            created = False
        else:
            created = True
        self._group_ready, self._resume_at = True, None
        return created

    def stop(self) -> None:
        """Ask the run in progress (or, before one starts, the next) to end once the entry
        in hand is finished; the worker may be run again afterwards.

        A worker waiting for new entries notices within ``block_timeout``; one waiting for
        its server, at once.
        """
        self._stopping = True
        self._outage.wake()

    async def run(self, handler: Callable[[StreamEntry[StrT]], Awaitable[object] | None]) -> None:
        """Handle entries until ``stop()``: acknowledge each one its handler finished.

        An entry whose handler raises stays pending and is delivered again after
        ``min_idle`` (the error is logged); the loop goes on.

        A lost connection is waited out (``reconnect_retry``). Whatever but a cancellation
        ends the run, the entries fetched and not started are handed back. ``run()`` may be
        called again after it returned.

        Args:
            handler: Called with each entry: a coroutine function (awaited) or a plain
                function.

        Raises:
            ConnectionError: The client was closed, or ``reconnect_retry`` gave up.
            InvalidUsageError: Another ``run()`` or an iteration of this worker is in
                progress (one worker is one consumer; start another ``GroupConsumer`` to
                handle in parallel).
        """
        self._refuse_if_busy("run()")
        self._leave_iteration()
        self._running = True
        try:
            while (entry := await self._next_entry()) is not None:
                try:
                    outcome = handler(entry)
                    if inspect.isawaitable(outcome):
                        await outcome
                except Exception:
                    self.stats.failed += 1
                    logger.exception("stream %r: handling entry %r failed", self._stream, entry.id)
                else:
                    await self._ack(entry)
        except Exception:
            await self._hand_back_quietly()
            raise
        finally:
            self._stopping = False  # this run consumed the stop
            self._running = False
        await self._hand_back_quietly()

    def _refuse_if_busy(self, what: str) -> None:
        if self._running:
            busy = "its run() is in progress"
        elif self._reading or self._iterated_elsewhere():
            busy = "another task iterates it (end that loop, or aclose() the worker, first)"
        else:
            return
        raise InvalidUsageError(
            f"{what} on stream worker {self._consumer!r} while {busy}; one worker is one "
            "consumer: create another GroupConsumer (another consumer name) to handle "
            "entries in parallel"
        )

    def _iterated_elsewhere(self) -> bool:
        # Another live task's `async for` holds an entry: its loop may still be handling it.
        task = self._iterator
        return (
            self._in_hand is not None
            and task is not None
            and task is not asyncio.current_task()
            and not task.done()
        )

    def _leave_iteration(self) -> None:
        # A loop left early (break, an error): its entry in hand stays pending, unacknowledged.
        self._in_hand, self._iterator = None, None

    async def aclose(self) -> None:
        """End the run or iteration in progress, and hand the fetched entries not yet
        handed out back to the group; the worker may be run again afterwards.

        The entry in hand (``async for``) stays pending: it was not finished.
        """
        if self._running or self._reading or self._iterated_elsewhere():
            self.stop()  # consumed by the run or iteration it ends
        self._leave_iteration()
        await self._hand_back_quietly()

    async def __aenter__(self) -> GroupConsumer[StrT]:
        self._stopping = False  # a new session: an earlier aclose() does not end it
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __aiter__(self) -> GroupConsumer[StrT]:
        # A new loop: the entry in hand of an earlier one (left by break or an error) stays
        # pending; only the loop that received an entry acknowledges it.
        self._refuse_if_busy("iterating")
        self._leave_iteration()
        self._iterator = asyncio.current_task()
        return self

    async def __anext__(self) -> StreamEntry[StrT]:
        self._refuse_if_busy("iterating")
        self._reading = True
        try:
            if self._in_hand is not None:
                done, self._in_hand = self._in_hand, None
                await self._ack(done)
            entry = await self._next_entry()
        except Exception:
            await self._hand_back_quietly()
            raise
        finally:
            self._reading = False
        if entry is None:
            self._stopping = False  # this iteration consumed the stop
            await self._hand_back_quietly()
            raise StopAsyncIteration
        self._in_hand = entry
        return entry

    # -- fetching ---------------------------------------------------------------------------

    async def _next_entry(self) -> StreamEntry[StrT] | None:
        while not self._stopping:
            if self._local:
                self._last = self._local.popleft()
                return self._last
            try:
                await self._outage.read(self._fetch)
            except NoGroupError:
                self._group_ready, self._vanished = False, True
            except UnblockedError:
                pass  # the stream was deleted under a waiting read (Redis 7.0): read again
            except TRANSIENT as error:
                self._history = "0"  # a read whose reply was lost left entries with us
                await self._outage.failed(error)
        return None

    async def _group_vanished(self) -> None:
        self._cursor, self._vanished = "0-0", False
        resume = await resume_point(self._client, self._stream, self._group, self._last)
        self._group_lost, self._resume_at = resume is None, resume

    async def _fetch(self) -> None:
        if self._vanished:
            await self._group_vanished()
        if not self._group_ready:
            await self.ensure_group()
        if self._history is not None:
            self._local.extend(await self._read(self._history, fresh=False))
        elif time.monotonic() >= self._next_claim:
            self._local.extend(await self._claim())
        else:
            self._local.extend(await self._read(">", fresh=True))

    async def _read(self, start: str | bytes, *, fresh: bool) -> list[StreamEntry[StrT]]:
        reply = await self._client.xreadgroup(
            (self._group, self._consumer),
            {self._stream: start},
            count=self._count,
            block=self._block_ms if fresh else None,
        )
        found = [item for entries in (reply or {}).values() for item in entries]
        if fresh:
            return [StreamEntry(id, fields or {}, 1) for id, fields in found]
        # Read on after the last one, until none is left.
        self._history = found[-1][0] if found else None
        # Own history: entries deleted from the stream meanwhile have nothing to handle.
        gone = [id for id, fields in found if fields is None]
        if gone:
            await self._client.xack(self._stream, self._group, *gone)
        kept = [(id, fields) for id, fields in found if fields is not None]
        return await self._count_deliveries(kept)

    async def _claim(self) -> list[StreamEntry[StrT]]:
        reply = await self._client.xautoclaim(
            self._stream,
            self._group,
            self._consumer,
            self._min_idle_ms,
            self._cursor,
            count=self._count,
        )
        cursor = self._cursor = reply.next_start_id
        if (cursor.encode() if isinstance(cursor, str) else cursor) == b"0-0":
            # A full sweep: the next one after the interval.
            self._next_claim = time.monotonic() + self._claim_interval
        claimed = await self._count_deliveries(reply.claimed)
        self.stats.claimed += len(claimed)
        return claimed

    async def _count_deliveries(
        self, found: list[tuple[StrT, dict[StrT, StrT]]]
    ) -> list[StreamEntry[StrT]]:
        # One XPENDING per entry, sent together: on a multiplexed client they share a write.
        pending = await asyncio.gather(
            *(
                self._client.xpending(
                    self._stream, self._group, filters=XpendingFilters(start=id, end=id, count=1)
                )
                for id, _ in found
            )
        )
        entries: list[StreamEntry[StrT]] = []
        for (id, fields), info in zip(found, pending, strict=True):
            if not info:
                continue  # acknowledged by another worker meanwhile
            deliveries = info[0].delivery_count
            if deliveries > self._max_deliveries:
                # The read that found it counted a delivery no handler saw, and so did every
                # claim that retried a failed move: no handler saw more than max_deliveries.
                await self._dead.move(id, fields, min(deliveries - 1, self._max_deliveries))
            else:
                entries.append(StreamEntry(id, fields, deliveries))
        return entries

    # -- finishing ---------------------------------------------------------------------------

    async def _ack(self, entry: StreamEntry[StrT]) -> None:
        try:
            acked = await self._client.xack(self._stream, self._group, entry.id)
        except (*TRANSIENT, NoGroupError) as error:
            if isinstance(error, ConnectionClosedError):
                raise
            self._history = "0"  # still pending (unless its stream went): read it again first
            what = f"acknowledging {entry.id!r} failed ({error}); it is delivered again"
            logger.warning("stream %r: %s", self._stream, what)
            return
        if acked:
            self.stats.handled += 1
        else:
            self.stats.late_acks += 1

    async def _hand_back_quietly(self) -> None:
        # A failed hand-back only delays those entries; it must not hide why a run ended.
        try:
            entries = list(self._local)
            self._local.clear()
            await hand_back(
                self._client, self._stream, self._group, self._consumer, self._min_idle_ms, entries
            )
        except RedisError as error:
            what = f"handing entries back failed ({error}); they are claimed after min_idle"
            logger.warning("stream %r: %s", self._stream, what)

    def __repr__(self) -> str:
        return (
            f"<redis_oxide.GroupConsumer stream={self._stream!r} group={self._group!r} "
            f"consumer={self._consumer!r} local={len(self._local)} {self.stats}>"
        )
