"""The other client of the hot-key workload: writes from a process of its own.

``python -m tests.cache._writer CELLS HOST PORT`` maps the file ``CELLS`` (int64 cells shared
with the test, see ``Cells``) and keeps its writes at one for every nine reads the test has
counted there, each write setting one of the hot keys to its next version. Once the server
acknowledged a write, its version goes into the key's cell, for the test's staleness check.
It writes nothing while the test sets the pause cell, and stops when it sets the stop cell.
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
# Concurrent writers: enough to keep up with a cached reader on one shared connection.
WRITER_TASKS = 20


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
    rng = random.Random(20260518)
    async with Redis(host, port) as client:
        await client.ping()
        cells[READY] = 1

        async def writer() -> None:
            while not cells[STOP]:
                if cells[PAUSE] or cells[WRITES] >= cells[READS] * WRITES_PER_READ:
                    await asyncio.sleep(0.0005)
                    continue
                key = rng.randrange(KEYS)
                version = versions[key] = versions[key] + 1
                cells[WRITES] += 1
                await client.set(hot_key(key), version)
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
