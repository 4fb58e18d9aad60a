"""Shard channels published at a steady pace while a subscription reads them, with a verdict.

Each channel has a publisher task that sends its next sequence number every ``period``
seconds with ``SPUBLISH`` and keeps the reply: the number of subscribers the node it reached
handed the message to (ours only, on this cluster), or the error. The node also passes the
message over the cluster bus to the other nodes of its shard, whose subscribers get it
without being counted: a publisher whose map is stale reaches a demoted primary, which
answers 0 while our subscriber on the new primary receives the message. The reader keeps
every message with the time it arrived. From both:

- a message the server handed to a subscriber (reply 1) must arrive, once and in order;
- a message answered 0 that never arrived was published while no node of its shard had our
  subscriber: the window of a move, counted apart;
- the gap after an event is how long after it the first message published after it arrived.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from redis_oxide import PubSub, RedisCluster
from redis_oxide._keys import key_slot
from redis_oxide.testing import ClusterInfo, NodeInfo

__all__ = ["Sent", "Traffic", "channels_over", "spread_channels"]


@dataclass(frozen=True)
class Sent:
    """One SPUBLISH: when it was sent, its sequence number, and the reply (or the error)."""

    at: float
    seq: int
    reply: int | BaseException


@dataclass
class Traffic:
    """Publishers on every channel and a reader of the subscription; see the module."""

    publisher: RedisCluster[str]
    channels: Sequence[str]
    period: float = 0.05
    sent: dict[str, list[Sent]] = field(default_factory=dict)
    received: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def start(self, pubsub: PubSub[str]) -> None:
        """Start the reader and one publisher per channel."""
        self._tasks.append(asyncio.ensure_future(self._read(pubsub)))
        for channel in self.channels:
            self._tasks.append(asyncio.ensure_future(self._publish(channel)))

    async def stop(self) -> None:
        """Stop publishing, let the last messages arrive, stop reading."""
        self._stop.set()
        await asyncio.gather(*self._tasks[1:])
        await asyncio.sleep(0.3)
        self._tasks[0].cancel()
        await asyncio.gather(self._tasks[0], return_exceptions=True)

    async def _publish(self, channel: str) -> None:
        sent = self.sent.setdefault(channel, [])
        seq = 0
        due = time.monotonic()
        while not self._stop.is_set():
            seq += 1
            at = time.monotonic()
            try:
                reply: int | BaseException = await self.publisher.spublish(channel, str(seq))
            except Exception as exc:  # kept for the verdict; the publisher goes on
                reply = exc
            sent.append(Sent(at, seq, reply))
            due += self.period
            pause = due - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            else:
                due = time.monotonic()  # late (a node was down): no burst to catch up

    async def _read(self, pubsub: PubSub[str]) -> None:
        async for message in pubsub:
            arrived = self.received.setdefault(message.channel, [])
            arrived.append((time.monotonic(), int(message.data)))

    def got_one_after(self, channels: Iterable[str], moment: float) -> bool:
        """Whether every channel received a message published after ``moment``."""
        return all(self.gap_after(channel, moment) is not None for channel in channels)

    def gap_after(self, channel: str, moment: float) -> float | None:
        """Seconds from ``moment`` to the arrival of the first message published after it."""
        first = next((s.seq for s in self.sent.get(channel, []) if s.at >= moment), None)
        if first is None:
            return None
        arrived = next((t for t, seq in self.received.get(channel, []) if seq >= first), None)
        return None if arrived is None else arrived - moment

    def silence(self, channel: str, start: float, end: float) -> float:
        """The longest time between two arrivals on ``channel`` from ``start`` to ``end``."""
        times = [start, *(t for t, _ in self.received.get(channel, []) if start < t < end), end]
        return max(b - a for a, b in itertools.pairwise(times))

    def dropped(self, channels: Iterable[str], start: float, end: float) -> int:
        """Messages published between ``start`` and ``end`` that no subscriber was there for."""
        dropped = 0
        for channel in channels:
            seen = {seq for _, seq in self.received.get(channel, [])}
            dropped += sum(
                1
                for s in self.sent.get(channel, [])
                if start <= s.at < end and s.reply == 0 and s.seq not in seen
            )
        return dropped

    def lost(self) -> list[str]:
        """Messages handed to our subscriber (reply 1) that never arrived."""
        missing: list[str] = []
        for channel, sent in self.sent.items():
            seen = {seq for _, seq in self.received.get(channel, [])}
            missing += [f"{channel}#{s.seq}" for s in sent if s.reply == 1 and s.seq not in seen]
        return missing

    def out_of_order(self) -> list[str]:
        """Channels whose messages arrived twice or out of order."""
        return [
            channel
            for channel, arrived in self.received.items()
            if any(a[1] >= b[1] for a, b in itertools.pairwise(arrived))
        ]

    def errors(self) -> list[BaseException]:
        """What SPUBLISH raised."""
        return [
            s.reply for sent in self.sent.values() for s in sent if not isinstance(s.reply, int)
        ]


def channels_over(owners: list[int], primary: NodeInfo, names: Iterable[str]) -> list[str]:
    """The ``names`` whose slot ``primary`` serves (``owners``: port per slot)."""
    return [name for name in names if owners[key_slot(name)] == primary.port]


def spread_channels(cluster: ClusterInfo, owners: list[int], count: int) -> list[str]:
    """``count`` channel names spread evenly over the primaries, in distinct slots."""
    per = {primary.port: 0 for primary in cluster.primaries}
    quota = -(-count // len(per))
    names: list[str] = []
    slots: set[int] = set()
    index = 0
    while len(names) < count:
        name = f"shard:{index}"
        index += 1
        slot = key_slot(name)
        port = owners[slot]
        if per[port] < quota and slot not in slots:
            per[port] += 1
            slots.add(slot)
            names.append(name)
    return names
