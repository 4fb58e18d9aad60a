"""Routing is derived from the generated metadata, and checked against the server.

- Every keyed call of the conformance table (and the extra argument lists of ``test_keys``)
  goes through the real ``ClusterExecutor`` over recording nodes: the node each part reaches
  must be the one serving the slot ``CLUSTER KEYSLOT`` gives for the key ``COMMAND GETKEYS``
  names (shard channels, which GETKEYS leaves out, by their own slot).
- Every keyless command with a ``request_policy`` runs on the real cluster, and ``INFO
  commandstats`` of each node says which nodes saw it: all primaries for ``all_shards``,
  every node for ``all_nodes``, one node per call for SCAN's ``special``. (A replica also
  counts the writes its primary replicates, so a node counts only when a redis-oxide
  connection's last command, in ``CLIENT LIST``, is that command too.)
- Fifty concurrent refreshes are one refresh, asking at most three nodes, and a startup node
  the map does not list stays among the nodes to ask.
"""

from __future__ import annotations

import asyncio
import warnings
from collections import Counter
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

import pytest

from redis_oxide import RedisCluster
from redis_oxide._cluster import ClusterExecutor
from redis_oxide._cluster._router import routing_keys
from redis_oxide._command import ArgT, CommandMeta, KeySpecFlag, RequestPolicy
from redis_oxide._exceptions import CrossSlotError, server_error_from_message
from redis_oxide._generated._meta import COMMANDS
from redis_oxide._keys import key_slot
from redis_oxide._pool._batch import Batch
from redis_oxide._retry import Retry
from redis_oxide.testing import (
    ClusterInfo,
    Endpoint,
    RawReplyError,
    open_raw,
    parse_info,
    raw_command,
)
from redis_oxide.testing._ports import free_port
from tests.cluster._doubles import DirectStrategy
from tests.cluster.test_keys import _as_bytes, _calls, _pipelined, _wire
from tests.conformance._entry import Entry, Recorder
from tests.conformance._runner import command_of
from tests.conformance.tables import ENTRIES

if TYPE_CHECKING:
    from tests.conftest import Figure

pytestmark = pytest.mark.timeout(120)

_FORWARDED = frozenset({"CLUSTER SHARDS", "CLUSTER SLOTS", "COMMAND GETKEYS"})

#: Commands whose spec shows no key where the server's key finder has one: such a command
#: goes to any primary and follows MOVED. None in the project's specs: RediSearch's index
#: names route as keys (specs/modules/overrides.toml says why), and the corrected module key
#: specs name the server's keys and more, first key first.
SPEC_GAPS: dict[str, str] = {}


class _RecordingNode:
    """Stands in for a node's executor: records what it is sent, asks the real node only for
    the topology and for keys."""

    def __init__(self, host: str, port: int, log: list[tuple[str, CommandMeta, Any]]) -> None:
        self.endpoint = Endpoint(host, port)
        self.address = f"{host}:{port}"
        self.log = log
        self.strategy = DirectStrategy(self._execute)

    def _execute(self, meta: CommandMeta, args: tuple[ArgT, ...], parser: Any) -> Awaitable[Any]:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if meta.name in _FORWARDED:
            try:
                future.set_result(raw_command(self.endpoint, *_wire(args)))
            except RawReplyError as exc:
                future.set_exception(server_error_from_message(str(exc)))
            return future
        self.log.append((self.address, meta, args))
        future.set_result(None)
        return future

    async def run_batch(self, batch: Batch, *, transaction: bool) -> list[object]:
        # A split command's parts arrive as one batch per node.
        for meta, args in zip(batch.metas, batch.args, strict=True):
            self.log.append((self.address, meta, args))
        return [None] * len(batch)

    async def aclose(self, grace: float | None) -> None:
        return None


def _recording_cluster(
    seed: tuple[str, int], log: list[tuple[str, CommandMeta, Any]]
) -> ClusterExecutor:
    def factory(host: str, port: int, reroute: Any) -> Any:
        return _RecordingNode(host, port, log)

    return ClusterExecutor(
        factory,
        [seed],
        read_from="primary",
        command_timeout=5.0,
        retry=Retry(),
        max_redirects=5,
        failover_timeout=1.0,
        refresh_interval=None,
        tls=False,
    )


def _shard_channel(meta: CommandMeta) -> bool:
    return any(spec.flags & KeySpecFlag.NOT_KEY for spec in meta.key_specs)


