"""The cache suite: one redis-server, one writer process, rounds of alternating phases.

Rules and invariants:
- The suite has a redis-server of its own, holding the 1,000 hot keys at version 0, and one
  writer process (`bench._cache_writer`) for all its rounds. The writer's pace follows the
  reads of whichever row is measuring, so every phase meets one write in ten operations.
- A round runs, on each loop, one phase per row (`bench._spec.CACHE_ROWS`), each in a fresh
  worker (`bench._cache_worker`), the rows rotated by one each round: the rows of a round
  alternate against the same writer within seconds of each other, so the drift of a shared
  machine falls on all of them alike.
- A row whose worker reports anything but OK is not started again on that loop.
- Placement is ``split`` unless ``--placement`` says otherwise: a hit never reaches the
  server, so the figure is the client's, measured with the server's work (the writer's
  writes, the invalidations, the refreshes) on another CPU, as a server on another host
  would do it; ``shared`` would charge that work to the reader's CPU.
- The writer runs where `bench._placement` puts the cluster's replicas (off the measured
  client's CPU). It is stopped on every exit path (its stop cell, then SIGKILL) and, where
  ``setpriv`` exists, dies with the harness; if it ends while the suite runs, the suite
  stops with `ServerError` (without writes, no phase would measure the workload).
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench import _cache_writer
from bench._cache_workload import HOT_KEYS, READY, STOP, create_cells, mapped_cells
from bench._placement import Placement
from bench._process import ROOT, SOURCE, run_rounds, run_worker, worker_env
from bench._server import HOST, BenchServer, Owned, ServerError
from bench._spec import WorkerResult

if TYPE_CHECKING:
    from bench._runner import BenchRun

__all__ = ["CachePhase", "HotKeyWriter", "run_cache_suite"]

_READY_TIMEOUT = 20.0
_STOP_TIMEOUT = 10.0


@dataclasses.dataclass(frozen=True)
class CachePhase:
    """One row's phase of one round on one loop.

    Attributes:
        round: Round index, from 0.
        loop: Event loop name.
        row: The row, from `bench._spec.CACHE_ROWS`.
        result: What its worker reported (`WorkerResult.cache` holds the counts).
    """

    round: int
    loop: str
    row: str
    result: WorkerResult


class HotKeyWriter(Owned):
    """The writer process of the hot-key workload, on a cells file of its own.

    Args:
        cells: Where to create the shared cells file.
        port: The server's port (on `bench._server.HOST`).
        prefix: A command the writer runs under (``taskset ...``), empty for none.
    """

    def __init__(self, cells: Path, port: int, prefix: Sequence[str] = ()) -> None:
        self.cells = cells
        self.port = port
        self.prefix = list(prefix)
        self._log = cells.with_suffix(".log")
        self._process: subprocess.Popen[bytes] | None = None
        self._stack = contextlib.ExitStack()
        self._shared: memoryview | None = None

    def start(self) -> None:
        """Start the writer and wait until it is connected.

        Raises:
            ServerError: It exited, or was not connected within 20 seconds.
        """
        create_cells(self.cells)
        self._shared = self._stack.enter_context(mapped_cells(self.cells))
        command = _cache_writer.command(self.cells, HOST, self.port)
        setpriv = shutil.which("setpriv")
        if setpriv is not None:
            command = [setpriv, "--pdeathsig", "KILL", "--", *command]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(
                [*self.prefix, *command],
                cwd=ROOT,
                env=worker_env(str(SOURCE)),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        deadline = time.monotonic() + _READY_TIMEOUT
        while not self._shared[READY]:
            self.check()
            if time.monotonic() > deadline:
                raise ServerError("the cache suite's writer process did not connect")
            time.sleep(0.01)

    def check(self) -> None:
        """Raise `ServerError` if the writer is no longer running."""
        process = self._process
        if process is None or process.poll() is not None:
            code = None if process is None else process.returncode
            raise ServerError(f"the cache suite's writer process exited ({code}): {self._tail()}")

    def _tail(self) -> str:
        lines = self._log.read_text(errors="replace").splitlines() if self._log.exists() else []
        return lines[-1] if lines else "no output"

    def stop(self) -> None:
        """Tell the writer to stop; kill it if it has not within 10 seconds."""
        process, self._process = self._process, None
        if self._shared is not None:
            self._shared[STOP] = 1
        if process is not None:
            try:
                process.wait(_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._shared = None
        self._stack.close()


def _seed(server: BenchServer) -> None:
    versions: list[bytes] = []
    for key in HOT_KEYS:
        versions += [key, b"0"]
    server.pipeline((b"FLUSHALL",), (b"MSET", *versions))


def _run_rounds(
    run: BenchRun,
    server: BenchServer,
    writer: HotKeyWriter,
    placement: Placement,
    say: Callable[[str], None],
) -> None:
    options = run.options

    def run_one(round_index: int, loop: str, row: str) -> WorkerResult:
        job = options.job("cache", row, loop, server.port, placement.clients, str(writer.cells))
        result = run_worker(job, server.scratch, f"cache-{round_index}-{loop}-{row}")
        writer.check()
        run.cache_phases.append(CachePhase(round_index, loop, row, result))
        return result

    rows = options.suite_clients("cache")
    run_rounds("cache round", options.rounds, options.loops, rows, run_one, say)


def run_cache_suite(run: BenchRun, placement: Placement, say: Callable[[str], None]) -> None:
    """Start the suite's server and writer, run every round, stop them.

    Args:
        run: The run so far; its options say what to run, its ``cache_phases`` receive
            every phase.
        placement: Where the server, the readers and the writer run.
        say: Called with one line per step.

    Raises:
        bench._server.ServerError: The server or the writer could not be started, or the
            writer ended.
    """
    with BenchServer(run.options.server, placement.prefix(placement.server)) as server:
        _seed(server)
        version = server.info("redis_version")
        run.environment.setdefault("redis-server", version)
        run.environment["cache placement"] = placement.describe_cache()
        say(f"cache suite: redis-server {version} on {HOST}:{server.port}")
        cells = server.scratch / "cells"
        with HotKeyWriter(cells, server.port, placement.prefix(placement.replicas)) as writer:
            _run_rounds(run, server, writer, placement, say)
