"""The cluster suite: its own six-node cluster, validated clients, its rows and its tables."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from _bench_support import ROOT, harness, interrupt, progress, refused

from bench._cluster import PRIMARIES, BenchCluster, owner
from bench._placement import plan
from bench._report import summarize
from bench._runner import BenchRun, Options, run_benchmark, run_worker
from bench._server import HOST
from bench._spec import (
    CLUSTER_CLIENTS,
    CLUSTER_SET_KEYS,
    SLOT_KEYS,
    VALUE,
    Job,
    Sample,
    Status,
    WorkerResult,
    Workload,
    suite_workloads,
)

pytestmark = [pytest.mark.bench, pytest.mark.timeout(110)]

CLUSTER = suite_workloads("cluster")


def _scratch_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("redis-oxide-bench-*"))


def _all_gone(ports: list[int]) -> None:
    deadline = time.monotonic() + 5
    while not all(refused(port) for port in ports):
        assert time.monotonic() < deadline, "a cluster node outlived its harness"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster() -> Iterator[BenchCluster]:
    with BenchCluster() as started:
        started.seed()
        yield started


def test_the_cluster_has_three_primaries_with_a_replica_each(cluster: BenchCluster) -> None:
    roles = [cast(list[object], node.command(b"ROLE"))[0] for node in cluster.nodes]
    assert roles == [b"master"] * PRIMARIES + [b"slave"] * PRIMARIES
    for primary, replica in zip(cluster.primaries, cluster.replicas, strict=True):
        role = cast(list[object], replica.command(b"ROLE"))
        assert role[2] == primary.port
    shards = cast(list[list[object]], cluster.primaries[0].command(b"CLUSTER", b"SLOTS"))
    ranges = sorted((cast(int, s[0]), cast(int, s[1])) for s in shards)
    assert ranges == [(0, 5460), (5461, 10922), (10923, 16383)]


def test_the_read_keys_are_seeded_on_their_primaries_and_replicated(
    cluster: BenchCluster,
) -> None:
    slots = [cast(int, cluster.primaries[0].command(b"CLUSTER", b"KEYSLOT", k)) for k in SLOT_KEYS]
    for index, (primary, replica) in enumerate(
        zip(cluster.primaries, cluster.replicas, strict=True)
    ):
        mine = [k for k, slot in zip(SLOT_KEYS, slots, strict=True) if owner(slot) == index]
        assert mine, f"primary {index} holds none of the read keys"
        assert primary.command(b"DBSIZE") == len(mine)
        assert replica.command(b"DBSIZE") == len(mine)
        assert primary.pipeline(*((b"GET", k) for k in mine)) == [VALUE] * len(mine)
    set_owners = {
        owner(cast(int, cluster.primaries[0].command(b"CLUSTER", b"KEYSLOT", k)))
        for k in CLUSTER_SET_KEYS
    }
    assert set_owners == set(range(PRIMARIES))


def _job(cluster: BenchCluster, client: str) -> Job:
    return Job(
        client=client,
        loop="asyncio",
        host=HOST,
        port=cluster.port,
        workloads=tuple(w.value for w in CLUSTER),
        duration=0.05,
        concurrent_ops=500,
        source=str(ROOT / "src") if client == "redis-oxide" else "",
        suite="cluster",
    )


@pytest.mark.parametrize("client", CLUSTER_CLIENTS)
def test_every_cluster_client_validates_and_measures(
    cluster: BenchCluster, client: str, tmp_path: Path
) -> None:
    result = run_worker(_job(cluster, client), tmp_path, client)
    if client == "valkey-glide" and importlib.util.find_spec("glide") is None:
        # glide comes with the bench extra only: its row must say it is missing, not fail.
        assert result.status is Status.NOT_INSTALLED, result.reason
        assert "glide" in result.reason
        return
    assert result.status is Status.OK, result.reason
    assert result.errors == {}
    assert sorted(result.samples) == sorted(w.value for w in CLUSTER)
    assert all(sample.ops > 0 for sample in result.samples.values())
    # redis-oxide speaks RESP2 by default, redis-py RESP3 unless told protocol=2.
    assert result.protocol == (2 if client in ("redis-py-resp2", "redis-oxide") else 3)


def test_a_wrong_value_fails_validation_before_timing(
    cluster: BenchCluster, tmp_path: Path
) -> None:
    key = SLOT_KEYS[37]
    slot = cast(int, cluster.primaries[0].command(b"CLUSTER", b"KEYSLOT", key))
    primary = cluster.primaries[owner(slot)]
    primary.command(b"SET", key, b"x" * len(VALUE))
    try:
        result = run_worker(_job(cluster, "redis-oxide"), tmp_path, "wrong")
    finally:
        primary.command(b"SET", key, VALUE)
    assert set(result.errors) == {"cluster_concurrent_get", "cluster_mget"}
    assert "ValidationError" in result.errors["cluster_mget"]
    assert set(result.samples) == {"cluster_set_get", "cluster_pipeline_set"}


def test_the_replicas_are_pinned_apart_from_the_measured_cpu() -> None:
    allowed = tuple(sorted(os.sched_getaffinity(0)))
    shared, split, free = plan("shared"), plan("split"), plan("free")
    assert free.replicas == ()
    assert split.replicas == split.server == allowed[:1]
    assert shared.server == shared.clients == allowed[:1]
    assert shared.replicas == (allowed[1:] or allowed[:1])


def _result(client: str, ops: int, suite: str) -> WorkerResult:
    result = WorkerResult(client=client, loop="asyncio", version="1.0", suite=suite)
    for workload in suite_workloads(suite):
        result.samples[workload.value] = Sample(ops=ops, seconds=1.0, cpu_seconds=ops / 1e6)
    return result


def test_cluster_rows_have_their_own_tables_and_ratios_to_glide() -> None:
    clients = ("redis-py", "redis-py-resp2", "coredis", "valkey-glide", "redis-oxide")
    run = BenchRun(Options(rounds=1, loops=("asyncio",), clients=clients))
    rates = {"redis-py": 100, "redis-py-resp2": 200, "coredis": 300, "valkey-glide": 400}
    rates["redis-oxide"] = 1600
    for client, ops in rates.items():
        run.results[("asyncio", client)] = [_result(client, ops, "standalone")]
        if client != "coredis":
            run.results[("asyncio", client)].append(_result(client, ops * 2, "cluster"))

    summary = summarize(run)
    report = summary.markdown()

    mget = summary.cell("asyncio", Workload.CLUSTER_MGET, "redis-oxide")
    assert mget.ratios == {"redis-py": 16.0, "redis-py-resp2": 8.0, "valkey-glide": 4.0}
    assert mget.ops_per_second == 3200
    assert ("asyncio", Workload.CLUSTER_MGET, "coredis") not in summary.cells
    assert summary.cell("asyncio", Workload.HGETALL, "coredis").status is Status.OK
    assert "## README table: cluster" in report
    row = (
        "| cluster: MGET of 100 keys over 100 slots, ops/s | 400 | 0.50x | 2.00x | **8.00x** "
        "| 16.00x | 4.00x |"
    )
    assert row in report
    assert "Not in its tables (no cluster adapter): coredis." in report
    document = summary.to_json()
    cluster_rows = [r for r in document["results"] if r["suite"] == "cluster"]
    assert {r["client"] for r in cluster_rows} == set(rates) - {"coredis"}
    oxide = next(r for r in cluster_rows if r["client"] == "redis-oxide")
    assert oxide["ratio_to_valkey_glide"] == 4.0


def test_a_cluster_client_that_cannot_run_keeps_its_row(tmp_path: Path) -> None:
    options = Options(
        rounds=1,
        loops=("asyncio",),
        clients=("redis-py-resp2", "redis-oxide-baseline"),
        workloads=(Workload.CLUSTER_SET_GET,),
        duration=0.05,
        limit_requests=0,
        baseline_src=tmp_path,
    )
    summary = summarize(run_benchmark(options))
    assert summary.cell("asyncio", Workload.CLUSTER_SET_GET, "redis-py-resp2").status is Status.OK
    baseline = summary.cell("asyncio", Workload.CLUSTER_SET_GET, "redis-oxide-baseline")
    # No redis_oxide in that tree: the worker imports another one and refuses to measure it.
    assert baseline.status is Status.UNAVAILABLE, baseline.reason
    assert "not from" in baseline.reason


def test_a_suite_without_its_workloads_is_a_usage_error(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "bench", "--suite", "cluster", "--workloads", "set_get"]
    argv += ["--json", str(tmp_path / "out.json")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "names no workload of the cluster suite" in done.stderr


def test_an_interrupted_cluster_run_stops_every_node(tmp_path: Path) -> None:
    before = _scratch_dirs()
    args = ["--quick", "--suite", "cluster", "--rounds", "1", "--loops", "asyncio"]
    args += ["--clients", "redis-py", "--json", str(tmp_path / "out.json")]
    with harness(*args) as process:
        ports: list[int] = []
        for line in progress(process):
            if line.startswith("cluster of redis-server ") and " ports " in line:
                ports = [int(p) for p in line.rsplit(" ", 1)[1].split(",")]
                break
        assert len(ports) == 2 * PRIMARIES, "the harness never reported its cluster"
        assert not any(refused(port) for port in ports)
        interrupt(process)
    _all_gone(ports)
    assert not (tmp_path / "out.json").exists()
    assert not _scratch_dirs() - before, "the harness left node directories behind"


def test_a_stopped_cluster_leaves_nothing_behind() -> None:
    before = _scratch_dirs()
    cluster = BenchCluster()
    with cluster:
        ports = cluster.ports
        assert len(set(ports)) == 2 * PRIMARIES
    _all_gone(ports)
    assert not _scratch_dirs() - before
