"""Orchestration: server, rounds, rotation, one worker process per client.

Rules and invariants:
- Every round runs every (loop, client) pair once, each in a fresh worker
  process; the client order rotates by one each round, so no client is
  always first after the server's idle time or always last on a warm cache.
- A client whose worker reports anything but OK (not installed,
  unavailable, failed) keeps that result and is not started again on that
  loop; the other clients go on.
- The workers get the harness environment minus asyncio debug switches
  (``PYTHONASYNCIODEBUG``, ``PYTHONDEVMODE``), which slow pure-Python
  clients far more than the others and would skew every ratio.
- A redis-oxide worker gets its source tree first on ``PYTHONPATH``: the
  working tree's ``src`` for ``redis-oxide``, ``--baseline-src`` for
  ``redis-oxide-baseline``, and nothing else differs between the two rows.
  The worker refuses a ``redis_oxide`` imported from elsewhere.
- Everything is bounded: workers by a subprocess timeout, redis-benchmark by
  its request count and a timeout; the server is stopped on every exit path.
- Server, workers and redis-benchmark run on the CPUs `bench._placement`
  gives them (default: all on one CPU, the same for every client).
- The suites run one after the other, each with its own servers: the
  standalone suite on one redis-server, then the cluster suite on a
  six-node cluster (`bench._cluster`) with the clients that have a cluster
  client (`CLUSTER_CLIENTS`, plus the baseline and telemetry rows of
  redis-oxide). A suite with no workload or no client selected is skipped;
  its servers are never started. redis-benchmark runs in the standalone
  suite only.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench._cluster import BenchCluster
from bench._limits import LIMIT_WORKLOADS, LimitError, find_binary, measure_limit
from bench._placement import Placement, plan
from bench._server import DEFAULT_SERVER, HOST, BenchServer
from bench._spec import (
    BASELINE,
    CLIENTS,
    CLUSTER_CLIENTS,
    LOOPS,
    TELEMETRY,
    Job,
    Status,
    WorkerResult,
    Workload,
)

__all__ = ["BenchRun", "Options", "run_benchmark"]

_ROOT = Path(__file__).resolve().parent.parent
SOURCE = _ROOT / "src"
"""The working tree's source, where the ``redis-oxide`` row imports redis_oxide from."""
_SCRUBBED_ENV = ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE")


@dataclasses.dataclass(frozen=True)
class Options:
    """What to run.

    Attributes:
        rounds: Rounds per (loop, client); figures are medians over them.
        loops: Event loops, from `bench._spec.LOOPS`.
        clients: Clients, from `bench._spec.CLIENTS` and `bench._spec.BASELINE`; the
            first-round order.
        workloads: Workloads to run, in order.
        duration: Seconds per time-bounded measurement.
        concurrent_ops: Total GETs of the concurrency workload.
        limit_requests: redis-benchmark base request count; 0 skips the limits.
        server: The redis-server binary.
        quick: Recorded in the output; the caller has already shrunk the sizes.
        baseline_src: The source tree (a directory holding ``redis_oxide/``) the
            ``redis-oxide-baseline`` row imports redis_oxide from.
        placement: Where server and clients run, from `bench._placement.PLACEMENTS`.
    """

    rounds: int = 5
    loops: tuple[str, ...] = LOOPS
    clients: tuple[str, ...] = CLIENTS
    workloads: tuple[Workload, ...] = tuple(Workload)
    duration: float = 1.0
    concurrent_ops: int = 100_000
    limit_requests: int = 20_000
    server: Path = DEFAULT_SERVER
    quick: bool = False
    baseline_src: Path | None = None
    placement: str = "shared"

    def source(self, client: str) -> str:
        """The source tree a client's worker must import redis_oxide from ("" for peers)."""
        if client == BASELINE:
            return str(self.baseline_src or "")
        return str(SOURCE) if client in ("redis-oxide", TELEMETRY) else ""

    def suite_clients(self, suite: str) -> tuple[str, ...]:
        """The clients that run in a suite, in first-round order."""
        if suite == "standalone":
            return self.clients
        return tuple(c for c in self.clients if c in (*CLUSTER_CLIENTS, BASELINE, TELEMETRY))

    def suite_workloads(self, suite: str) -> tuple[Workload, ...]:
        """The selected workloads of a suite, in order."""
        return tuple(w for w in self.workloads if w.suite == suite)

    @classmethod
    def quick_defaults(cls) -> Options:
        """The CI-sized run: same shape, a fraction of the time."""
        return cls(rounds=3, duration=0.25, concurrent_ops=10_000, limit_requests=4_000, quick=True)


