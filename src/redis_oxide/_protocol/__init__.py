"""Sans-IO RESP2/RESP3: bytes in, values out; commands in, bytes out.

Rules of this package:

- It imports no asyncio, socket or ssl, and nothing from redis-oxide except ``_exceptions``,
  ``_command`` and ``_parsers`` (a test walks the imports). Only ``_hiredis.py`` imports
  hiredis; the reply parsers (a lower layer) get its batch reader of doubles through
  ``_parsers.use_double_decoder``, installed here at import.
- Two interchangeable decoders implement :class:`Decoder`: hiredis (default, C speed) and a
  pure-Python one. They return equal values for every input in the test vector table,
  including where hiredis departs from ideal RESP3 (docs/decisions.md, "Protocol layer").
- hiredis is a declared dependency, but a platform or install without it still works: the
  encoders and the default decoder fall back to the pure-Python ones, chosen once at import
  (``HIREDIS_AVAILABLE``), so the hiredis paths pay nothing for the fallback.
- Server error replies are :class:`~redis_oxide._exceptions.ServerError` values, not raised.
- Push frames are exactly of type :data:`PushMessage`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from redis_oxide import _parsers
from redis_oxide._exceptions import ServerError, server_error_from_message
from redis_oxide._protocol import _encode, _hiredis
from redis_oxide._protocol._hiredis import HIREDIS_AVAILABLE, HiredisDecoder
from redis_oxide._protocol._push import PushMessage
from redis_oxide._protocol._python import PythonDecoder
from redis_oxide._protocol._types import (
    MAX_NESTING,
    NOT_ENOUGH,
    TOO_DEEP,
    Decoder,
    NeedMoreData,
    RespValue,
)

__all__ = [
    "HIREDIS_AVAILABLE",
    "MAX_NESTING",
    "NOT_ENOUGH",
    "TOO_DEEP",
    "Decoder",
    "NeedMoreData",
    "PushMessage",
    "RespValue",
    "encode_command",
    "encode_commands",
    "make_decoder",
]


def make_decoder(
    *,
    encoding: str | None = None,
    errors: str = "strict",
    implementation: Literal["hiredis", "python"] = "hiredis",
    reply_error: Callable[[str], ServerError] = server_error_from_message,
) -> Decoder:
    """Create a reply decoder.

    Args:
        encoding: Decode text replies (bulk, simple, verbatim strings, big numbers, map keys)
            with this codec; ``None`` returns ``bytes``. Error replies are always UTF-8 text.
        errors: Codec error handler. With ``"strict"`` an undecodable value raises
            ``UnicodeDecodeError`` from ``next_reply`` and the decoder must be discarded.
        implementation: ``"hiredis"`` (the default): the C decoder, or the pure-Python one
            when hiredis>=3.2 cannot be imported, the rule the encoders follow too; code
            that must have hiredis checks ``HIREDIS_AVAILABLE``. ``"python"``: always the
            pure-Python decoder.
        reply_error: Builds the value of a ``-`` reply from its text.

    Returns:
        A fresh decoder with an empty buffer.

    Raises:
        LookupError: Unknown ``encoding`` or ``errors``.
        ValueError: Unknown ``implementation``.
    """
    if implementation == "hiredis" and HIREDIS_AVAILABLE:
        return HiredisDecoder(encoding=encoding, errors=errors, reply_error=reply_error)
    if implementation == "hiredis":
        return PythonDecoder(encoding=encoding, errors=errors, reply_error=reply_error)
    if implementation == "python":
        return PythonDecoder(encoding=encoding, errors=errors, reply_error=reply_error)
    raise ValueError(f"unknown decoder implementation {implementation!r}")


if HIREDIS_AVAILABLE:
    _parsers.use_double_decoder(_hiredis.decode_doubles)
    encode_command = _hiredis.encode_command
    encode_commands = _hiredis.encode_commands
else:
    encode_command = _encode.encode_command
    encode_commands = _encode.encode_commands
