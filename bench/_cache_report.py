"""The cache suite's figures: valid rounds, medians, ratios and FAILED rows, for JSON and Markdown.

Rules and invariants:
- A round of a row is valid when the writer kept its share: writes over writes plus reads of
  the measured phase within `WRITE_SHARE`. An invalid round is left out of every median and
  ratio, and listed with why (so is a phase whose worker failed after earlier rounds ran).
- A row's figures are medians over its valid rounds on one loop: reads/s, client CPU µs per
  read, hit rate (hits over every read that went through the cache, None without one) and
  write share.
- A ratio is the median over rounds of the ratio within a round, on one loop: the rows of a
  round ran seconds apart against the same writer. The headline is redis-oxide cached over
  redis-oxide uncached (`HEADLINE`); every row also has redis-oxide cached's ratio to it, and
  every cached row its ratio to the same library uncached (`PAIRS`).
- Stale reads are summed over every round, valid or not: a row with one is FAILED, whatever
  its figures.
- A row that did not run keeps its row, saying why.
- The JSON document holds every round, so each figure can be recomputed.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench._spec import (
    BASELINE,
    CACHE_ROWS,
    CACHED_ROWS,
    CacheCounts,
    Sample,
    Status,
    label_parts,
)

if TYPE_CHECKING:
    from bench._runner import BenchRun

__all__ = [
    "GOAL_HIT_RATE",
    "GOAL_RATIO",
    "HEADLINE",
    "PAIRS",
    "WRITE_SHARE",
    "CacheRound",
    "CacheRow",
    "CacheSummary",
    "summarize_cache",
]

WRITE_SHARE = (0.08, 0.12)
"""Bounds of a valid round's write share."""
GOAL_RATIO = 5.0
GOAL_HIT_RATE = 0.8
"""The throughput goal: cached reads at least 5x the uncached client's, at 80 % hits."""
HEADLINE = ("redis-oxide-cached", "redis-oxide")
PAIRS = {
    "redis-oxide-cached": "redis-oxide",
    "redis-oxide-baseline-cached": BASELINE,
    "coredis-cached": "coredis",
}
"""Each cached row's uncached row of the same library."""


@dataclasses.dataclass(frozen=True)
class CacheRound:
    """One round of one row that produced figures."""

    round: int
    sample: Sample
    counts: CacheCounts

    @property
    def write_share(self) -> float:
        """Writes over writes plus reads, in the measured phase."""
        operations = self.counts.writes + self.sample.ops
        return self.counts.writes / operations if operations else 0.0

    @property
    def hit_rate(self) -> float | None:
        """Hits over reads through the cache, None without a cache."""
        hits, lookups = self.counts.hits, self.counts.lookups
        return hits / lookups if hits is not None and lookups else None

    @property
    def invalid(self) -> str:
        """Why the round is left out of the figures; empty when it is valid."""
        low, high = WRITE_SHARE
        if not low <= self.write_share <= high:
            return f"write share {self.write_share:.1%} outside {low:.0%}-{high:.0%}"
        return ""


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclasses.dataclass(frozen=True)
class CacheRow:
    """One row of the suite on one loop.

    Attributes:
        loop: Event loop name.
        row: The row, from `bench._spec.CACHE_ROWS`.
        status: OK when at least one round produced figures.
        reason: Why there are no figures (status not OK).
        rounds: The rounds that produced figures, valid or not.
        failures: Round index to the reason of a phase that failed after others ran.
        version: Version of the library.
    """

    loop: str
    row: str
    status: Status
    reason: str
    rounds: tuple[CacheRound, ...] = ()
    failures: dict[int, str] = dataclasses.field(default_factory=dict)
    version: str = ""

    @property
    def valid(self) -> tuple[CacheRound, ...]:
        """The rounds the figures come from."""
        return tuple(r for r in self.rounds if not r.invalid)

    def _median(self, figure: Callable[[CacheRound], float | None]) -> float | None:
        return _median([v for r in self.valid if (v := figure(r)) is not None])

    @property
    def reads_per_second(self) -> float | None:
        """Median reads/s over the valid rounds."""
        return self._median(lambda r: r.sample.ops_per_second)

    @property
    def cpu_us_per_read(self) -> float | None:
        """Median client CPU µs per read over the valid rounds."""
        return self._median(lambda r: r.sample.cpu_us_per_op)

    @property
    def hit_rate(self) -> float | None:
        """Median hit rate over the valid rounds, None without a cache."""
        return self._median(lambda r: r.hit_rate)

    @property
    def write_share(self) -> float | None:
        """Median write share over the valid rounds."""
        return self._median(lambda r: r.write_share)

    @property
    def stale(self) -> int:
        """Stale reads over every round."""
        return sum(r.counts.stale for r in self.rounds)

    @property
    def checked(self) -> int:
        """Reads checked over every round."""
        return sum(r.counts.checked for r in self.rounds)

    @property
    def failed(self) -> bool:
        """Whether the row read a stale value at least once."""
        return self.stale > 0


