"""The slot map: which shard (a primary and its replicas) serves each of the 16384 slots.

Rules this module keeps:

- Sans-IO: a ``SlotMap`` is built from a decoded ``CLUSTER SHARDS`` or ``CLUSTER SLOTS`` reply
  (RESP2 or RESP3, bytes or text) and never changes afterwards; a refresh builds a new one.
- A node is known by its address (``host:port``); its id and role are facts of the map that
  built it. A host the server leaves empty means "the node you asked" (Redis's convention).
- A replica whose health is ``fail``/``failed`` is left out: reads must not be sent to it, and
  so is a failed primary that serves no slot (after its failover, Redis 7.0 lists it as a
  shard of its own): commands sent to every node would otherwise fail on it for good.
- Redis 7.4 ``CLUSTER SHARDS`` lists the slots of a failed-over shard under its old, failed
  primary, so the shard shows no slots (redis/redis#13414). ``SlotMap.covered`` lets the
  caller notice a map with holes and cross-check ``CLUSTER SLOTS``, which has no such bug.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from redis_oxide._keys import SLOT_COUNT
from redis_oxide._parsers import map_items, text

__all__ = ["ClusterMember", "Shard", "SlotMap"]

_FAILED = frozenset({"fail", "failed"})


@dataclass(frozen=True, slots=True)
class ClusterMember:
    """One node of a Redis Cluster, as the slot map last described it.

    Attributes:
        host: The address clients reach it at (the node's announced endpoint).
        port: Its client port (the TLS port on a TLS cluster).
        node_id: The 40-character node id; empty when the server did not say.
        role: ``"primary"`` or ``"replica"``.
    """

    host: str
    port: int
    node_id: str = ""
    role: Literal["primary", "replica"] = "primary"

    @property
    def address(self) -> str:
        """``host:port`` (IPv6 hosts bracketed): how redis-oxide names the node."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.role} {self.address}"


@dataclass(frozen=True, slots=True)
class Shard:
    """A primary, its replicas and the slot ranges they serve."""

    primary: ClusterMember
    replicas: tuple[ClusterMember, ...]
    ranges: tuple[tuple[int, int], ...]


class SlotMap:
    """Which shard serves each slot; immutable.

    Args:
        shards: The shards, in the order the server listed them.
        source: The command the map came from (``"CLUSTER SHARDS"`` or ``"CLUSTER SLOTS"``).
    """

    __slots__ = ("owners", "shards", "source")

    def __init__(self, shards: Sequence[Shard], source: str) -> None:
        # Shards in slot order, so "the first shard" is the same on every refresh.
        self.shards: tuple[Shard, ...] = tuple(
            sorted(shards, key=lambda s: s.ranges[0][0] if s.ranges else SLOT_COUNT)
        )
        self.source = source
        #: Per slot, the index of its shard in ``shards``, or -1 when no shard serves it.
        self.owners: list[int] = [-1] * SLOT_COUNT
        for index, shard in enumerate(self.shards):
            for first, last in shard.ranges:
                self.owners[first : last + 1] = [index] * (last + 1 - first)

    @property
    def covered(self) -> int:
        """How many slots some shard serves."""
        return SLOT_COUNT - self.owners.count(-1)

    def shard_of(self, slot: int) -> Shard | None:
        """The shard serving ``slot``, or None."""
        index = self.owners[slot]
        return None if index < 0 else self.shards[index]

    def primaries(self) -> list[ClusterMember]:
        """The primary of every shard that serves slots, in slot order."""
        return [shard.primary for shard in self.shards if shard.ranges]

    def nodes(self) -> Iterator[ClusterMember]:
        """Every node of the map: each primary, then its replicas."""
        for shard in self.shards:
            yield shard.primary
            yield from shard.replicas

    def same_owners(self, other: SlotMap) -> bool:
        """Whether both maps give every slot the same primary address and replicas."""
        return self.shards == other.shards

    def __repr__(self) -> str:
        return f"<SlotMap {len(self.shards)} shards, {self.covered} slots, from {self.source}>"

    # -- parsing ---------------------------------------------------------------------------

    @classmethod
    def from_shards(cls, reply: Any, asked_host: str, *, tls: bool = False) -> SlotMap:
        """Build the map from a ``CLUSTER SHARDS`` reply.

        Args:
            reply: The decoded reply (a list of per-shard maps, RESP2 or RESP3).
            asked_host: Host of the node that answered (for nodes announcing no host).
            tls: Use the nodes' ``tls-port``.

        Returns:
            The map.

        Raises:
            ValueError: The reply does not have the documented shape.
        """
        shards: list[Shard] = []
        for raw_shard in _items(reply):
            fields = {text(k): v for k, v in map_items(raw_shard)}
            flat = [int(n) for n in _items(fields.get("slots", []))]
            ranges = tuple(zip(flat[0::2], flat[1::2], strict=True))
            primaries: list[tuple[ClusterMember, str]] = []
            replicas: list[ClusterMember] = []
            for raw_node in _items(fields.get("nodes", [])):
                node_fields = {text(k): v for k, v in map_items(raw_node)}
                node, health = _shard_node(node_fields, asked_host, tls)
                if node.role == "primary":
                    primaries.append((node, health))
                elif health not in _FAILED:
                    replicas.append(node)
            if not primaries:
                continue  # a shard whose primary is not known yet serves nothing usable
            if not ranges and all(health in _FAILED for _, health in primaries):
                continue  # a failed primary that serves no slot any more (failed over)
            # After a failover the old primary can still be listed as one, marked failed.
            primary = next((n for n, h in primaries if h not in _FAILED), primaries[0][0])
            shards.append(Shard(primary, tuple(replicas), ranges))
        return cls(shards, "CLUSTER SHARDS")

    @classmethod
    def from_slots(cls, reply: Any, asked_host: str) -> SlotMap:
        """Build the map from a ``CLUSTER SLOTS`` reply (servers before 7.0, and a cross-check).

        Args:
            reply: The decoded reply: ``[first, last, primary, replica...]`` per range.
            asked_host: Host of the node that answered (for nodes announcing no host).

        Returns:
            The map.

        Raises:
            ValueError: The reply does not have the documented shape.
        """
        by_primary: dict[str, tuple[ClusterMember, list[ClusterMember], list[tuple[int, int]]]] = {}
        for entry in _items(reply):
            items = _items(entry)
            if len(items) < 3:
                raise ValueError(f"a CLUSTER SLOTS entry has {len(items)} items")
            nodes = [_slots_node(n, asked_host, i > 0) for i, n in enumerate(items[2:])]
            primary = nodes[0]
            _, replicas, ranges = by_primary.setdefault(primary.address, (primary, [], []))
            for replica in nodes[1:]:
                if replica not in replicas:
                    replicas.append(replica)
            ranges.append((int(items[0]), int(items[1])))
        shards = [Shard(p, tuple(r), tuple(sorted(g))) for p, r, g in by_primary.values()]
        return cls(shards, "CLUSTER SLOTS")


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"expected an array in a cluster topology reply, got {value!r}")
    return list(value)  # pyright: ignore[reportUnknownArgumentType]


def _host(value: Any, asked_host: str) -> str:
    host = text(value) if value is not None else ""
    # "" means "the node you asked"; "?" means the node's endpoint is unknown to the server.
    return asked_host if host in ("", "?") else host


def _shard_node(fields: dict[str, Any], asked_host: str, tls: bool) -> tuple[ClusterMember, str]:
    endpoint = fields.get("endpoint") or fields.get("ip") or fields.get("hostname")
    port = fields.get("tls-port") if tls and "tls-port" in fields else fields.get("port")
    if port is None:
        raise ValueError("a CLUSTER SHARDS node has no port")
    role: Literal["primary", "replica"] = (
        "primary" if text(fields.get("role", "")) == "master" else "replica"
    )
    node = ClusterMember(_host(endpoint, asked_host), int(port), text(fields.get("id", "")), role)
    return node, text(fields.get("health", "online"))


def _slots_node(raw: Any, asked_host: str, replica: bool) -> ClusterMember:
    items = _items(raw)
    node_id = text(items[2]) if len(items) > 2 else ""
    role: Literal["primary", "replica"] = "replica" if replica else "primary"
    return ClusterMember(_host(items[0], asked_host), int(items[1]), node_id, role)
