"""A replica loading its data set: ``read_from="replica"`` waits it out, never reads the primary.

On a cluster of its own: the shard's replica reloads a data set slowed to about a second
(``DEBUG RELOAD`` with ``key-load-delay``), answering ``LOADING`` meanwhile. A client
reading from replicas only waits (backing off), single and pipelined reads alike, and reads
the replica once it loaded, or times out with the ``LOADING`` error as the cause; one that
prefers replicas reads the primary meanwhile, as it does when no replica can serve.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import pytest

from redis_oxide import RedisCluster
from redis_oxide._cluster._slots import ClusterMember
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError, LoadingError
from redis_oxide.testing import ClusterInfo, raw_command
from tests._loading import HURRIED, SLOW_DELAY_US, SLOW_KEYS, is_loading, reload_slowly
from tests.cluster._migrate import owner_of
from tests.cluster.test_replica_pipelines import _calls

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]

KEY = "{loading}:key"
OTHER = "{loading}:other"  # the same slot
# Keys the replica reloads, and the delay per key (microseconds): about a second of LOADING.
_KEYS = 5000
_DELAY_US = 200


async def test_replica_reads_wait_out_a_loading_replica_and_never_read_the_primary(
    fresh_cluster: ClusterInfo, figures: Figure
) -> None:
    primary = owner_of(fresh_cluster, key_slot(KEY))
    replica = fresh_cluster.replicas[fresh_cluster.primaries.index(primary)]
    options = {"decode_responses": True, "topology_refresh_interval": None}
    async with (
        RedisCluster(primary.host, primary.port, read_from="replica", **options) as only,
        RedisCluster(primary.host, primary.port, read_from="prefer_replica", **options) as prefer,
        RedisCluster(
            primary.host, primary.port, read_from="replica", command_timeout=0.3, **options
        ) as hurried,
    ):
        await only.set(KEY, "v")
        await only.wait(1, 1000)  # the replica has it
        for client in (only, prefer, hurried):
            assert await client.get(KEY) == "v"  # connected, from the replica
        before = _calls(primary, "get")
        reload = await reload_slowly(replica.endpoint, _KEYS, _DELAY_US)
        started = time.monotonic()

        assert await prefer.get(KEY) == "v"  # the primary answers it meanwhile
        with pytest.raises(CommandTimeoutError) as timed_out:
            await hurried.get(KEY)
        assert isinstance(timed_out.value.__cause__, LoadingError)
        # The same client, given time to wait, reads the replica once it loaded.
        patient = hurried.with_options(command_timeout=10)
        pipe = only.pipeline()
        pipe.get(KEY)
        pipe.set(OTHER, "w")  # (a write in the same pipeline goes to the primary)
        # Both from the replica, once loaded (a pipelined read's part is re-run alone).
        read, piped, late = await asyncio.gather(only.get(KEY), pipe.execute(), patient.get(KEY))
        waited = time.monotonic() - started
        assert read == late == "v"
        assert piped == ["v", True]
        assert not is_loading(replica.endpoint)
        await reload

        assert _calls(primary, "get") - before == 1  # the prefer_replica read only
        assert raw_command(primary.endpoint, "GET", OTHER) == b"w"
        figures("read_from='replica' read waited for a loading replica", f"{waited:.2f} s")


async def test_a_read_cut_short_by_its_deadline_keeps_the_loading_error_and_marks_no_node(
    fresh_cluster: ClusterInfo, figures: Figure
) -> None:
    # The replica answers LOADING, the retry waits past the caller's deadline for the next
    # pass: the timeout says what the node answered, and a node that answers is not failing.
    primary = owner_of(fresh_cluster, key_slot(KEY))
    replica = fresh_cluster.replicas[fresh_cluster.primaries.index(primary)]
    async with RedisCluster(
        primary.host,
        primary.port,
        read_from="replica",
        command_timeout=HURRIED,
        decode_responses=True,
        topology_refresh_interval=None,
    ) as hurried:
        await hurried.set(KEY, "v")
        await hurried.wait(1, 1000)
        assert await hurried.get(KEY) == "v"  # connected, from the replica
        reload = await reload_slowly(replica.endpoint, SLOW_KEYS, SLOW_DELAY_US)
        topology = hurried._executor.topology
        address = ClusterMember(replica.host, replica.port).address
        failures: list[str] = []
        in_flight = 0
        # Until two were cut short in flight (the retry was sent), not at a backoff that
        # reached the deadline; a deadline meets a backoff about one time in four.
        while in_flight < 2 and len(failures) < 6:
            started = time.monotonic()
            with pytest.raises(CommandTimeoutError) as timed_out:
                await hurried.get(KEY)
            waited = time.monotonic() - started
            assert isinstance(timed_out.value.__cause__, LoadingError), repr(timed_out.value)
            assert "LOADING" in str(timed_out.value)
            assert waited < HURRIED + 0.3
            cut = timed_out.value.may_have_executed
            in_flight += cut
            failures.append(f"{waited:.2f} s ({'in flight' if cut else 'at a backoff'})")
            assert address not in topology.down, "the replica was marked failing"
        assert in_flight, failures
        assert is_loading(replica.endpoint)  # every read above met the load
        await reload
        assert await hurried.get(KEY) == "v"  # from the replica, loaded
        figures("reads timed out on a replica answering LOADING every ~0.7 s", ", ".join(failures))
