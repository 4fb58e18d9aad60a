"""Smoke tests: the sentinel group agrees on its primary, replica and peers."""

from __future__ import annotations

import pytest

from redis_oxide.testing import SentinelInfo, raw_command

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
