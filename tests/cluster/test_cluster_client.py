"""RedisCluster on the shared six-node cluster: multi-key splits, refusals, pipelines,
transactions, scripts, libraries, per-node views, replica reads and the options.

Nothing here moves slots or stops nodes (``test_redirects``, ``test_resharding`` and
``test_failover`` start clusters of their own for that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest

from redis_oxide import ClusterMember, RedisCluster, Transaction
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import key_slot
from redis_oxide.exceptions import ConnectionClosedError, CrossSlotError, NoScriptError
from redis_oxide.testing import ClusterInfo, parse_info, raw_command
from tests.cluster._migrate import owner_of

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> AsyncIterator[RedisCluster[str]]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as client:
        await client.flushall()
        yield client


def _keys_in_distinct_slots(count: int, prefix: str) -> list[str]:
    keys: list[str] = []
    seen: set[int] = set()
    index = 0
    while len(keys) < count:
        key = f"{prefix}:{index}"
        index += 1
        if key_slot(key) not in seen:
            seen.add(key_slot(key))
            keys.append(key)
    return keys


_FT = ("FT.CREATE", "FT.INFO", "FT.DROPINDEX")


def _ft_create(index: str) -> tuple[str, ...]:
    return ("FT.CREATE", index, "SCHEMA", "f", "TEXT")


def _owner_ports(redis_cluster: ClusterInfo, keys: list[str]) -> set[int]:
    return {owner_of(redis_cluster, key_slot(key)).port for key in keys}


def _commandstats(redis_cluster: ClusterInfo, command: str) -> int:
    total = 0
    for node in redis_cluster.nodes:
        info = parse_info(raw_command(node.endpoint, "INFO", "commandstats"))
        fields = info.get(f"cmdstat_{command}")
        if fields:
            total += int(dict(f.split("=") for f in fields.split(","))["calls"])
    return total


async def test_mget_of_100_keys_in_100_slots_returns_the_values_in_order(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo, figures: Any
) -> None:
    keys = _keys_in_distinct_slots(100, "mget100")
    assert await cluster.mset({key: f"value-of-{key}" for key in keys})
    values = await cluster.mget(*keys, "mget100:missing")
    assert values == [f"value-of-{key}" for key in keys] + [None]
    ports = _owner_ports(redis_cluster, keys)
    figures("primaries the 100 slots live on", len(ports))
    assert len(ports) == 3


async def test_delete_of_keys_in_50_slots_returns_the_summed_count(
    cluster: RedisCluster[str], figures: Any
) -> None:
    tags = _keys_in_distinct_slots(50, "del50")
    keys = [f"{{{tag}}}:{n}" for tag in tags for n in range(2)]
    assert len({key_slot(k) for k in keys}) == 50
    await cluster.mset(dict.fromkeys(keys[:90], "v"))
    assert await cluster.exists(*keys) == 90
    deleted = await cluster.delete(*keys)
    figures("DEL over 50 slots", f"{deleted} of {len(keys)} keys (90 existed)")
    assert deleted == 90
    assert await cluster.exists(*keys) == 0


async def test_cross_slot_commands_are_refused_before_anything_is_sent(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    before = _commandstats(redis_cluster, "sunionstore")
    with pytest.raises(CrossSlotError, match="hash tag") as caught:
        await cluster.sunionstore("dst", "a", "b")
    assert caught.value.command == "SUNIONSTORE"
    assert str(key_slot("a")) in str(caught.value)
    pipe = cluster.pipeline(transaction=True)
    pipe.set("a", "1")
    pipe.set("b", "2")
    with pytest.raises(CrossSlotError):
        await pipe.execute()
    with pytest.raises(CrossSlotError):
        async with cluster.watch("a", "b"):
            pass  # pragma: no cover  (the lease is refused)
    assert _commandstats(redis_cluster, "sunionstore") == before
    assert await cluster.get("a") is None


async def test_pipeline_results_keep_the_callers_order_across_nodes(
    cluster: RedisCluster[str],
) -> None:
    keys = _keys_in_distinct_slots(60, "pipe")
    async with cluster.pipeline() as pipe:
        writes = [pipe.set(key, str(i)) for i, key in enumerate(keys)]
        size = pipe.dbsize()  # fanned out to every primary, summed
        both = pipe.mget(*keys[:10])  # split per slot, put back in order
        reads = [pipe.get(key) for key in reversed(keys)]
        count = pipe.result(pipe.incr(keys[0]))
    assert [await w for w in writes] == [True] * 60
    assert await size == 60
    assert await both == [str(i) for i in range(10)]
    assert [await r for r in reads] == [str(i) for i in reversed(range(60))]
    assert count.value == 1


async def test_transactions_and_watch_run_on_the_slot_primary(cluster: RedisCluster[str]) -> None:
    pipe = cluster.pipeline(transaction=True)
    pipe.set("{acct:1}:a", "10")
    pipe.incrby("{acct:1}:a", 5)
    pipe.get("{acct:1}:a")
    assert await pipe.execute() == [True, 15, "15"]

    async def move(tx: Transaction[str]) -> int:
        balance = int(await tx.get("{acct:1}:a") or 0)
        tx.multi()
        tx.set("{acct:1}:a", balance - 3)
        tx.incrby("{acct:1}:b", 3)
        return balance - 3

    assert await cluster.transaction(move, "{acct:1}:a", "{acct:1}:b") == 12
    async with cluster.watch("{acct:1}:b") as tx:
        assert await tx.get("{acct:1}:b") == "3"
        tx.multi()
        tx.incr("{acct:1}:b")
    assert await cluster.mget("{acct:1}:a", "{acct:1}:b") == ["12", "4"]


async def test_a_script_is_loaded_only_on_the_node_that_answered_noscript(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    script = cluster.register_script("return redis.call('INCR', KEYS[1])")
    await cluster.script_flush()
    assert await script(keys=["script:k"]) == 1
    assert await script(keys=["script:k"]) == 2
    holders = {
        node.port
        for node in redis_cluster.primaries
        if raw_command(node.endpoint, "SCRIPT", "EXISTS", script.sha) == [1]
    }
    assert holders == _owner_ports(redis_cluster, ["script:k"])
    with pytest.raises(NoScriptError):
        await cluster.evalsha(script.sha, key=["elsewhere:{x}"], arg=[])  # another node lacks it


async def test_a_script_without_keys_runs_first_time_on_any_primary(
    cluster: RedisCluster[str],
) -> None:
    # A keyless EVALSHA goes to a random primary, and so does its retry after NOSCRIPT: the
    # script is loaded on every node, not only on the one that answered.
    await cluster.script_flush()
    scripts = [cluster.register_script(f"return {index}") for index in range(20)]
    assert [await script() for script in scripts] == list(range(20))
    await cluster.script_flush()
    assert [await scripts[0]() for _ in range(10)] == [0] * 10


async def test_function_load_goes_to_every_primary_and_fcall_by_key(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    lib = cluster.library(
        "#!lua name=clusterlib\n"
        "redis.register_function('bump', function(keys) return redis.call('INCR', keys[1]) end)"
    )
    assert await lib.load(replace=True) == "clusterlib"
    for node in redis_cluster.primaries:
        listed = raw_command(node.endpoint, "FUNCTION", "LIST", "LIBRARYNAME", "clusterlib")
        assert isinstance(listed, list)
        assert len(listed) == 1
    keys = _keys_in_distinct_slots(3, "fcall")
    assert [await lib.call("bump", [key], parser=int) for key in keys] == [1, 1, 1]
    await cluster.function_delete("clusterlib")


async def test_views_run_commands_on_the_nodes_they_name(
    cluster: RedisCluster[str], redis_cluster: ClusterInfo
) -> None:
    keys = _keys_in_distinct_slots(30, "view")
    await cluster.mset(dict.fromkeys(keys, "v"))
    primaries = await cluster.nodes("primaries")
    assert [m.port for m in primaries] == [n.port for n in redis_cluster.primaries]
    per_node = [await cluster.on(member).dbsize() for member in primaries]
    assert sum(per_node) == 30
    assert await cluster.on("primaries").dbsize() == 30
    assert await cluster.on("all").ping() == "PONG"
    replicas = await cluster.nodes("replicas")
    assert {m.role for m in replicas} == {"replica"}
    member = ClusterMember(redis_cluster.replicas[0].host, redis_cluster.replicas[0].port)
    role = await cluster.on(member).role()
    assert role.role == "slave"
    with pytest.raises(ValueError, match="target"):
        cluster.on("everywhere")  # type: ignore[arg-type]  # the mistake under test


async def test_replica_reads_go_to_replicas_and_writes_to_primaries(
    redis_cluster: ClusterInfo,
) -> None:
    seed = redis_cluster.primaries[0]
    keys = _keys_in_distinct_slots(30, "replica")
    async with RedisCluster(seed.host, seed.port, read_from="replica") as cluster:
        await cluster.mset(dict.fromkeys(keys, "v"))
        assert await cluster.wait(1, 1000) == 1  # every replica has the writes
        for node in redis_cluster.nodes:
            raw_command(node.endpoint, "CONFIG", "RESETSTAT")
        assert await cluster.mget(*keys) == [b"v"] * 30
        assert [await cluster.get(key) for key in keys] == [b"v"] * 30
        assert await cluster.set(keys[0], "w")
        reads = {n.port: _stat(n.endpoint, "get") for n in redis_cluster.nodes}
        writes = {n.port: _stat(n.endpoint, "set") for n in redis_cluster.nodes}
        for node in redis_cluster.replicas:
            client_list = raw_command(node.endpoint, "CLIENT", "LIST")
            assert isinstance(client_list, bytes)
            ours = [line for line in client_list.splitlines() if b"lib-name=redis-oxide" in line]
            assert ours
            assert all(b"flags=r" in line for line in ours)  # READONLY connections
    assert sum(reads[n.port] for n in redis_cluster.replicas) == 30
    assert sum(reads[n.port] for n in redis_cluster.primaries) == 0
    assert sum(writes[n.port] for n in redis_cluster.primaries) == 1


def _stat(endpoint: Any, command: str) -> int:
    info = parse_info(raw_command(endpoint, "INFO", "commandstats"))
    fields = info.get(f"cmdstat_{command}")
    return int(dict(f.split("=") for f in fields.split(","))["calls"]) if fields else 0


async def test_a_dead_startup_node_is_skipped(redis_cluster: ClusterInfo) -> None:
    from redis_oxide.testing._ports import free_port

    live = redis_cluster.replicas[1]
    nodes: list[str | tuple[str, int]] = [f"127.0.0.1:{free_port()}", (live.host, live.port)]
    async with RedisCluster(startup_nodes=nodes, connect_timeout=1.0) as cluster:
        assert len(await cluster.nodes()) == 6
        assert await cluster.set("dead-seed", "ok")


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        ({"host": "127.0.0.1", "port": 0}, ValueError, "port must be between 1 and 65535, not 0"),
        ({"host": "127.0.0.1", "port": 70000}, ValueError, "not 70000"),
        ({"host": "local host"}, ValueError, "without spaces"),
        ({"startup_nodes": [("127.0.0.1", "7000")]}, TypeError, "port must be an int, not str"),
        ({"startup_nodes": [(None, 7000)]}, TypeError, "host must be a str"),
        ({"startup_nodes": ["127.0.0.1:99999"]}, ValueError, "not 99999"),
    ],
)
def test_startup_nodes_are_checked_when_the_client_is_made(
    given: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        RedisCluster(**given)


async def test_from_url_and_options(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[1]
    async with RedisCluster.from_url(
        f"redis://{seed.host}:{seed.port}?protocol=2", decode_responses=True
    ) as cluster:
        assert await cluster.set("url:k", "v")
        assert await cluster.get("url:k") == "v"
    with pytest.raises(ValueError, match="db must be 0"):
        RedisCluster(seed.host, seed.port, db=1)
    with pytest.raises(ValueError, match="read_from"):
        RedisCluster(seed.host, seed.port, read_from="nearest")  # type: ignore[call-overload]  # under test
    with pytest.raises(TypeError, match="unknown options"):
        RedisCluster(seed.host, seed.port, nodes=3)  # type: ignore[call-overload]  # under test
    with pytest.raises(ValueError, match="startup"):
        RedisCluster()
    with pytest.raises(ValueError, match="redis:// or rediss://"):
        RedisCluster.from_url("unix:///tmp/redis.sock")


async def test_every_strategy_runs_on_every_node(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[2]
    keys = _keys_in_distinct_slots(20, "pooled")
    async with RedisCluster(seed.host, seed.port, strategy="pooled", max_connections=4) as cluster:
        await cluster.mset(dict.fromkeys(keys, "v"))
        assert await cluster.mget(*keys) == [b"v"] * 20
        async with cluster.pipeline() as pipe:
            counts = [pipe.incr(f"{{pooled}}:{i}") for i in range(5)]
        assert [await c for c in counts] == [1] * 5
        tx = cluster.pipeline(transaction=True)
        tx.incr("{pooled}:0")
        assert await tx.execute() == [2]
        assert {s.strategy for s in cluster.stats().nodes.values()} == {"pooled"}


async def test_a_closed_cluster_client_refuses_commands(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    cluster = RedisCluster(seed.host, seed.port)
    assert await cluster.set("closed:k", "v")
    await cluster.aclose()
    await cluster.aclose()  # harmless
    with pytest.raises(ConnectionClosedError):
        await cluster.get("closed:k")


async def test_a_command_keyed_only_for_the_server_follows_its_redirects(
    cluster: RedisCluster[str],
) -> None:
    # A spec that shows no key where the server routes by one (Redis 8's FT.* specs have no
    # key specs; the search coordinator they assume is not on this cluster): the client sends
    # such a command anywhere and follows MOVED to the node the server names.
    keyless = {name: dataclasses.replace(_m.COMMANDS[name], key_specs=()) for name in _FT}
    executor = cluster._executor
    created = [
        await executor._execute(keyless["FT.CREATE"], _ft_create(f"idx:redirect:{i}"), None)
        for i in range(6)
    ]
    assert created == ["OK"] * 6
    infos = [
        await executor._execute(keyless["FT.INFO"], ("FT.INFO", f"idx:redirect:{i}"), None)
        for i in range(6)
    ]
    assert all(info for info in infos)
    assert cluster.stats().moved > 0  # some went to another node first
    for i in range(6):
        dropped = await executor._execute(
            keyless["FT.DROPINDEX"], ("FT.DROPINDEX", f"idx:redirect:{i}"), None
        )
        assert dropped == "OK"


async def test_search_commands_go_to_the_node_of_their_index_name(
    cluster: RedisCluster[str],
) -> None:
    # The project's spec routes FT.* by the index name, where the server runs them.
    before = cluster.stats().moved
    for i in range(6):
        assert await cluster.execute_command(*_ft_create(f"idx:routed:{i}")) == "OK"
        assert await cluster.ft.info(f"idx:routed:{i}")
        assert await cluster.ft.dropindex(f"idx:routed:{i}") is True
    assert cluster.stats().moved == before


async def test_a_closed_cluster_client_says_it_is_closed(redis_cluster: ClusterInfo) -> None:
    seed = redis_cluster.primaries[0]
    client = RedisCluster(seed.host, seed.port)
    async with client:
        await client.set("closed:k", "v")
    with pytest.raises(ConnectionClosedError, match="closed"):
        await client.get("closed:k")
    with pytest.raises(ConnectionClosedError, match=r"aclose\(\) was called"):
        [key async for key in client.scan_iter()]
    with pytest.raises(ConnectionClosedError, match=r"aclose\(\) was called"):
        await client.nodes()
    report = await client.health()  # unhealthy, not an exception, as Redis.health() does
    assert not report.healthy
    assert "ConnectionClosedError" in report.problems[0]
