"""The cache under load: a hot-key workload checked read by read, and its memory bound.

Hot keys: 100 tasks read 1,000 keys through the client under test, while another client, in a
process of its own (`bench._cache_writer`), writes one operation in ten, each write setting a
key to its next version. Every read is checked against the versions whose write was
acknowledged and whose invalidation was delivered (`bench._cache_workload.run_phase`: a
barrier on the connection that receives the reader's invalidations raises the floor reads
must meet). The cached client (with refresh, the default, and without), and the uncached one
run in alternating phases of the same run, against the same writer, so the machine's load
falls on all alike; a last pair of phases runs with the writer paused. Read throughput is
reported as figures, never asserted (a shared machine's timings are noise, and this suite runs
in asyncio's debug mode): it is measured by the cache suite of the benchmark, ``python -m
bench --suite cache``, from the same writer and phase code.

Memory: a million distinct keys read through a cache of 10,000 entries; the process's
resident size must stop growing once the cache is full.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bench import _cache_writer
from bench._cache_workload import (
    HOT_KEYS,
    PAUSE,
    READS,
    READY,
    STOP,
    WRITES,
    Phase,
    create_cells,
    mapped_cells,
    read_plans,
    run_phase,
)
from redis_oxide import CacheConfig, Redis
from redis_oxide.testing.plugin import ServerFactory

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
# Short phases, many rounds: the load of a shared machine drifts less within a round.
ROUNDS = 6
PHASE_SECONDS = 0.75


async def _phase(
    reader: Redis[bytes], cells: memoryview, plans: list[list[int]], into: list[Phase]
) -> None:
    # CLIENT TRACKINGINFO goes to the connection that gets the invalidations.
    barrier = reader.client_trackinginfo
    into.append(await run_phase(reader.get, barrier, cells, plans, PHASE_SECONDS))


async def test_hot_keys_are_never_read_stale_and_mostly_hit(
    redis_server_factory: ServerFactory, tmp_path: Path, figures: Figure
) -> None:
    info = redis_server_factory("7")
    path = tmp_path / "cells"
    create_cells(path)
    with mapped_cells(path) as cells:
        await _hot_keys(info.host, info.port, path, cells, figures)


async def _hot_keys(host: str, port: int, path: Path, cells: memoryview, figures: Figure) -> None:
    plans = read_plans()
    # The writer must keep its pace: asyncio's debug mode (``make pytest``) is not for it.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE")}
    writer = await asyncio.create_subprocess_exec(
        *_cache_writer.command(path, host, port), cwd=ROOT, env=env
    )
    try:
        async with (
            Redis(host, port) as plain,
            Redis(host, port, cache=CacheConfig()) as cached,
            Redis(host, port, cache=CacheConfig(refresh=False)) as dropping,
        ):
            await plain.mset(dict.fromkeys(HOT_KEYS, 0))
            async with asyncio.timeout(20):
                while not cells[READY]:
                    assert writer.returncode is None, "the writer process ended early"
                    await asyncio.sleep(0.01)
            runs: dict[str, list[Phase]] = {"cached": [], "uncached": [], "no refresh": []}
            for _ in range(ROUNDS):
                await _phase(cached, cells, plans, runs["cached"])
                await _phase(plain, cells, plans, runs["uncached"])
                await _phase(dropping, cells, plans, runs["no refresh"])
            cache, without = cached.cache, dropping.cache
            assert cache is not None
            assert without is not None
            # A read that waited for a read in flight (a refresh, or another task's miss) is
            # not a hit: it waited for the server.
            hits, misses = cache.hits, cache.misses + cache.coalesced
            refreshes, coalesced = cache.refreshes, cache.coalesced
            without_rate = without.hits / (without.hits + without.misses + without.coalesced)
            writes, total_reads = cells[WRITES], cells[READS]
            # For comparison, the same reads with the writer paused: hits only, once warm.
            cells[PAUSE] = 1
            await asyncio.sleep(0.1)  # writes in flight land
            await asyncio.gather(*(cached.get(key) for key in HOT_KEYS))
            quiet: dict[str, list[Phase]] = {"cached": [], "uncached": []}
            for _ in range(2):
                await _phase(cached, cells, plans, quiet["cached"])
                await _phase(plain, cells, plans, quiet["uncached"])
    finally:
        cells[STOP] = 1
        try:
            async with asyncio.timeout(10):
                await writer.wait()
        finally:
            if writer.returncode is None:
                writer.kill()
                await writer.wait()

    def rate(phases: list[Phase]) -> float:
        return sum(p.reads for p in phases) / sum(p.seconds for p in phases)

    stale = {mode: sum(p.stale for p in runs[mode] + quiet.get(mode, [])) for mode in runs}
    hit_rate = hits / (hits + misses)
    write_share = writes / (writes + total_reads)
    cached_rate, uncached_rate = rate(runs["cached"]), rate(runs["uncached"])
    figures(
        "stale reads, cached / uncached / refresh=False",
        f"{stale['cached']} / {stale['uncached']} / {stale['no refresh']}",
    )
    figures(
        "reads checked, cached / uncached",
        f"{sum(p.reads for p in runs['cached'])} / {sum(p.reads for p in runs['uncached'])}",
    )
    figures("hit rate (reads that waited for a read in flight count as misses)", f"{hit_rate:.1%}")
    figures("refreshes / reads that waited", f"{refreshes} / {coalesced}")
    figures("writes (other process), share of operations", f"{write_share:.1%}")
    figures("reads/s cached", round(cached_rate))
    figures("reads/s uncached", round(uncached_rate))
    figures("read throughput cached / uncached", f"{cached_rate / uncached_rate:.2f}x")
    dropping_rate = rate(runs["no refresh"])
    figures(
        "refresh=False: hit rate, reads/s, ratio to uncached",
        f"{without_rate:.1%}, {dropping_rate:.0f}, {dropping_rate / uncached_rate:.2f}x",
    )
    quiet_rates = {mode: rate(phases) for mode, phases in quiet.items()}
    figures(
        "without writes: reads/s cached / uncached (ratio)",
        f"{quiet_rates['cached']:.0f} / {quiet_rates['uncached']:.0f} "
        f"({quiet_rates['cached'] / quiet_rates['uncached']:.2f}x)",
    )
    assert stale == {"cached": 0, "uncached": 0, "no refresh": 0}
    assert hit_rate >= 0.8
    assert without_rate >= 0.8
    assert 0.08 <= write_share <= 0.12


def _rss() -> int:
    """Resident set size of this process now, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


