"""Smoke tests: the six-node cluster fixture is stable and correctly wired."""

from __future__ import annotations

import pytest

from redis_oxide.testing import ClusterInfo, RawReplyError, parse_info, raw_command

pytestmark = pytest.mark.timeout(60)


def test_every_node_reports_state_ok_with_all_slots(redis_cluster: ClusterInfo) -> None:
    assert len(redis_cluster.nodes) == 6
    for node in redis_cluster.nodes:
        info = parse_info(raw_command(node.endpoint, "CLUSTER", "INFO"))
        assert info["cluster_state"] == "ok"
        assert info["cluster_slots_assigned"] == "16384"
        assert info["cluster_slots_ok"] == "16384"
        assert info["cluster_known_nodes"] == "6"
        assert info["cluster_size"] == "3"


def test_each_replica_reports_its_primary_in_role(redis_cluster: ClusterInfo) -> None:
    for primary, replica in zip(redis_cluster.primaries, redis_cluster.replicas, strict=True):
        role = raw_command(replica.endpoint, "ROLE")
        assert isinstance(role, list)
        assert role[:4] == [b"slave", primary.host.encode(), primary.port, b"connected"]
        assert replica.primary_id == primary.node_id


def test_a_key_lives_on_the_primary_owning_its_slot(redis_cluster: ClusterInfo) -> None:
    # "smoke" hashes to slot 3977, inside the first primary's range 0-5460.
    owner, other = redis_cluster.primaries[0], redis_cluster.primaries[1]
    assert raw_command(other.endpoint, "CLUSTER", "KEYSLOT", "smoke") == 3977
    assert raw_command(owner.endpoint, "SET", "smoke", "1") == b"OK"
    with pytest.raises(RawReplyError, match=f"MOVED 3977 {owner.host}:{owner.port}"):
        raw_command(other.endpoint, "GET", "smoke")
