"""The cluster executor: key -> slot -> the node's own executor, fan-out by policy, redirects.

Rules this module keeps:

- The fast path is one frame before the node's own fast path: for a command whose key specs
  fix one key at one index (``CommandMeta.key_index``) and a key without a hash tag,
  ``_execute`` reads the key, hashes it (CRC16, as ``key_slot``) and calls the slot's entry
  in the topology's table (a node's ``ServerExecutor``) -> ``ServerExecutor._execute``. No
  coroutine, no extra future. Anything else takes ``_dispatch``.
- Everything else (several keys, keyless commands, a map not loaded yet) goes through
  ``_dispatch``: one slot; a ``multi_shard`` split per slot, sent concurrently and put back
  in key order; a fan-out by ``request_policy`` combined by ``response_policy``
  (``_replies``); PUBLISH to its channel's slot's primary (one node per channel keeps a
  client's publishes in order); the PUBSUB queries to every node (``CLUSTER_WIDE``); a
  random primary for another keyless command without a policy. Keys that span slots
  otherwise raise ``CrossSlotError`` before anything is sent.
- Redirects, transient states and failures reach the slow path (``_redirects``) through each
  node executor's ``Reroute`` when the reply or the failure arrives, never through a
  coroutine per ordinary command.
- Helpers reach nodes only through ``table()`` and ``registry``, so a ``with_options`` view
  (``_view``), which hands out its own versions there, runs them unchanged.
"""

# pyright: reportPrivateUsage=false
# (The executor calls its node executors' ``_execute`` by design: that is the seam.)

from __future__ import annotations

import asyncio
import random
import time
from binascii import crc_hqx
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from redis_oxide._cluster._batches import run_cluster_batch
from redis_oxide._cluster._departed import without_departed
from redis_oxide._cluster._nodes import RAW, ExecutorFactory, NodeExecutor, NodeLookup, NodeRegistry
from redis_oxide._cluster._redirects import DownTarget, NodeReroute, NoReplica, run_slow
from redis_oxide._cluster._replies import CLUSTER_WIDE, combine
from redis_oxide._cluster._router import Part as SplitPart
from redis_oxide._cluster._router import can_split, routing_keys, slot_of_keys, split_by_slot
from redis_oxide._cluster._scan import scan_step
from redis_oxide._cluster._slots import ClusterMember
from redis_oxide._cluster._split import run_split
from redis_oxide._cluster._topology import ReadFrom, Target, Topology
from redis_oxide._cluster._transactions import WatchRedirects, slot_guard
from redis_oxide._cluster._whole import place_whole, run_whole
from redis_oxide._command import ArgT, CommandMeta, KeyT, ReplyParser, RequestPolicy
from redis_oxide._exceptions import ConnectFailedError, ConnectionClosedError
from redis_oxide._executor import Reroute
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import SLOT_COUNT, key_slot
from redis_oxide._pool import Lease
from redis_oxide._pool._batch import Batch
from redis_oxide._retry import Retry

__all__ = ["ClusterExecutor", "ClusterCounters"]

T = TypeVar("T")

_SLOT_MASK = SLOT_COUNT - 1


class ClusterCounters:
    """How often the slow paths ran (exposed through ``RedisCluster.stats()``)."""

    __slots__ = ("asked", "moved", "rerouted", "retried")

    def __init__(self) -> None:
        self.moved = 0
        self.asked = 0
        self.retried = 0
        self.rerouted = 0

    def redirected(self, kind: str, host: str, port: int) -> None:
        """Count a redirect followed (``"MOVED"`` or ``"ASK"``) to the node at ``host:port``.

        Telemetry counts it too (``_telemetry_cluster``); this is the one place redirects are
        counted.
        """
        if kind == "ASK":
            self.asked += 1
        else:
            self.moved += 1


