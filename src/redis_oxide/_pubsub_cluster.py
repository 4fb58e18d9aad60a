"""Pub/sub on a Redis Cluster: shard channels on the primaries that own their slots.

Rules this module keeps:

- Channels and patterns run on one connection to any primary: classic pub/sub is broadcast
  over the cluster bus, so every node delivers every message. When that primary fails, the
  connection is made again to another one.
- Shard channels run on one ``ShardLink`` per primary that owns some of them, and every
  SSUBSCRIBE names one slot's channels. ``_shard`` (what the user subscribed) is the truth;
  each name is held by at most one link, so no message is delivered twice.
- A name follows its slot: when the map changes (``Topology.add_listener``), when the node
  sends its own ``sunsubscribe`` (Redis 7, on a migration or a role change), or when it
  answers MOVED. ``_settle`` subscribes names where they belong, follows MOVED (patching the
  map) and waits out a cluster in flux; the reader's loop goes on. A move made in the
  background is reported in stream order as a ``Resubscribed`` notice (``on_reconnect``):
  messages published to the new owner before it confirmed are lost, as Redis pub/sub
  delivers at most once.
- A link that holds nothing and awaits nothing is closed (``_prune``).
"""

# pyright: reportPrivateUsage=false
# (The cluster executor's redirect limit and failover timeout are its private settings.)

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Coroutine, Sequence
from typing import Any, Final

from redis_oxide._cluster import ClusterExecutor, ClusterMember, SlotMap
from redis_oxide._exceptions import (
    ConnectionClosedError,
    ConnectionError,
    MovedError,
    RedisError,
)
from redis_oxide._generated import StrT
from redis_oxide._keys import key_slot
from redis_oxide._pubsub import PubSub, SubscriptionState
from redis_oxide._pubsub_lifetime import WeakOwner, weak_method
from redis_oxide._pubsub_shard import (
    NodeSource,
    ShardLink,
    by_slot,
    chain,
    is_transient,
    owner_groups,
    same_shard,
)
from redis_oxide._pubsub_types import (
    LINK_BACKOFF,
    Kind,
    Resubscribed,
    Settings,
    SubscriberSource,
)

__all__ = ["ClusterPubSub"]

logger = logging.getLogger("redis_oxide.pubsub")

_SHARD: Final = Kind.SHARD
# Between tries while a slot has no reachable owner: as a subscriber's reconnects
# (LINK_BACKOFF); a change of the map ends the wait at once.
# A node that dropped shard channels on its own lost their slot, so a map still naming it
# is older than the move (a demoted primary is still a replica of the shard, and would take
# the channels back). After this long the map is believed: the slot may have come back.
_DOUBT_MAP_FOR: Final = 2.0


