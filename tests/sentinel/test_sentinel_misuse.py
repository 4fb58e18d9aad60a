"""Mistakes in building Sentinel clients are refused at the call, saying what to do."""

from __future__ import annotations

import time
from typing import Any

import pytest

from redis_oxide import Sentinel
from redis_oxide.exceptions import ConnectionClosedError
from redis_oxide.testing import SentinelInfo


def _sentinels(group: SentinelInfo) -> list[tuple[str, int]]:
    return [(s.host, s.port) for s in group.sentinels]


def test_decode_responses_on_sentinel_points_to_the_client_methods() -> None:
    options: dict[str, Any] = {"decode_responses": True}
    with pytest.raises(TypeError) as caught:
        Sentinel([("127.0.0.1", 26379)], **options)
    message = str(caught.value)
    assert "decode_responses" in message
    assert "primary_for()" in message
    assert "replica_for()" in message
    assert "unknown" not in message


async def test_a_closed_sentinel_refuses_to_make_clients(redis_sentinel: SentinelInfo) -> None:
    sentinel = Sentinel(_sentinels(redis_sentinel))
    primary = sentinel.primary_for(redis_sentinel.master_name)
    assert await primary.ping() == b"PONG"
    await sentinel.aclose()
    for make in (sentinel.primary_for, sentinel.replica_for):
        started = time.monotonic()
        with pytest.raises(ConnectionClosedError, match="Sentinel object is closed") as caught:
            make(redis_sentinel.master_name)
        assert time.monotonic() - started < 0.1
        assert caught.value.may_have_executed is False
        assert make.__name__ in str(caught.value)
