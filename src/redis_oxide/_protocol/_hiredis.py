"""The one module that imports hiredis, behind precise types.

Rules:

- Nothing else in redis-oxide imports ``hiredis``; nothing from ``hiredis.*`` reaches users.
  The ``Reader`` is built with redis-oxide's :class:`ProtocolError` and a factory returning
  redis-oxide :class:`ServerError` subclasses, so hiredis constructs our exceptions in C.
- ``notEnoughData`` is our :data:`NOT_ENOUGH` sentinel: hiredis' default (``False``) is also
  what a RESP3 ``#f`` decodes to.
- Hot path: :class:`HiredisDecoder` stores the Reader's bound ``feed`` and ``gets`` as its own
  ``feed`` and ``next_reply``, so each call goes straight to C with no Python frame.
- hiredis 3.5 stubs type ``pack_command``'s argument as a one-element tuple and ``gets()`` as
  returning ``Any``; the names below restate them precisely for ``mypy --strict``.
- hiredis older than 3.2 has no ``PushNotification`` (push frames look like arrays); it is
  treated as absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final, Protocol, cast

from redis_oxide._command import ArgT
from redis_oxide._exceptions import ProtocolError, ServerError, server_error_from_message
from redis_oxide._protocol._encode import PlainArg, normalize_args
from redis_oxide._protocol._types import NOT_ENOUGH, NeedMoreData, RespValue

__all__ = [
    "HIREDIS_AVAILABLE",
    "PLAIN_TYPES",
    "PUSH_CLASS",
    "HiredisDecoder",
    "decode_doubles",
    "encode_command",
    "encode_commands",
    "pack_plain",
]


def _hiredis_missing(args: tuple[PlainArg, ...]) -> bytes:
    raise ImportError("hiredis>=3.2 is not installed; use the pure-Python encoder")


_push_class: type[list[Any]] | None = None
# The stub's 1-tuple parameter and missing return type, restated.
_pack_command: Callable[[tuple[PlainArg, ...]], bytes] = _hiredis_missing
try:
    import hiredis
except ImportError:  # hiredis is a dependency; this guards odd platforms and broken installs
    pass
else:
    _push_class = getattr(hiredis, "PushNotification", None)
    if _push_class is not None:
        # getattr: the stubbed type is the wrong one restated here, not worth reading.
        pack = getattr(hiredis, "pack_command")  # noqa: B009
        _pack_command = cast("Callable[[tuple[PlainArg, ...]], bytes]", pack)

#: hiredis' class of push frames, or None without hiredis>=3.2.
PUSH_CLASS: Final = _push_class
#: Whether the hiredis decoder and encoder can be used.
HIREDIS_AVAILABLE: Final[bool] = PUSH_CLASS is not None


class _Feed(Protocol):
    def __call__(self, data: bytes | bytearray | memoryview, /) -> None: ...


class _NextReply(Protocol):
    def __call__(self, decode: bool = True, /) -> RespValue | NeedMoreData: ...


class HiredisDecoder:
    """:class:`Decoder` backed by ``hiredis.Reader``.

    Args:
        encoding: Decode bulk/simple strings, verbatim strings, big numbers and map keys with
            this codec; ``None`` keeps ``bytes``.
        errors: Codec error handler for ``encoding``.
        reply_error: Builds the value for a ``-`` error reply from its text; by default
            :func:`server_error_from_message`. A connection may pass a closure that adds its
            address; the reference cycle it creates is collectable.

    Raises:
        LookupError: Unknown ``encoding`` or ``errors``.
    """

    __slots__ = ("feed", "next_reply")

    feed: _Feed
    next_reply: _NextReply

    def __init__(
        self,
        *,
        encoding: str | None = None,
        errors: str = "strict",
        reply_error: Callable[[str], ServerError] = server_error_from_message,
    ) -> None:
        import hiredis  # bound at module level only when importable

        reader = hiredis.Reader(
            protocolError=ProtocolError,
            replyError=reply_error,
            encoding=encoding,
            errors=errors,
            notEnoughData=NOT_ENOUGH,
        )
        # The stub types ``feed`` as taking str | bytes; the C code takes any buffer.
        self.feed = cast(_Feed, reader.feed)
        self.next_reply = reader.gets

    def __repr__(self) -> str:
        return "<HiredisDecoder>"


def decode_doubles(texts: list[Any]) -> list[float] | None:
    """Read many RESP2 double texts at once, as ``float()`` reads each; None where it cannot.

    RESP2 sends doubles (sorted-set scores) as bulk strings, and ``float()`` on each costs
    about three times what hiredis spends reading the same text as one RESP3 double (``,``)
    frame. The texts are framed as one RESP3 array of doubles and read in a single call.
    Both readers round correctly, so every value is the one ``float()`` gives; texts they may
    read differently (hex, ``_``, trailing blanks, text hiredis refuses, a numeric locale
    that is not C) give None, and the caller converts with ``float()``.

    Args:
        texts: ``bytes`` or ``str`` values, as a decoder returned them.

    Returns:
        One float per text, or None when the texts must go through ``float()``.
    """
    import hiredis  # only called when HIREDIS_AVAILABLE

    try:
        joined = b"\r\n,".join(texts)
    except TypeError:
        try:
            joined = "\r\n,".join(texts).encode("ascii")
        except (TypeError, UnicodeEncodeError):
            return None
    # A line break inside a text would shift the frames; an "x" is a hex float to strtod.
    if joined.count(b"\n") != len(texts) - 1 or b"x" in joined or b"X" in joined:
        return None
    reader = hiredis.Reader(protocolError=ProtocolError, notEnoughData=NOT_ENOUGH)
    reader.feed(b"*%d\r\n,%b\r\n" % (len(texts), joined))
    try:
        doubles: object = reader.gets()
    except ProtocolError:
        return None
    if doubles.__class__ is not list:  # cannot be NOT_ENOUGH: the frames are complete
        return None
    return cast("list[float]", doubles)


# Argument types hiredis encodes exactly as the pure encoder does. bool is a different type,
# so it takes the slow path and is refused there; float/int subclasses would be sent through
# their __repr__ (NumPy 2 prints "np.float64(0.1)"), and hiredis reads a memoryview's raw
# buffer even when it is not contiguous, so those are normalised first.
_PLAIN_TYPES: Final = frozenset({bytes, str, int, float})

#: The argument types :data:`pack_plain` encodes as-is; empty without hiredis, so a caller's
#: type check then always falls back to ``encode_command``.
PLAIN_TYPES: Final[frozenset[type]] = _PLAIN_TYPES if HIREDIS_AVAILABLE else frozenset()
#: ``hiredis.pack_command`` itself, for hot paths that run the type check of
#: :func:`encode_command` inline (a Python frame less per command). Only valid for a
#: non-empty tuple whose argument types are all in :data:`PLAIN_TYPES`.
pack_plain: Final = _pack_command


def encode_command(args: Sequence[ArgT]) -> bytes:
    """Encode one command with ``hiredis.pack_command``.

    Every argument's exact type is checked first; only when all are plain builtins does the
    tuple go to hiredis untouched. The rules are those of ``_encode.encode_command`` and the
    same test table checks both.

    Args:
        args: The command's wire arguments, name first.

    Returns:
        The bytes to write.

    Raises:
        TypeError: An argument is a ``bool``, ``None`` or of an unsupported type.
        ValueError: ``args`` is empty, an ``int`` has too many digits to print, or a
            memoryview was released.
    """
    # A Python loop over the few arguments of a command costs less than the C-level
    # ``frozenset.issuperset(map(type, args))`` (about 0.3 against 0.5 us for three
    # arguments on CPython 3.11: ``map`` calls ``type`` through the generic call path).
    for arg in args:
        if type(arg) not in _PLAIN_TYPES:
            return _pack_command(normalize_args(args))
    if not args:
        # Redis answers nothing to "*0": the reply queue would wait forever.
        raise ValueError("a command needs at least one argument (its name)")
    # ``type() is`` (cheaper than isinstance for a list) loses the item type for pyright; the
    # loop above checked each item.
    return _pack_command(
        args if type(args) is tuple else tuple(args)  # pyright: ignore[reportUnknownArgumentType]
    )


def encode_commands(commands: Iterable[Sequence[ArgT]]) -> bytes:
    """Encode several commands back to back with hiredis, for one write.

    Args:
        commands: Each command's wire arguments, name first.

    Returns:
        The concatenated encodings.

    Raises:
        TypeError: An argument is a ``bool``, ``None`` or of an unsupported type.
        ValueError: A command is empty, or as for :func:`encode_command`.
    """
    return b"".join([encode_command(args) for args in commands])
