"""What a stream worker hands out and counts: ``StreamEntry``, ``ConsumerStats``.

Also the script that moves an entry to the dead-letter stream and the check of
``group_start``, so the worker module keeps to the loop itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Generic, NamedTuple

from redis_oxide._generated import StrT

__all__ = ["DEAD_LETTER_SCRIPT", "ConsumerStats", "StreamEntry", "checked_group_start"]

# Moves one entry to the dead-letter stream and acknowledges it, atomically. XACK answering 0
# means another worker already finished it: then nothing is moved. The entry's fields follow
# the ones saying where it came from.
DEAD_LETTER_SCRIPT = """
local entry = redis.call('XRANGE', KEYS[1], ARGV[2], ARGV[2])
if redis.call('XACK', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
local fields = {'dead-letter-stream', KEYS[1], 'dead-letter-id', ARGV[2],
                'dead-letter-group', ARGV[1], 'dead-letter-deliveries', ARGV[3]}
if entry[1] then for _, v in ipairs(entry[1][2]) do fields[#fields + 1] = v end end
redis.call('XADD', KEYS[2], '*', unpack(fields))
return 1
"""


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