def row_name(row: str, version: str = "") -> str:
    """A row's heading: library, version, and baseline/cached/uncached."""
    name, qualifier = label_parts(row)
    if row not in CACHED_ROWS:
        qualifier = f"{qualifier}, uncached" if qualifier else "uncached"
    return f"{f'{name} {version}'.strip()} ({qualifier})"


@dataclasses.dataclass
class CacheSummary:
    """Everything the cache section shows.

    Attributes:
        loops: The loops, in report order.
        rows: The rows, in report order.
        cells: (loop, row) to its `CacheRow`.
        notes: Row to remarks qualifying its figures (how its reads are checked).
        sources: redis-oxide row to the directory ``redis_oxide`` was imported from.
        duration: Seconds of each measured phase.
        left_out: Selected clients with no row in the suite.
    """

    loops: tuple[str, ...]
    rows: tuple[str, ...]
    cells: dict[tuple[str, str], CacheRow]
    notes: dict[str, list[str]]
    sources: dict[str, str]
    duration: float
    left_out: tuple[str, ...] = ()

    def ratio(self, loop: str, numerator: str, denominator: str) -> float | None:
        """Median over rounds of numerator's reads/s over denominator's, on one loop."""
        top = {r.round: r for r in self.cells[(loop, numerator)].valid}
        bottom = {r.round: r for r in self.cells[(loop, denominator)].valid}
        ratios = [
            top[i].sample.ops_per_second / bottom[i].sample.ops_per_second
            for i in sorted(top.keys() & bottom.keys())
        ]
        return _median(ratios)

    def has(self, *rows: str) -> bool:
        """Whether all of ``rows`` are rows of the suite."""
        return all(row in self.rows for row in rows)

    def headline(self, loop: str) -> float | None:
        """redis-oxide cached / uncached on a loop, None without both rows' figures."""
        return self.ratio(loop, *HEADLINE) if self.has(*HEADLINE) else None

    def goal_met(self, loop: str) -> bool | None:
        """Whether the throughput goal is met on a loop; None without the figures."""
        ratio = self.headline(loop)
        if ratio is None:
            return None
        cached, uncached = (self.cells[(loop, row)] for row in HEADLINE)
        if cached.hit_rate is None:
            return None
        fresh = not cached.failed and not uncached.failed
        return ratio >= GOAL_RATIO and cached.hit_rate >= GOAL_HIT_RATE and fresh

    def failures(self) -> list[CacheRow]:
        """Rows that read a stale value, in report order."""
        return [
            self.cells[(loop, row)]
            for loop in self.loops
            for row in self.rows
            if self.cells[(loop, row)].failed
        ]

    def to_json(self) -> dict[str, Any]:
        """The ``cache`` part of the JSON document."""
        return {
            "ratio_cached_to_uncached": {loop: self.headline(loop) for loop in self.loops},
            "goal": {
                "ratio": GOAL_RATIO,
                "hit_rate": GOAL_HIT_RATE,
                "stale_reads": 0,
                "met": {loop: self.goal_met(loop) for loop in self.loops},
            },
            "write_share_bounds": list(WRITE_SHARE),
            "duration_s": self.duration,
            "failed": [
                {"loop": c.loop, "row": c.row, "stale_reads": c.stale} for c in self.failures()
            ],
            "rows": [
                self._row_json(self.cells[(loop, row)]) for loop in self.loops for row in self.rows
            ],
        }

    def _row_json(self, cell: CacheRow) -> dict[str, Any]:
        pair = PAIRS.get(cell.row)
        return {
            "loop": cell.loop,
            "row": cell.row,
            "label": row_name(cell.row),
            "client": CACHE_ROWS[cell.row],
            "cached": cell.row in CACHED_ROWS,
            "version": cell.version,
            "source": self.sources.get(cell.row),
            "notes": self.notes.get(cell.row, []),
            "status": cell.status.value,
            "reason": cell.reason,
            "failed": cell.failed,
            "stale_reads": cell.stale,
            "reads_checked": cell.checked,
            "reads_per_second": cell.reads_per_second,
            "cpu_us_per_read": cell.cpu_us_per_read,
            "hit_rate": cell.hit_rate,
            "write_share": cell.write_share,
            "ratio_of_redis_oxide_cached": (
                self.ratio(cell.loop, HEADLINE[0], cell.row) if self.has(HEADLINE[0]) else None
            ),
            "ratio_to_uncached": (
                self.ratio(cell.loop, cell.row, pair) if pair and self.has(pair) else None
            ),
            "rounds": [
                {
                    "round": r.round,
                    "valid": not r.invalid,
                    "invalid": r.invalid,
                    **dataclasses.asdict(r.sample),
                    **dataclasses.asdict(r.counts),
                    "reads_per_second": r.sample.ops_per_second,
                    "cpu_us_per_read": r.sample.cpu_us_per_op,
                    "hit_rate": r.hit_rate,
                    "write_share": r.write_share,
                }
                for r in cell.rounds
            ],
            "failures": {str(i): reason for i, reason in cell.failures.items()},
        }


