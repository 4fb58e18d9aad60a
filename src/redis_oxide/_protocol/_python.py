"""Pure-Python RESP2/RESP3 decoder that returns exactly what the hiredis decoder returns.

It exists for platforms without hiredis and as a second opinion in tests: one vector table
runs against both. Where hiredis 3.5 departs from ideal RESP3 this decoder copies it, so a
reply never changes shape with the implementation (docs/decisions.md, "Protocol layer" lists them):

- sets (``~``) decode to ``list``; big numbers (``(``) to ``bytes`` (``str`` with an encoding);
- an attribute (``|``) is returned as a flat ``[key, value, ...]`` list standing where it
  appeared, and the value it annotates follows as the next element or reply;
- blob errors (``!``) are a :class:`ProtocolError`;
- error replies are decoded as UTF-8 with ``replace`` whatever the encoding;
- the lexical rules for integers, lengths, doubles, booleans and nulls, the 1024-level nesting
  limit and the ``2**32 - 1`` element limit are hiredis' rules.

Where hiredis would crash or misbehave on input Redis never sends, this decoder is stricter:
an aggregate used as a map key and a bulk string not followed by CRLF are protocol errors.

Invariants: parsing is resumable. ``_pos`` only moves past complete items and open aggregates
live on ``_stack``, so a reply split anywhere decodes the same, in time linear in its size.
After any exception the decoder stays failed and raises on every call, as hiredis does.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Callable
from typing import ClassVar, Final, TypeAlias

from redis_oxide._exceptions import ProtocolError, ServerError, server_error_from_message
from redis_oxide._protocol._push import PushMessage
from redis_oxide._protocol._types import MAX_NESTING, NOT_ENOUGH, TOO_DEEP, NeedMoreData, RespValue

__all__ = ["PythonDecoder"]

# hiredis' REDIS_READER_MAX_ARRAY_ELEMENTS (its depth limit is MAX_NESTING).
_MAX_ELEMENTS: Final = 2**32 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
# hiredis copies a double into a 326-byte buffer and refuses longer text.
_MAX_DOUBLE_LEN: Final = 326
# Consumed bytes are dropped from the front of the buffer once this many pile up, so the
# memmove is amortised; hiredis uses 1024.
_COMPACT_AT: Final = 65536

_DOUBLE = re.compile(rb"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_BIGNUM = re.compile(rb"-?[0-9]*")
_SPECIAL_DOUBLES: Final = {
    b"inf": math.inf,
    b"-inf": -math.inf,
    b"nan": math.nan,
    b"-nan": math.nan,
}

# Type bytes.
_SIMPLE, _ERROR, _INTEGER, _DOUBLE_T, _NULL, _BOOL, _BIGNUM_T = b"+-:,_#("
_BULK, _VERBATIM = b"$="
_ARRAY, _MAP, _SET, _PUSH, _ATTRIBUTE = b"*%~>|"
_AGGREGATES: Final = frozenset(b"*%~>|")
_TYPE_BYTES: Final = frozenset(b"+-:,_#($=*%~>|")


def _int64(line: bytearray, what: str) -> int:
    # string2ll: optional "-", no "+", no leading zeros, no "-0", no spaces, fits int64.
    if len(line) > 20:
        raise ProtocolError(what)
    try:
        value = int(line)
    except ValueError:
        raise ProtocolError(what) from None
    # bytearray == bytes compares contents, which the stubs do not say.
    canonical = line == b"%d" % value  # pyright: ignore[reportUnnecessaryComparison]
    if not canonical or not _INT64_MIN <= value <= _INT64_MAX:
        raise ProtocolError(what)
    return value


def _double(line: bytearray) -> float:
    if len(line) >= _MAX_DOUBLE_LEN:
        raise ProtocolError("Double value is too large")
    special = _SPECIAL_DOUBLES.get(bytes(line).lower())
    if special is not None:
        return special
    if _DOUBLE.fullmatch(line) is None:
        raise ProtocolError("Bad double value")
    value = float(line)
    if not math.isfinite(value):
        raise ProtocolError("Bad double value")
    return value


class _Aggregate:
    """An aggregate still collecting elements."""

    __slots__ = ("is_map", "items", "remaining")

    def __init__(self, items: list[RespValue], remaining: int, is_map: bool) -> None:
        self.items = items
        self.remaining = remaining
        self.is_map = is_map


_LineParser: TypeAlias = "Callable[[PythonDecoder, bytearray, str | None], RespValue]"


class PythonDecoder:
    """:class:`Decoder` written in Python, value-for-value equal to :class:`HiredisDecoder`.

    Args:
        encoding: Decode bulk/simple strings, verbatim strings, big numbers and map keys with
            this codec; ``None`` keeps ``bytes``.
        errors: Codec error handler for ``encoding``.
        reply_error: Builds the value for a ``-`` error reply from its text; by default
            :func:`server_error_from_message`.

    Raises:
        LookupError: Unknown ``encoding`` or ``errors``.
    """

    __slots__ = ("_buf", "_encoding", "_errors", "_failure", "_pos", "_reply_error", "_stack")

    def __init__(
        self,
        *,
        encoding: str | None = None,
        errors: str = "strict",
        reply_error: Callable[[str], ServerError] = server_error_from_message,
    ) -> None:
        if encoding is not None:
            codecs.lookup(encoding)
            codecs.lookup_error(errors)
        self._encoding = encoding
        self._errors = errors
        self._reply_error = reply_error
        self._buf = bytearray()
        self._pos = 0
        self._stack: list[_Aggregate] = []
        self._failure: str | None = None

    def __repr__(self) -> str:
        return (
            f"<PythonDecoder buffered={len(self._buf) - self._pos} open={len(self._stack)}"
            f"{' failed' if self._failure is not None else ''}>"
        )

    def feed(self, data: bytes | bytearray | memoryview, /) -> None:
        """Append received bytes; ignored once the decoder has failed, as hiredis does.

        Args:
            data: Bytes exactly as read from the transport.
        """
        if self._failure is None:
            self._buf += data

    def next_reply(self, decode: bool = True, /) -> RespValue | NeedMoreData:
        """Return the next complete reply, or :data:`NOT_ENOUGH`.

        Args:
            decode: ``False`` keeps text as ``bytes`` for this call.

        Returns:
            The decoded reply, or :data:`NOT_ENOUGH`.

        Raises:
            ProtocolError: The stream is not valid RESP, now or earlier.
            UnicodeDecodeError: Text did not decode under ``errors="strict"``.
        """
        if self._failure is not None:
            raise ProtocolError(self._failure)
        try:
            return self._parse(self._encoding if decode else None)
        except (ProtocolError, UnicodeDecodeError) as exc:
            self._failure = str(exc)
            self._buf.clear()
            self._stack.clear()
            raise

    def _parse(self, encoding: str | None) -> RespValue | NeedMoreData:
        buf = self._buf
        pos = self._pos
        end = len(buf)
        stack = self._stack
        errors = self._errors
        value: RespValue
        while pos < end:
            kind = buf[pos]
            if kind in _AGGREGATES and len(stack) >= MAX_NESTING:
                raise ProtocolError(TOO_DEEP)
            if kind not in _TYPE_BYTES:
                raise ProtocolError(f"Protocol error, got {bytes([kind])!r} as reply type byte")
            newline = buf.find(b"\r\n", pos + 1)
            if newline < 0:
                break
            line = buf[pos + 1 : newline]
            after = newline + 2
            if kind in (_BULK, _VERBATIM):
                length = _int64(line, "Bad bulk string length")
                if length < -1:
                    raise ProtocolError("Bulk string length out of range")
                if length == -1:
                    value = None
                else:
                    stop = after + length
                    if stop + 2 > end:
                        break
                    if not buf.startswith(b"\r\n", stop):
                        raise ProtocolError("Bulk string is not terminated by CRLF")
                    if kind == _VERBATIM:
                        if length < 4 or buf[after + 3] != 0x3A:  # "txt:" / "mkd:"
                            raise ProtocolError(
                                "Verbatim string 4 bytes of content type are missing or "
                                "incorrectly encoded."
                            )
                        after += 4
                    data = buf[after:stop]
                    value = data.decode(encoding, errors) if encoding else bytes(data)
                    after = stop + 2
            elif kind in _AGGREGATES:
                count = _int64(line, "Bad multi-bulk length")
                if count < -1 or count > _MAX_ELEMENTS:
                    raise ProtocolError("Multi-bulk length out of range")
                pos = after
                if count == -1:
                    value = None
                elif kind == _MAP:
                    if count:
                        stack.append(_Aggregate([], 2 * count, True))
                        continue
                    value = {}
                else:
                    if kind == _ATTRIBUTE:
                        count *= 2
                    items: list[RespValue] = PushMessage() if kind == _PUSH else []
                    if count:
                        stack.append(_Aggregate(items, count, False))
                        continue
                    value = items
            else:
                value = self._LINE_KINDS[kind](self, line, encoding)
            pos = after
            # Attach the finished value to the aggregates it completes, innermost first.
            while stack:
                top = stack[-1]
                top.items.append(value)
                top.remaining -= 1
                if top.remaining:
                    break
                stack.pop()
                value = _finish(top)
            else:
                self._pos = self._compact(pos)
                return value
        self._pos = self._compact(pos)
        return NOT_ENOUGH

    def _compact(self, pos: int) -> int:
        if pos == len(self._buf):
            self._buf.clear()
            return 0
        if pos >= _COMPACT_AT:
            del self._buf[:pos]
            return 0
        return pos

    def _simple(self, line: bytearray, encoding: str | None) -> RespValue:
        if 13 in line or 10 in line:
            raise ProtocolError("Bad simple string value")
        return line.decode(encoding, self._errors) if encoding else bytes(line)

    def _error(self, line: bytearray, encoding: str | None) -> RespValue:
        if 13 in line or 10 in line:
            raise ProtocolError("Bad simple string value")
        return self._reply_error(line.decode("utf-8", "replace"))

    def _integer(self, line: bytearray, encoding: str | None) -> RespValue:
        return _int64(line, "Bad integer value")

    def _double(self, line: bytearray, encoding: str | None) -> RespValue:
        return _double(line)

    def _null(self, line: bytearray, encoding: str | None) -> RespValue:
        if line:
            raise ProtocolError("Bad nil value")
        return None

    def _bool(self, line: bytearray, encoding: str | None) -> RespValue:
        if len(line) != 1 or line[0] not in b"tTfF":
            raise ProtocolError("Bad bool value")
        return line[0] in b"tT"

    def _bignum(self, line: bytearray, encoding: str | None) -> RespValue:
        if _BIGNUM.fullmatch(line) is None:
            raise ProtocolError("Bad bignum value")
        return line.decode(encoding, self._errors) if encoding else bytes(line)

    # The single-line kinds; bulk and aggregate kinds are handled inline in ``_parse``.
    _LINE_KINDS: ClassVar[dict[int, _LineParser]] = {
        _SIMPLE: _simple,
        _ERROR: _error,
        _INTEGER: _integer,
        _DOUBLE_T: _double,
        _NULL: _null,
        _BOOL: _bool,
        _BIGNUM_T: _bignum,
    }


def _finish(aggregate: _Aggregate) -> RespValue:
    if not aggregate.is_map:
        return aggregate.items
    items = iter(aggregate.items)
    try:
        return dict(zip(items, items, strict=True))
    except TypeError:
        # hiredis raises the bare TypeError and leaves its reader broken; Redis never sends
        # an aggregate as a map key.
        raise ProtocolError("Aggregate used as a map key") from None