async def test_every_keyed_command_reaches_the_node_of_its_server_slot(
    redis_cluster: ClusterInfo, figures: Figure
) -> None:
    seed = redis_cluster.primaries[0]
    calls = _calls()
    with open_raw(seed.endpoint) as conn:
        server_keys = list(
            _pipelined(conn, [("COMMAND", "GETKEYS", *_wire(a)) for _, _, a in calls])
        )
    log: list[tuple[str, CommandMeta, Any]] = []
    cluster = _recording_cluster((seed.host, seed.port), log)
    await cluster.start()
    owners = cluster.topology.map
    assert owners is not None
    mismatches: list[str] = []
    checked = channels = parts_checked = cross_slot = 0
    spec_without_keys: set[str] = set()
    per_primary: Counter[str] = Counter()
    for (label, meta, args), reply in zip(calls, server_keys, strict=True):
        listed = [] if isinstance(reply, RawReplyError) else reply
        assert isinstance(listed, list)
        keys = [key for key in listed if isinstance(key, bytes)]
        if not keys and not _shard_channel(meta):
            continue
        log.clear()
        refused: Exception | None = None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                await cluster._execute(meta, args, None)
        except CrossSlotError as exc:
            refused = exc
        except Exception:
            pass  # the recording nodes answer None, which a split command cannot reassemble
        ours_keys, complete = routing_keys(meta, args)
        if keys and complete and not ours_keys:
            # The server knows keys the spec does not show: the redirect routes it.
            spec_without_keys.add(meta.name)
            continue
        if not keys:  # a shard channel (SPUBLISH, SSUBSCRIBE): routed by its own slot
            keys = [_as_bytes(k) for k in ours_keys]
            channels += 1
        checked += 1
        ours = key_slot(routing_keys(meta, args)[0][0]) if routing_keys(meta, args)[1] else None
        slots = {raw_command(seed.endpoint, "CLUSTER", "KEYSLOT", key) for key in keys}
        theirs = raw_command(seed.endpoint, "CLUSTER", "KEYSLOT", keys[0])
        if ours is not None and ours != theirs:
            mismatches.append(f"{label}: client slot {ours}, server slot {theirs!r}")
        if len(slots) > 1 and meta.request_policy is not RequestPolicy.MULTI_SHARD:
            cross_slot += 1
            if refused is None or log:
                mismatches.append(
                    f"{label}: keys in {len(slots)} slots, not refused before sending"
                )
            continue
        if not log:
            mismatches.append(f"{label}: nothing was sent ({refused!r})")
        for address, _, sent in log:
            part_reply = (
                keys
                if len(log) == 1
                else raw_command(seed.endpoint, "COMMAND", "GETKEYS", *_wire(sent))
            )
            assert isinstance(part_reply, list)
            sent_keys = [key for key in part_reply if isinstance(key, bytes)]
            for key in sent_keys:
                slot = raw_command(seed.endpoint, "CLUSTER", "KEYSLOT", key)
                assert isinstance(slot, int)
                shard = owners.shard_of(slot)
                assert shard is not None
                parts_checked += 1
                per_primary[address] += 1
                if shard.primary.address != address:
                    mismatches.append(f"{label}: {key!r} (slot {slot}) went to {address}")
    figures("keyed calls routed and checked", checked)
    figures("of them shard-channel calls", channels)
    figures("of them refused as cross-slot before sending", cross_slot)
    figures("keys checked against CLUSTER KEYSLOT", parts_checked)
    figures("keys per primary", dict(per_primary))
    figures("commands whose spec shows no key the server has", sorted(spec_without_keys))
    figures("mismatches", len(mismatches))
    assert mismatches == [], "\n".join(mismatches)
    assert spec_without_keys == set(SPEC_GAPS)
    assert checked > 280
    assert len(per_primary) == 3
    assert min(per_primary.values()) > parts_checked / 6


#: Calls for the keyless commands with a policy that the conformance table cannot make.
_RAW_CALLS: dict[str, tuple[ArgT, ...]] = {
    "ACL SAVE": ("ACL", "SAVE"),
    "FUNCTION KILL": ("FUNCTION", "KILL"),
    "SCRIPT KILL": ("SCRIPT", "KILL"),
}


def _commandstats(endpoint: Endpoint) -> dict[str, int]:
    info = parse_info(raw_command(endpoint, "INFO", "commandstats"))
    seen: dict[str, int] = {}
    for name, value in info.items():
        if name.startswith("cmdstat_"):
            fields = dict(item.split("=") for item in value.split(","))
            total = sum(int(fields.get(k, 0)) for k in ("calls", "rejected_calls", "failed_calls"))
            seen[name.removeprefix("cmdstat_").replace("|", " ").upper()] = total
    return seen


