"""The cluster's topology: the current slot map, the per-slot tables, and keeping both fresh.

Rules this module keeps:

- One refresh at a time: every caller that wants one awaits the same task (``refresh``), so
  a burst of MOVED replies or failures never stampedes the nodes. Background requests
  (``request_refresh``) are rate-limited: one made within ``_MIN_INTERVAL`` of the last
  refresh runs when the interval is over, so none is dropped.
- A refresh asks a few known nodes at once (primaries first, then replicas, then the seeds the
  client started from) and takes the first usable map (each asked as ``_refresh`` says). The
  seeds are never forgotten, so the set of nodes to ask never shrinks to nothing.
- A map that may be stale (a younger MOVED patch names another owner, or a primary that served
  slots serves none: see ``_refresh``) is followed by another refresh ``_MIN_INTERVAL`` later,
  and so on while that holds, for at most ``_SETTLE_SPAN`` after a primary was seen emptied:
  a primary that gave away its last slot is seen as the replica it became within about a
  second, not at the next periodic refresh.
- The tables (slot -> what runs its commands) are lists of 16384 entries changed in place, so
  the executor's fast path keeps one reference to them. A MOVED patches its slot at once;
  patches younger than the refresh that follows are kept over its answer, which a node that
  has not heard the news yet may have given.
- A node reported failing (lost connection, failed connect, command timeout) is marked down:
  its slots' entries become its stand-in (``down_target``), which sends callers to the slow
  path, where they wait for a new map or for a probe (one PING at a time) to find the node
  back. The map is refreshed every ``TROUBLE_INTERVAL`` seconds for a while after a failure,
  and every down node (replicas too, which no caller reaches) is probed until it answers.
- A node the map no longer lists is closed (``NodeRegistry.retire``).
- ``add_listener`` tells whoever asks (sharded pub/sub) each time the map changes.
"""

# pyright: reportPrivateUsage=false
# (Table entries are called through the executor seam, ``_execute``.)

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from typing import Any, Final, Literal

from redis_oxide._cluster._nodes import NodeExecutor, NodeRegistry
from redis_oxide._cluster._refresh import (
    ask_for_map,
    emptied_primaries,
    first_map,
    patches_disagree,
)
from redis_oxide._cluster._roles import watch_replica_roles
from redis_oxide._cluster._slots import ClusterMember, Shard, SlotMap
from redis_oxide._cluster._targets import ReplicaSet, Target
from redis_oxide._exceptions import ConnectFailedError, RedisError
from redis_oxide._generated import _meta as _m
from redis_oxide._keys import SLOT_COUNT
from redis_oxide._logs import log_fields

__all__ = ["ReadFrom", "Target", "Topology"]

logger = logging.getLogger("redis_oxide.cluster")

ReadFrom = Literal["primary", "prefer_replica", "replica"]

#: Refresh period while a node is down: a promotion is seen within this much of happening.
TROUBLE_INTERVAL: Final = 0.1
# Trouble mode ends this long after the last failure report.
_TROUBLE_SPAN = 10.0
# Background refreshes (after a MOVED) at most this often; callers never wait for them.
_MIN_INTERVAL = 0.2
# A primary seen emptied of its slots is followed by refreshes for at most this long (Redis
# turns it into a replica at once; the other nodes hear of it within about a second).
_SETTLE_SPAN = 5.0
# Nodes asked at once for the map.
_FAN = 3
# A down node is probed (PING) at most this often, with this timeout.
_PROBE_INTERVAL = 0.2
_PROBE_TIMEOUT = 0.5
# After the trouble span, down nodes are still probed this often (a PING each, off the
# command path), so one that answers again is back within about a second.
_DOWN_PROBE_INTERVAL = 0.5


