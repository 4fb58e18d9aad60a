"""Worker processes: one fresh Python process per job, and the order the rounds run them in.

Rules and invariants:
- The workers get the harness environment minus asyncio debug switches
  (``PYTHONASYNCIODEBUG``, ``PYTHONDEVMODE``), which slow pure-Python
  clients far more than the others and would skew every ratio.
- A redis-oxide worker gets its source tree first on ``PYTHONPATH`` (`Job.source`);
  the repository root follows, for ``bench`` itself.
- A worker is bounded by a subprocess timeout; a crash or a timeout becomes a
  FAILED result of the job's suite, never an exception.
- Every round runs every (loop, client) pair once (`run_rounds`), each in a fresh
  worker process; each round starts the clients one later than the round before
  (`rotated`), so no client is always first after an idle pause or always last on
  a warm machine.
- A client whose worker reports anything but OK (not installed, unavailable,
  failed) keeps that result and is not started again on that loop; the other
  clients go on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bench._spec import Job, Status, WorkerResult

__all__ = ["ROOT", "SOURCE", "rotated", "run_rounds", "run_worker", "worker_env"]

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src"
"""The working tree's source, where the ``redis-oxide`` row imports redis_oxide from."""
_SCRUBBED_ENV = ("PYTHONASYNCIODEBUG", "PYTHONDEVMODE")


def worker_env(source: str) -> dict[str, str]:
    """The environment of a process of the harness that imports redis_oxide from ``source``."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    path = (source, str(ROOT), env.get("PYTHONPATH", ""))
    env["PYTHONPATH"] = os.pathsep.join(p for p in path if p)
    return env


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
    failed = WorkerResult(client=job.client, loop=job.loop, status=Status.FAILED, suite=job.suite)
    try:
        done = subprocess.run(
            argv,
            cwd=ROOT,
            env=worker_env(job.source),
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


def rotated(items: tuple[str, ...], by: int) -> list[str]:
    """``items`` rotated left by ``by``: round ``by`` starts with its ``by``-th client."""
    shift = by % len(items) if items else 0
    return [*items[shift:], *items[:shift]]


def run_rounds(
    title: str,
    rounds: int,
    loops: tuple[str, ...],
    clients: tuple[str, ...],
    run_one: Callable[[int, str, str], WorkerResult],
    say: Callable[[str], None],
    after_round: Callable[[int], None] = lambda _round: None,
) -> None:
    """Run every round: each loop, each client not stopped, in the round's rotated order.

    Args:
        title: What the progress lines start with ("round", "cluster round" ...).
        rounds: How many rounds.
        loops: The loops, in order.
        clients: The clients (or cache rows), in first-round order.
        run_one: Runs one client on one loop in one round (round index first) and
            returns its worker's result.
        say: Called with one progress line per step.
        after_round: Called with the round index after each round.
    """
    stopped: set[tuple[str, str]] = set()
    for round_index in range(rounds):
        for loop in loops:
            for client in rotated(clients, round_index):
                if (loop, client) in stopped:
                    continue
                say(f"{title} {round_index + 1}/{rounds} {loop:<7} {client}")
                result = run_one(round_index, loop, client)
                if result.status is not Status.OK:
                    say(f"  {client} on {loop}: {result.status.value}: {result.reason}")
                    stopped.add((loop, client))
        after_round(round_index)
