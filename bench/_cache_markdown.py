"""The cache suite's section of the Markdown report.

Rules and invariants:
- The headline comes first: redis-oxide cached / uncached per loop, and whether the goal is
  met. A row with stale reads is announced right under it as FAILED, and again in its row.
- One table per loop, every row of the suite in it (with the reason when it has no figures):
  reads/s, client CPU µs per read, hit rate, stale reads of reads checked, write share, and
  redis-oxide cached's ratio to the row; then each cached row's ratio to the same library
  uncached, the invalid rounds with why, and the notes that qualify the figures.
- Nothing is computed here that `bench._cache_report` does not keep in the JSON.
"""

from __future__ import annotations

from bench._cache_report import (
    GOAL_HIT_RATE,
    GOAL_RATIO,
    HEADLINE,
    PAIRS,
    WRITE_SHARE,
    CacheRow,
    CacheSummary,
    row_name,
)
from bench._spec import CACHE_ROWS, Status, Workload, label

__all__ = ["cache_section"]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(cells: list[str]) -> list[str]:
    return [_row(cells), "|---" + "|---:" * (len(cells) - 1) + "|"]


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value:.1%}"


def _headline(summary: CacheSummary) -> list[str]:
    if not summary.has(*HEADLINE):
        return [
            "(redis-oxide cached / uncached needs the redis-oxide rows: `--clients redis-oxide`)"
        ]
    figures = " · ".join(
        f"{_ratio(summary.headline(loop)) or 'n/a'} on {loop}" for loop in summary.loops
    )
    verdicts = {True: "met", False: "**not met**", None: "not measured"}
    goal = ", ".join(f"{loop}: {verdicts[summary.goal_met(loop)]}" for loop in summary.loops)
    return [
        f"**redis-oxide cached / uncached: {figures}** (median over rounds of the ratio "
        "within each round).",
        "",
        f"Goal: cached reads at least {GOAL_RATIO:g}x the uncached client's, at "
        f"{GOAL_HIT_RATE:.0%} hit rate or more, with no stale read: {goal}.",
    ]


def _alarms(summary: CacheSummary) -> list[str]:
    return [
        f"**FAILED: {row_name(c.row, c.version)} on {c.loop} returned {c.stale:,} stale "
        f"reads (of {c.checked:,} checked): values older than a write that was acknowledged "
        "and whose invalidation had reached the client.**"
        for c in summary.failures()
    ]


def _stale_text(cell: CacheRow) -> str:
    text = f"{cell.stale:,} of {cell.checked:,}"
    return f"**FAILED: {text}**" if cell.failed else text


def _table(summary: CacheSummary, loop: str) -> list[str]:
    header = ["row", "reads/s", "CPU µs/read", "hit rate", "stale reads", "write share"]
    if summary.has(HEADLINE[0]):
        header.append("redis-oxide cached vs this")
    lines = [f"### {loop}", "", *_header(header)]
    for row in summary.rows:
        cell = summary.cells[(loop, row)]
        cells = [row_name(row, cell.version)]
        if cell.status is not Status.OK:
            reason = f"{cell.status.value}: {cell.reason}".replace("|", "/")
            lines.append(_row([*cells, reason, *[""] * (len(header) - 2)]))
            continue
        cells += [
            "" if (rate := cell.reads_per_second) is None else f"{rate:,.0f}",
            "" if (cpu := cell.cpu_us_per_read) is None else f"{cpu:.1f}",
            _percent(cell.hit_rate) or "no cache",
            _stale_text(cell),
            _percent(cell.write_share),
        ]
        if summary.has(HEADLINE[0]):
            cells.append(_ratio(summary.ratio(loop, HEADLINE[0], row)))
        lines.append(_row(cells))
    return lines


def _pairs(summary: CacheSummary) -> list[str]:
    pairs = [(c, u) for c, u in PAIRS.items() if summary.has(c, u)]
    if not pairs:
        return []
    text = "; ".join(
        f"{label(CACHE_ROWS[cached])} "
        + " · ".join(
            _ratio(summary.ratio(loop, cached, uncached)) or "n/a" for loop in summary.loops
        )
        for cached, uncached in pairs
    )
    return [f"Each library cached / uncached ({' · '.join(summary.loops)}): {text}.", ""]


def _invalid(summary: CacheSummary) -> list[str]:
    lines: list[str] = []
    for loop in summary.loops:
        for row in summary.rows:
            cell = summary.cells[(loop, row)]
            why = {r.round: r.invalid for r in cell.rounds if r.invalid} | cell.failures
            lines += [
                f"- {loop}, round {index + 1}, {row_name(row)}: {reason}"
                for index, reason in sorted(why.items())
            ]
    if not lines:
        return []
    return ["Rounds left out of the figures:", "", *lines, ""]


def _notes(summary: CacheSummary, placement: str) -> list[str]:
    low, high = WRITE_SHARE
    lines = [
        "Cache suite notes:",
        "",
        f"- {Workload.CACHE_HOT_KEYS.title}: each phase is a fresh worker process that reads "
        f"every key once, warms up, then reads for {summary.duration:g} s; its 100 tasks "
        "read random keys of 1,000 while one writer process, for the whole suite, writes "
        "one operation in ten (each write sets a key to its next version).",
        "- The rows of a round alternate against the same writer; figures are medians over "
        f"the valid rounds (write share within {low:.0%}-{high:.0%}), ratios medians over "
        "rounds of the ratio within a round.",
        "- Stale reads: every read is checked against the versions whose write was "
        "acknowledged and whose invalidation had reached the client (a barrier on the "
        "connection that receives the invalidations); warm-up reads are checked too. An "
        "uncached read goes to the server after every write acknowledged before it started: "
        "the peers' uncached rows make no barrier round trip, redis-oxide's makes the same "
        "as its cached row.",
        "- Hit rate: reads answered from the cache over every read that went through it; a "
        "read that waited for the same read in flight counts as a miss.",
        "- CPU µs/read: getrusage of the worker process (all threads) over the measured phase.",
    ]
    if placement:
        lines.append(f"- Placement: {placement}.")
    if summary.left_out:
        names = ", ".join(label(client) for client in summary.left_out)
        lines.append(f"- Not in this suite (peers run at their default settings): {names}.")
    for row, source in summary.sources.items():
        lines.append(f"- {row_name(row)}: redis_oxide imported from {source}")
    for row, notes in summary.notes.items():
        lines += [f"- {row_name(row)}: {note}" for note in notes]
    return lines


def cache_section(summary: CacheSummary, placement: str = "") -> list[str]:
    """The cache suite's section: headline, alarms, one table per loop, notes.

    Args:
        summary: The suite's figures.
        placement: Where server, readers and writer ran (one line), empty to leave out.

    Returns:
        Markdown lines, without a trailing blank line.
    """
    lines = [f"## {Workload.CACHE_HOT_KEYS.title}", "", *_headline(summary), ""]
    if alarms := _alarms(summary):
        lines += [*alarms, ""]
    for loop in summary.loops:
        lines += [*_table(summary, loop), ""]
    return [*lines, *_pairs(summary), *_invalid(summary), *_notes(summary, placement)]