class ClusterExecutor:
    """Runs commands on a Redis Cluster; see the module rules.

    Args:
        factory: Makes a node's executor from its host, port and reroute.
        seeds: ``(host, port)`` of the startup nodes.
        read_from: Where read-only commands with keys go.
        command_timeout: Seconds each non-blocking command waits, retries included.
        retry: Backoff between retries of transient states.
        max_redirects: MOVED/ASK redirects followed per call.
        failover_timeout: Longest wait for a failing node's slots to move when the command
            has no deadline of its own.
        refresh_interval: Seconds between periodic topology refreshes; None disables them.
        tls: Nodes are reached over TLS.
    """

    def __init__(
        self,
        factory: ExecutorFactory,
        seeds: Sequence[tuple[str, int]],
        *,
        read_from: ReadFrom,
        command_timeout: float | None,
        retry: Retry,
        max_redirects: int,
        failover_timeout: float,
        refresh_interval: float | None,
        tls: bool,
    ) -> None:
        self._nodes = NodeRegistry(factory, self._reroute_for)
        #: Address -> node executor (a view's lookup hands out its own versions).
        self.registry: NodeLookup = self._nodes
        self.topology = Topology(
            self._nodes,
            seeds,
            read_from=read_from,
            down_target=self._down_target,
            no_replica=NoReplica(),
            tls=tls,
            refresh_interval=refresh_interval,
        )
        self._primaries: Sequence[Target | None] = self.topology.primaries
        self._readers: Sequence[Target | None] = self.topology.readers
        #: Seconds each non-blocking command waits for its reply, retries included.
        self.command_timeout = command_timeout
        self._retry = retry
        self._max_redirects = max_redirects
        self._failover_timeout = failover_timeout
        self._down: dict[str, DownTarget] = {}
        self._started = False
        self.counters = ClusterCounters()

    # -- one command ---------------------------------------------------------------------------

    def _execute(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        # The key extractor and key_slot inlined for a command with one key at a fixed
        # index (``meta.key_index``) and no hash tag (module rules).
        index = meta.key_index
        if index is not None and len(args) > index:
            key = args[index]
            # Other key types (numbers, memoryview) take the general path.
            data = key if isinstance(key, bytes) else key.encode() if isinstance(key, str) else b"{"
            if data.find(b"{") < 0:  # (`in` on bytes first tries the operand as an int)
                target = (self._readers if meta.is_readonly else self._primaries)[
                    crc_hqx(data, 0) & _SLOT_MASK
                ]
                if target is not None:
                    result: Awaitable[T] = target._execute(meta, args, parser)
                    return result
        return self._dispatch(meta, args, parser)

    def _dispatch(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> Awaitable[T]:
        if self.topology.map is None:
            return self._after_refresh(meta, args, parser)
        keys, complete = routing_keys(meta, args)
        if not complete:
            return self._with_server_keys(meta, args, parser)
        if keys:
            if len(keys) > 1 and can_split(meta):
                # Slots once per key: the split's groups say whether there is more than one.
                split = split_by_slot(meta, args)
                if len(split) > 1:
                    return self._split(meta, args, parser, split)
                slot: int | None = split[0][0]
            else:
                slot = slot_of_keys(meta, keys)
            if slot is None:
                return self._split(meta, args, parser)
            target = (self._readers if meta.is_readonly else self._primaries)[slot]
            if target is None:
                return run_slow(self, meta, args, parser, self._deadline(), None, None)
            result: Awaitable[T] = target._execute(meta, args, parser)
            return result
        policy = meta.request_policy
        if policy is RequestPolicy.ALL_SHARDS:
            return self.fan_out(meta, args, parser, self.topology_nodes("primaries"))
        if policy is RequestPolicy.ALL_NODES:
            return self.fan_out(meta, args, parser, self.topology_nodes("all"))
        if policy is RequestPolicy.SPECIAL and meta is _m.SCAN:
            return scan_step(self, args, parser)
        if meta is _m.PUBLISH and len(args) > 1:
            result = self.channel_primary(args[1])._execute(meta, args, parser)
        elif meta.name in CLUSTER_WIDE:
            return self.fan_out(meta, args, parser, self.topology_nodes("all"))
        else:
            result = self.random_primary()._execute(meta, args, parser)
        return result

    async def _after_refresh(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> T:
        await self.start()
        value: T = await self._dispatch(meta, args, parser)
        return value

    async def _with_server_keys(
        self, meta: CommandMeta, args: tuple[ArgT, ...], parser: ReplyParser[T] | None
    ) -> T:
        # The key specs cannot tell (SORT ... BY, MIGRATE ... KEYS): the server's own key
        # finder can.
        keys: list[KeyT] = await self.random_primary()._execute(
            _m.COMMAND_GETKEYS, ("COMMAND", "GETKEYS", *args), None
        )
        if not keys:
            value: T = await self.random_primary()._execute(meta, args, parser)
            return value
        slot = slot_of_keys(meta, keys)
        if slot is None:
            return await self._split(meta, args, parser)
        target = self._primaries[slot]
        if target is None:
            return await run_slow(self, meta, args, parser, self._deadline(), None, None)
        value = await target._execute(meta, args, parser)
        return value

    async def _split(
        self,
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: ReplyParser[T] | None,
        parts: list[SplitPart] | None = None,
    ) -> T:
        # One pipeline per node of that node's per-slot parts, not a command and a future
        # per slot; the batch path places, redirects part by part and merges.
        value: T = await run_split(self, meta, args, parser, parts)
        return value

    async def fan_out(
        self,
        meta: CommandMeta,
        args: tuple[ArgT, ...],
        parser: ReplyParser[T] | None,
        nodes: Sequence[ClusterMember],
    ) -> T:
        """Run a command on every node of ``nodes`` and combine the replies by its policy.

        Args:
            meta: The command.
            args: Its wire arguments.
            parser: Applied once, to the combined reply.
            nodes: Where it runs.

        Returns:
            The combined, parsed value.
        """
        deadline = self._deadline()
        executors = [self.registry.of(node) for node in nodes]
        outcomes = await asyncio.gather(
            *(e._execute(meta, args, RAW) for e in executors), return_exceptions=True
        )
        failed = False
        for outcome in outcomes:
            if isinstance(outcome, asyncio.CancelledError):
                raise outcome
            failed = failed or isinstance(outcome, BaseException)
        if failed:  # a node that left the cluster is not part of the answer (``_redirects``)
            nodes, outcomes = await without_departed(self, nodes, outcomes, deadline)
        raw = combine(meta, outcomes, [node.address for node in nodes])
        return raw if parser is None else parser(raw)

    # -- nodes ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the slot map (once; later calls join or return) and start periodic refreshes.

        Raises:
            ConnectFailedError: No startup node answered with a slot map.
            ConnectionClosedError: The client was closed.
        """
        if self.topology.closed:
            raise ConnectionClosedError("the cluster client is closed (aclose() was called)")
        if self.topology.map is None:
            await self.topology.refresh()
        if not self._started:
            self._started = True
            self.topology.start_periodic()

    def table(self, readonly: bool) -> Sequence[Target | None]:
        """Per slot, what runs its commands (``readonly``: its read-only commands)."""
        return self._readers if readonly else self._primaries

    def topology_nodes(self, which: str) -> list[ClusterMember]:
        """``"primaries"``, ``"replicas"`` or ``"all"`` nodes of the current map."""
        current = self.topology.map
        if current is None:
            return []
        if which == "primaries":
            return current.primaries()
        nodes = list(current.nodes())
        if which == "replicas":
            return [n for n in nodes if n.role == "replica"]
        return nodes

    def random_primary(self) -> NodeExecutor:
        """The executor of a random primary (keyless commands without a policy)."""
        primaries = self.topology_nodes("primaries")
        if not primaries:
            raise ConnectFailedError("the cluster's slot map lists no primary")
        return self.registry.of(random.choice(primaries))

    def channel_primary(self, channel: ArgT) -> NodeExecutor:
        """The executor PUBLISH on ``channel`` goes to: its slot's primary while that is up.

        PUBLISH reaches every node over the cluster bus, but a message published on a
        subscriber's own node is delivered at once and one published elsewhere later: one node
        per channel keeps a client's awaited publishes in order.
        """
        # The freshest owner: a MOVED patch names it before the map (refreshed in the
        # background, maybe later) does.
        address = self.topology.owner_of(key_slot(channel))
        if address is None or address in self.topology.down:
            return self.random_primary()
        return self.node_at(address)

    def executor_for_keys(self, keys: Sequence[KeyT]) -> NodeExecutor:
        """The executor of the primary serving ``keys`` (all in one slot), or a random one.

        Raises:
            CrossSlotError: The keys span slots.
        """
        if not keys:
            return self.random_primary()
        slot = slot_of_keys(_m.WATCH, keys)
        address = None if slot is None else self.topology.owner_of(slot)
        if address is None:
            raise ConnectFailedError(f"no node serves slot {slot} yet")
        return self.node_at(address)

    def node_at(self, address: str) -> NodeExecutor:
        """The executor of the node at ``address`` (``host:port``), made now if it is new."""
        host, _, port = address.rpartition(":")
        return self.registry.get(host.strip("[]"), int(port))

    def _deadline(self) -> float | None:
        timeout = self.command_timeout
        return None if timeout is None else time.monotonic() + timeout

    def _reroute_for(self, address: str) -> Reroute:
        return NodeReroute(self, address)

    def _down_target(self, address: str) -> Target:
        target = self._down.get(address)
        if target is None:
            target = self._down[address] = DownTarget(self, address)
        return target

    # -- the slow path -------------------------------------------------------------------------

    # -- batches and leases --------------------------------------------------------------------

    async def run_batch(self, batch: Batch, *, transaction: bool) -> list[object]:
        """Run a pipeline or transaction: split per node, or on one slot's primary.

        Args:
            batch: The queued commands.
            transaction: Wrap them in MULTI/EXEC (all keys must share one slot).

        Returns:
            One value or error per command, in the caller's order.

        Raises:
            CrossSlotError: A transaction's keys span slots, or a command's keys do and it
                cannot be split; nothing was sent.
        """
        await self.start()
        if not transaction:
            placement = place_whole(self, batch)
            if placement is not None:
                return await run_whole(self, batch, placement)
        return await run_cluster_batch(self, batch, transaction=transaction)

    def transaction_guard(
        self, keys: Sequence[KeyT]
    ) -> Callable[[CommandMeta, tuple[ArgT, ...]], None]:
        """The check every command of a transaction watching ``keys`` (one slot) passes.

        Raises:
            CrossSlotError: ``keys`` span slots (the check raises it for a command's keys
                outside the watched keys' slot).
        """
        slot = slot_of_keys(_m.WATCH, keys)
        assert slot is not None  # WATCH cannot split: keys across slots raised
        return slot_guard(slot)

    def transaction_redirects(self) -> WatchRedirects:
        """What one ``transaction(func)`` call or ``watch()`` block does after a redirect."""
        return WatchRedirects(self)

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a dedicated connection to the primary serving ``keys`` (one slot).

        Args:
            keys: The keys the lease is for; they must share a slot.

        Returns:
            A lease on that primary.

        Raises:
            ValueError: No key was given (``transaction(func)`` without watch keys): nothing
                tells which node the transaction's commands belong to.
            CrossSlotError: The keys span slots.
        """
        if not keys:
            raise ValueError(
                "transaction: on a cluster, transaction() needs watch keys to choose its node "
                "(the primary of their slot): pass the keys func reads or writes, as "
                "transaction(func, *keys), or queue the commands in "
                "pipeline(transaction=True), which routes by the keys it queues"
            )
        await self.start()
        return await self.executor_for_keys(keys).lease()

    async def aclose(self, grace: float | None) -> None:
        """Stop refreshing and close every node's connections."""
        await self.topology.aclose()
        await self._nodes.aclose(grace)
