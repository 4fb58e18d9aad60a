"""The Markdown report: per-workload tables, the baseline comparison, the README tables.

Rules and invariants:
- Every workload table has, per loop, the headline figure, the client CPU
  µs per command and one ratio column per reference (redis-py with its
  default protocol, redis-py with RESP2, valkey-glide) that ran in the
  workload's suite; every client of the suite keeps its row, with the reason
  when it has no figure.
- When both redis-oxide rows ran (working tree and ``--baseline-src``), a
  section compares them: CPU µs per command of each, the change, and the
  throughput ratio, per workload and loop.
- The README sections are meant to be pasted, one per suite that ran: one
  row per workload, figures as "asyncio · uvloop", ratios to the primary
  reference (redis-py with RESP2 when it ran, else redis-py), plus
  redis-oxide's ratio to each other reference, and a table of client CPU per
  command for every client of the suite. The cluster table has no C limit
  column (redis-benchmark runs against the standalone server only).
- The cache suite's section (`bench._cache_markdown`) comes last but for the
  notes; its workload has none of the tables above.
- Nothing is computed here that `bench._report` does not keep in the JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bench._cache_markdown import cache_section
from bench._spec import BASELINE, TELEMETRY, Status, Workload, label

if TYPE_CHECKING:
    from bench._report import Cell, Summary

__all__ = ["render"]

_MAX_REASON = 70
_MISSING = "n/a"
_OXIDE_ROWS = ("redis-oxide", BASELINE)
_FIXED_COUNT = (Workload.CONCURRENT_GET, Workload.CLUSTER_CONCURRENT_GET)
_TABLE_SUITES = ("standalone", "cluster")
"""The suites whose workloads have the tables of this module (not the cache suite)."""
_Figure = Callable[["Cell"], str]


def render(summary: Summary) -> str:
    """Return the whole report.

    Args:
        summary: Medians and ratios of a run.

    Returns:
        Markdown text ending with a newline.
    """
    options = summary.run.options
    env = summary.run.environment
    server = f"redis-server {env['redis-server']}" if "redis-server" in env else "cluster only"
    gets = any(w in options.workloads for w in _FIXED_COUNT)
    lines = [
        "# redis-oxide benchmark",
        "",
        f"{server} · Python {env.get('python', '?')} · "
        f"{env.get('platform', '?')} · {env.get('cpus', '?')} CPUs · "
        f"{options.rounds} round{'s' if options.rounds != 1 else ''}, medians · "
        f"{options.duration:g} s per measurement"
        + (f" · {options.concurrent_ops:,} GETs for the 100-task workload" if gets else "")
        + (" · quick mode" if options.quick else ""),
    ]
    keys = ("placement", "cluster", "cluster placement", "redis-oxide source", "baseline source")
    for key in keys:
        if key in env:
            lines += ["", f"{key}: {env[key]}"]
    workloads = _workloads(summary)
    for workload in workloads:
        lines += ["", *_workload_table(summary, workload)]
    if workloads and all(c in options.clients for c in _OXIDE_ROWS):
        lines += ["", *_baseline_table(summary)]
    if workloads and all(c in options.clients for c in ("redis-oxide", TELEMETRY)):
        lines += ["", *_telemetry_table(summary)]
    for suite in _TABLE_SUITES:
        if summary.primary(suite) and options.suite_workloads(suite):
            lines += ["", *_readme_tables(summary, suite)]
    if summary.cache is not None:
        lines += ["", *cache_section(summary.cache, env.get("cache placement", ""))]
    lines += ["", *_footnotes(summary)]
    return "\n".join(lines) + "\n"


def _workloads(summary: Summary) -> list[Workload]:
    return [w for w in summary.run.options.workloads if w.suite in _TABLE_SUITES]


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _header(cells: list[str]) -> list[str]:
    return [_row(cells), "|---" + "|---:" * (len(cells) - 1) + "|"]


def _rate(cell: Cell) -> float | None:
    return cell.mb_per_second if cell.workload.reports_bandwidth else cell.ops_per_second


def _number(value: float | None, spec: str = ",.0f") -> str:
    return "" if value is None else format(value, spec)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _workload_table(summary: Summary, workload: Workload) -> list[str]:
    references = summary.suite_references(workload.suite)
    header = ["client"]
    for loop in summary.run.options.loops:
        header += [f"{loop} {workload.unit}", "CPU µs/op"]
        header += [f"vs {summary.name(r)}" for r in references]
    lines = [f"## {workload.title}", "", *_header(header)]
    for client in summary.run.options.suite_clients(workload.suite):
        row = [summary.row_name(client)]
        for loop in summary.run.options.loops:
            cell = summary.cell(loop, workload, client)
            if cell.status is not Status.OK:
                reason = cell.reason
                if len(reason) > _MAX_REASON:
                    reason = reason[:_MAX_REASON] + "…"
                row += [f"{cell.status.value}: {reason}".replace("|", "/"), ""]
                row += [""] * len(references)
                continue
            row += [_number(_rate(cell)), _number(cell.cpu_us_per_op, ".1f")]
            row += [_ratio(cell.ratios.get(r)) for r in references]
        lines.append(_row(row))
    limit = summary.limit(workload)
    if limit is not None:
        row = ["redis-benchmark (C, limit)"]
        for loop in summary.run.options.loops:
            row += [f"{limit:,.0f}", ""]
            for reference in references:
                rate = summary.cell(loop, workload, reference).ops_per_second
                row.append(_ratio(limit / rate) if rate else "")
        lines.append(_row(row))
    return lines


def _change(before: float | None, after: float | None) -> str:
    if not before or after is None:
        return ""
    return f"{100 * (after - before) / before:+.1f} %"


def _baseline_table(summary: Summary) -> list[str]:
    return _comparison(
        summary,
        (BASELINE, "redis-oxide"),
        ("baseline", "working tree"),
        [
            "## redis-oxide against its baseline",
            "",
            "Client CPU µs per command of redis-oxide imported from the baseline source and "
            "from the working tree, measured in the same run; the ops/s ratio is working tree "
            "over baseline.",
        ],
    )


def _telemetry_table(summary: Summary) -> list[str]:
    return _comparison(
        summary,
        ("redis-oxide", TELEMETRY),
        ("telemetry off", "on"),
        [
            "## redis-oxide with telemetry on",
            "",
            "Client CPU µs per command of the working tree with telemetry off (the default) and "
            "on, recording every span and metric into the OpenTelemetry SDK (spans dropped by "
            "the exporter); the ops/s ratio is on over off.",
        ],
    )


def _comparison(
    summary: Summary, rows: tuple[str, str], names: tuple[str, str], intro: list[str]
) -> list[str]:
    header = ["workload"]
    for loop in summary.run.options.loops:
        header += [f"{loop} CPU µs/op {names[0]}", names[1], "change", "ops/s ratio"]
    lines = [*intro, "", *_header(header)]
    for workload in _workloads(summary):
        row = [workload.title]
        for loop in summary.run.options.loops:
            before = summary.cell(loop, workload, rows[0])
            after = summary.cell(loop, workload, rows[1])
            rates = (before.ops_per_second, after.ops_per_second)
            row += [
                _number(before.cpu_us_per_op, ".1f"),
                _number(after.cpu_us_per_op, ".1f"),
                _change(before.cpu_us_per_op, after.cpu_us_per_op),
                _ratio(rates[1] / rates[0]) if rates[0] and rates[1] is not None else "",
            ]
        lines.append(_row(row))
    return lines


def _across(summary: Summary, workload: Workload, client: str, figure: _Figure) -> str:
    """One figure of a client's cell on every loop, as "asyncio · uvloop"."""
    loops = summary.run.options.loops
    return " · ".join(figure(summary.cell(loop, workload, client)) or _MISSING for loop in loops)


