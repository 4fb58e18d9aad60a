"""What a stream worker hands out and counts: ``StreamEntry``, ``ConsumerStats``.

Also the check of ``group_start`` and the hand-back of entries fetched but not started, so
the worker module keeps to the loop itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Generic, NamedTuple

from redis_oxide._command import KeyT
from redis_oxide._generated import Commands, StrT

__all__ = ["ConsumerStats", "StreamEntry", "checked_group_start", "hand_back"]


class StreamEntry(NamedTuple, Generic[StrT]):
    """One stream entry handed to a worker.

    Attributes:
        id: The entry's ID (``1700000000000-0``).
        fields: Its field-value pairs.
        deliveries: How many times the group delivered it, this time included.
    """

    id: StrT
    fields: dict[StrT, StrT]
    deliveries: int


@dataclass(slots=True)
class ConsumerStats:
    """What a worker has done so far.

    Attributes:
        handled: Entries handled without error and acknowledged.
        failed: Entries whose handler raised (left pending, retried after ``min_idle``).
        claimed: Entries taken over from idle consumers (or from itself) with XAUTOCLAIM and
            handed out again; claims that end in the dead-letter stream are not counted.
        dead_lettered: Entries this worker moved to the dead-letter stream.
        late_acks: Acknowledgements that found the entry already acknowledged by another
            worker (it had been reclaimed while this one was still working on it).
    """

    handled: int = 0
    failed: int = 0
    claimed: int = 0
    dead_lettered: int = 0
    late_acks: int = 0


# What XGROUP CREATE takes as a start: "$", or an entry ID ("0" is one), "<ms>" or "<ms>-<seq>".
_GROUP_START: Final = re.compile(r"\$|\d+(-\d+)?")


def checked_group_start(value: object) -> str:
    """Return a group start (``"$"``, ``"0"`` or an entry ID), or raise before anything is sent.

    Raises:
        TypeError: It is not a str.
        ValueError: It is neither ``"$"`` nor an entry ID.
    """
    if not isinstance(value, str) or not _GROUP_START.fullmatch(value):
        raise (ValueError if isinstance(value, str) else TypeError)(
            f"GroupConsumer group_start must be '$' (new entries only), '0' (the whole "
            f"stream) or an entry ID such as '1700000000000-0', not {value!r}"
        )
    return value


async def hand_back(
    client: Commands[StrT],
    stream: KeyT,
    group: str | bytes,
    consumer: str | bytes,
    min_idle_ms: int,
    entries: list[StreamEntry[StrT]],
) -> None:
    """Hand entries a worker fetched but did not start back to its group.

    Their idle time is set to ``min_idle``, so the next XAUTOCLAIM of any worker takes them
    (JUSTID: no delivery is counted for that), and their delivery count goes back to what it
    was before this worker fetched them (RETRYCOUNT): a stop is not a failed delivery, and
    must not lead to a dead letter.
    """
    by_count: dict[int, list[StrT]] = {}
    for entry in entries:
        by_count.setdefault(max(0, entry.deliveries - 1), []).append(entry.id)
    for earlier, ids in by_count.items():
        await client.xclaim(
            stream, group, consumer, 0, *ids, idle=min_idle_ms, retrycount=earlier, justid=True
        )
