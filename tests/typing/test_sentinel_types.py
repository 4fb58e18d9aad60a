"""Typed usage of ``Sentinel``, checked by ``mypy --strict``.

``assert_type`` lines are the contract: ``primary_for``/``replica_for`` give ``Redis[bytes]``
or, with ``decode_responses=True``, ``Redis[str]``, whose commands, pipelines and scripts keep
their types; the health views are typed dataclasses. The ``examples`` coroutine is only
type-checked; the test function builds clients without connecting (nothing is sent).
"""

from __future__ import annotations

from typing import assert_type

from redis_oxide import (
    MonitoredPrimary,
    Redis,
    ReplicaStatus,
    Retry,
    Sentinel,
    SentinelReport,
    SentinelStatus,
)


def test_clients_are_typed_like_redis() -> None:
    sentinel = Sentinel(
        [("127.0.0.1", 26379), ("127.0.0.1", 26380)],
        sentinel_password="secret",
        sentinel_connect_timeout=0.5,
        resolve_timeout=30.0,
        command_timeout=5.0,
        retry=Retry(attempts=2),
    )
    assert_type(sentinel.primary_for("cache"), Redis[bytes])

    async def credentials() -> tuple[str | None, str | None]:
        return "app", "secret"

    rotating = Sentinel([("127.0.0.1", 26379)], sentinel_credential_provider=credentials)
    assert_type(rotating.primary_for("cache"), Redis[bytes])
    assert_type(sentinel.primary_for("cache", decode_responses=False), Redis[bytes])
    assert_type(sentinel.primary_for("cache", decode_responses=True), Redis[str])
    assert_type(sentinel.replica_for("cache"), Redis[bytes])
    assert_type(
        sentinel.replica_for("cache", fallback_to_primary=True, decode_responses=True),
        Redis[str],
    )
    assert_type(sentinel.primary_for("cache", strategy="pooled", db=1), Redis[bytes])
    assert_type(sentinel.sentinels, list[str])
    assert "secret" not in repr(sentinel)


async def examples(sentinel: Sentinel) -> None:
    text = sentinel.primary_for("cache", decode_responses=True)
    raw = sentinel.replica_for("cache")
    assert_type(await text.get("k"), str | None)
    assert_type(await raw.get("k"), bytes | None)
    assert_type(await text.hgetall("h"), dict[str, str])
    async with text.pipeline() as pipe:
        counter = pipe.incr("n")
    assert_type(await counter, int)
    primaries = await sentinel.primaries()
    assert_type(primaries, tuple[MonitoredPrimary, ...])
    assert_type(primaries[0].address, str)
    assert_type(primaries[0].flags, frozenset[str])
    report = await sentinel.check("cache")
    assert_type(report, SentinelReport)
    assert_type(report.quorum_reached, bool)
    assert_type(report.primary, MonitoredPrimary)
    assert_type(report.replicas, tuple[ReplicaStatus, ...])
    assert_type(report.healthy_replicas, tuple[ReplicaStatus, ...])
    assert_type(report.sentinels, tuple[SentinelStatus, ...])
    assert_type(report.replicas[0].link_ok, bool)
    async with sentinel:
        pass
