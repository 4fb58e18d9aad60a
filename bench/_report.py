"""From raw rounds to medians, ratios and a JSON document (`bench._markdown` renders them).

Rules and invariants:
- A figure is the median over the rounds that produced a sample; a ratio is
  this client's median ops/s over a reference's median ops/s on the same loop
  and workload (no ratio without the reference's figure).
- There are three references, redis-py with its default protocol (RESP3 since
  redis-py 8), redis-py with ``protocol=2`` (its fastest setting, which
  the goals are stated against) and valkey-glide (the fastest peer, which
  some goals name); every cell carries its ratio to each reference that ran
  in its suite.
- A cell exists for every (loop, workload, client) of a suite's clients: the
  cluster suite's tables have only the clients with a cluster client, and its
  cells are built from the cluster workers' results only.
- Client CPU per command (``time.process_time()`` of the worker over the
  measured section, divided by the commands done) is a median like the
  throughput, and is kept per sample in the JSON.
- MB/s counts 10^6 bytes of value per second (the 1 MiB value is 1,048,576
  bytes).
- A client that did not run still gets a row, saying why ("not installed:
  <reason>", "unavailable: <reason>", "failed: <reason>"): an absent row would
  read as "not benchmarked" and hide the cause.
- The JSON document holds every per-round sample, so figures can be
  recomputed; the Markdown is for reading.
- The cache suite has figures of its own (hit rate, stale reads, write share)
  and is summarised by `bench._cache_report`, under ``cache`` in the JSON;
  its workload has no cell here.
"""

from __future__ import annotations

import dataclasses
import statistics
from typing import Any

from bench._cache_report import CacheSummary, summarize_cache
from bench._limits import command_line
from bench._markdown import render
from bench._runner import BenchRun
from bench._spec import BIG_VALUE_SIZE, Sample, Status, Workload, label, label_parts

__all__ = ["REFERENCE", "REFERENCES", "Cell", "Summary", "summarize"]

