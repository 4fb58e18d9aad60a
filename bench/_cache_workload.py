"""The hot-key workload of the client-side cache: shared counters, read plans, one checked phase.

100 tasks read 1,000 keys through the client under test while another client, in a process
of its own (`bench._cache_writer`), writes one operation in ten, each write setting a key to
its next version. Reader and writer share a file of int64 cells (`mapped_cells`): one per key
holding the latest version whose write the server acknowledged, then the counters below.

Rules and invariants:
- Every read is checked against the versions whose write was acknowledged and whose
  invalidation was delivered: a barrier task snapshots the acknowledged versions, makes one
  round trip on the connection that receives the reader's invalidations (they were queued
  before the write's acknowledgement, so they arrive before the barrier's reply), and only
  then raises the floor reads must meet. A read that returns less than the floor it saw when
  it started is stale. For a reader without a cache the round trip is any command: its reads
  go to the server, after the acknowledgement.
- The reader counts its reads in ``READS`` (a chunk at a time); the writer keeps its writes at
  one for every nine reads counted (`WRITES_PER_READ`), so the write share is 10 % whatever
  the reader's pace. `writer_caught_up` waits until it has claimed every write it owes.
- Nothing here imports a client library: the bench worker loads one client per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import mmap
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CELLS",
    "HOT_KEYS",
    "KEYS",
    "PAUSE",
    "READS",
    "READY",
    "STOP",
    "TASKS",
    "WRITES",
    "WRITES_PER_READ",
    "Phase",
    "create_cells",
    "hot_key",
    "mapped_cells",
    "owed_writes",
    "read_plans",
    "run_phase",
    "writer_caught_up",
]

KEYS = 1000
#: Cell indices after the KEYS acknowledged versions.
READS, WRITES, STOP, READY, PAUSE = KEYS, KEYS + 1, KEYS + 2, KEYS + 3, KEYS + 4
CELLS = KEYS + 5
#: Writes per read: 10 % of all operations.
WRITES_PER_READ = 1 / 9
#: Reader tasks.
TASKS = 100
# Reads a task makes between looks at the clock and between reports to the writer.
CHUNK = 32
# Keys each task cycles through (a multiple of CHUNK, so every chunk is whole).
PLAN_LENGTH = 4096
# Seconds the barrier task waits between two raises of the floor.
BARRIER_PAUSE = 0.002
_SEED = 20260518


def hot_key(index: int) -> bytes:
    """The name of hot key ``index``."""
    return b"hot:%d" % index


HOT_KEYS = tuple(hot_key(index) for index in range(KEYS))


def create_cells(path: Path) -> None:
    """Create the shared file with every cell zero."""
    path.write_bytes(bytes(CELLS * 8))


@contextlib.contextmanager
def mapped_cells(path: Path) -> Iterator[memoryview]:
    """Map the shared file (made by `create_cells`) as ``CELLS`` int64 cells."""
    with path.open("r+b") as file:
        mapped = mmap.mmap(file.fileno(), CELLS * 8)
    cells = memoryview(mapped).cast("q")
    try:
        yield cells
    finally:
        cells.release()
        mapped.close()


def read_plans(tasks: int = TASKS) -> list[list[int]]:
    """The keys each reader task reads, in order: the same for every reader and run."""
    rng = random.Random(_SEED)
    return [[rng.randrange(KEYS) for _ in range(PLAN_LENGTH)] for _ in range(tasks)]


@dataclasses.dataclass
class Phase:
    """Counts of one phase: reads, reads below the floor, seconds."""

    reads: int = 0
    stale: int = 0
    seconds: float = 0.0


Get = Callable[[bytes], Awaitable[Any]]
"""A client's own GET (its bound method, so the phase pays no wrapper per read); the reply
is the value as ``bytes`` or ``str``, or None."""
Barrier = Callable[[], Awaitable[object]]
"""A round trip after which every invalidation queued before it was applied."""


async def run_phase(
    get: Get, barrier: Barrier, cells: memoryview, plans: list[list[int]], seconds: float
) -> Phase:
    """Read for ``seconds`` with one task per plan, checking every read; count the reads.

    Args:
        get: The client's GET.
        barrier: The round trip on the connection that receives the client's invalidations.
        cells: The shared cells (see `mapped_cells`); ``READS`` counts the reads.
        plans: One list of key indices per task (see `read_plans`).
        seconds: How long the tasks read.

    Returns:
        The reads, the stale ones among them and the wall seconds of the phase.
    """
    loop = asyncio.get_running_loop()
    stop = loop.time() + seconds
    committed = [0] * KEYS
    keys: Sequence[bytes] = HOT_KEYS
    result = Phase()

    async def read(plan: list[int]) -> None:
        fetch = get
        reads = stale = 0
        while loop.time() < stop:
            at = reads % len(plan)
            for index in plan[at : at + CHUNK]:
                floor = committed[index]
                if int(await fetch(keys[index]) or -1) < floor:
                    stale += 1
            reads += CHUNK
            cells[READS] += CHUNK
        result.reads += reads
        result.stale += stale

    async def raise_floor() -> None:
        while loop.time() < stop:
            acknowledged = cells[:KEYS].tolist()
            await barrier()
            committed[:] = acknowledged
            await asyncio.sleep(BARRIER_PAUSE)

    started = time.perf_counter()
    await asyncio.gather(raise_floor(), *(read(plan) for plan in plans))
    result.seconds = time.perf_counter() - started
    return result


def owed_writes(cells: memoryview) -> int:
    """Writes the writer owes for the reads counted so far."""
    return int(cells[READS] * WRITES_PER_READ) - cells[WRITES]


async def writer_caught_up(cells: memoryview, seconds: float) -> bool:
    """Wait until the writer owes no write, at most ``seconds``; return whether it got there."""
    deadline = time.perf_counter() + seconds
    while owed_writes(cells) > 0:
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(0.001)
    return True
