"""Command line: ``python -m bench [--quick] [--suite ...] [--rounds N] [--baseline-src DIR]``.

Rules: the Markdown report goes to stdout, progress to stderr, the JSON
document to ``--json`` (default ``bench/results/latest.json``, ignored by git).
SIGTERM is handled like Ctrl-C, so the harness's server is stopped either way.
Exit status: 0 after a report, 2 for bad options, 1 if the server cannot start,
130 when interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import sys
from pathlib import Path
from types import FrameType

from bench._placement import PLACEMENTS
from bench._report import summarize
from bench._runner import Options, run_benchmark
from bench._server import ServerError
from bench._spec import BASELINE, CLIENTS, LOOPS, SUITES, TELEMETRY, Workload

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def _names(text: str, allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown {what} {', '.join(unknown) or '(none)'}; choose from {', '.join(allowed)}"
        )
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark redis-oxide against its peers."
    )
    parser.add_argument(
        "--quick", action="store_true", help="CI-sized run (a few minutes per suite)"
    )
    parser.add_argument(
        "--suite",
        choices=(*SUITES, "all"),
        default="all",
        help="standalone: one redis-server; cluster: a six-node cluster (3 primaries, "
        "3 replicas) with the clients' cluster clients; cache: the client-side cache's "
        "hot-key workload, cached and uncached rows against a writer process; all: the "
        "three, one after the other (default)",
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds per client and loop (default 5; 3 with --quick)"
    )
    parser.add_argument("--duration", type=float, help="seconds per measurement (default 1)")
    parser.add_argument(
        "--loops",
        type=lambda t: _names(t, LOOPS, "loop"),
        help=f"comma-separated, from {','.join(LOOPS)} (default all)",
    )
    parser.add_argument(
        "--clients",
        type=lambda t: _names(t, (*CLIENTS, BASELINE, TELEMETRY), "client"),
        help=f"comma-separated, from {','.join(CLIENTS)} (default all), {BASELINE} and "
        f"{TELEMETRY} (redis-oxide with telemetry on, into the OpenTelemetry SDK)",
    )
    parser.add_argument(
        "--baseline-src",
        type=Path,
        metavar="DIR",
        help="also measure redis_oxide imported from DIR (another checkout's src), "
        f"as the row {BASELINE}",
    )
    workloads = tuple(w.value for w in Workload)
    parser.add_argument(
        "--workloads",
        type=lambda t: _names(t, workloads, "workload"),
        help=f"comma-separated, from {','.join(workloads)} (default: all of the suite)",
    )
    parser.add_argument(
        "--placement",
        choices=PLACEMENTS,
        help="shared: redis-server and clients on one CPU (the default of the standalone "
        "and cluster suites); split: redis-server alone on one CPU, clients on the others "
        "(the cache suite's default); free: not pinned",
    )
    parser.add_argument("--no-limits", action="store_true", help="skip redis-benchmark")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="JSON output path")
    return parser


def _clients(args: argparse.Namespace, default: tuple[str, ...]) -> tuple[str, ...]:
    clients: tuple[str, ...] = args.clients or default
    baseline: Path | None = args.baseline_src
    if baseline is None:
        if BASELINE in clients:
            raise ValueError(f"--clients {BASELINE} needs --baseline-src")
        return clients
    if not (baseline / "redis_oxide" / "__init__.py").is_file():
        raise ValueError(f"--baseline-src {baseline}: no redis_oxide package there")
    if BASELINE in clients:
        return clients
    # The baseline row sits next to the working tree's, or last when that is not measured.
    at = clients.index("redis-oxide") if "redis-oxide" in clients else len(clients)
    return (*clients[:at], BASELINE, *clients[at:])


def _workloads(args: argparse.Namespace, default: tuple[Workload, ...]) -> tuple[Workload, ...]:
    chosen = tuple(Workload(w) for w in args.workloads) if args.workloads else default
    suite: str = args.suite
    if suite == "all":
        return chosen
    kept = tuple(w for w in chosen if w.suite == suite)
    if not kept:
        raise ValueError(f"--workloads names no workload of the {suite} suite")
    return kept


def _options(args: argparse.Namespace) -> Options:
    base = Options.quick_defaults() if args.quick else Options()
    if args.rounds is not None and args.rounds < 1:
        raise ValueError("--rounds must be at least 1")
    return dataclasses.replace(
        base,
        rounds=base.rounds if args.rounds is None else args.rounds,
        duration=base.duration if args.duration is None else args.duration,
        loops=args.loops or base.loops,
        clients=_clients(args, base.clients),
        baseline_src=args.baseline_src.resolve() if args.baseline_src else None,
        placement=args.placement,
        workloads=_workloads(args, base.workloads),
        limit_requests=0 if args.no_limits else base.limit_requests,
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the report.

    Args:
        argv: Command-line arguments (default ``sys.argv[1:]``).

    Returns:
        The process exit status.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        options = _options(args)
    except ValueError as exc:
        parser.error(str(exc))
    # SIGINT too: a harness started in the background inherits SIGINT ignored.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        run = run_benchmark(options, progress=lambda line: print(line, file=sys.stderr))
    except KeyboardInterrupt:
        print("interrupted; server stopped", file=sys.stderr)
        return 130
    except ServerError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    summary = summarize(run)
    if summary.cache is not None:
        for failed in summary.cache.failures():
            print(
                f"bench: FAILED: {failed.row} on {failed.loop} returned {failed.stale} stale reads",
                file=sys.stderr,
            )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(summary.to_json(), indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(summary.markdown())
    print(f"JSON written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