@pytest.mark.timeout(90)
async def test_a_million_keys_through_ten_thousand_entries_keep_memory_bounded(
    redis_server_factory: ServerFactory, figures: Figure
) -> None:
    info = redis_server_factory("7")
    total, batch = 1_000_000, 5_000
    keys = [f"m:{i}" for i in range(total)]
    async with Redis(info.host, info.port) as loader:
        for start in range(0, total, 50_000):
            async with loader.pipeline() as pipe:
                for key in keys[start : start + 50_000]:
                    pipe.set(key, "v")
    config = CacheConfig(max_entries=10_000)
    samples: dict[int, int] = {}
    started = time.perf_counter()
    async with Redis(info.host, info.port, cache=config) as client:
        for start in range(0, total, batch):
            values = await asyncio.gather(*(client.get(k) for k in keys[start : start + batch]))
            assert values[0] == b"v"
            done = start + batch
            if done in (50_000, 100_000, 250_000, 500_000, 750_000, 1_000_000):
                gc.collect()
                samples[done] = _rss()
        cache = client.cache
        assert cache is not None
        assert len(cache) == 10_000
        assert cache.misses == total
        assert cache.evictions == total - 10_000
        entries_bytes = cache.bytes_used
    seconds = time.perf_counter() - started
    growth = samples[1_000_000] - samples[100_000]
    figures("reads (all misses), seconds", f"{total} in {seconds:.1f}")
    figures(
        "RSS after 100k / 500k / 1M reads (MiB)",
        " / ".join(f"{samples[n] / 2**20:.1f}" for n in (100_000, 500_000, 1_000_000)),
    )
    figures("RSS growth from 100k to 1M reads (MiB)", f"{growth / 2**20:.1f}")
    figures("cache bytes_used at the end (MiB)", f"{entries_bytes / 2**20:.2f}")
    # The key list alone is ~70 MiB and was built before the first sample; the cache's share
    # must stop growing once it holds its 10,000 entries.
    assert growth < 16 * 2**20
