"""The measuring process: one client, one event loop, a list of workloads.

Run as ``python -m bench._worker JOB_FILE RESULT_FILE``; the runner starts one
worker per client per loop per round, so no client shares a process, an
import side effect or a warmed allocator with another.

Rules and invariants:
- Each workload gets a fresh adapter connection, a validation step (the reply
  has the size the data set promises; a pipeline's writes are visible), a
  short warm-up, then the measured section. Connecting and warming are never
  measured.
- The measured section is bounded: time-bounded workloads stop at the first
  batch boundary after `Job.duration`; the fixed-count concurrency workload
  also stops at a deadline of five durations, counting only completed GETs.
- CPU time is `time.process_time()` of this process (all threads, so a
  client's background threads are charged to it), divided by the commands
  completed. Voluntary context switches over the same section are kept as
  `Sample.sleeps`: about one per command means the client waited for every
  reply asleep (see `bench._placement`).
- A workload that raises is recorded as an error and the next one runs; the
  result file is always written, even when the client cannot be loaded.
- The worker pins itself to `Job.cpus` first thing (see `bench._placement`).
- A cache suite job runs in `bench._cache_worker` (one phase of the hot-key
  workload against the suite's writer process).
- A cluster job (`Job.suite`) drives the client's cluster client
  (`bench._cluster_adapters`) through the same loops as the standalone
  workloads, over keys spread across the three primaries: SET/GET cycles
  through one key per primary, task i of the 100 GETs key i of `SLOT_KEYS`,
  the pipelines write `PIPELINE_KEYS` (1,000 slots) and are checked by
  reading all 1,000 back, and MGET reads `SLOT_KEYS` (100 slots) at once.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bench._adapters import ClientAdapter, ClientUnavailable, KeyValueAdapter, load_adapter
from bench._cache_worker import run_cache_job
from bench._cluster_adapters import ClusterAdapter, load_cluster_adapter
from bench._spec import (
    BIG_KEY,
    BIG_VALUE_SIZE,
    CLUSTER_SET_KEYS,
    GET_KEY,
    HASH_FIELDS,
    HASH_KEY,
    PIPELINE_KEYS,
    SET_KEY,
    SLOT_KEYS,
    VALUE,
    ZSET_KEY,
    ZSET_MEMBERS,
    Job,
    Sample,
    Status,
    WorkerResult,
    Workload,
)

__all__ = ["main"]

Batch = Callable[[], Awaitable[int]]
"""Runs a few commands and returns how many completed."""

_WARMUP_SECONDS = 0.2
_DEADLINE_FACTOR = 5
_PAIRS_PER_BATCH = 50


class ValidationError(AssertionError):
    """A client returned something other than what the data set holds."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValidationError(message)


def _sleeps() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


async def _timed(batch: Batch, duration: float) -> Sample:
    gc.collect()
    ops = 0
    sleeps = _sleeps()
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + duration
    while True:
        ops += await batch()
        now = time.perf_counter()
        if now >= deadline:
            break
    cpu_seconds = time.process_time() - cpu_start
    return Sample(ops, now - start, cpu_seconds, _sleeps() - sleeps)


async def _warm(batch: Batch, duration: float) -> None:
    deadline = time.perf_counter() + min(_WARMUP_SECONDS, duration / 4)
    while time.perf_counter() < deadline:
        await batch()


async def _set_get_over(client: KeyValueAdapter, job: Job, keys: Sequence[bytes]) -> Sample:
    for key in keys:
        await client.set(key, VALUE)
        _check(await client.get(key) == VALUE, "GET did not return the value just SET")
    order = [keys[i % len(keys)] for i in range(_PAIRS_PER_BATCH)]

    async def batch() -> int:
        for key in order:
            await client.set(key, VALUE)
            await client.get(key)
        return 2 * len(order)

    await _warm(batch, job.duration)
    return await _timed(batch, job.duration)


