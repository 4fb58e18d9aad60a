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
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import CommandTimeoutError, LoadingError
from redis_oxide.testing import ClusterInfo, NodeInfo, parse_info, raw_command
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


def _loading(node: NodeInfo) -> bool:
    return parse_info(raw_command(node.endpoint, "INFO", "persistence"))["loading"] == "1"


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
        raw_command(replica.endpoint, "CONFIG", "SET", "key-load-delay", str(_DELAY_US))
        raw_command(
            replica.endpoint, "CONFIG", "SET", "loading-process-events-interval-bytes", "1024"
        )
        raw_command(replica.endpoint, "DEBUG", "POPULATE", str(_KEYS), "filler")
        before = _calls(primary, "get")

        reload = asyncio.create_task(
            asyncio.to_thread(raw_command, replica.endpoint, "DEBUG", "RELOAD", timeout=30)
        )
        deadline = time.monotonic() + 10
        while not _loading(replica):
            assert time.monotonic() < deadline, "the replica did not start loading"
            assert not reload.done(), "the reload ended before it was seen loading"
            await asyncio.sleep(0.01)
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
        assert not _loading(replica)
        await reload

        assert _calls(primary, "get") - before == 1  # the prefer_replica read only
        assert raw_command(primary.endpoint, "GET", OTHER) == b"w"
        figures("read_from='replica' read waited for a loading replica", f"{waited:.2f} s")
