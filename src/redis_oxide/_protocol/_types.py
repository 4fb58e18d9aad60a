"""The types every decoder shares: decoded values, the need-more-data sentinel, the protocol.

Invariants:

- A decoder returns server error replies as :class:`ServerError` *instances* inside the value
  (an error in an EXEC reply stays in its slot); it raises only when the stream itself is
  unusable (:class:`ProtocolError`, or ``UnicodeDecodeError`` under ``errors="strict"``).
  After it raised, a decoder must be discarded.
- Push frames (RESP3 ``>``) are ``PushMessage`` instances (``_push.py``) and nothing else is.
- Both decoders read aggregates nested ``MAX_NESTING`` levels deep and refuse one more with a
  ``ProtocolError`` whose message is ``TOO_DEEP``, so the connection can tell that reply apart
  from a stream that is not RESP.
"""

from __future__ import annotations

from typing import Final, Protocol, TypeAlias, final

from redis_oxide._exceptions import ServerError

__all__ = ["MAX_NESTING", "NOT_ENOUGH", "TOO_DEEP", "Decoder", "NeedMoreData", "RespValue"]

#: How many aggregates (arrays, maps, sets, pushes) may nest in one reply: hiredis' reader
#: limit (its ``REDIS_READER_MAX_REPLY_DEPTH``; hiredis 3.5 reads 1,024 and refuses 1,025).
#: Redis itself sends deeper replies: a Lua script's table converts up to ~8,000 levels.
MAX_NESTING: Final = 1024
#: The ``ProtocolError`` message of a reply nested deeper than ``MAX_NESTING`` (hiredis' text).
TOO_DEEP: Final = "Max nesting depth exceeded"


@final
class NeedMoreData:
    """Type of :data:`NOT_ENOUGH`: the buffer does not yet hold a complete reply.

    A dedicated object, not ``None`` or ``False``: both are valid RESP3 values (``_`` and
    ``#f``).
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_ENOUGH"

    def __reduce__(self) -> str:
        return "NOT_ENOUGH"


#: Returned by :meth:`Decoder.next_reply` when no complete reply is buffered yet.
NOT_ENOUGH: Final[NeedMoreData] = NeedMoreData()


#: A decoded reply. Text is ``bytes``, or ``str`` when the decoder has an encoding. RESP3 sets
#: decode to ``list`` and big numbers to ``bytes``/``str`` (docs/decisions.md, "Protocol layer");
#: server errors are :class:`ServerError` values.
RespValue: TypeAlias = (
    bytes
    | str
    | int
    | float
    | bool
    | ServerError
    | list["RespValue"]
    | dict["RespValue", "RespValue"]
    | None
)


class Decoder(Protocol):
    """A sans-IO RESP2/RESP3 reply decoder: bytes in, values out.

    Feed whatever the transport delivered, then call :meth:`next_reply` until it returns
    :data:`NOT_ENOUGH`. Bytes after a complete reply stay buffered for the next call.
    """

    def feed(self, data: bytes | bytearray | memoryview, /) -> None:
        """Append received bytes to the buffer; the bytes are copied.

        Args:
            data: Bytes exactly as read from the transport, any amount.
        """
        ...

    def next_reply(self, decode: bool = True, /) -> RespValue | NeedMoreData:
        """Return the next complete reply, or :data:`NOT_ENOUGH`.

        Args:
            decode: With ``False``, text in this reply stays ``bytes`` even when the decoder
                has an encoding (for binary payloads such as ``DUMP``). Pass the same value
                on every call until the reply completes.

        Returns:
            The decoded reply (server errors as :class:`ServerError` values), or
            :data:`NOT_ENOUGH`.

        Raises:
            ProtocolError: The stream is not valid RESP. The decoder is unusable afterwards.
            UnicodeDecodeError: Text did not decode under ``errors="strict"``; the decoder is
                unusable afterwards.
        """
        ...
