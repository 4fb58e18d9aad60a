"""A primary loading its data set behind Sentinel: callers wait it out, and a timeout names it.

The group's primary reloads a data set slowed to a few seconds (``tests._loading``),
answering ``LOADING`` about every 0.7 s meanwhile. The sentinels take ``LOADING`` for a
live server, so no failover starts: the client re-runs the command after a pause until the
primary has loaded, or until the caller's ``command_timeout``, whose error is then chained
from the ``LoadingError``, however the deadline found the last try (in flight or pausing).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

from redis_oxide import Sentinel
from redis_oxide.exceptions import CommandTimeoutError, LoadingError
from redis_oxide.testing.plugin import SentinelFactory
from tests._loading import HURRIED, SLOW_DELAY_US, SLOW_KEYS, is_loading, reload_slowly

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = [pytest.mark.slow, pytest.mark.timeout(90)]


async def test_a_loading_primary_is_waited_out_and_a_timeout_names_it(
    redis_sentinel_factory: SentinelFactory, figures: Figure
) -> None:
    group = redis_sentinel_factory()
    sentinels = [(s.host, s.port) for s in group.sentinels]
    async with Sentinel(sentinels) as sentinel:
        hurried = sentinel.primary_for(group.master_name, command_timeout=HURRIED)
        patient = sentinel.primary_for(group.master_name, command_timeout=20)
        async with hurried, patient:
            await patient.set("loading:key", "v")
            assert await hurried.get("loading:key") == b"v"  # connected
            reload = await reload_slowly(group.primary.endpoint, SLOW_KEYS, SLOW_DELAY_US)
            timeouts: list[str] = []
            for _ in range(3):
                started = time.monotonic()
                with pytest.raises(CommandTimeoutError) as timed_out:
                    await hurried.get("loading:key")
                waited = time.monotonic() - started
                assert isinstance(timed_out.value.__cause__, LoadingError), repr(timed_out.value)
                assert waited < HURRIED + 0.3
                timeouts.append(f"{waited:.2f} s")
            started = time.monotonic()
            assert await patient.get("loading:key") == b"v"  # once loaded
            waited = time.monotonic() - started
            assert not is_loading(group.primary.endpoint)
            await reload
    figures("reads timed out on a primary answering LOADING every ~0.7 s", ", ".join(timeouts))
    figures("a read with command_timeout=20 waited for the load", f"{waited:.2f} s")