class ClusterPubSub(PubSub[StrT]):
    """A subscription on a Redis Cluster; ``RedisCluster.pubsub()`` builds it with ``_over``."""

    _cluster: ClusterExecutor

    def _setup(
        self,
        source: SubscriberSource,
        encoding: str | None,
        encoding_errors: str,
        settings: Settings,
    ) -> None:
        # ``_over`` is given the cluster executor; channels and patterns lease on any primary.
        assert isinstance(source, ClusterExecutor)
        self._cluster = source
        super()._setup(NodeSource(source, None), encoding, encoding_errors, settings)
        self._shard: dict[bytes, None] = {}
        self._nodes: dict[str, ShardLink] = {}
        self._moving: set[asyncio.Task[None]] = set()
        self._moves = 0
        self._retired_reconnects = 0
        # Names a node gave up, gathered until the loop's next turn (see ``left``), with
        # the node a MOVED named (or None) and the node that dropped them on its own (or "").
        self._leaving: dict[bytes, tuple[str | None, str]] = {}
        self._leaving_cause: RedisError | None = None
        self._leaving_since = 0.0
        # Weakly, as everything the loop reaches (``_pubsub_lifetime``).
        self._unlisten = self._cluster.topology.add_listener(weak_method(self._map_changed))
        self._on_drop.append(self._unlisten)

    # -- placing shard channels ---------------------------------------------------------------

    def _wanted(self, kind: Kind) -> set[bytes]:
        return set(self._shard) if kind is _SHARD else super()._wanted(kind)

    async def _place(self, kind: Kind, wires: tuple[bytes, ...]) -> None:
        if kind is not _SHARD:
            await super()._place(kind, wires)
            return
        self._shard.update(dict.fromkeys(wires))
        await self._settle(wires, background=False)

    def _remove(self, kind: Kind, wires: tuple[bytes, ...]) -> asyncio.Future[Any]:
        if kind is not _SHARD:
            return super()._remove(kind, wires)
        names = wires or tuple(self._shard)
        for name in names:
            self._shard.pop(name, None)
        waits: list[asyncio.Future[None]] = []
        for link in list(self._nodes.values()):
            held = [name for name in names if link.holds(name)]
            waits += [link.unsubscribe(_SHARD, group) for group in by_slot(held)]
        removing = asyncio.gather(*waits)
        removing.add_done_callback(weak_method(self._pruned))  # once every node confirmed
        return removing

    def _pruned(self, removing: asyncio.Future[Any]) -> None:
        self._prune()

    def _withdraw(self, kind: Kind, wires: tuple[bytes, ...]) -> bool:
        sent = super()._withdraw(kind, wires)
        if kind is _SHARD:
            self._forget(wires)  # also those no link held yet (owner unknown)
            self._prune()
        return sent

    async def _settle(
        self,
        names: Sequence[bytes],
        *,
        background: bool,
        redirected: dict[bytes, str] | None = None,
        dropped_by: dict[bytes, str] | None = None,
    ) -> dict[str, int]:
        """Subscribe ``names`` on the primaries owning their slots, following their moves.

        Args:
            names: Shard channels (names no longer in ``_shard`` are skipped).
            background: No caller waits: retry until it works or the subscription ends.
            redirected: Names with the node a MOVED named for them.
            dropped_by: Names with the node that dropped them on its own (not trusted as
                their owner for ``_DOUBT_MAP_FOR`` seconds).

        Returns:
            Each node subscribed to, with one of the slots it took.

        Raises:
            RedisError: The server refused, or (not in the background) no owner could be
                reached within the cluster's ``failover_timeout``.
        """
        cluster = self._cluster
        await cluster.start()
        topology = cluster.topology
        deadline = time.monotonic() + cluster._failover_timeout
        redirected = dict(redirected or {})
        dropped_by = dict(dropped_by or {})
        doubt_until = time.monotonic() + _DOUBT_MAP_FOR
        placed: dict[str, int] = {}
        pending = list(names)
        hops = failures = 0
        while True:
            pending = [name for name in dict.fromkeys(pending) if name in self._shard]
            if not pending:
                return placed
            if dropped_by and time.monotonic() >= doubt_until:
                dropped_by.clear()
            groups, unowned = owner_groups(topology, pending, redirected, dropped_by)
            outcomes = await asyncio.gather(
                *(self._subscribe_on(address, group) for address, group in groups),
                return_exceptions=True,
            )
            pending, waiting = list(unowned), bool(unowned)
            refused: RedisError | None = None
            last: BaseException | None = None
            hops += 1
            for (address, group), outcome in zip(groups, outcomes, strict=True):
                if outcome is None:
                    placed[address] = key_slot(group[0])
                elif not isinstance(outcome, RedisError):
                    raise outcome  # cancelled
                elif isinstance(outcome, MovedError) and hops <= cluster._max_redirects:
                    host = outcome.host or address.rpartition(":")[0].strip("[]")
                    topology.moved(outcome.slot, host, outcome.port)
                    target = ClusterMember(host, outcome.port).address
                    redirected.update(dict.fromkeys(group, target))
                    pending += group
                elif is_transient(outcome):
                    for name in group:
                        redirected.pop(name, None)
                    pending += group
                    waiting, last = True, outcome
                else:
                    refused = refused or outcome
                    self._forget(group)
            self._prune()
            if refused is not None:
                if not background:
                    raise refused
                logger.error("shard channels dropped: subscribing them again failed: %s", refused)
            if not waiting:
                continue
            failures += 1
            if not background and time.monotonic() >= deadline:
                self._forget(pending)  # as a refused subscription: not wanted any more
                raise last or ConnectionError("no primary serves the slots of these channels")
            hops = 0
            topology.request_refresh()
            # A new map ends the wait: the refresh under way may be the one that shows it.
            await asyncio.wait((topology.changed(),), timeout=LINK_BACKOFF.delay(failures))

    def _subscribe_on(self, address: str, names: tuple[bytes, ...]) -> asyncio.Future[None]:
        link = self._nodes.get(address)
        if link is None:
            link = self._nodes[address] = self._new_shard_link(address)
        future = link.subscribe(_SHARD, names)
        topology = self._cluster.topology
        for other in list(self._nodes.values()):
            held = tuple(name for name in names if other is not link and other.holds(name))
            if not held:
                continue
            if same_shard(topology, key_slot(held[0]), other.address, address):
                # A replica and its primary both deliver the shard's messages: leave first.
                for waiting in other.release(held):
                    chain(future, waiting)
            else:
                # Another shard never delivers this slot's messages a second time: leave
                # once the new owner confirmed, so a map that was wrong loses nothing.
                hand_over = weak_method(self._hand_over)
                future.add_done_callback(functools.partial(hand_over, other, held))
        return future

    def _hand_over(
        self, old: ShardLink, names: tuple[bytes, ...], confirmed: asyncio.Future[None]
    ) -> None:
        if confirmed.cancelled() or confirmed.exception() is not None:
            return
        if self._nodes.get(old.address) is old:
            for waiting in old.release([name for name in names if old.holds(name)]):
                chain(confirmed, waiting)
            self._prune()

    def _forget(self, names: Sequence[bytes]) -> None:
        # Refused names that no link holds (a name subscribed before keeps its link).
        for name in names:
            if not any(link.holds(name) for link in self._nodes.values()):
                self._shard.pop(name, None)

    def _new_shard_link(self, address: str) -> ShardLink:
        settings = self._settings
        link = ShardLink(
            NodeSource(self._cluster, address),
            self._inbox,
            owner=WeakOwner(self),
            address=address,
            decode=self._handlers.delivered,
            health_check_interval=settings.health_check_interval,
            reconnect_retry=settings.reconnect_retry,
        )
        if self._inbox.is_paused():
            link.pause()
        self._links.append(link)
        return link

    def _prune(self) -> None:
        for address, link in list(self._nodes.items()):
            if link.is_idle():
                del self._nodes[address]
                self._links.remove(link)
                self._retired_reconnects += link.reconnects
                link.abort()

    # -- following moves ----------------------------------------------------------------------

    def _map_changed(self, old: SlotMap | None, new: SlotMap) -> None:
        if self._state is not SubscriptionState.OPEN:
            return
        # The freshest owner: a MOVED patch newer than the refresh's answer wins over ``new``.
        owner_of = self._cluster.topology.owner_of
        for address, link in list(self._nodes.items()):
            misplaced: list[bytes] = []
            for name in link.wanted(_SHARD):
                owner = owner_of(key_slot(name))
                if owner is not None and owner != address:
                    misplaced.append(name)
            if misplaced:
                self._move(tuple(misplaced), *(link.lost() or (None, None)))

    def left(self, link: ShardLink, names: tuple[bytes, ...], error: RedisError | None) -> None:
        """Subscribe ``names`` again where they belong: ``link``'s node no longer has them.

        Args:
            link: The link they left.
            names: Shard channels.
            error: The MOVED (or other reroutable error) that said so; None for the node's
                own ``sunsubscribe``.
        """
        if self._state is not SubscriptionState.OPEN:
            return
        target = None
        if isinstance(error, MovedError):
            host = error.host or link.address.rpartition(":")[0].strip("[]")
            self._cluster.topology.moved(error.slot, host, error.port)
            target = ClusterMember(host, error.port).address
        if not self._leaving:
            # A node unsubscribes its channels one frame each: they move together.
            loop = asyncio.get_running_loop()
            self._leaving_since = loop.time()
            loop.call_soon(self._leave)
            if target is None:
                self._start(self._refresh())
        self._leaving_cause = self._leaving_cause or error
        # Only the node's own notice says it lost the slot (a TRYAGAIN does not).
        dropped_by = link.address if error is None else ""
        self._leaving.update(dict.fromkeys(names, (target, dropped_by)))

    def _leave(self) -> None:
        leaving, cause = self._leaving, self._leaving_cause
        self._leaving, self._leaving_cause = {}, None
        if leaving and self._state is SubscriptionState.OPEN:
            redirected = {name: to for name, (to, _) in leaving.items() if to is not None}
            dropped = {name: by for name, (_, by) in leaving.items() if by}
            self._move(tuple(leaving), cause, self._leaving_since, redirected, dropped)

    def refused(self, names: tuple[bytes, ...]) -> None:
        """Drop ``names``: their node refused to subscribe them again.

        Args:
            names: Shard channels.
        """
        self._forget(names)

    def idle(self, link: ShardLink) -> None:
        """Close ``link`` if it holds nothing any more.

        Args:
            link: A link whose last request was answered.
        """
        if self._nodes.get(link.address) is link:
            self._prune()

    def _move(
        self,
        names: tuple[bytes, ...],
        cause: RedisError | None,
        since: float | None,
        redirected: dict[bytes, str] | None = None,
        dropped_by: dict[bytes, str] | None = None,
    ) -> None:
        noticed = asyncio.get_running_loop().time() if since is None else since
        self._start(self._follow(names, cause, noticed, redirected, dropped_by))

    async def _follow(
        self,
        names: tuple[bytes, ...],
        cause: RedisError | None,
        noticed: float,
        redirected: dict[bytes, str] | None,
        dropped_by: dict[bytes, str] | None,
    ) -> None:
        try:
            placed = await self._settle(
                names, background=True, redirected=redirected, dropped_by=dropped_by
            )
        except ConnectionClosedError:
            return  # the subscription or the client was closed meanwhile
        if not placed:
            return
        self._moves += 1
        downtime = asyncio.get_running_loop().time() - noticed
        for address, slot in placed.items():
            host, _, port = address.rpartition(":")
            why = cause or MovedError(
                f"slot {slot} moved to {address}", slot=slot, host=host.strip("[]"), port=int(port)
            )
            logger.info("shard channels of slot %d followed it to %s (%s)", slot, address, why)
            self._inbox.link_restored(Resubscribed(address, why, downtime, self.reconnects))

    async def _refresh(self) -> None:
        try:
            await self._cluster.topology.refresh()
        except RedisError as exc:
            logger.debug("cluster refresh after a shard unsubscribe failed: %r", exc)

    def _start(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._moving.add(task)
        task.add_done_callback(self._moving.discard)

    # -- introspection and lifecycle ------------------------------------------------------------

    @property
    def reconnects(self) -> int:
        """How many times subscriptions were restored (a lost connection, a slot that moved)."""
        return sum(link.reconnects for link in self._links) + self._retired_reconnects + self._moves

    def _fail(self, error: RedisError) -> None:
        self._stop_following()
        super()._fail(error)

    def _stop_following(self) -> list[asyncio.Task[None]]:
        self._unlisten()
        tasks = list(self._moving)
        for task in tasks:
            task.cancel()
        return tasks

    async def aclose(self) -> None:
        """Close every connection and end the subscription; calling it again does nothing.

        A reader waiting in ``async for`` stops; ``get_message()`` returns None.
        """
        tasks = self._stop_following()
        await asyncio.gather(*tasks, return_exceptions=True)
        await super().aclose()
