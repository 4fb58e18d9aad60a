"""The other client of the hot-key workload: writes from a process of its own.

``python -m bench._cache_writer CELLS HOST PORT`` maps the file ``CELLS`` (the int64 cells it
shares with the reader, see `bench._cache_workload`) and keeps its writes at one for every
nine reads the reader has counted there, each write setting one of the hot keys to its next
version. Once the server acknowledged a write, its version goes into the key's cell, for the
reader's staleness check. It writes nothing while the reader sets the pause cell, and stops
when it sets the stop cell.

A writer task that finds itself behind sends the writes it owes (at most ``BATCH``) as one
non-transactional pipeline, and records their versions only once the whole pipeline was
answered: every one of them was acknowledged by then, so the reader's snapshot of recorded
versions is exactly as strong as with single writes. Batching is for the machine, not the
check: on two cores this process's CPU comes out of the reader's share, and a round trip per
write (a future, a task wake-up and a socket write each) cost it about half a core.

The readers are the hot-key test (tests/cache/test_workload.py) and the cache suite of the
benchmark (`bench._cache_runner`), which keep one writer for all their phases.
"""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path

from bench._cache_workload import (
    HOT_KEYS,
    KEYS,
    PAUSE,
    READY,
    STOP,
    WRITES,
    mapped_cells,
    owed_writes,
)
from redis_oxide import Redis

__all__ = ["command", "write"]

# Concurrent writers on one shared connection: each keeps one pipeline in flight, and two
# keep up with a cached reader; every idle one polls, so no more than that.
WRITER_TASKS = 2
# Writes one pipeline carries at most: a task that fell behind catches up in a round trip or
# two, without bursts long enough to starve the reader of invalidations.
BATCH = 64
# Seconds an idle writer waits before it looks at the read count again: a millisecond of
# writes (about a hundred at a million reads per second) then leaves in one pipeline.
POLL = 0.001


def command(cells: Path, host: str, port: int) -> list[str]:
    """The command line that starts a writer on ``cells`` against ``host:port``."""
    return [sys.executable, "-m", "bench._cache_writer", str(cells), host, str(port)]


async def write(cells: memoryview, host: str, port: int) -> None:
    """Write until told to stop, paced on the reads the reader counted."""
    versions = [0] * KEYS
    rng = random.Random(20260518)
    async with Redis(host, port) as client:
        await client.ping()
        cells[READY] = 1

        async def writer() -> None:
            while not cells[STOP]:
                owed = owed_writes(cells)
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
                        pipe.set(HOT_KEYS[key], version)
                        written.append((key, version))
                # Acknowledged, all of them: only now may the reader hold reads to them.
                for key, version in written:
                    if version > cells[key]:
                        cells[key] = version

        await asyncio.gather(*(writer() for _ in range(WRITER_TASKS)))


def main() -> None:
    path, host, port = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    with mapped_cells(path) as cells:
        asyncio.run(write(cells, host, port))


if __name__ == "__main__":
    main()
