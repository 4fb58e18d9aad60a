"""Appending to a stream and keeping it trimmed: ``StreamProducer``.

Rules this module keeps:

- Every append trims (``MAXLEN`` or, by age, ``MINID``), approximately (``~``) unless asked:
  the stream's bound is kept as a side effect of writing, with no trimming task.
- Bounds are checked when the producer is made, before anything is sent. ``limit`` must
  reach a macro node's size (100 entries by default): approximate trimming evicts whole
  nodes, and a smaller limit never evicts one.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Final, Generic, Literal

from redis_oxide._checks import checked_count, checked_seconds
from redis_oxide._command import KeyT, ValueT
from redis_oxide._generated import Commands, StrT
from redis_oxide._generated._base import MappingFieldT
from redis_oxide._generated._types import XaddTrim

__all__ = ["StreamProducer"]

# stream-node-max-entries' default: the most entries one macro node holds.
_NODE_ENTRIES: Final = 100


class StreamProducer(Generic[StrT]):
    """Appends to a stream and keeps it trimmed (``MAXLEN ~`` or, by age, ``MINID ~``).

    Args:
        client: Any redis-oxide client; IDs are typed like it.
        stream: The stream's key.
        maxlen: Keep about this many entries.
        max_age: Keep entries about this young (seconds or a ``timedelta``), by ID time.
        exact: Trim exactly (``=``) instead of by whole macro nodes (``~``, much cheaper).
        limit: At most this many entries evicted per append (``LIMIT``; only with ``~``);
            100 or more, a macro node's size: approximate trimming evicts whole nodes.

    Raises:
        TypeError: ``maxlen`` or ``limit`` is not an int (``bool`` is not one), or
            ``max_age`` not a number.
        ValueError: Both or neither bound given, a bound out of range, ``limit`` with
            ``exact``, or ``limit`` below 100.
    """

    def __init__(
        self,
        client: Commands[StrT],
        stream: KeyT,
        *,
        maxlen: int | None = None,
        max_age: float | timedelta | None = None,
        exact: bool = False,
        limit: int | None = None,
    ) -> None:
        if (maxlen is None) == (max_age is None):
            raise ValueError("give exactly one of maxlen and max_age")
        if maxlen is not None:
            checked_count("maxlen", maxlen, 0)
        age = max_age.total_seconds() if isinstance(max_age, timedelta) else max_age
        checked_seconds("max_age", age, finite=True)
        if limit is not None:
            checked_count("limit", limit, 1)
            if exact:
                raise ValueError("StreamProducer limit needs approximate trimming (exact=False)")
            if limit < _NODE_ENTRIES:
                raise ValueError(
                    f"StreamProducer limit={limit} is below {_NODE_ENTRIES}, Redis's default "
                    "stream-node-max-entries: approximate trimming evicts whole macro nodes "
                    "only, so a smaller limit evicts nothing and the stream grows without "
                    f"bound; give limit={_NODE_ENTRIES} or more, or no limit"
                )
        self._client: Commands[StrT] = client
        self._stream = stream
        self._maxlen = maxlen
        self._age_ms = None if age is None else round(age * 1000)
        self._operator: Literal["=", "~"] = "=" if exact else "~"
        self._limit = limit

    def _trim(self) -> XaddTrim:
        if self._age_ms is not None:
            minid = f"{max(0, int(time.time() * 1000) - self._age_ms)}-0"
            return XaddTrim(
                strategy="MINID", threshold=minid, operator=self._operator, count=self._limit
            )
        assert self._maxlen is not None
        return XaddTrim(
            strategy="MAXLEN", threshold=self._maxlen, operator=self._operator, count=self._limit
        )

    async def add(self, fields: Mapping[MappingFieldT, ValueT], *, id: ValueT = "*") -> StrT:
        """Append one entry, trimming the stream.

        Args:
            fields: The entry's field-value pairs.
            id: The entry ID; ``*`` lets the server choose.

        Returns:
            The new entry's ID.
        """
        added = await self._client.xadd(self._stream, fields, trim=self._trim(), id=id)
        assert added is not None  # only NOMKSTREAM gives None
        return added