REFERENCE = "redis-py"
REFERENCES = (REFERENCE, "redis-py-resp2", "valkey-glide")
"""The clients ratios are taken against, in column order."""
PRIMARY_REFERENCES = ("redis-py-resp2", REFERENCE, "valkey-glide")
"""The README tables' reference: the first of these that ran."""


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
        ratios: Reference client to this cell's ops/s relative to it, for each reference
            with a figure.
    """

    loop: str
    workload: Workload
    client: str
    status: Status
    reason: str
    samples: tuple[Sample, ...]
    ratios: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """ops/s relative to redis-py with its default protocol, None without figures."""
        return self.ratios.get(REFERENCE)

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
        protocols: Client to the RESP version the server reported for it.
        sources: redis-oxide row to the directory ``redis_oxide`` was imported from.
        cache: The cache suite's figures, None when it was not selected.
    """

    run: BenchRun
    cells: dict[tuple[str, Workload, str], Cell]
    versions: dict[str, str]
    notes: dict[str, list[str]]
    protocols: dict[str, int] = dataclasses.field(default_factory=dict)
    sources: dict[str, str] = dataclasses.field(default_factory=dict)
    cache: CacheSummary | None = None

    def cell(self, loop: str, workload: Workload, client: str) -> Cell:
        """Look up one cell (every requested combination has one)."""
        return self.cells[(loop, workload, client)]

    def limit(self, workload: Workload) -> float | None:
        """Median redis-benchmark figure for a workload, if measured."""
        figures = self.run.limits.get(workload)
        return statistics.median(figures) if figures else None

    @property
    def references(self) -> tuple[str, ...]:
        """The reference clients of this run, in column order."""
        return tuple(r for r in REFERENCES if r in self.run.options.clients)

    def suite_references(self, suite: str) -> tuple[str, ...]:
        """The reference clients that ran in a suite, in column order."""
        clients = self.run.options.suite_clients(suite)
        return tuple(r for r in REFERENCES if r in clients)

    def primary(self, suite: str) -> str | None:
        """The README tables' reference for a suite (redis-py with RESP2 when it ran)."""
        references = self.suite_references(suite)
        return next((r for r in PRIMARY_REFERENCES if r in references), None)

    def name(self, client: str) -> str:
        """A client's short name; redis-py's default row says which protocol it spoke."""
        if client == REFERENCE and client in self.protocols:
            return f"{client} (RESP{self.protocols[client]})"
        return label(client)

    def row_name(self, client: str) -> str:
        """A client's row heading: library, version and what sets the row apart."""
        name, qualifier = label_parts(client)
        if not qualifier and client == REFERENCE and client in self.protocols:
            qualifier = f"RESP{self.protocols[client]}, its default"
        text = f"{name} {self.versions.get(client, '')}".strip()
        return f"{text} ({qualifier})" if qualifier else text

    def markdown(self) -> str:
        """The human-readable report (see `bench._markdown`)."""
        return render(self)

    def to_json(self) -> dict[str, Any]:
        """The JSON document written by ``--json``."""
        options = self.run.options
        document: dict[str, Any] = {
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
                "baseline_src": str(options.baseline_src) if options.baseline_src else None,
            },
            "references": list(self.references),
            "clients": {
                client: {
                    "label": label(client),
                    "version": self.versions.get(client, ""),
                    "protocol": self.protocols.get(client),
                    "source": self.sources.get(client),
                    "notes": self.notes[client],
                }
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
        if self.cache is not None:
            document["cache"] = self.cache.to_json()
        return document


def _cell_json(cell: Cell) -> dict[str, Any]:
    return {
        "loop": cell.loop,
        "workload": cell.workload.value,
        "suite": cell.workload.suite,
        "client": cell.client,
        "status": cell.status.value,
        "reason": cell.reason,
        "ops_per_second": cell.ops_per_second,
        "mb_per_second": cell.mb_per_second,
        "cpu_us_per_op": cell.cpu_us_per_op,
        "ratio_to_redis_py": cell.ratios.get("redis-py"),
        "ratio_to_redis_py_resp2": cell.ratios.get("redis-py-resp2"),
        "ratio_to_valkey_glide": cell.ratios.get("valkey-glide"),
        "samples": [
            {
                **dataclasses.asdict(s),
                "ops_per_second": s.ops_per_second,
                "cpu_us_per_op": s.cpu_us_per_op,
                "sleeps_per_op": s.sleeps / s.ops,
            }
            for s in cell.samples
        ],
    }


def _build_cell(run: BenchRun, loop: str, workload: Workload, client: str) -> Cell:
    suite = workload.suite
    results = [r for r in run.results.get((loop, client), []) if r.suite == suite]
    samples = tuple(r.samples[workload.value] for r in results if workload.value in r.samples)
    if samples:
        return Cell(loop, workload, client, Status.OK, "", samples)
    for result in results:
        if result.status is not Status.OK:
            return Cell(loop, workload, client, result.status, result.reason, ())
        if workload.value in result.errors:
            return Cell(loop, workload, client, Status.FAILED, result.errors[workload.value], ())
    return Cell(loop, workload, client, Status.FAILED, "no result", ())


def _with_ratios(built: dict[str, Cell]) -> dict[str, Cell]:
    rates = {r: built[r].ops_per_second for r in REFERENCES if r in built}
    done: dict[str, Cell] = {}
    for client, cell in built.items():
        rate = cell.ops_per_second
        ratios = {r: rate / ref for r, ref in rates.items() if ref and rate is not None}
        done[client] = dataclasses.replace(cell, ratios=ratios)
    return done


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
            if workload.suite == "cache":
                continue
            clients = options.suite_clients(workload.suite)
            built = {c: _build_cell(run, loop, workload, c) for c in clients}
            for client, cell in _with_ratios(built).items():
                cells[(loop, workload, client)] = cell
    summary = Summary(run, cells, {}, {client: [] for client in options.clients})
    summary.cache = summarize_cache(run)
    for (loop, client), results in run.results.items():
        for result in results:
            summary.versions[client] = summary.versions.get(client) or result.version
            if result.protocol is not None:
                summary.protocols.setdefault(client, result.protocol)
            if result.source:
                summary.sources.setdefault(client, result.source)
            notes = summary.notes[client]
            for note in result.notes:
                if note not in notes:
                    notes.append(note)
            for name, error in result.errors.items():
                if name in result.samples:
                    continue
                text = f"{name} failed on {loop}: {error}"
                if text not in notes:
                    notes.append(text)
    return summary
