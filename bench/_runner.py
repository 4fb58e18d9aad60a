"""Orchestration: server, rounds, rotation, one worker process per client.

Rules and invariants:
- Rounds run as `bench._process.run_rounds` runs them: every (loop, client)
  pair once a round, in a fresh worker process, the client order rotated by
  one each round; a client whose worker fails is not started again on that
  loop.
- Workers run as `bench._process` starts them: without asyncio's debug
  switches, bounded by a timeout. A redis-oxide worker gets its source tree
  first on ``PYTHONPATH``: the working tree's ``src`` for ``redis-oxide``,
  ``--baseline-src`` for ``redis-oxide-baseline``, and nothing else differs
  between the two rows. The worker refuses a ``redis_oxide`` imported from
  elsewhere.
- Everything is bounded: workers by a subprocess timeout, redis-benchmark by
  its request count and a timeout; the servers are stopped on every exit path.
- Server, workers and redis-benchmark run on the CPUs `bench._placement`
  gives them (default: all on one CPU, the same for every client).
- The suites run one after the other, each with its own servers: the
  standalone suite on one redis-server, then the cluster suite on a
  six-node cluster (`bench._cluster`) with the clients that have a cluster
  client (`CLUSTER_CLIENTS`, plus the baseline and telemetry rows of
  redis-oxide), then the cache suite (`bench._cache_runner`: its own
  redis-server and writer process) with the rows of `CACHE_ROWS` whose
  client is selected. A suite with no workload or no client selected is
  skipped; its servers are never started. redis-benchmark runs in the
  standalone suite only.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import subprocess
from collections.abc import Callable
from pathlib import Path

from bench._cache_runner import CachePhase, run_cache_suite
from bench._cluster import BenchCluster
from bench._limits import LIMIT_WORKLOADS, LimitError, find_binary, measure_limit
from bench._placement import Placement, plan
from bench._process import SOURCE, run_rounds, run_worker
from bench._server import DEFAULT_SERVER, HOST, BenchServer
from bench._spec import (
    BASELINE,
    CACHE_ROWS,
    CLIENTS,
    CLUSTER_CLIENTS,
    LOOPS,
    TELEMETRY,
    Job,
    WorkerResult,
    Workload,
)

__all__ = ["BenchRun", "Options", "run_benchmark", "run_worker"]


@dataclasses.dataclass(frozen=True)
class Options:
    """What to run.

    Attributes:
        rounds: Rounds per (loop, client); figures are medians over them.
        loops: Event loops, from `bench._spec.LOOPS`.
        clients: Clients, from `bench._spec.CLIENTS` and `bench._spec.BASELINE`; the
            first-round order (the cache suite's rows keep the order of `CACHE_ROWS`).
        workloads: Workloads to run, in order.
        duration: Seconds per time-bounded measurement.
        concurrent_ops: Total GETs of the concurrency workload.
        limit_requests: redis-benchmark base request count; 0 skips the limits.
        server: The redis-server binary.
        quick: Recorded in the output; the caller has already shrunk the sizes.
        baseline_src: The source tree (a directory holding ``redis_oxide/``) the
            ``redis-oxide-baseline`` row imports redis_oxide from.
        placement: Where server and clients run, from `bench._placement.PLACEMENTS`; None
            runs the standalone and cluster suites ``shared`` and the cache suite ``split``.
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
    placement: str | None = None

    def source(self, client: str) -> str:
        """The source tree a client's (or cache row's) worker imports redis_oxide from."""
        client = CACHE_ROWS.get(client, client)
        if client == BASELINE:
            return str(self.baseline_src or "")
        return str(SOURCE) if client in ("redis-oxide", TELEMETRY) else ""

    def suite_clients(self, suite: str) -> tuple[str, ...]:
        """The clients that run in a suite, in first-round order."""
        if suite == "standalone":
            return self.clients
        if suite == "cache":
            return tuple(row for row, client in CACHE_ROWS.items() if client in self.clients)
        return tuple(c for c in self.clients if c in (*CLUSTER_CLIENTS, BASELINE, TELEMETRY))

    def suite_workloads(self, suite: str) -> tuple[Workload, ...]:
        """The selected workloads of a suite, in order."""
        return tuple(w for w in self.workloads if w.suite == suite)

    def job(
        self, suite: str, client: str, loop: str, port: int, cpus: tuple[int, ...], cells: str = ""
    ) -> Job:
        """The job of one client (or cache row) of a suite on one loop, against ``port``."""
        return Job(
            client=client,
            loop=loop,
            host=HOST,
            port=port,
            workloads=tuple(w.value for w in self.suite_workloads(suite)),
            duration=self.duration,
            concurrent_ops=self.concurrent_ops,
            source=self.source(client),
            cpus=cpus,
            suite=suite,
            cells=cells,
        )

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
            (`WorkerResult.suite` tells the suites apart); the cache suite's are in
            ``cache_phases``.
        limits: Workload to one redis-benchmark figure per round.
        limit_error: Why there are no limit figures, if there are none.
        cache_phases: The cache suite's phases, in the order they ran.
    """

    options: Options
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    results: dict[tuple[str, str], list[WorkerResult]] = dataclasses.field(default_factory=dict)
    limits: dict[Workload, list[float]] = dataclasses.field(default_factory=dict)
    limit_error: str = ""
    cache_phases: list[CachePhase] = dataclasses.field(default_factory=list)


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

    def run_one(round_index: int, loop: str, client: str) -> WorkerResult:
        job = options.job(suite, client, loop, port, placement.clients)
        result = run_worker(job, scratch, f"{suite}-{round_index}-{loop}-{client}")
        run.results.setdefault((loop, client), []).append(result)
        return result

    def limits(round_index: int) -> None:
        if suite == "standalone" and options.limit_requests > 0 and not run.limit_error:
            say(f"round {round_index + 1}/{options.rounds} redis-benchmark")
            _run_limits(run, port, placement)

    title = "cluster round" if suite == "cluster" else "round"
    clients = options.suite_clients(suite)
    run_rounds(title, options.rounds, options.loops, clients, run_one, say, limits)


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
    placement = plan(options.placement or "shared")
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
    if _runs(options, "cache"):
        # The cache's hits never reach the server: its figure is the client's, measured with
        # the server's work (the other client's writes, invalidations, refreshes) on another
        # CPU, as a server on another host would do it (docs/decisions.md, Benchmarks).
        run_cache_suite(run, plan(options.placement or "split"), say)
    elif options.suite_workloads("cache"):
        say("cache suite skipped: none of the clients has a row in it")
    return run