def _ours_ran(endpoint: Endpoint, name: str) -> bool:
    # A replica also counts the writes it gets from its primary; only a redis-oxide
    # connection whose last command was this one shows the client sent it there.
    listing = raw_command(endpoint, "CLIENT", "LIST")
    assert isinstance(listing, bytes)
    wanted = name.lower().replace(" ", "|").encode()
    for line in listing.splitlines():
        fields = dict(f.split(b"=", 1) for f in line.split() if b"=" in f)
        if fields.get(b"lib-name") == b"redis-oxide" and fields.get(b"cmd") == wanted:
            return True
    return False


def _policy_commands() -> dict[str, RequestPolicy]:
    return {
        name: meta.request_policy
        for name, meta in COMMANDS.items()
        if meta.request_policy is not None and not meta.key_specs
    }


async def test_every_keyless_policy_fans_out_as_it_says(
    redis_cluster: ClusterInfo, figures: Figure
) -> None:
    wanted = _policy_commands()
    entries: dict[str, Entry] = {}
    for candidate in ENTRIES:
        name = command_of(candidate.method)
        if name in wanted and not candidate.extra_config:
            entries.setdefault(name, candidate)
    assert set(wanted) <= set(entries) | set(_RAW_CALLS), set(wanted) - set(entries)
    primaries = {f"{n.host}:{n.port}" for n in redis_cluster.primaries}
    everyone = {f"{n.host}:{n.port}" for n in redis_cluster.nodes}
    counted: dict[str, int] = {}
    wrong: list[str] = []
    async with RedisCluster(redis_cluster.primaries[0].host, redis_cluster.primaries[0].port) as r:
        await r.ping()  # connections open before the counters are reset
        for name, policy in sorted(wanted.items(), key=lambda item: item[0]):
            recorder = Recorder(r, {"host": "", "port": 0, "closers": []})
            entry: Entry | None = entries.get(name)
            if entry is not None:
                for args in entry.setup:
                    await recorder.raw(*args)
                if entry.prepare is not None:
                    await entry.prepare(recorder)
            for node in redis_cluster.nodes:
                raw_command(node.endpoint, "CONFIG", "RESETSTAT")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    if entry is not None:
                        await entry.call(recorder)
                    else:
                        await r.execute_command(*_RAW_CALLS[name])
            except Exception:
                pass  # NOTBUSY (SCRIPT/FUNCTION KILL), no aclfile (ACL SAVE): seen all the same
            saw = {
                f"{n.host}:{n.port}"
                for n in redis_cluster.nodes
                if _commandstats(n.endpoint).get(name, 0) > 0 and _ours_ran(n.endpoint, name)
            }
            if entry is not None:
                for args in entry.cleanup:
                    await recorder.raw(*args)
            counted[name] = len(saw)
            if policy is RequestPolicy.ALL_SHARDS:
                good = saw == primaries
            elif policy is RequestPolicy.ALL_NODES:
                good = saw == everyone
            else:  # SCAN (special): one shard per call
                good = len(saw) == 1 and saw <= primaries
            if not good:
                wrong.append(f"{name} ({policy.value}) seen by {sorted(saw)}")
    figures("keyless commands with a policy", len(counted))
    figures("nodes that saw each", counted)
    assert wrong == []


async def test_concurrent_refreshes_are_one_and_the_startup_nodes_stay(
    redis_cluster: ClusterInfo,
) -> None:
    seed = redis_cluster.primaries[0]
    log: list[tuple[str, CommandMeta, Any]] = []
    asked: Counter[str] = Counter()

    class Counting(_RecordingNode):
        def _execute(self, meta: CommandMeta, args: tuple[ArgT, ...], parser: Any) -> Any:
            if meta.name.startswith("CLUSTER"):
                asked[self.address] += 1
            return super()._execute(meta, args, parser)

    def factory(host: str, port: int, reroute: Any) -> Any:
        return Counting(host, port, log)

    gone = ("127.0.0.1", free_port())
    cluster = ClusterExecutor(
        factory,
        [gone, (seed.host, seed.port)],
        read_from="primary",
        command_timeout=5.0,
        retry=Retry(),
        max_redirects=5,
        failover_timeout=1.0,
        refresh_interval=None,
        tls=False,
    )
    await asyncio.gather(*(cluster.topology.refresh() for _ in range(50)))
    assert cluster.topology.refreshes == 1
    assert sum(asked.values()) <= 3  # one refresh: at most three nodes asked, once each
    candidates = cluster.topology._candidates()
    assert f"{gone[0]}:{gone[1]}" in candidates  # a startup node the map lacks is kept
    assert len(candidates) == 7
    await cluster.aclose(None)
