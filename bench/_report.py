"""From raw rounds to medians, ratios, a Markdown table and a JSON document.

Rules and invariants:
- A figure is the median over the rounds that produced a sample; the ratio
  is this client's median ops/s over redis-py's median ops/s on the same loop
  and workload (no ratio without a redis-py figure).
- MB/s counts 10^6 bytes of value per second (the 1 MiB value is 1,048,576
  bytes).
- A client that did not run still gets a row, saying why ("not installed:
  <reason>", "unavailable: <reason>", "failed: <reason>"): an absent row would
  read as "not benchmarked" and hide the cause.
- The JSON document holds every per-round sample, so figures can be
  recomputed; the Markdown table is for reading.
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from bench._limits import command_line
from bench._runner import BenchRun
from bench._spec import BIG_VALUE_SIZE, Sample, Status, Workload

__all__ = ["Cell", "Summary", "summarize"]

REFERENCE = "redis-py"
_MAX_REASON = 70


@dataclasses.dataclass(frozen=True)
class Cell:
    """One client on one loop for one workload.

    Attributes:
        loop: Event loop name.
        workload: The workload.
        client: Client name.
        status: OK when at least one round produced a sample.
        reason: Why there is no figure (status not OK).
        samples: One per round that produced one.
        ratio: ops/s relative to redis-py, when both have figures.
    """

    loop: str
    workload: Workload
    client: str
    status: Status
    reason: str
    samples: tuple[Sample, ...]
    ratio: float | None = None

    @property
    def ops_per_second(self) -> float | None:
        """Median throughput, None without samples."""
        if not self.samples:
            return None
        return statistics.median(s.ops_per_second for s in self.samples)

    @property
    def cpu_us_per_op(self) -> float | None:
        """Median client CPU per command, None without samples."""
        if not self.samples:
            return None
        return statistics.median(s.cpu_us_per_op for s in self.samples)

    @property
    def mb_per_second(self) -> float | None:
        """Value bandwidth of the 1 MiB GET workload, None elsewhere."""
        rate = self.ops_per_second
        if rate is None or not self.workload.reports_bandwidth:
            return None
        return rate * BIG_VALUE_SIZE / 1e6


@dataclasses.dataclass
class Summary:
    """Everything the report shows.

    Attributes:
        run: The raw run.
        cells: (loop, workload, client) to its cell.
        versions: Client to library version.
        notes: Client to remarks qualifying its figures.
    """

    run: BenchRun
    cells: dict[tuple[str, Workload, str], Cell]
    versions: dict[str, str]
    notes: dict[str, list[str]]

    def cell(self, loop: str, workload: Workload, client: str) -> Cell:
        """Look up one cell (every requested combination has one)."""
        return self.cells[(loop, workload, client)]

    def limit(self, workload: Workload) -> float | None:
        """Median redis-benchmark figure for a workload, if measured."""
        figures = self.run.limits.get(workload)
        return statistics.median(figures) if figures else None

    def to_json(self) -> dict[str, Any]:
        """The JSON document written by ``--json``."""
        options = self.run.options
        return {
            "environment": self.run.environment,
            "options": {
                "rounds": options.rounds,
                "loops": list(options.loops),
                "clients": list(options.clients),
                "workloads": [w.value for w in options.workloads],
                "duration_s": options.duration,
                "concurrent_ops": options.concurrent_ops,
                "limit_requests": options.limit_requests,
                "quick": options.quick,
            },
            "clients": {
                client: {"version": self.versions.get(client, ""), "notes": self.notes[client]}
                for client in options.clients
            },
            "results": [_cell_json(cell) for cell in self.cells.values()],
            "redis_benchmark": {
                "error": self.run.limit_error,
                "figures": {
                    workload.value: {
                        "ops_per_second": self.limit(workload),
                        "rounds": figures,
                        "command": command_line(workload, options.limit_requests),
                    }
                    for workload, figures in self.run.limits.items()
                },
            },
        }

    def markdown(self) -> str:
        """The human-readable report: one table per workload."""
        options = self.run.options
        env = self.run.environment
        lines = [
            "# redis-oxide benchmark",
            "",
            f"redis-server {env.get('redis-server', '?')} · Python {env.get('python', '?')} · "
            f"{env.get('platform', '?')} · {env.get('cpus', '?')} CPUs · "
            f"{options.rounds} rounds, medians · {options.duration:g} s per measurement · "
            f"{options.concurrent_ops:,} GETs for the 100-task workload"
            + (" · quick mode" if options.quick else ""),
        ]
        for workload in options.workloads:
            lines += ["", *self._workload_table(workload)]
        lines += ["", *self._footnotes()]
        return "\n".join(lines) + "\n"

    def _workload_table(self, workload: Workload) -> list[str]:
        unit = "MB/s" if workload.reports_bandwidth else "ops/s"
        header = ["client"]
        for loop in self.run.options.loops:
            header += [f"{loop} {unit}", "CPU µs/op", "vs redis-py"]
        lines = [
            f"## {workload.title}",
            "",
            "| " + " | ".join(header) + " |",
            "|---" + "|---:" * (len(header) - 1) + "|",
        ]
        for client in self.run.options.clients:
            row = [f"{client} {self.versions.get(client, '')}".strip()]
            for loop in self.run.options.loops:
                row += _cell_columns(self.cell(loop, workload, client))
            lines.append("| " + " | ".join(row) + " |")
        limit = self.limit(workload)
        if limit is not None:
            row = ["redis-benchmark (C, limit)"]
            for loop in self.run.options.loops:
                reference = self.cell(loop, workload, REFERENCE).ops_per_second
                ratio = f"{limit / reference:.2f}x" if reference else ""
                row += [f"{limit:,.0f}", "", ratio]
            lines.append("| " + " | ".join(row) + " |")
        return lines

    def _footnotes(self) -> list[str]:
        lines = ["Notes:", ""]
        for client, notes in self.notes.items():
            lines += [f"- {client}: {note}" for note in notes]
        if self.run.limit_error:
            lines.append(f"- redis-benchmark limits not measured: {self.run.limit_error}")
        lines.append(
            "- CPU µs/op is the client process's CPU time (all threads) per command; "
            "the server's CPU is not included."
        )
        return lines


def _fmt_rate(cell: Cell) -> str:
    value = cell.mb_per_second if cell.workload.reports_bandwidth else cell.ops_per_second
    return "" if value is None else f"{value:,.0f}"


def _cell_columns(cell: Cell) -> list[str]:
    if cell.status is not Status.OK:
        reason = cell.reason if len(cell.reason) <= _MAX_REASON else cell.reason[:_MAX_REASON] + "…"
        return [f"{cell.status.value}: {reason}".replace("|", "/"), "", ""]
    cpu = cell.cpu_us_per_op
    return [
        _fmt_rate(cell),
        "" if cpu is None else f"{cpu:.1f}",
        "" if cell.ratio is None else f"{cell.ratio:.2f}x",
    ]


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {
        "loop": cell.loop,
        "workload": cell.workload.value,
        "client": cell.client,
        "status": cell.status.value,
        "reason": cell.reason,
        "ops_per_second": cell.ops_per_second,
        "mb_per_second": cell.mb_per_second,
        "cpu_us_per_op": cell.cpu_us_per_op,
        "ratio_to_redis_py": cell.ratio,
        "samples": [dataclasses.asdict(s) for s in cell.samples],
    }


def _build_cell(run: BenchRun, loop: str, workload: Workload, client: str) -> Cell:
    results = run.results.get((loop, client), [])
    samples = tuple(r.samples[workload.value] for r in results if workload.value in r.samples)
    if samples:
        return Cell(loop, workload, client, Status.OK, "", samples)
    for result in results:
        if result.status is not Status.OK:
            return Cell(loop, workload, client, result.status, result.reason, ())
        if workload.value in result.errors:
            return Cell(loop, workload, client, Status.FAILED, result.errors[workload.value], ())
    return Cell(loop, workload, client, Status.FAILED, "no result", ())


def summarize(run: BenchRun) -> Summary:
    """Compute medians and ratios for every requested combination.

    Args:
        run: The raw results from `bench._runner.run_benchmark`.

    Returns:
        The summary, ready for `Summary.markdown` and `Summary.to_json`.
    """
    options = run.options
    cells: dict[tuple[str, Workload, str], Cell] = {}
    for loop in options.loops:
        for workload in options.workloads:
            built = {c: _build_cell(run, loop, workload, c) for c in options.clients}
            reference = built[REFERENCE].ops_per_second if REFERENCE in built else None
            for client, cell in built.items():
                rate = cell.ops_per_second
                if reference and rate is not None:
                    cell = dataclasses.replace(cell, ratio=rate / reference)
                cells[(loop, workload, client)] = cell
    versions: dict[str, str] = {}
    notes: dict[str, list[str]] = {client: [] for client in options.clients}
    for (loop, client), results in run.results.items():
        for result in results:
            versions[client] = versions.get(client) or result.version
            for note in result.notes:
                if note not in notes[client]:
                    notes[client].append(note)
            for name, error in result.errors.items():
                if name in result.samples:
                    continue
                text = f"{name} failed on {loop}: {error}"
                if text not in notes[client]:
                    notes[client].append(text)
    return Summary(run, cells, versions, notes)
