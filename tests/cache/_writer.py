"""The other client of the hot-key workload: writes from a process of its own.

``python -m tests.cache._writer CELLS HOST PORT`` maps the file ``CELLS`` (int64 cells shared
with the test, see ``Cells``) and keeps its writes at one for every nine reads the test has
counted there, each write setting one of the hot keys to its next version. Once the server
acknowledged a write, its version goes into the key's cell, for the test's staleness check.
It writes nothing while the test sets the pause cell, and stops when it sets the stop cell.

A writer task that finds itself behind sends the writes it owes (at most ``BATCH``) as one
non-transactional pipeline, and records their versions only once the whole pipeline was
answered: every one of them was acknowledged by then, so the test's snapshot of recorded
versions is exactly as strong as with single writes. Batching is for the machine, not the
check: on two cores this process's CPU comes out of the reader's share, and a round trip per
write (a future, a task wake-up and a socket write each) cost it about half a core.
"""

from __future__ import annotations

import asyncio
import mmap
import random
import sys
from pathlib import Path

from redis_oxide import Redis

KEYS = 1000
#: Cell indices after the KEYS acknowledged versions.
READS, WRITES, STOP, READY, PAUSE = KEYS, KEYS + 1, KEYS + 2, KEYS + 3, KEYS + 4
CELLS = KEYS + 5
#: Writes per read: 10 % of all operations.
WRITES_PER_READ = 1 / 9
# Concurrent writers on one shared connection: each keeps one pipeline in flight, and two
# keep up with a cached reader; every idle one polls, so no more than that.
WRITER_TASKS = 2
# Writes one pipeline carries at most: a task that fell behind catches up in a round trip or
# two, without bursts long enough to starve the reader of invalidations.
BATCH = 64
# Seconds an idle writer waits before it looks at the read count again: a millisecond of
# writes (about a hundred at a million reads per second) then leaves in one pipeline.
POLL = 0.001


def hot_key(index: int) -> str:
    """The name of hot key ``index``."""
    return f"hot:{index}"


def map_cells(path: Path) -> tuple[mmap.mmap, memoryview]:
    """Map the shared cells file (created by the test with ``CELLS`` zeroed int64 cells)."""
    with path.open("r+b") as file:
        mapped = mmap.mmap(file.fileno(), CELLS * 8)
    return mapped, memoryview(mapped).cast("q")


async def write(cells: memoryview, host: str, port: int) -> None:
    """Write until told to stop, paced on the reads the test counted."""
    versions = [0] * KEYS
    names = [hot_key(key) for key in range(KEYS)]
    rng = random.Random(20260518)
    async with Redis(host, port) as client:
        await client.ping()
        cells[READY] = 1

        async def writer() -> None:
            while not cells[STOP]:
                owed = int(cells[READS] * WRITES_PER_READ) - cells[WRITES]
                if cells[PAUSE] or owed <= 0:
                    await asyncio.sleep(POLL)
                    continue
                count = min(owed, BATCH)
                cells[WRITES] += count
                written: list[tuple[int, int]] = []
                async with client.pipeline() as pipe:
                    for _ in range(count):
                        key = rng.randrange(KEYS)
                        version = versions[key] = versions[key] + 1
                        pipe.set(names[key], version)
                        written.append((key, version))
                # Acknowledged, all of them: only now may the test hold reads to them.
                for key, version in written:
                    if version > cells[key]:
                        cells[key] = version

        await asyncio.gather(*(writer() for _ in range(WRITER_TASKS)))


def main() -> None:
    path, host, port = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    mapped, cells = map_cells(path)
    try:
        asyncio.run(write(cells, host, port))
    finally:
        cells.release()
        mapped.close()


if __name__ == "__main__":
    main()
