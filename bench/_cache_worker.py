"""The cache suite's measuring process: one row, one loop, one phase against the shared writer.

`bench._worker` runs a job of the cache suite here: the runner starts a fresh worker for
every row, loop and round, all against the one writer process of the suite, whose pace
follows the reads each worker counts in the shared cells.

Rules and invariants:
- The reader connects, reads every hot key once (validation: each holds a version number;
  a cache fills on the way), reads for a warm-up that is checked but not measured, then for
  the measured phase of `Job.duration` seconds. Connecting and warming are never measured.
- Client CPU is ``getrusage(RUSAGE_SELF)`` user plus system time of this process (all
  threads, so a client's background threads are charged to it) over the measured phase.
- The counts of `bench._spec.CacheCounts` cover the measured phase (writes, hits, lookups),
  except the staleness check's, which cover the warm-up too: a stale read is one too many
  wherever it happens.
- The writer follows the reads as they are counted, a chunk of each task at a time, so it
  trails them a little; the measured phase starts once the writer has caught up with the
  warm-up, and its writes are counted once it has caught up with the phase's reads, given
  at most a tenth of the phase for that. A writer that cannot keep pace still falls short,
  and the round is reported invalid (`bench._cache_report`).
"""

from __future__ import annotations

import asyncio
import gc
import resource
from pathlib import Path

from bench._adapters import ClientUnavailable
from bench._cache_adapters import HotKeyReader, load_reader
from bench._cache_workload import (
    HOT_KEYS,
    WRITES,
    mapped_cells,
    read_plans,
    run_phase,
    writer_caught_up,
)
from bench._spec import CacheCounts, Job, Sample, Status, WorkerResult, Workload

__all__ = ["run_cache_job"]

_WARMUP_SECONDS = 0.2
_DEADLINE_FACTOR = 5
# Seconds the writer gets to catch up with the warm-up before the measured phase starts.
_CATCH_UP_SECONDS = 1.0
# Share of the phase the writer gets after it to catch up with the phase's reads.
_GRACE = 0.1


class ValidationError(AssertionError):
    """A hot key does not hold a version number."""


def _is_version(value: object) -> bool:
    if not isinstance(value, bytes | str):
        return False
    try:
        return int(value) >= 0
    except ValueError:
        return False


def _cpu_and_sleeps() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_nvcsw


async def _measure(reader: HotKeyReader, job: Job, cells: memoryview) -> tuple[Sample, CacheCounts]:
    get, barrier = reader.fetch, reader.barrier
    values: list[object] = []
    # As many reads at once as the workload has tasks: a pool sized for them must do.
    for start in range(0, len(HOT_KEYS), job.concurrency):
        values += await asyncio.gather(
            *(get(key) for key in HOT_KEYS[start : start + job.concurrency])
        )
    wrong = [key for key, value in zip(HOT_KEYS, values, strict=True) if not _is_version(value)]
    if wrong:
        raise ValidationError(f"{len(wrong)} hot keys hold no version number, {wrong[0]!r} first")
    plans = read_plans(job.concurrency)
    warm = await run_phase(get, barrier, cells, plans, max(_WARMUP_SECONDS, job.duration / 4))
    await writer_caught_up(cells, _CATCH_UP_SECONDS)
    gc.collect()
    counters, writes = reader.counters(), cells[WRITES]
    cpu, sleeps = _cpu_and_sleeps()
    phase = await run_phase(get, barrier, cells, plans, job.duration)
    cpu_after, sleeps_after = _cpu_and_sleeps()
    counters_after, writes_in_phase = reader.counters(), cells[WRITES]
    await writer_caught_up(cells, job.duration * _GRACE)
    writes_after = cells[WRITES]
    hits = lookups = None
    if counters is not None and counters_after is not None:
        hits = counters_after[0] - counters[0]
        lookups = counters_after[1] - counters[1]
    sample = Sample(phase.reads, phase.seconds, cpu_after - cpu, sleeps_after - sleeps)
    counts = CacheCounts(
        writes=writes_after - writes,
        late_writes=writes_after - writes_in_phase,
        stale=warm.stale + phase.stale,
        checked=warm.reads + phase.reads,
        hits=hits,
        lookups=lookups,
    )
    return sample, counts


async def run_cache_job(job: Job, result: WorkerResult) -> None:
    """Measure the job's row into ``result`` (a failure is recorded there, not raised).

    Args:
        job: A job of the cache suite; `Job.cells` names the shared cells file.
        result: Filled in place.
    """
    workload = Workload.CACHE_HOT_KEYS.value
    try:
        reader = load_reader(job.client, job.source)
    except ClientUnavailable as exc:
        result.status, result.reason = exc.status, exc.reason
        return
    result.version, result.source, result.notes = reader.version, reader.source, [*reader.notes]
    try:
        with mapped_cells(Path(job.cells)) as cells:
            await reader.open(job.host, job.port)
            try:
                async with asyncio.timeout(job.duration * _DEADLINE_FACTOR + 30):
                    sample, counts = await _measure(reader, job, cells)
            finally:
                await reader.close()
    except Exception as exc:
        result.status = Status.FAILED
        result.reason = result.errors[workload] = f"{type(exc).__name__}: {exc}"
        return
    result.samples[workload] = sample
    result.cache = counts
