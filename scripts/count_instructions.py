"""Count the client's user-space instructions per command with callgrind (N and N + K method).

Each measurement runs the same workload twice under ``valgrind --tool=callgrind``, with N and
N + K operations, and divides the difference of the two totals by K: start-up, imports,
connecting and the warm-up cancel out, and what is left is the cost of one operation,
deterministic to well under 1 % (docs/performance.md). The server runs outside valgrind.

    .venv/bin/python scripts/count_instructions.py --src src --src /work/baseline/src \\
        --workload get --workload pipeline_set --telemetry off --telemetry sdk

``--telemetry``: ``off`` (the default client), ``api`` (telemetry on with the OpenTelemetry
API's no-op providers), ``sdk`` (the SDK's tracer and meter providers, spans going through
a simple processor to an exporter that drops them, metrics to an in-memory reader nobody
reads), ``sdk-metrics`` (the same with ``traces=False``), ``sdk-traces`` (``metrics=False``),
``sdk-sampled`` (traces sampled at 1 % by ``ParentBased(TraceIdRatioBased(0.01))``). A tree
whose ``Redis`` has no ``telemetry`` option only runs ``off``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

WORKLOADS = ("get", "pipeline_set")
MODES = ("off", "api", "sdk", "sdk-metrics", "sdk-traces", "sdk-sampled")
PIPELINE = 1000


async def _workload(port: int, workload: str, count: int, telemetry: str) -> None:
    import redis_oxide

    options: dict[str, object] = {}
    if telemetry != "off":
        options["telemetry"] = _telemetry(telemetry)
    client = redis_oxide.Redis("127.0.0.1", port, **options)  # type: ignore[arg-type]
    value = b"v" * 100
    await client.set(b"key", value)
    if workload == "get":
        for _ in range(200):
            await client.get(b"key")
        for _ in range(count):
            await client.get(b"key")
    else:
        keys = [b"key:%d" % i for i in range(PIPELINE)]
        for _ in range(2 + count // PIPELINE):
            async with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(key, value)
    await client.aclose()


def _telemetry(mode: str) -> object:
    import redis_oxide

    if mode == "api":
        from opentelemetry.metrics import NoOpMeterProvider
        from opentelemetry.trace import NoOpTracerProvider

        return redis_oxide.Telemetry(
            tracer_provider=NoOpTracerProvider(), meter_provider=NoOpMeterProvider()
        )
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    class _Dropping(SpanExporter):
        def export(self, spans: object) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    sampler = ParentBased(TraceIdRatioBased(0.01)) if mode == "sdk-sampled" else None
    tracer = TracerProvider(sampler=sampler) if sampler else TracerProvider()
    tracer.add_span_processor(SimpleSpanProcessor(_Dropping()))
    meter = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return redis_oxide.Telemetry(
        tracer_provider=tracer,
        meter_provider=meter,
        traces=mode != "sdk-metrics",
        metrics=mode != "sdk-traces",
    )


def _inner(args: argparse.Namespace) -> None:
    asyncio.run(_workload(args.port, args.workload, args.count, args.telemetry))


def _measure(src: Path, port: int, workload: str, count: int, telemetry: str) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0"}
        env.pop("PYTHONASYNCIODEBUG", None)
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--inner",
                "--port",
                str(port),
                "--workload",
                workload,
                "--count",
                str(count),
                "--telemetry",
                telemetry,
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        match = re.search(r"^summary:\s+(\d+)", out.read_text(), re.MULTILINE)
        if match is None:
            raise RuntimeError("no summary line in the callgrind output")
        return int(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", action="append", type=Path, default=[])
    parser.add_argument("--workload", action="append", choices=WORKLOADS, default=[])
    parser.add_argument("--telemetry", action="append", choices=MODES, default=[])
    parser.add_argument("--n", type=int, default=2000, help="operations of the short run")
    parser.add_argument("--k", type=int, default=4000, help="extra operations of the long run")
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inner:
        args.workload = args.workload[0]
        args.telemetry = args.telemetry[0]
        _inner(args)
        return
    from redis_oxide.testing import start_stack_server

    with start_stack_server() as server:
        for src in args.src or [Path("src")]:
            for workload in args.workload or list(WORKLOADS):
                for mode in args.telemetry or ["off"]:
                    short = _measure(src.resolve(), server.port, workload, args.n, mode)
                    long = _measure(src.resolve(), server.port, workload, args.n + args.k, mode)
                    per_op = (long - short) / args.k
                    print(f"{src}\t{workload}\t{mode}\t{per_op:,.0f} instructions/op", flush=True)


if __name__ == "__main__":
    main()
