"""Which CPUs the server and the clients run on.

Rules and invariants:
- Where a client runs relative to the server decides what a round trip costs
  it. On the same CPU the server preempts the client when the command
  arrives and the reply is there before the client's next ``epoll_wait``: the
  client never sleeps. On another CPU the client sleeps and is woken for
  every reply. On a shared two-core VM the second case cost redis-oxide
  about 40 µs more client CPU per HGETALL (~50 against ~90 µs: the two values
  of its unstable figure) and redis-py about 70 µs more, with the same
  instruction count; an unpinned run mixes the two cases depending on where
  the scheduler happened to put each worker.
- ``shared`` (the default of the standalone and cluster suites; the cache suite
  runs ``split`` unless told otherwise, see ``bench._cache_runner``): redis-server,
  every worker and redis-benchmark
  on the first allowed CPU. It is the case the scheduler picks most of the
  time for these round-trip workloads, and the steadiest: over 8 rounds
  redis-oxide's HGETALL measured 42-48 µs per call pinned so, 76-107 µs with
  the server on the other CPU, and 42-94 µs unpinned across runs.
  ``split``: the server alone on the first CPU, clients on the others (as
  across a network: every reply wakes a sleeping client). ``free``: no
  pinning, the scheduler decides. With a single allowed CPU, ``split`` is
  ``shared``.
- Every client gets the same CPUs; nothing here depends on the client.
- The cluster suite's three primaries take the server's CPUs, so a client
  meets them where it meets the standalone server. Its three replicas do
  no work for the client (nobody reads from them) but apply every replicated
  write: with ``shared`` they run on the other allowed CPUs, as replicas on
  other hosts would, so that write workloads do not charge the measured
  CPU a replica's work per command; with ``split`` they stay with the
  primaries, leaving the clients' CPUs to the clients. On a single CPU
  everything shares it.
"""

from __future__ import annotations

import dataclasses
import os
import shutil

__all__ = ["PLACEMENTS", "Placement", "plan"]

PLACEMENTS = ("shared", "split", "free")


@dataclasses.dataclass(frozen=True)
class Placement:
    """CPU sets for the server and the clients; empty means not pinned.

    Attributes:
        name: One of `PLACEMENTS` (after the single-CPU fallback).
        server: CPUs of redis-server (and of the cluster's primaries).
        clients: CPUs of the workers and of redis-benchmark.
        replicas: CPUs of the cluster's replicas and of the cache suite's writer process.
    """

    name: str
    server: tuple[int, ...] = ()
    clients: tuple[int, ...] = ()
    replicas: tuple[int, ...] = ()

    def describe(self) -> str:
        """One line for the report."""
        if self.name == "free":
            return "free (not pinned; figures depend on where the scheduler puts each process)"
        return (
            f"{self.name}: redis-server on CPU {_cpus(self.server)}, "
            f"clients and redis-benchmark on CPU {_cpus(self.clients)}"
        )

    def describe_cluster(self) -> str:
        """One line for the cluster section of the report."""
        return self._pinned("primaries", "replicas", "clients")

    def describe_cache(self) -> str:
        """One line for the cache section of the report."""
        return self._pinned("redis-server", "writer process", "readers")

    def _pinned(self, server: str, replicas: str, clients: str) -> str:
        """Who runs where, naming what runs on the server's, replicas' and clients' CPUs."""
        if self.name == "free":
            return "free (nothing pinned)"
        return (
            f"{self.name}: {server} on CPU {_cpus(self.server)}, {replicas} on CPU "
            f"{_cpus(self.replicas)}, {clients} on CPU {_cpus(self.clients)}"
        )

    def prefix(self, cpus: tuple[int, ...]) -> list[str]:
        """A command prefix that runs a program on ``cpus`` (empty: as is)."""
        taskset = shutil.which("taskset")
        if not cpus or taskset is None:
            return []
        return [taskset, "--cpu-list", _cpus(cpus)]


def _cpus(cpus: tuple[int, ...]) -> str:
    return ",".join(map(str, cpus))


def plan(name: str) -> Placement:
    """Decide the CPU sets for a placement on this machine.

    Args:
        name: One of `PLACEMENTS`.

    Returns:
        The placement; pinned ones need ``taskset`` for the server and
        redis-benchmark (without it those two run unpinned, the workers still pin
        themselves).

    Raises:
        ValueError: Unknown name.
    """
    if name not in PLACEMENTS:
        raise ValueError(f"unknown placement {name!r}; choose from {', '.join(PLACEMENTS)}")
    if name == "free":
        return Placement(name)
    allowed = tuple(sorted(os.sched_getaffinity(0)))
    first, rest = allowed[:1], allowed[1:]
    if name == "shared" or not rest:
        return Placement("shared", first, first, rest or first)
    return Placement("split", first, rest, first)
