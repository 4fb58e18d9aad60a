"""Cursor loops over SCAN, HSCAN, SSCAN and ZSCAN as async iterators, for every client.

Rules this module keeps:

- Each iterator calls the generated command cursor by cursor until the server answers
  cursor 0, and yields the page's items in the server's order; nothing is buffered beyond
  one page. The SCAN guarantees carry over: an element present for the whole iteration is
  yielded at least once, and an element may be yielded more than once.
- Options are checked when the iterator is made, before anything is sent; the commands
  themselves go through the client's executor, so on a cluster HSCAN, SSCAN and ZSCAN run
  on the key's node (``RedisCluster`` has a ``scan_iter`` of its own, over every primary).
- Leaving the loop early (``break``) sends nothing more: there is no server-side cursor to
  close.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Literal, TypeVar, cast, overload

from redis_oxide._checks import checked_count
from redis_oxide._command import KeyT
from redis_oxide._generated import Commands, StrT

__all__ = ["ScanIterators", "scan_options"]

T = TypeVar("T")


def _hint(count: object) -> int | None:
    return None if count is None else checked_count("count", count, 1)


def _checked_match(match: object) -> str | bytes | None:
    if match is None or isinstance(match, str | bytes):
        return match
    if isinstance(match, memoryview):
        return cast("memoryview[int]", match).tobytes()
    raise TypeError(f"match must be str or bytes, not {type(match).__name__}")


async def _walk(page: Callable[[int], Awaitable[tuple[int, Iterable[T]]]]) -> AsyncIterator[T]:
    # Cursor 0 starts the iteration, and the server's cursor 0 ends it.
    cursor = 0
    while True:
        cursor, items = await page(cursor)
        for item in items:
            yield item
        if cursor == 0:
            return


def _checked_type(kind: object) -> str | None:
    if kind is None or isinstance(kind, str):
        return kind
    raise TypeError(f"type must be a str, not {kind.__class__.__name__}")


def scan_options(
    match: object, count: object, kind: object
) -> tuple[str | bytes | None, int | None, str | None]:
    """SCAN's ``match``, ``count`` and ``type``, checked (``TypeError``, ``ValueError``)."""
    return _checked_match(match), _hint(count), _checked_type(kind)


class ScanIterators(Commands[StrT]):
    """``scan_iter``, ``hscan_iter``, ``sscan_iter`` and ``zscan_iter`` over the commands."""

    def scan_iter(
        self, match: KeyT | None = None, *, count: int | None = None, type: str | None = None
    ) -> AsyncIterator[StrT]:
        """Iterate over the keys of the database (SCAN, one cursor after the other).

        ``async for key in client.scan_iter("user:*"):``. A key that exists for the whole
        iteration is yielded at least once; a key may be yielded more than once.

        Args:
            match: Only keys matching this glob pattern.
            count: SCAN's ``COUNT`` hint: how much work each call does (the server's
                default is 10).
            type: Only keys of this type (``"string"``, ``"hash"`` ...).

        Returns:
            An async iterator of keys.

        Raises:
            TypeError, ValueError: ``match``, ``count`` or ``type`` is of the wrong type, or
                ``count`` is below 1 (raised here, before anything is sent).
        """
        pattern, hint, kind = scan_options(match, count, type)
        return _walk(lambda cursor: self.scan(cursor, match=pattern, count=hint, type=kind))

    @overload
    def hscan_iter(
        self,
        key: KeyT,
        match: KeyT | None = None,
        *,
        count: int | None = None,
        novalues: Literal[False] = False,
    ) -> AsyncIterator[tuple[StrT, StrT]]: ...
    @overload
    def hscan_iter(
        self,
        key: KeyT,
        match: KeyT | None = None,
        *,
        count: int | None = None,
        novalues: Literal[True],
    ) -> AsyncIterator[StrT]: ...
    @overload
    def hscan_iter(
        self,
        key: KeyT,
        match: KeyT | None = None,
        *,
        count: int | None = None,
        novalues: bool,
    ) -> AsyncIterator[tuple[StrT, StrT]] | AsyncIterator[StrT]: ...
    def hscan_iter(
        self,
        key: KeyT,
        match: KeyT | None = None,
        *,
        count: int | None = None,
        novalues: bool = False,
    ) -> AsyncIterator[tuple[StrT, StrT]] | AsyncIterator[StrT]:
        """Iterate over the fields of a hash (HSCAN), as ``(field, value)`` pairs.

        Args:
            key: The hash.
            match: Only fields matching this glob pattern.
            count: HSCAN's ``COUNT`` hint.
            novalues: Yield the field names only (HSCAN ``NOVALUES``, Redis 7.4 and later).

        Returns:
            An async iterator of ``(field, value)`` pairs, or of field names with
            ``novalues=True``. A field may be yielded more than once.

        Raises:
            TypeError, ValueError: ``match`` or ``count`` is of the wrong type, or ``count``
                is below 1 (raised here, before anything is sent).
        """
        pattern, hint = _checked_match(match), _hint(count)
        if novalues:
            return _walk(
                lambda cursor: self.hscan(key, cursor, match=pattern, count=hint, novalues=True)
            )

        async def page(cursor: int) -> tuple[int, Iterable[tuple[StrT, StrT]]]:
            cursor, found = await self.hscan(key, cursor, match=pattern, count=hint)
            return cursor, found.items()

        return _walk(page)

    def sscan_iter(
        self, key: KeyT, match: KeyT | None = None, *, count: int | None = None
    ) -> AsyncIterator[StrT]:
        """Iterate over the members of a set (SSCAN).

        Args:
            key: The set.
            match: Only members matching this glob pattern.
            count: SSCAN's ``COUNT`` hint.

        Returns:
            An async iterator of members; a member may be yielded more than once.

        Raises:
            TypeError, ValueError: ``match`` or ``count`` is of the wrong type, or ``count``
                is below 1 (raised here, before anything is sent).
        """
        pattern, hint = _checked_match(match), _hint(count)
        return _walk(lambda cursor: self.sscan(key, cursor, match=pattern, count=hint))

    def zscan_iter(
        self, key: KeyT, match: KeyT | None = None, *, count: int | None = None
    ) -> AsyncIterator[tuple[StrT, float]]:
        """Iterate over the members of a sorted set with their scores (ZSCAN).

        Args:
            key: The sorted set.
            match: Only members matching this glob pattern.
            count: ZSCAN's ``COUNT`` hint.

        Returns:
            An async iterator of ``(member, score)`` pairs; a member may be yielded more than
            once.

        Raises:
            TypeError, ValueError: ``match`` or ``count`` is of the wrong type, or ``count``
                is below 1 (raised here, before anything is sent).
        """
        pattern, hint = _checked_match(match), _hint(count)
        return _walk(lambda cursor: self.zscan(key, cursor, match=pattern, count=hint))