async def _concurrent_get_over(
    client: KeyValueAdapter, job: Job, notes: list[str], keys: Sequence[bytes]
) -> Sample:
    """``job.concurrency`` tasks sharing the GETs, task i reading ``keys[i % len(keys)]``."""
    for key in keys:
        _check(await client.get(key) == VALUE, "GET of a seeded key returned another value")

    async def run(total: int, deadline: float) -> int:
        per_task, extra = divmod(total, job.concurrency)
        counts = [per_task + (1 if i < extra else 0) for i in range(job.concurrency)]

        async def task(count: int, key: bytes) -> int:
            done = 0
            while done < count:
                await client.get(key)
                done += 1
                if done % 10 == 0 and time.perf_counter() >= deadline:
                    break
            return done

        tasks = (task(c, keys[i % len(keys)]) for i, c in enumerate(counts))
        return sum(await asyncio.gather(*tasks))

    # Warm-up lets pooled clients open their connections before the clock starts.
    await run(job.concurrency * 5, float("inf"))
    gc.collect()
    sleeps = _sleeps()
    cpu_start = time.process_time()
    start = time.perf_counter()
    ops = await run(job.concurrent_ops, start + job.duration * _DEADLINE_FACTOR)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    if ops < job.concurrent_ops:
        note = (
            f"100-task GET hit its {job.duration * _DEADLINE_FACTOR:g} s deadline before "
            f"{job.concurrent_ops:,} GETs; the figure covers the GETs done"
        )
        if note not in notes:
            notes.append(note)
    return Sample(ops, seconds, cpu_seconds, _sleeps() - sleeps)


async def _pipeline_set_checked(
    client: KeyValueAdapter, job: Job, visible: Callable[[bytes], Awaitable[bool]]
) -> Sample:
    marker = b"m" * len(VALUE)
    _check(
        await client.pipeline_set(PIPELINE_KEYS, marker) == len(PIPELINE_KEYS),
        "pipeline reported the wrong number of replies",
    )
    _check(await visible(marker), "a pipelined SET is not visible afterwards")

    async def batch() -> int:
        return await client.pipeline_set(PIPELINE_KEYS, VALUE)

    await _warm(batch, job.duration)
    return await _timed(batch, job.duration)


async def _set_get(client: ClientAdapter, job: Job, notes: list[str]) -> Sample:
    return await _set_get_over(client, job, (SET_KEY,))


async def _concurrent_get(client: ClientAdapter, job: Job, notes: list[str]) -> Sample:
    return await _concurrent_get_over(client, job, notes, (GET_KEY,))


async def _pipeline_set(client: ClientAdapter, job: Job, notes: list[str]) -> Sample:
    async def visible(marker: bytes) -> bool:
        ends = (PIPELINE_KEYS[0], PIPELINE_KEYS[-1])
        return all([await client.get(key) == marker for key in ends])

    return await _pipeline_set_checked(client, job, visible)


async def _big_get(client: ClientAdapter, job: Job, notes: list[str]) -> Sample:
    value = await client.get(BIG_KEY)
    _check(isinstance(value, bytes) and len(value) == BIG_VALUE_SIZE, "1 MiB GET wrong size")

    async def batch() -> int:
        await client.get(BIG_KEY)
        return 1

    await _warm(batch, job.duration)
    return await _timed(batch, job.duration)


async def _hgetall(client: ClientAdapter, job: Job, notes: list[str]) -> Sample:
    _check(len(await client.hgetall(HASH_KEY)) == HASH_FIELDS, "HGETALL returned wrong size")

    async def batch() -> int:
        for _ in range(10):
            await client.hgetall(HASH_KEY)
        return 10

    await _warm(batch, job.duration)
    return await _timed(batch, job.duration)


async def _zrange(client: ClientAdapter, job: Job, notes: list[str]) -> Sample:
    size = len(await client.zrange_withscores(ZSET_KEY))
    _check(size == ZSET_MEMBERS, f"ZRANGE WITHSCORES returned {size} entries")

    async def batch() -> int:
        await client.zrange_withscores(ZSET_KEY)
        return 1

    await _warm(batch, job.duration)
    return await _timed(batch, job.duration)


async def _cluster_set_get(client: ClusterAdapter, job: Job, notes: list[str]) -> Sample:
    return await _set_get_over(client, job, CLUSTER_SET_KEYS)


async def _cluster_concurrent_get(client: ClusterAdapter, job: Job, notes: list[str]) -> Sample:
    return await _concurrent_get_over(client, job, notes, SLOT_KEYS)


