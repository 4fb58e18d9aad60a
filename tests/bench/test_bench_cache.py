"""The cache suite: its rows, its headline ratio, stale reads and invalid rounds, its writer."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import pytest
from _bench_support import ROOT, copy_source, harness, interrupt, progress, refused

from bench._cache_runner import CachePhase
from bench._report import summarize
from bench._runner import BenchRun, Options
from bench._spec import BASELINE, CacheCounts, Sample, Status, WorkerResult, Workload

pytestmark = [pytest.mark.bench, pytest.mark.timeout(110)]
ROWS = [
    "redis-oxide-cached",
    "redis-oxide",
    "redis-oxide-baseline-cached",
    BASELINE,
    "redis-py",
    "coredis",
    "coredis-cached",
    "valkey-glide",
]


def test_a_tiny_run_has_every_row_the_ratio_and_no_stale_read(tmp_path: Path) -> None:
    baseline = copy_source(tmp_path)
    out = tmp_path / "out.json"
    argv = [sys.executable, "-m", "bench", "--suite", "cache", "--rounds", "1"]
    argv += ["--duration", "0.3", "--loops", "asyncio", "--baseline-src", str(baseline)]
    argv += ["--json", str(out)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=100, check=False)
    assert done.returncode == 0, done.stderr

    cache = json.loads(out.read_text())["cache"]
    rows = {row["row"]: row for row in cache["rows"]}
    assert list(rows) == ROWS
    for name, row in rows.items():
        # The peers come with the ``bench`` extra; without it their rows say so.
        peer = {"redis-py": "redis", "valkey-glide": "glide"}.get(name, name.split("-")[0])
        if name.startswith(("redis-py", "coredis", "valkey")) and not find_spec(peer):
            assert row["status"] == "not installed", row["reason"]
            continue
        assert row["status"] == "ok", (name, row["reason"])
        assert row["stale_reads"] == 0, name
        assert not row["failed"], name
        assert row["reads_checked"] > 0, name
        assert row["reads_per_second"] > 0, name
        assert 0.08 <= row["write_share"] <= 0.12, name
        assert (row["hit_rate"] is not None) == row["cached"], name
    assert cache["failed"] == []
    ratio = cache["ratio_cached_to_uncached"]["asyncio"]
    assert ratio is not None
    assert ratio > 0
    assert rows["redis-oxide"]["ratio_of_redis_oxide_cached"] == ratio
    assert rows["redis-oxide-cached"]["ratio_to_uncached"] == ratio
    assert rows["redis-oxide-cached"]["source"] == str(ROOT / "src" / "redis_oxide")
    assert rows[BASELINE]["source"] == str((baseline / "redis_oxide").resolve())
    assert f"**redis-oxide cached / uncached: {ratio:.2f}x on asyncio**" in done.stdout
    assert "FAILED" not in done.stdout


def _phase(
    round_index: int, row: str, reads: int, *, stale: int = 0, writes: int = 0
) -> CachePhase:
    cached = row.endswith("-cached")
    result = WorkerResult(client=row, loop="asyncio", version="1.0", suite="cache")
    result.samples[Workload.CACHE_HOT_KEYS.value] = Sample(reads, 1.0, reads / 1e6)
    result.cache = CacheCounts(
        writes=writes or reads // 9,
        late_writes=0,
        stale=stale,
        checked=reads,
        hits=reads * 9 // 10 if cached else None,
        lookups=reads if cached else None,
    )
    return CachePhase(round_index, "asyncio", row, result)


def test_stale_reads_fail_a_row_loudly_and_short_writes_void_a_round() -> None:
    options = Options(
        rounds=3,
        loops=("asyncio",),
        clients=("coredis", "redis-oxide"),
        workloads=(Workload.CACHE_HOT_KEYS,),
    )
    run = BenchRun(options)
    # Ratios 4, 6 and 5 within the rounds: the median of the ratios is 5.
    for index, (cached, uncached) in enumerate([(400, 100), (600, 100), (1000, 200)]):
        run.cache_phases.append(_phase(index, "redis-oxide-cached", cached * 1000))
        run.cache_phases.append(_phase(index, "redis-oxide", uncached * 1000))
    run.cache_phases.append(_phase(0, "coredis", 90_000))
    run.cache_phases.append(_phase(1, "coredis", 50_000, writes=1_000))  # 2 % writes
    run.cache_phases.append(_phase(0, "coredis-cached", 100_000, stale=3))
    failed = WorkerResult(client="coredis-cached", loop="asyncio", status=Status.FAILED)
    failed.reason = "RuntimeError: coredis's invalidation task did not catch up"
    run.cache_phases.append(CachePhase(1, "asyncio", "coredis-cached", failed))

    summary = summarize(run)
    report = summary.markdown()
    document = summary.to_json()["cache"]

    assert document["ratio_cached_to_uncached"] == {"asyncio": 5.0}
    assert document["goal"]["met"] == {"asyncio": True}
    assert document["failed"] == [{"loop": "asyncio", "row": "coredis-cached", "stale_reads": 3}]
    rows = {row["row"]: row for row in document["rows"]}
    assert rows["coredis"]["reads_per_second"] == 90_000  # the 2 % round is left out
    assert rows["coredis"]["ratio_of_redis_oxide_cached"] == pytest.approx(400 / 90)
    assert rows["coredis-cached"]["failures"] == {"1": "failed: " + failed.reason}
    assert "**redis-oxide cached / uncached: 5.00x on asyncio**" in report
    assert (
        "**FAILED: coredis 1.0 (cached) on asyncio returned 3 stale reads (of 100,000 checked)"
        in report
    )
    assert "| coredis 1.0 (cached) | 100,000 | 1.0 | 90.0% | **FAILED: 3 of 100,000** |" in report
    assert "- asyncio, round 2, coredis (uncached): write share 2.0% outside 8%-12%" in report
    assert "- asyncio, round 2, coredis (cached): failed: RuntimeError" in report
    assert "Each library cached / uncached (asyncio): redis-oxide 5.00x; coredis 1.11x." in report


def _writers(port: int) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"bench._cache_writer" in argv and str(port).encode() in argv:
            found.append(cmdline.parent.name)
    return found


def test_an_interrupted_cache_run_stops_its_server_and_writer(tmp_path: Path) -> None:
    args = ["--suite", "cache", "--rounds", "2", "--loops", "asyncio"]
    args += ["--clients", "redis-oxide", "--json", str(tmp_path / "out.json")]
    with harness(*args) as process:
        port = 0
        for line in progress(process):
            if line.startswith("cache suite: redis-server ") and " on 127.0.0.1:" in line:
                port = int(line.rsplit(":", 1)[1])
            if port and line.startswith("cache round 1/2"):
                break
        assert port, "the harness never reported its server"
        assert _writers(port), "no writer process while the suite runs"
        interrupt(process)
    deadline = time.monotonic() + 5
    while _writers(port) or not refused(port):
        assert time.monotonic() < deadline, "the server or the writer outlived the harness"
        time.sleep(0.05)
    assert not (tmp_path / "out.json").exists()