def _rate_text(cell: Cell) -> str:
    return _number(_rate(cell))


def _cpu_text(cell: Cell) -> str:
    return _number(cell.cpu_us_per_op, ".1f")


def _ratio_to(reference: str) -> _Figure:
    return lambda cell: _ratio(cell.ratios.get(reference))


def _limit_ratio(limit: float) -> _Figure:
    return lambda cell: _ratio(limit / rate) if (rate := cell.ops_per_second) else ""


def _readme_tables(summary: Summary, suite: str) -> list[str]:
    options = summary.run.options
    primary = summary.primary(suite)
    assert primary is not None
    clients = options.suite_clients(suite)
    workloads = options.suite_workloads(suite)
    others = [c for c in clients if c != primary]
    second = [r for r in summary.suite_references(suite) if r != primary]
    oxide = [c for c in _OXIDE_ROWS if c in clients]
    limits = suite == "standalone"
    loops = " · ".join(options.loops)
    header = [f"workload ({loops})", summary.row_name(primary)]
    header += [summary.row_name(c) for c in others]
    header += [f"{label(c)} vs {summary.name(r)}" for c in oxide for r in second]
    if limits:
        header.append("C limit")
    lines = [
        "## README table" + ("" if suite == "standalone" else f": {suite}"),
        "",
        f"Ratios to {summary.name(primary)} on the same loop; client CPU per command below.",
        "",
        *_header(header),
    ]
    for workload in workloads:
        row = [f"{workload.title}, {workload.unit}"]
        row.append(_across(summary, workload, primary, _rate_text))
        for client in others:
            text = _across(summary, workload, client, _ratio_to(primary))
            row.append(f"**{text}**" if client in oxide else text)
        row += [_across(summary, workload, c, _ratio_to(r)) for c in oxide for r in second]
        if limits:
            limit = summary.limit(workload)
            row.append(
                "" if limit is None else _across(summary, workload, primary, _limit_ratio(limit))
            )
        lines.append(_row(row))
    titles = [w.title for w in workloads]
    lines += ["", *_header([f"client CPU µs/op ({loops})", *titles])]
    for client in clients:
        row = [summary.row_name(client)]
        row += [_across(summary, w, client, _cpu_text) for w in workloads]
        lines.append(_row(row))
    return lines


def _footnotes(summary: Summary) -> list[str]:
    options = summary.run.options
    lines = ["Notes:", ""]
    if summary.protocols:
        spoken = ", ".join(
            f"{label(c)}: RESP{summary.protocols[c]}"
            for c in options.clients
            if c in summary.protocols
        )
        lines.append(f"- Protocol each client's connection speaks (CLIENT INFO `resp=`): {spoken}.")
    for client, source in summary.sources.items():
        lines.append(f"- {label(client)}: redis_oxide imported from {source}")
    for client, notes in summary.notes.items():
        lines += [f"- {label(client)}: {note}" for note in notes]
    left_out = [label(c) for c in options.clients if c not in options.suite_clients("cluster")]
    if options.suite_workloads("cluster"):
        lines.append(
            "- Cluster suite: SET/GET cycles through one key per primary, task i of the 100 GETs "
            "reads key i of 100 keys in 100 distinct slots, pipelines write 1,000 keys in 1,000 "
            "slots; every client reads from primaries only; no redis-benchmark limit."
            + (
                f" Not in its tables (no cluster adapter): {', '.join(left_out)}."
                if left_out
                else ""
            )
        )
    if summary.run.limit_error:
        lines.append(f"- redis-benchmark limits not measured: {summary.run.limit_error}")
    lines.append(
        "- CPU µs/op is the client process's CPU time (all threads) per command; "
        "the server's CPU is not included."
    )
    return lines