class Topology:
    """The slot map and the tables built from it; see the module rules.

    Args:
        registry: The node executors.
        seeds: ``(host, port)`` of the nodes the client was given.
        read_from: Where read-only commands go.
        down_target: Builds the stand-in table entry of a node that is down.
        no_replica: The read table entry of a shard without replicas under ``read_from="replica"``.
        tls: Whether nodes are reached over TLS (their ``tls-port``).
        refresh_interval: Seconds between periodic refreshes; None refreshes only on demand.
    """

    def __init__(
        self,
        registry: NodeRegistry,
        seeds: Sequence[tuple[str, int]],
        *,
        read_from: ReadFrom,
        down_target: Callable[[str], Target],
        no_replica: Target,
        tls: bool,
        refresh_interval: float | None,
    ) -> None:
        if not seeds:
            raise ValueError("a cluster client needs at least one startup node")
        self.registry = registry
        self._seeds = list(dict.fromkeys(seeds))
        self._read_from = read_from
        self._down_target = down_target
        self._no_replica = no_replica
        self._tls = tls
        self._interval = refresh_interval
        self.map: SlotMap | None = None
        #: Bumped each time the map changes.
        self.version = 0
        #: Per slot: what runs its commands; what runs its read-only commands.
        self.primaries: list[Target | None] = [None] * SLOT_COUNT
        self.readers: list[Target | None] = (
            self.primaries if read_from == "primary" else [None] * SLOT_COUNT
        )
        self.refreshes = 0
        self._changed: asyncio.Future[None] | None = None
        self._refreshing: asyncio.Task[None] | None = None
        self._deferred: asyncio.Task[None] | None = None
        self._last_refresh = -1e9
        self._patches: dict[int, tuple[str, float]] = {}
        self._emptied: dict[str, float] = {}
        self.down: dict[str, float] = {}
        self._probes: dict[str, asyncio.Task[bool]] = {}
        self._trouble_until = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._listeners: list[Callable[[SlotMap | None, SlotMap], None]] = []
        self._closed = False

    # -- questions -----------------------------------------------------------------------------

    def primary_of(self, slot: int) -> ClusterMember | None:
        """The primary serving ``slot`` in the map, or None (placement asks ``owner_of``)."""
        shard = None if self.map is None else self.map.shard_of(slot)
        return None if shard is None else shard.primary

    def owner_of(self, slot: int) -> str | None:
        """The address of the primary serving ``slot``: a MOVED patch's, else the map's."""
        patched = self._patches.get(slot)
        if patched is not None:
            return patched[0]
        node = self.primary_of(slot)
        return None if node is None else node.address

    def add_listener(
        self, listener: Callable[[SlotMap | None, SlotMap], None]
    ) -> Callable[[], None]:
        """Call ``listener(old, new)`` after every change of the map; returns the remover."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def changed(self) -> asyncio.Future[None]:
        """A future resolved at the next change of the map."""
        future = self._changed
        if future is None or future.done():
            future = self._changed = asyncio.get_running_loop().create_future()
        return future

    # -- refreshing ----------------------------------------------------------------------------

    async def refresh(self, *, force: bool = True) -> None:
        """Refresh the map now, or join the refresh under way.

        Args:
            force: Refresh even if the last one was less than ``_MIN_INTERVAL`` ago.

        Raises:
            ConnectFailedError: No node answered with a usable map.
        """
        task = self._refreshing
        if task is None or task.done():
            if not force and time.monotonic() - self._last_refresh < _MIN_INTERVAL:
                return
            task = self._start(self._refresh())
            self._refreshing = task
        await asyncio.shield(task)

    def request_refresh(self) -> None:
        """Refresh in the background, unless one is under way; after a recent one, later."""
        if self._closed:
            return
        task = self._refreshing
        if task is not None and not task.done():
            return
        wait = _MIN_INTERVAL - (time.monotonic() - self._last_refresh)
        if wait <= 0:
            self._refreshing = self._start(self._refresh())
        else:  # within the rate limit: once it allows (a request is never dropped)
            self._refresh_in(wait)

    def _refresh_in(self, delay: float) -> None:
        if (self._deferred is None or self._deferred.done()) and not self._closed:
            self._deferred = self._start(self._refresh_later(delay))

    async def _refresh_later(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._deferred = None
        self.request_refresh()

    def _start(self, work: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            logger.debug(
                "cluster task failed: %r", error, extra=log_fields("task_failed", error=error)
            )

    async def _refresh(self) -> None:
        started = time.monotonic()
        errors: list[BaseException] = []
        candidates = self._candidates()
        for first in range(0, len(candidates), _FAN):
            found = await self._ask_some(candidates[first : first + _FAN], errors)
            if found is not None:
                self._apply(found, started)
                return
        last = errors[-1] if errors else None
        raise ConnectFailedError(
            f"no cluster node answered with a slot map (asked {len(candidates)}: "
            f"{', '.join(candidates[:6])}); last error: {last!r}"
        ) from last

    def _candidates(self) -> list[str]:
        known: list[str] = []
        down: list[str] = []
        if self.map is not None:
            for node in [*self.map.primaries(), *self.map.nodes()]:
                (down if node.address in self.down else known).append(node.address)
        known += [ClusterMember(host, port).address for host, port in self._seeds]
        return list(dict.fromkeys([*known, *down]))

    async def _ask_some(self, addresses: list[str], errors: list[BaseException]) -> SlotMap | None:
        return await first_map([self._start(self._ask(a)) for a in addresses], errors)

    async def _ask(self, address: str) -> SlotMap:
        host, _, port = address.rpartition(":")
        host = host.strip("[]")
        # Made only when asked: a startup node the map does not list is closed again at the
        # next change of the map, and made again only if it is asked again.
        return await ask_for_map(self.registry.get(host, int(port)), host, tls=self._tls)

    def _apply(self, new: SlotMap, started: float) -> None:
        self.refreshes += 1
        self._last_refresh = time.monotonic()
        self._patches = {s: p for s, p in self._patches.items() if p[1] > started}
        old = self.map
        addresses = {node.address for node in new.nodes()}
        for address in [a for a in self.down if a not in addresses]:
            del self.down[address]
        self._follow_up(old, new)
        if old is not None and old.same_owners(new):
            if self._patches:
                self._rebuild()
            return
        self.map = new
        self.version += 1
        fields = log_fields("map_changed", shards=len(new.shards), version=self.version)
        logger.info("cluster slot map changed: %r", new, extra=fields)
        self._rebuild()
        self.registry.retire(addresses)
        future = self._changed
        if future is not None and not future.done():
            future.set_result(None)
        for listener in list(self._listeners):
            try:
                listener(old, new)
            except Exception:  # a listener's bug must not stop the map from changing
                logger.exception("cluster map listener failed", extra=log_fields("listener_failed"))

    def _follow_up(self, old: SlotMap | None, new: SlotMap) -> None:
        # A map that may be stale is asked for again, rate-limited (module rules).
        now = time.monotonic()
        self._emptied = emptied_primaries(old, new, self._emptied, now)
        emptied = any(now - seen < _SETTLE_SPAN for seen in self._emptied.values())
        if emptied or patches_disagree(new, self._patches):
            self._refresh_in(_MIN_INTERVAL)  # this refresh is still under way: not request_refresh

    def _rebuild(self) -> None:
        current = self.map
        if current is None:
            return
        primaries: list[Target | None] = [None] * SLOT_COUNT
        readers: list[Target | None] = [None] * SLOT_COUNT
        for shard in current.shards:
            primary = self._entry(shard.primary)
            reader = self._reader(shard, primary)
            for first, last in shard.ranges:
                primaries[first : last + 1] = [primary] * (last + 1 - first)
                readers[first : last + 1] = [reader] * (last + 1 - first)
        for slot, (address, _) in self._patches.items():
            primaries[slot] = readers[slot] = self._entry_at(address)
        self.primaries[:] = primaries
        if self.readers is not self.primaries:
            self.readers[:] = readers

    def _entry(self, node: ClusterMember) -> Target:
        if node.address in self.down:
            return self._down_target(node.address)
        return self.registry.of(node)

    def _entry_at(self, address: str) -> Target:
        if address in self.down:
            return self._down_target(address)
        host, _, port = address.rpartition(":")
        return self.registry.get(host.strip("[]"), int(port))

    def _reader(self, shard: Shard, primary: Target) -> Target:
        if self._read_from == "primary":
            return primary
        replicas = [self.registry.of(r) for r in shard.replicas if r.address not in self.down]
        if replicas:
            return replicas[0] if len(replicas) == 1 else ReplicaSet(replicas)
        return primary if self._read_from == "prefer_replica" else self._no_replica

    # -- redirects and failures ----------------------------------------------------------------

    def moved(self, slot: int, host: str, port: int) -> NodeExecutor:
        """Serve ``slot`` from ``host:port`` from now on, and refresh in the background.

        Returns:
            The executor of the node that serves the slot now.
        """
        executor = self.registry.get(host, port)
        address = ClusterMember(host, port).address
        self._patches[slot] = (address, time.monotonic())
        entry = self._entry_at(address)
        self.primaries[slot] = entry
        if self.readers is not self.primaries:
            self.readers[slot] = entry
        self.request_refresh()
        return executor

    def report_failure(self, address: str, error: RedisError) -> None:
        """Mark a node down after a lost connection, a failed connect or a timeout."""
        if self._closed:
            return
        now = time.monotonic()
        self._trouble_until = now + _TROUBLE_SPAN
        if address not in self.down:
            fields = log_fields("node_failing", address, error=error)
            logger.warning("cluster node %s is failing: %r", address, error, extra=fields)
            self.down[address] = now
            self._rebuild()
        if self._poller is None or self._poller.done():
            self._poller = self._start(self._poll())

    def mark_up(self, address: str) -> None:
        """Take a node that answered again back into the tables."""
        if self.down.pop(address, None) is not None:
            logger.info(
                "cluster node %s answers again", address, extra=log_fields("node_up", address)
            )
            self._rebuild()

    def probe(self, address: str) -> asyncio.Task[bool]:
        """PING a down node (one probe at a time); the task's result says whether it answered."""
        task = self._probes.get(address)
        if task is None or task.done():
            task = self._start(self._probe(address))
            self._probes[address] = task
        return task

    async def _probe(self, address: str) -> bool:
        executor = self.registry.find(address)
        if executor is None:
            return False
        try:
            async with asyncio.timeout(_PROBE_TIMEOUT):
                await executor.strategy.execute(_m.PING, ("PING",), None, _PROBE_TIMEOUT)
        except (RedisError, TimeoutError):
            await asyncio.sleep(_PROBE_INTERVAL)
            return False
        self.mark_up(address)
        return True

    async def _poll(self) -> None:
        # Refreshes until _TROUBLE_SPAN after the last failure report; probes every down node
        # until it answers or leaves the map. No caller probes a replica left out of the read
        # tables, and no map brings back a node restarted within cluster-node-timeout (the
        # cluster never flagged it), so without these probes such a node stayed unused.
        while not self._closed and (self.down or time.monotonic() < self._trouble_until):
            troubled = time.monotonic() < self._trouble_until
            if troubled:
                try:
                    await self.refresh(force=False)
                except RedisError as exc:
                    fields = log_fields("refresh_failed", error=exc)
                    logger.debug("cluster refresh failed: %r", exc, extra=fields)
            for address in list(self.down):
                self.probe(address)
            await asyncio.sleep(TROUBLE_INTERVAL if troubled else _DOWN_PROBE_INTERVAL)

    # -- lifetime ------------------------------------------------------------------------------

    def start_periodic(self) -> None:
        """Start the periodic refresh, if one is configured, and the replicas' role watch."""
        if self._interval is not None and not self._closed:
            self._start(self._periodic(self._interval))
        if self._read_from != "primary" and not self._closed:
            self._start(watch_replica_roles(self))

    async def _periodic(self, interval: float) -> None:
        while not self._closed:
            await asyncio.sleep(interval * random.uniform(0.9, 1.1))
            try:
                await self.refresh()
            except RedisError as exc:
                fields = log_fields("refresh_failed", error=exc)
                logger.warning("periodic cluster refresh failed: %r", exc, extra=fields)

    @property
    def closed(self) -> bool:
        """Whether ``aclose`` was called."""
        return self._closed

    async def aclose(self) -> None:
        """Stop refreshing and probing, and wake callers waiting for a new map.

        The registry closes the nodes.
        """
        self._closed = True
        future = self._changed
        if future is not None and not future.done():
            future.set_result(None)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
