"""The harness's own promises: missing clients are reported, and the server never outlives it."""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

import pytest
from _bench_support import harness, interrupt, progress, refused

from bench._adapters import ClientUnavailable, _import
from bench._report import summarize
from bench._runner import BenchRun, Options
from bench._spec import Sample, Status, WorkerResult, suite_workloads

pytestmark = pytest.mark.bench


def test_a_missing_library_is_reported_as_not_installed() -> None:
    with pytest.raises(ClientUnavailable) as caught:
        _import("redis_oxide_bench_absent_module", "absent-dist")
    assert caught.value.status is Status.NOT_INSTALLED
    assert "absent-dist" in caught.value.reason
    assert "redis_oxide_bench_absent_module" in caught.value.reason


def test_a_client_that_did_not_run_keeps_its_row_with_the_reason() -> None:
    standalone = suite_workloads("standalone")
    options = Options(
        rounds=1, loops=("asyncio",), clients=("redis-py", "coredis"), workloads=standalone
    )
    run = BenchRun(options)
    ok = WorkerResult(client="redis-py", loop="asyncio", version="8.1.0")
    for workload in standalone:
        ok.samples[workload.value] = Sample(ops=1000, seconds=1.0, cpu_seconds=0.05)
    missing = WorkerResult(
        client="coredis",
        loop="asyncio",
        status=Status.NOT_INSTALLED,
        reason="coredis: No module named 'coredis'",
    )
    run.results[("asyncio", "redis-py")] = [ok]
    run.results[("asyncio", "coredis")] = [missing]

    summary = summarize(run)
    report = summary.markdown()

    for workload in standalone:
        assert summary.cell("asyncio", workload, "redis-py").ratio == 1.0
        assert summary.cell("asyncio", workload, "coredis").status is Status.NOT_INSTALLED
    assert report.count("| coredis | not installed: coredis: No module named 'coredis' |") == 6
    assert "| redis-py 8.1.0 | 1,000 | 50.0 | 1.00x |" in report
    statuses = {r["client"]: r["status"] for r in summary.to_json()["results"]}
    assert statuses == {"redis-py": "ok", "coredis": "not installed"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_stops_its_server(tmp_path: Path, signum: signal.Signals) -> None:
    scratch_before = set(Path(tempfile.gettempdir()).glob("redis-oxide-bench-*"))
    args = ["--quick", "--rounds", "1", "--loops", "asyncio", "--clients", "bare"]
    args += ["--no-limits", "--json", str(tmp_path / "out.json")]
    with harness(*args) as process:
        port = 0
        for line in progress(process):
            if line.startswith("redis-server ") and " on 127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1])
                break
        assert port, "the harness never reported its server"
        assert not refused(port)
        interrupt(process, signum)
    deadline = time.monotonic() + 5
    while not refused(port):
        assert time.monotonic() < deadline, "the benchmark server outlived its harness"
        time.sleep(0.05)
    assert not (tmp_path / "out.json").exists()
    leftovers = set(Path(tempfile.gettempdir()).glob("redis-oxide-bench-*")) - scratch_before
    assert not leftovers, f"the harness left {sorted(leftovers)} behind"
