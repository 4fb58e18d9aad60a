"""Smoke tests: the sentinel group agrees on its primary, replica and peers."""

from __future__ import annotations

import pytest

from redis_oxide.testing import SentinelInfo, raw_command, start_sentinel_group

pytestmark = pytest.mark.timeout(60)


def test_every_sentinel_names_the_primary(redis_sentinel: SentinelInfo) -> None:
    primary = redis_sentinel.primary
    assert len(redis_sentinel.sentinels) == 3
    for sentinel in redis_sentinel.sentinels:
        address = raw_command(
            sentinel.endpoint, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", redis_sentinel.master_name
        )
        assert address == [primary.host.encode(), str(primary.port).encode()]


def test_replica_reports_the_primary_in_role(redis_sentinel: SentinelInfo) -> None:
    role = raw_command(redis_sentinel.replica.endpoint, "ROLE")
    assert isinstance(role, list)
    primary = redis_sentinel.primary
    assert role[:4] == [b"slave", primary.host.encode(), primary.port, b"connected"]


def test_sentinels_have_quorum_for_the_primary(redis_sentinel: SentinelInfo) -> None:
    for sentinel in redis_sentinel.sentinels:
        reply = raw_command(sentinel.endpoint, "SENTINEL", "CKQUORUM", redis_sentinel.master_name)
        assert isinstance(reply, bytes)
        assert reply.startswith(b"OK 3 usable Sentinels")


def test_the_group_lists_every_process(redis_sentinel: SentinelInfo) -> None:
    (group,) = redis_sentinel.groups
    assert group.name == redis_sentinel.master_name
    assert redis_sentinel.replicas == (redis_sentinel.replica,)
    assert len(redis_sentinel.processes()) == 5


@pytest.mark.parametrize(
    ("names", "replicas"), [((), 1), (("a", "a"), 1), (("a",), 0)], ids=["none", "twice", "alone"]
)
def test_a_group_of_a_bad_shape_is_refused(names: tuple[str, ...], replicas: int) -> None:
    with pytest.raises(ValueError, match="distinct names"):
        start_sentinel_group(names=names, replicas=replicas)