async def _cluster_pipeline_set(client: ClusterAdapter, job: Job, notes: list[str]) -> Sample:
    async def visible(marker: bytes) -> bool:
        return list(await client.mget(PIPELINE_KEYS)) == [marker] * len(PIPELINE_KEYS)

    return await _pipeline_set_checked(client, job, visible)


async def _cluster_mget(client: ClusterAdapter, job: Job, notes: list[str]) -> Sample:
    values = list(await client.mget(SLOT_KEYS))
    _check(values == [VALUE] * len(SLOT_KEYS), "MGET did not return the seeded values in order")

    async def batch() -> int:
        await client.mget(SLOT_KEYS)
        return 1

    await _warm(batch, job.duration)
    return await _timed(batch, job.duration)


_Run = Callable[[Any, Job, list[str]], Awaitable[Sample]]
_WORKLOADS: dict[Workload, _Run] = {
    Workload.SET_GET: _set_get,
    Workload.CONCURRENT_GET: _concurrent_get,
    Workload.PIPELINE_SET: _pipeline_set,
    Workload.BIG_GET: _big_get,
    Workload.HGETALL: _hgetall,
    Workload.ZRANGE: _zrange,
    Workload.CLUSTER_SET_GET: _cluster_set_get,
    Workload.CLUSTER_CONCURRENT_GET: _cluster_concurrent_get,
    Workload.CLUSTER_PIPELINE_SET: _cluster_pipeline_set,
    Workload.CLUSTER_MGET: _cluster_mget,
}


def _load(job: Job) -> ClientAdapter | ClusterAdapter:
    if job.suite == "cluster":
        return load_cluster_adapter(job.client, job.source)
    return load_adapter(job.client, job.source)


async def _run_one(job: Job, workload: Workload, result: WorkerResult) -> None:
    adapter = _load(job)
    result.version = adapter.version
    result.source = adapter.source
    await adapter.open(job.host, job.port)
    try:
        for note in adapter.notes:
            if note not in result.notes:
                result.notes.append(note)
        if result.protocol is None:
            result.protocol = await adapter.protocol()
        async with asyncio.timeout(job.duration * _DEADLINE_FACTOR + 30):
            result.samples[workload.value] = await _WORKLOADS[workload](adapter, job, result.notes)
    finally:
        await adapter.close()


async def _run_job(job: Job, result: WorkerResult) -> None:
    for name in job.workloads:
        workload = Workload(name)
        try:
            await _run_one(job, workload, result)
        except ClientUnavailable as exc:
            result.status = exc.status
            result.reason = exc.reason
            return
        except Exception as exc:
            result.errors[workload.value] = f"{type(exc).__name__}: {exc}"
    if result.errors and not result.samples:
        result.status = Status.FAILED
        result.reason = next(iter(result.errors.values()))


def _run_on_loop(loop: str, main: Callable[[], Coroutine[Any, Any, None]]) -> None:
    # The coroutine is created only once the loop exists, so a missing uvloop
    # leaves no never-awaited coroutine behind.
    if loop == "uvloop":
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
    else:
        asyncio.run(main())


def main(argv: list[str]) -> int:
    """Run the job in ``argv[0]`` and write its result to ``argv[1]``.

    Args:
        argv: ``[job_file, result_file]``.

    Returns:
        The process exit status: 0 whenever a result file was written.
    """
    job = Job.from_json(Path(argv[0]).read_text(encoding="utf-8"))
    if job.cpus:
        # Before any client is loaded, so threads a client starts inherit the CPUs.
        os.sched_setaffinity(0, job.cpus)
    result = WorkerResult(client=job.client, loop=job.loop, suite=job.suite)
    try:
        run = run_cache_job if job.suite == "cache" else _run_job
        _run_on_loop(job.loop, lambda: run(job, result))
    except ImportError as exc:
        result.status = Status.NOT_INSTALLED
        result.reason = f"{job.loop}: {exc}"
    except Exception as exc:
        result.status = Status.FAILED
        result.reason = f"{type(exc).__name__}: {exc}"
    Path(argv[1]).write_text(result.to_json(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
