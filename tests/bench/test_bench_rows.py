"""The rows of a run: redis-py's two protocols as references, a baseline tree, pinned CPUs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _bench_support import ROOT, copy_source

from bench._adapters import ClientUnavailable, load_adapter
from bench._placement import plan
from bench._report import summarize
from bench._runner import BenchRun, Options
from bench._spec import BASELINE, Sample, Status, WorkerResult, Workload, suite_workloads

STANDALONE = suite_workloads("standalone")

pytestmark = pytest.mark.bench


def _result(client: str, cpu_seconds: float, ops: int, protocol: int | None) -> WorkerResult:
    result = WorkerResult(client=client, loop="asyncio", version="1.0", protocol=protocol)
    for workload in STANDALONE:
        result.samples[workload.value] = Sample(ops=ops, seconds=1.0, cpu_seconds=cpu_seconds)
    return result


def test_every_row_has_its_ratio_to_both_redis_py_protocols_and_its_cpu() -> None:
    clients = ("redis-py", "redis-py-resp2", BASELINE, "redis-oxide")
    options = Options(
        rounds=1,
        loops=("asyncio",),
        clients=clients,
        workloads=STANDALONE,
        baseline_src=ROOT / "src",
    )
    run = BenchRun(options)
    run.results[("asyncio", "redis-py")] = [_result("redis-py", 0.2, 1000, 3)]
    run.results[("asyncio", "redis-py-resp2")] = [_result("redis-py-resp2", 0.2, 2000, 2)]
    run.results[("asyncio", BASELINE)] = [_result(BASELINE, 0.05, 4000, 3)]
    run.results[("asyncio", "redis-oxide")] = [_result("redis-oxide", 0.04, 5000, 3)]

    summary = summarize(run)
    report = summary.markdown()

    oxide = summary.cell("asyncio", Workload.HGETALL, "redis-oxide")
    assert oxide.ratios == {"redis-py": 5.0, "redis-py-resp2": 2.5}
    assert oxide.cpu_us_per_op == pytest.approx(8.0)
    assert "| client | asyncio ops/s | CPU µs/op | vs redis-py (RESP3) | vs redis-py (RESP2) |" in (
        report
    )
    assert "| redis-oxide 1.0 | 5,000 | 8.0 | 5.00x | 2.50x |" in report
    assert "| redis-py 1.0 (RESP3, its default) | 1,000 | 200.0 | 1.00x | 0.50x |" in report
    # The baseline section: 12.5 -> 8.0 µs per command is -36 %, 5,000 / 4,000 ops/s.
    assert "| HGETALL 100 fields | 12.5 | 8.0 | -36.0 % | 1.25x |" in report
    # The README rows: ratios to RESP2, then both redis-oxide rows' to redis-py's default.
    readme = "| HGETALL 100 fields, ops/s | 2,000 | 0.50x | **2.00x** | **2.50x** | 5.00x | 4.00x |"
    assert readme in report
    assert "| redis-oxide 1.0 | 8.0 | 8.0 | 8.0 | 8.0 | 8.0 | 8.0 |" in report

    document = summary.to_json()
    assert document["references"] == ["redis-py", "redis-py-resp2"]
    assert document["clients"]["redis-py"]["protocol"] == 3
    row = next(
        r
        for r in document["results"]
        if r["client"] == "redis-oxide" and r["workload"] == "hgetall"
    )
    assert (row["ratio_to_redis_py"], row["ratio_to_redis_py_resp2"]) == (5.0, 2.5)
    assert row["samples"][0]["cpu_us_per_op"] == pytest.approx(8.0)


def test_redis_oxide_from_another_tree_is_refused() -> None:
    with pytest.raises(ClientUnavailable) as caught:
        load_adapter("redis-oxide", source=str(ROOT / "bench"))
    assert caught.value.status is Status.UNAVAILABLE
    assert "not from" in caught.value.reason


def test_placements_pin_the_server_apart_from_or_with_the_clients() -> None:
    allowed = tuple(sorted(os.sched_getaffinity(0)))
    split, shared, free = plan("split"), plan("shared"), plan("free")
    assert (free.server, free.clients) == ((), ())
    assert shared.server == shared.clients == allowed[:1]
    if len(allowed) > 1:
        assert (split.server, split.clients) == (allowed[:1], allowed[1:])
    else:
        assert split == shared
    with pytest.raises(ValueError, match="unknown placement"):
        plan("spread")


def _bench(*args: str, json_path: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "bench", *args, "--json", str(json_path)]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=100, check=False)


def test_a_baseline_tree_is_measured_beside_the_working_tree(tmp_path: Path) -> None:
    baseline = copy_source(tmp_path)
    out = tmp_path / "out.json"
    done = _bench(
        "--rounds", "1", "--duration", "0.05", "--loops", "asyncio", "--no-limits",
        "--workloads", "set_get", "--clients", "redis-py-resp2,redis-oxide",
        "--baseline-src", str(baseline), json_path=out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    clients = document["clients"]
    assert document["options"]["clients"] == ["redis-py-resp2", BASELINE, "redis-oxide"]
    assert clients[BASELINE]["source"] == str((baseline / "redis_oxide").resolve())
    assert clients["redis-oxide"]["source"] == str(ROOT / "src" / "redis_oxide")
    assert clients["redis-py-resp2"]["protocol"] == 2
    assert clients["redis-oxide"]["protocol"] == 2  # its default
    statuses = {(r["client"], r["status"]) for r in document["results"]}
    assert statuses == {("redis-py-resp2", "ok"), (BASELINE, "ok"), ("redis-oxide", "ok")}
    assert "## redis-oxide against its baseline" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--clients", BASELINE), "needs --baseline-src"),
        (("--baseline-src", "bench"), "no redis_oxide package there"),
    ],
    ids=["baseline-without-source", "source-without-package"],
)
def test_a_baseline_without_its_tree_is_a_usage_error(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    done = _bench(*args, json_path=tmp_path / "out.json")
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "out.json").exists()
