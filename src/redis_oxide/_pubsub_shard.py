"""The connections of a cluster subscription: one per node, shard channels grouped by slot.

Rules this module keeps:

- A ``NodeSource`` leases on one fixed node (or, for channels and patterns, any primary the
  topology does not think is down). A connect that fails is reported to the topology, which
  then refreshes the map every 0.1 s, so a promotion is seen soon after a primary dies.
- A ``ShardLink`` is a ``Subscriber`` on one node for shard channels. Redis refuses an
  SSUBSCRIBE or SUNSUBSCRIBE whose channels span slots, so every command it writes names
  one slot's channels (``by_slot``), restores included.
- A shard channel leaves a link three ways: the node's own ``sunsubscribe`` notice (Redis 7
  sends one when the slot moves away or the node's role changes), a MOVED (or another
  reroutable error) answering an SSUBSCRIBE, or ``release`` when the map says the slot is
  served elsewhere. The first two hand the channel to the ``ShardOwner`` (the
  subscription), which subscribes it again where it now belongs.
- Placement helpers (``owner_groups``, ``same_shard``) read the topology; nothing here
  awaits but ``NodeSource.lease``.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Protocol

from redis_oxide._cluster import ClusterExecutor
from redis_oxide._cluster._topology import Topology
from redis_oxide._command import KeyT
from redis_oxide._exceptions import (
    ConnectFailedError,
    ConnectionClosedError,
    ConnectionError,
    ConnectionLostError,
    ConnectTimeoutError,
    RedirectError,
    RedisError,
    ServerError,
)
from redis_oxide._keys import key_slot
from redis_oxide._pool import Lease
from redis_oxide._pubsub_link import Subscriber
from redis_oxide._pubsub_types import Kind, LinkState, SubscriberSink
from redis_oxide._retry import Retry

__all__ = [
    "NodeSource",
    "ShardLink",
    "ShardOwner",
    "by_slot",
    "chain",
    "is_transient",
    "owner_groups",
    "same_shard",
]

_SHARD: Final = Kind.SHARD
_UNSUBSCRIBED: Final = Kind.SHARD.unsubscribe.lower()


def by_slot(names: Iterable[bytes]) -> list[tuple[bytes, ...]]:
    """``names`` grouped by hash slot, in first-seen order."""
    groups: dict[int, list[bytes]] = {}
    for name in names:
        groups.setdefault(key_slot(name), []).append(name)
    return [tuple(group) for group in groups.values()]


def owner_groups(
    topology: Topology,
    names: Iterable[bytes],
    redirected: dict[bytes, str],
    dropped_by: dict[bytes, str],
) -> tuple[list[tuple[str, tuple[bytes, ...]]], list[bytes]]:
    """``(node, one slot's names)`` for the names whose owner is known, and the others.

    Args:
        topology: Gives each slot's owner (a MOVED patch's, else the map's primary).
        names: Shard channels.
        redirected: Names with the node a MOVED named, which wins over the map.
        dropped_by: Names with the node that dropped them on its own: a map that still
            names that node is older than the move, so those names count as unowned.
    """
    groups: dict[tuple[str, int], list[bytes]] = {}
    unowned: list[bytes] = []
    for name in names:
        slot = key_slot(name)
        address = redirected.get(name)
        if address is None:
            # A MOVED patch (newer than the map) first: the map may not show the move yet.
            address = topology.owner_of(slot)
            if address is None or address == dropped_by.get(name):
                unowned.append(name)
                continue
        groups.setdefault((address, slot), []).append(name)
    return [(address, tuple(group)) for (address, _), group in groups.items()], unowned


def same_shard(topology: Topology, slot: int, first: str, second: str) -> bool:
    """Whether both nodes serve ``slot``'s shard (its primary and a replica) in the map."""
    shard = None if topology.map is None else topology.map.shard_of(slot)
    if shard is None:
        return False
    members = {shard.primary.address, *(node.address for node in shard.replicas)}
    return first in members and second in members


def is_transient(error: RedisError) -> bool:
    """Whether subscribing may work once the map settles: a redirect, a cluster in flux,
    or a node that cannot be reached (its slots are about to move)."""
    if isinstance(error, ServerError):
        return error.reroutable
    return isinstance(error, ConnectionError) and not isinstance(error, ConnectionClosedError)


def chain(source: asyncio.Future[None], target: asyncio.Future[None]) -> None:
    """End ``target`` (a request taken off another link) as ``source`` ends."""

    def copy(done: asyncio.Future[None]) -> None:
        if target.done():
            return
        if done.cancelled():
            target.cancel()
        elif (error := done.exception()) is not None:
            target.set_exception(error)
        else:
            target.set_result(None)

    source.add_done_callback(copy)


class NodeSource:
    """Leases dedicated connections on one cluster node, or on any healthy primary.

    Args:
        cluster: The cluster executor (its topology and node executors).
        address: ``host:port`` of the node; None picks a primary at each lease.
    """

    def __init__(self, cluster: ClusterExecutor, address: str | None) -> None:
        self._cluster = cluster
        self.address = address

    @property
    def command_timeout(self) -> float | None:
        """The cluster client's ``command_timeout``."""
        return self._cluster.command_timeout

    async def lease(self, keys: Sequence[KeyT] = ()) -> Lease:
        """Lease a connection on the node (``keys`` are not used: the node is fixed).

        Raises:
            ConnectFailedError: The node cannot be reached, or it left the cluster.
            ConnectionClosedError: The cluster client is closed.
        """
        cluster = self._cluster
        await cluster.start()
        topology = cluster.topology
        address = self.address or self._any_primary()
        host, _, port = address.rpartition(":")
        try:
            return await cluster.registry.get(host.strip("[]"), int(port)).lease()
        except ConnectionClosedError as exc:
            if topology.closed:
                raise
            # The node's executor was closed because the map no longer lists it: a
            # failure to connect, which the subscription retries, not the client's end.
            error: RedisError = ConnectFailedError(f"{address} left the cluster", address=address)
            error.__cause__ = exc
        except (ConnectionError, ConnectTimeoutError) as exc:
            error = exc
        topology.report_failure(address, error)
        raise error

    def _any_primary(self) -> str:
        topology = self._cluster.topology
        primaries = self._cluster.topology_nodes("primaries")
        healthy = [node for node in primaries if node.address not in topology.down]
        if not (healthy or primaries):
            raise ConnectFailedError("the cluster's slot map lists no primary")
        return random.choice(healthy or primaries).address


class ShardOwner(Protocol):
    """What a shard link tells the subscription that owns it."""

    def left(self, link: ShardLink, names: tuple[bytes, ...], error: RedisError | None) -> None:
        """``names`` are no longer subscribed on ``link``'s node; ``error`` says why, if known."""
        ...

    def refused(self, names: tuple[bytes, ...]) -> None:
        """The node refused to subscribe ``names`` again (e.g. an ACL): they are dropped."""
        ...

    def idle(self, link: ShardLink) -> None:
        """``link`` may hold nothing any more: close it if so."""
        ...


class ShardLink(Subscriber):
    """The subscriber connection of one cluster node, for shard channels.

    Args:
        source: Leases on the node.
        sink: Receives the messages and the link's events.
        owner: Told when channels leave the node.
        address: ``host:port`` of the node.
        decode: A wire name as messages carry it (names in frames are decoded).
        health_check_interval: As for ``Subscriber``.
        reconnect_retry: As for ``Subscriber``.
    """

    def __init__(
        self,
        source: NodeSource,
        sink: SubscriberSink,
        *,
        owner: ShardOwner,
        address: str,
        decode: Callable[[bytes], object],
        health_check_interval: float | None,
        reconnect_retry: Retry | None,
    ) -> None:
        super().__init__(
            source,
            sink,
            health_check_interval=health_check_interval,
            reconnect_retry=reconnect_retry,
        )
        self._owner = owner
        self.address = address
        self._address = address
        self._decode = decode

    def lost(self) -> tuple[ConnectionLostError, float] | None:
        """Why and since when (loop clock) the connection is down, if it is."""
        lost = self._lost
        return None if lost is None else (lost, self._lost_at)

    def holds(self, name: bytes) -> bool:
        """Whether ``name`` is (or is becoming) subscribed here."""
        return name in self._wanted[_SHARD]

    def is_idle(self) -> bool:
        """Whether nothing is subscribed here and nobody waits for an answer from here."""
        return not self._wanted[_SHARD] and not any(
            request.future is not None and not request.future.done()
            for request in (*self._expected.waiting(), *self._deferred)
        )

    def release(self, names: Sequence[bytes]) -> list[asyncio.Future[None]]:
        """Stop holding ``names`` here: the map says their slot is served elsewhere.

        Returns:
            The futures of subscribe requests still waiting for ``names`` here; the caller
            resolves them once the names are subscribed where they belong.
        """
        gone = set(names)
        stolen: list[asyncio.Future[None]] = []
        for request in (*self._expected.waiting(), *self._deferred):
            if request.subscribes and not gone.isdisjoint(request.channels):
                future, request.future = request.future, None
                if future is not None and not future.done():
                    stolen.append(future)
        self._deferred = [r for r in self._deferred if not gone.issuperset(r.channels)]
        held = [name for name in names if name in self._wanted[_SHARD]]
        if self.state is LinkState.CLOSED or self.state is LinkState.FAILED:
            for name in held:
                self._wanted[_SHARD].pop(name, None)
            return stolen
        for group in by_slot(held):
            self.unsubscribe(_SHARD, group).add_done_callback(self._unsubscribed)
        return stolen

    def _unsubscribed(self, future: asyncio.Future[None]) -> None:
        # Nobody awaits the SUNSUBSCRIBE of a channel that moved: its outcome changes
        # nothing, but the link may now hold nothing.
        if not future.cancelled():
            future.exception()
        self._owner.idle(self)

    def _restore_groups(
        self, kind: Kind, waiting: set[tuple[Kind | None, bytes]]
    ) -> list[tuple[bytes, ...]]:
        names = (name for name in self._wanted[kind] if (kind, name) not in waiting)
        return by_slot(names)

    def _answered(self, name: str, frame: list[Any] | None = None) -> None:
        if name == _UNSUBSCRIBED and frame is not None and len(frame) == 3:
            head = self._expected.head()
            channel: object = frame[1]
            expected = None
            if head is not None and head.answer == _UNSUBSCRIBED and head.remaining:
                expected = head.channels[len(head.channels) - head.remaining]
            if expected is None or self._decode(expected) != channel:
                self._notified(channel)  # not an answer: the server dropped the channel
                return
        super()._answered(name, frame)

    def _notified(self, channel: object) -> None:
        wanted = self._wanted[_SHARD]
        wire = next((name for name in wanted if self._decode(name) == channel), None)
        if wire is None:
            return  # a channel unsubscribed meanwhile: nothing to follow
        del wanted[wire]
        self._owner.left(self, (wire,), None)

    def _refused(self, error: ServerError) -> None:
        head = self._expected.head()
        if isinstance(error, RedirectError) and (
            head is None or (head.channels and key_slot(head.channels[0]) != error.slot)
        ):
            # The answer to a SUNSUBSCRIBE whose channel the node had dropped on its own
            # just before: its notice was taken for the answer, which came as this MOVED.
            return
        if head is None or head.kind is not _SHARD:
            super()._refused(error)
            return
        if not error.reroutable:
            wanted = self._wanted[_SHARD]
            dropped = tuple(name for name in head.added if name in wanted)
            super()._refused(error)
            if head.future is None and dropped:
                self._owner.refused(dropped)
            return
        # MOVED (the slot is served elsewhere) or a cluster in flux (CLUSTERDOWN, TRYAGAIN):
        # the node holds none of these channels.
        self._expected.refused()
        error.with_context(command=head.command, address=self.address)
        if not head.subscribes:
            head.resolve()
            return
        wanted = self._wanted[_SHARD]
        names = tuple(name for name in head.channels if name in wanted)
        for name in names:
            del wanted[name]
        if head.future is not None and not head.future.done():
            head.future.set_exception(error)
        elif names:
            self._owner.left(self, names, error)