def _build_row(run: BenchRun, loop: str, row: str) -> CacheRow:
    phases = [p for p in run.cache_phases if p.loop == loop and p.row == row]
    rounds: list[CacheRound] = []
    failures: dict[int, str] = {}
    for phase in phases:
        result = phase.result
        sample = next(iter(result.samples.values()), None)
        if result.status is Status.OK and sample is not None and result.cache is not None:
            rounds.append(CacheRound(phase.round, sample, result.cache))
        else:
            failures[phase.round] = f"{result.status.value}: {result.reason}"
    version = next((p.result.version for p in phases if p.result.version), "")
    if rounds:
        return CacheRow(loop, row, Status.OK, "", tuple(rounds), failures, version)
    for phase in phases:
        if phase.result.status is not Status.OK:
            status, reason = phase.result.status, phase.result.reason
            return CacheRow(loop, row, status, reason, version=version)
    return CacheRow(loop, row, Status.FAILED, "no result", version=version)


def summarize_cache(run: BenchRun) -> CacheSummary | None:
    """The cache suite's summary, None when the suite was not selected.

    Args:
        run: The raw results; the suite's phases are in ``run.cache_phases``.

    Returns:
        Medians, ratios and FAILED rows of every (loop, row) of the suite.
    """
    options = run.options
    rows = options.suite_clients("cache")
    if not rows or not options.suite_workloads("cache"):
        return None
    cells = {(loop, row): _build_row(run, loop, row) for loop in options.loops for row in rows}
    notes: dict[str, list[str]] = {row: [] for row in rows}
    sources: dict[str, str] = {}
    for phase in run.cache_phases:
        for note in phase.result.notes:
            if note not in notes[phase.row]:
                notes[phase.row].append(note)
        if phase.result.source:
            sources.setdefault(phase.row, phase.result.source)
    left_out = tuple(c for c in options.clients if c not in CACHE_ROWS.values())
    return CacheSummary(options.loops, rows, cells, notes, sources, options.duration, left_out)