@dataclasses.dataclass
class BenchRun:
    """Raw outcome of a run, before medians.

    Attributes:
        options: What was asked for.
        environment: Versions and machine facts for the report header.
        results: (loop, client) to one `WorkerResult` per round and suite it ran
            (`WorkerResult.suite` tells the suites apart).
        limits: Workload to one redis-benchmark figure per round.
        limit_error: Why there are no limit figures, if there are none.
    """

    options: Options
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    results: dict[tuple[str, str], list[WorkerResult]] = dataclasses.field(default_factory=dict)
    limits: dict[Workload, list[float]] = dataclasses.field(default_factory=dict)
    limit_error: str = ""


def _worker_env(source: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    path = (source, str(_ROOT), env.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    return env


def _revision(source: Path) -> str:
    """``<path> @ <commit>`` of a source tree, ``+changes`` when it differs from the commit."""
    git = ("git", "-C", str(source))
    try:
        commit = subprocess.run(
            (*git, "rev-parse", "--short", "HEAD"), capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            (*git, "status", "--porcelain", "--", "."), capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return str(source)
    if not commit:
        return str(source)
    return f"{source} @ {commit}{' +changes' if dirty else ''}"


def _worker_timeout(job: Job) -> float:
    return len(job.workloads) * (job.duration * 12 + 40) + 30


def run_worker(job: Job, scratch: Path, tag: str) -> WorkerResult:
    """Run one job in a fresh Python process and collect its result.

    Args:
        job: What the worker measures.
        scratch: A directory that outlives the call (the server's), for the job files.
        tag: Unique within the run; names the job files.

    Returns:
        The worker's result; a crash or timeout becomes a FAILED result.
    """
    job_file = scratch / f"job-{tag}.json"
    result_file = scratch / f"result-{tag}.json"
    job_file.write_text(job.to_json(), encoding="utf-8")
    argv = [sys.executable, "-m", "bench._worker", str(job_file), str(result_file)]
    failed = WorkerResult(client=job.client, loop=job.loop, status=Status.FAILED)
    try:
        done = subprocess.run(
            argv,
            cwd=_ROOT,
            env=_worker_env(job.source),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_worker_timeout(job),
            check=False,
        )
    except subprocess.TimeoutExpired:
        failed.reason = f"worker timed out after {_worker_timeout(job):.0f} s"
        return failed
    if result_file.exists():
        return WorkerResult.read(result_file)
    tail = done.stderr.strip().splitlines()[-1:] or ["no output"]
    failed.reason = f"worker exited {done.returncode}: {tail[0]}"
    return failed


def _rotated(items: tuple[str, ...], by: int) -> list[str]:
    shift = by % len(items) if items else 0
    return [*items[shift:], *items[:shift]]


def _run_limits(run: BenchRun, port: int, placement: Placement) -> None:
    options = run.options
    prefix = placement.prefix(placement.clients)
    try:
        binary = find_binary()
        run.environment["redis-benchmark"] = str(binary.path)
        for workload in LIMIT_WORKLOADS:
            if workload in options.workloads:
                rate = measure_limit(binary, port, workload, options.limit_requests, prefix)
                run.limits.setdefault(workload, []).append(rate)
    except LimitError as exc:
        run.limit_error = str(exc)


def _run_rounds(
    run: BenchRun,
    suite: str,
    port: int,
    scratch: Path,
    placement: Placement,
    say: Callable[[str], None],
) -> None:
    """Every round of one suite against its server (or cluster) on ``port``."""
    options = run.options
    workloads = tuple(w.value for w in options.suite_workloads(suite))
    clients = options.suite_clients(suite)
    stopped: set[tuple[str, str]] = set()
    prefix = "cluster " if suite == "cluster" else ""
    for round_index in range(options.rounds):
        for loop in options.loops:
            for client in _rotated(clients, round_index):
                if (loop, client) in stopped:
                    continue
                say(f"{prefix}round {round_index + 1}/{options.rounds} {loop:<7} {client}")
                job = Job(
                    client=client,
                    loop=loop,
                    host=HOST,
                    port=port,
                    workloads=workloads,
                    duration=options.duration,
                    concurrent_ops=options.concurrent_ops,
                    source=options.source(client),
                    cpus=placement.clients,
                    suite=suite,
                )
                tag = f"{suite}-{round_index}-{loop}-{client}"
                result = run_worker(job, scratch, tag)
                run.results.setdefault((loop, client), []).append(result)
                if result.status is not Status.OK:
                    say(f"  {client} on {loop}: {result.status.value}: {result.reason}")
                    stopped.add((loop, client))
        if suite == "standalone" and options.limit_requests > 0 and not run.limit_error:
            say(f"round {round_index + 1}/{options.rounds} redis-benchmark")
            _run_limits(run, port, placement)


def _runs(options: Options, suite: str) -> bool:
    return bool(options.suite_workloads(suite) and options.suite_clients(suite))


def run_benchmark(options: Options, progress: Callable[[str], None] | None = None) -> BenchRun:
    """Run each selected suite: start its servers, run every round, stop them.

    Args:
        options: What to run.
        progress: Called with one line per step (e.g. to print on stderr).

    Returns:
        The raw results, to be summarised by `bench._report`.

    Raises:
        bench._server.ServerError: A server or the cluster could not be started.
    """
    say = progress or (lambda _line: None)
    run = BenchRun(options)
    run.environment.update(
        python=platform.python_version(),
        platform=platform.platform(terse=True),
        cpus=str(os.cpu_count()),
    )
    if "redis-oxide" in options.clients:
        run.environment["redis-oxide source"] = _revision(SOURCE)
    if BASELINE in options.clients and options.baseline_src is not None:
        run.environment["baseline source"] = _revision(options.baseline_src)
    placement = plan(options.placement)
    run.environment["placement"] = placement.describe()
    if _runs(options, "standalone"):
        with BenchServer(options.server, placement.prefix(placement.server)) as server:
            server.seed()
            run.environment["redis-server"] = server.info("redis_version")
            say(f"redis-server {run.environment['redis-server']} on {HOST}:{server.port}")
            _run_rounds(run, "standalone", server.port, server.scratch, placement, say)
    if _runs(options, "cluster"):
        primaries, replicas = (
            placement.prefix(placement.server),
            placement.prefix(placement.replicas),
        )
        with BenchCluster(options.server, primaries, replicas) as cluster:
            cluster.seed()
            version = cluster.info("redis_version")
            ports = ",".join(map(str, cluster.ports))
            run.environment["cluster"] = (
                f"6 nodes of redis-server {version} (3 primaries, 3 replicas)"
            )
            run.environment["cluster placement"] = placement.describe_cluster()
            say(f"cluster of redis-server {version} on {HOST} ports {ports}")
            _run_rounds(run, "cluster", cluster.port, cluster.scratch, placement, say)
    elif options.suite_workloads("cluster"):
        say("cluster suite skipped: none of the clients has a cluster adapter")
    return run
