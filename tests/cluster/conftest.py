"""Clusters of a test module's or a test's own, for tests that move slots or kill nodes.

The session's ``redis_cluster`` must stay whole for every other test, so tests that change a
cluster's shape start one of their own here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from redis_oxide.testing import ClusterInfo, raw_command, start_cluster


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[ClusterInfo]:
    """A six-node cluster for one test module (slots may move in it)."""
    cluster = start_cluster(modules=False)
    try:
        yield cluster
    finally:
        for node in cluster.nodes:
            node.process.close()  # type: ignore[union-attr]  # started here: has a process


def _stop(cluster: ClusterInfo) -> None:
    for node in cluster.nodes:
        if node.process is not None:
            node.process.kill()  # a stopped node ignores SIGTERM
            node.process.close()


@pytest.fixture
def fresh_cluster() -> Iterator[ClusterInfo]:
    """A six-node cluster for one test, on server defaults; it may kill or stop its nodes."""
    cluster = start_cluster(modules=False)
    try:
        yield cluster
    finally:
        _stop(cluster)


@pytest.fixture
def failover_cluster(fresh_cluster: ClusterInfo) -> ClusterInfo:
    """A six-node cluster for one test, which may kill or stop its nodes."""
    # With the default (yes), every node answers CLUSTERDOWN from the moment the cluster
    # marks the primary failed until its replica is promoted: the healthy shards stop for
    # about a second whatever the client does (measured: their throughput fell to 0).
    # Deployments that want the healthy shards served through a failover say no.
    for node in fresh_cluster.nodes:
        raw_command(node.endpoint, "CONFIG", "SET", "cluster-require-full-coverage", "no")
    return fresh_cluster
