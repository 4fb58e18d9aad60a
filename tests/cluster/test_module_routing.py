"""Module commands on the cluster go straight to the node serving their keys.

- One write and one read of each module group (JSON, BF, CF, CMS, TOPK, TDIGEST, TS, and FT by
  index name) over keys on all three primaries: ``INFO commandstats`` of every primary counts
  exactly the calls whose keys it serves, none rejected (a MOVED is a rejected call), and the
  client followed no MOVED or ASK.
- Every conformance entry of those modules whose command has keys, through one client: no
  redirect at all (the module key specs, after ``specs/modules/overrides.toml``, put each
  call where the server runs it).
- JSON.MGET, JSON.MSET and TS.MADD over keys in many slots are split per slot (one call per
  slot on its node) and answer as one server would, in the caller's key order.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide import RedisCluster
from redis_oxide._generated._meta import COMMANDS
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, parse_info, raw_command
from tests.cluster._migrate import owner_of
from tests.cluster.test_conformance import _node_local
from tests.conformance._entry import Recorder
from tests.conformance._runner import command_of
from tests.conformance.tables import ENTRIES

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(90)

Client = RedisCluster[str]

#: Per module group: (write command, its call), (read command, its call), over one key.
GROUPS: dict[str, tuple[tuple[str, Callable[[Client, str], Awaitable[object]]], ...]] = {
    "json": (
        ("JSON.SET", lambda r, k: r.json.set(k, "$", {"n": 1})),
        ("JSON.GET", lambda r, k: r.json.get(k, "$.n")),
    ),
    "bf": (
        ("BF.ADD", lambda r, k: r.bf.add(k, "a")),
        ("BF.EXISTS", lambda r, k: r.bf.exists(k, "a")),
    ),
    "cf": (
        ("CF.ADD", lambda r, k: r.cf.add(k, "a")),
        ("CF.EXISTS", lambda r, k: r.cf.exists(k, "a")),
    ),
    "cms": (
        ("CMS.INITBYDIM", lambda r, k: r.cms.initbydim(k, 10, 2)),
        ("CMS.QUERY", lambda r, k: r.cms.query(k, "a")),
    ),
    "topk": (
        ("TOPK.RESERVE", lambda r, k: r.topk.reserve(k, 3)),
        ("TOPK.QUERY", lambda r, k: r.topk.query(k, "a")),
    ),
    "tdigest": (
        ("TDIGEST.CREATE", lambda r, k: r.tdigest.create(k)),
        ("TDIGEST.MAX", lambda r, k: r.tdigest.max(k)),
    ),
    "ts": (("TS.CREATE", lambda r, k: r.ts.create(k)), ("TS.GET", lambda r, k: r.ts.get(k))),
    "ft": (
        ("FT.CREATE", lambda r, k: r.execute_command("FT.CREATE", k, "SCHEMA", "f", "TEXT")),
        ("FT.SEARCH", lambda r, k: r.ft.search(k, "*")),
    ),
}
MODULES = frozenset({"ReJSON", "bf", "timeseries"})


@pytest.fixture
async def cluster(redis_cluster: ClusterInfo) -> AsyncIterator[Client]:
    seed = redis_cluster.primaries[0]
    async with RedisCluster(seed.host, seed.port, decode_responses=True) as client:
        await client.flushall()
        await client.ping()
        yield client


def _spread_keys(redis_cluster: ClusterInfo, prefix: str, per_primary: int) -> list[str]:
    """Keys in distinct slots, ``per_primary`` on each primary, interleaved."""
    owners = {p.port: p for p in redis_cluster.primaries}
    found: dict[int, list[str]] = {port: [] for port in owners}
    seen: set[int] = set()
    index = 0
    while min(len(keys) for keys in found.values()) < per_primary:
        key = f"{prefix}:{index}"
        index += 1
        slot = key_slot(key)
        port = owner_of(redis_cluster, slot).port
        if slot not in seen and len(found[port]) < per_primary:
            seen.add(slot)
            found[port].append(key)
    return [key for batch in zip(*found.values(), strict=True) for key in batch]


def _calls_by_primary(redis_cluster: ClusterInfo, command: str) -> tuple[dict[int, int], int]:
    """Per primary port, the calls of ``command``; and the rejected calls on every node."""
    calls: dict[int, int] = {}
    rejected = 0
    for node in redis_cluster.nodes:
        info = parse_info(raw_command(node.endpoint, "INFO", "commandstats"))
        fields: dict[str, str] = {}
        for name, value in info.items():
            if name.lower() == f"cmdstat_{command.lower()}":
                fields = dict(item.split("=") for item in value.split(","))
        rejected += int(fields.get("rejected_calls", 0))
        if node.role == "primary":
            calls[node.port] = int(fields.get("calls", 0))
    return calls, rejected


def _reset_stats(redis_cluster: ClusterInfo) -> None:
    for node in redis_cluster.nodes:
        raw_command(node.endpoint, "CONFIG", "RESETSTAT")


async def test_each_module_group_goes_to_the_owning_node_without_a_redirect(
    cluster: Client, redis_cluster: ClusterInfo, figures: Figure
) -> None:
    wrong: list[str] = []
    counted: dict[str, dict[int, int]] = {}
    for group, steps in GROUPS.items():
        keys = _spread_keys(redis_cluster, f"route:{group}", 4)
        if group == "ft":
            keys = [f"idx:{key}" for key in keys]
        expected = Counter(owner_of(redis_cluster, key_slot(key)).port for key in keys)
        for command, call in steps:
            _reset_stats(redis_cluster)
            for key in keys:
                await call(cluster, key)
            calls, rejected = _calls_by_primary(redis_cluster, command)
            counted[command] = calls
            if calls != dict(expected) or rejected:
                wrong.append(f"{command}: calls {calls}, owners {dict(expected)}, {rejected} rej.")
        if group == "ft":
            for key in keys:
                await cluster.ft.dropindex(key)
    stats = cluster.stats()
    figures("calls per primary, per command", counted)
    figures("MOVED / ASK followed", (stats.moved, stats.asked))
    assert wrong == []
    assert (stats.moved, stats.asked) == (0, 0)


async def test_every_keyed_module_entry_runs_where_its_keys_are(
    cluster: Client, figures: Figure
) -> None:
    entries = [
        e
        for e in ENTRIES
        if e.server == "stack"
        and COMMANDS[command_of(e.method)].module in MODULES
        and COMMANDS[command_of(e.method)].key_specs
        and not _node_local(e)
    ]
    failed: Counter[str] = Counter()
    for entry in entries:
        await cluster.flushall()  # entries of one command share their keys
        recorder = Recorder(cluster, {"host": "", "port": 0, "closers": []})
        try:
            for args in entry.setup:
                await recorder.raw(*args)
            if entry.prepare is not None:
                await entry.prepare(recorder)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                await entry.call(recorder)
        except Exception as exc:
            failed[f"{entry.id}: {exc}"] += 1
        for args in entry.cleanup:
            await recorder.raw(*args)
    stats = cluster.stats()
    figures("keyed module entries run", len(entries))
    figures("MOVED / ASK followed", (stats.moved, stats.asked))
    assert len(entries) > 100
    assert failed == {}
    assert (stats.moved, stats.asked) == (0, 0)


async def test_json_mget_of_keys_in_many_slots_answers_in_key_order(
    cluster: Client, redis_cluster: ClusterInfo, figures: Figure
) -> None:
    keys = _spread_keys(redis_cluster, "jmget", 20)
    for number, key in enumerate(keys):
        if number % 3:  # every third key stays missing
            await cluster.json.set(key, "$", {"n": number})
    _reset_stats(redis_cluster)
    values = await cluster.json.mget(keys, "$.n")
    assert values == [None if n % 3 == 0 else [n] for n in range(len(keys))]
    calls, rejected = _calls_by_primary(redis_cluster, "JSON.MGET")
    figures("keys, slots", (len(keys), len({key_slot(k) for k in keys})))
    figures("JSON.MGET calls per primary (one per slot)", calls)
    assert calls == {p.port: 20 for p in redis_cluster.primaries}
    assert rejected == 0
    assert (cluster.stats().moved, cluster.stats().asked) == (0, 0)


async def test_json_mset_and_ts_madd_are_split_per_slot(
    cluster: Client, redis_cluster: ClusterInfo
) -> None:
    keys = _spread_keys(redis_cluster, "split", 5)
    assert await cluster.json.mset([(k, "$", {"k": k}) for k in keys]) is True
    assert await cluster.json.mget(keys, "$.k") == [[k] for k in keys]
    for key in keys:
        await cluster.ts.create(f"ts:{key}")
    samples = [(f"ts:{k}", 1000 + i, float(i)) for i, k in enumerate(keys)]
    samples.append(("ts:missing", 5, 1.0))
    _reset_stats(redis_cluster)
    added: Any = await cluster.ts.madd(samples)
    calls, rejected = _calls_by_primary(redis_cluster, "TS.MADD")
    slots = {key_slot(key) for key, _, _ in samples}
    assert calls == dict(Counter(owner_of(redis_cluster, slot).port for slot in slots))
    assert rejected == 0
    assert added[:-1] == [1000 + i for i in range(len(keys))]
    assert isinstance(added[-1], Exception)  # one sample's error stays in its place
    assert [await cluster.ts.get(f"ts:{k}") for k in keys] == [
        (1000 + i, float(i)) for i in range(len(keys))
    ]
