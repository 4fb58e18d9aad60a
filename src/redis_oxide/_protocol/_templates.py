"""The encoder of the hot paths: ``encode_command`` with a shortcut for short commands.

Rules this module keeps:

- ``pack_args(args)`` returns exactly the bytes ``encode_command(args)`` returns, or raises
  what it raises; the test table checks the two against each other.
- A command of two or three tokens whose name is a ``str`` and whose other arguments are
  ``bytes`` (``GET k``, ``SET k v``, ``HGET k f`` ...) is framed by one ``%`` on a template
  made once per command name: about half the time of ``hiredis.pack_command``, which formats
  every length with ``sprintf``. Anything else goes to ``encode_command``'s rules.
- Without hiredis every command that no template takes goes to the pure encoder; with it,
  the fast path does exactly the work it did before (no extra test).
- A template escapes ``%`` in the name; at most ``_MAX_NAMES`` names get one per arity, so
  raw commands with ever-new names cannot grow the caches without bound. A template, once
  made, stays: a name found in ``THREE_TOKENS`` / ``TWO_TOKENS`` can be framed later.
- ``join_frames`` takes frames and *unframed* commands: a command may be left unframed only
  when its name is a key of the template cache of its arity and every other argument is
  ``bytes`` (what ``is_late(args)`` checks), so framing it later cannot fail and gives the
  bytes ``pack_args`` would have given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from redis_oxide._command import ArgT
from redis_oxide._protocol import _encode, _hiredis
from redis_oxide._protocol._hiredis import HIREDIS_AVAILABLE, PLAIN_TYPES, pack_plain

__all__ = [
    "THREE_TOKENS",
    "TWO_TOKENS",
    "is_late",
    "join_frames",
    "pack_args",
    "two_token_template",
]

_MAX_NAMES: Final = 512

# name -> frame template with the name filled in and ``%d``/``%b`` slots for the rest.
_TWO: dict[str, bytes] = {}
_THREE: dict[str, bytes] = {}
#: The caches, for hot paths that test ``is_late``'s rule inline.
TWO_TOKENS: Final = _TWO
THREE_TOKENS: Final = _THREE

# What neither a template nor ``pack_plain`` takes. Without hiredis ``PLAIN_TYPES`` is empty,
# so every such command comes here and the pure encoder frames it.
encode_command: Final = _hiredis.encode_command if HIREDIS_AVAILABLE else _encode.encode_command


def _template(name: str, count: int, cache: dict[str, bytes]) -> bytes | None:
    if len(cache) >= _MAX_NAMES:
        return None
    try:
        raw = name.encode()
    except UnicodeEncodeError:
        return None  # encode_command reports it
    head = b"*%d\r\n$%d\r\n" % (count, len(raw))
    template = head + raw.replace(b"%", b"%%") + b"\r\n" + b"$%d\r\n%b\r\n" * (count - 1)
    cache[name] = template
    return template


def two_token_template(name: str) -> bytes | None:
    """The frame template of a two-token command ``name key``, made on first use.

    Args:
        name: The command's name.

    Returns:
        The template, whose ``%`` with ``(len(key), key)`` (``key`` bytes) gives the bytes
        ``pack_args((name, key))`` gives; None when the cache is full or ``name`` does not
        encode.
    """
    return _TWO.get(name) or _template(name, 2, _TWO)


def pack_args(args: tuple[ArgT, ...]) -> bytes:
    """Encode one command, name first, as ``encode_command`` does.

    Args:
        args: The command's wire arguments.

    Returns:
        The bytes to write.

    Raises:
        TypeError: An argument is a ``bool``, ``None`` or of an unsupported type.
        ValueError: ``args`` is empty, or as for ``encode_command``.
    """
    count = len(args)
    if count == 3:
        name, first, second = args
        if type(first) is bytes and type(second) is bytes and type(name) is str:
            template = _THREE.get(name) or _template(name, 3, _THREE)
            if template is not None:
                return template % (len(first), first, len(second), second)
    elif count == 2:
        name, first = args
        if type(first) is bytes and type(name) is str:
            template = _TWO.get(name) or _template(name, 2, _TWO)
            if template is not None:
                return template % (len(first), first)
    for arg in args:
        if type(arg) not in PLAIN_TYPES:
            return encode_command(args)
    if not count:
        return encode_command(args)
    return pack_plain(args)


def is_late(args: tuple[ArgT, ...]) -> bool:
    """Whether ``join_frames`` can frame ``args`` itself (the rule the pipeline inlines).

    Args:
        args: The command's wire arguments.

    Returns:
        True when the name has a template of this arity and the other arguments are bytes.
    """
    count = len(args)
    if count == 3:
        return type(args[1]) is bytes and type(args[2]) is bytes and args[0] in _THREE
    if count == 2:
        return type(args[1]) is bytes and args[0] in _TWO
    return False


def join_frames(items: Sequence[Any]) -> bytes:
    """Concatenate frames, framing on the way the commands that were queued unframed.

    Args:
        items: Each either the bytes of a framed command or a command tuple for which
            ``is_late`` held when it was queued.

    Returns:
        The bytes to write.
    """
    three = _THREE
    two = _TWO
    return b"".join(
        [
            item
            if type(item) is bytes
            else three[item[0]] % (len(item[1]), item[1], len(item[2]), item[2])
            if len(item) == 3
            else two[item[0]] % (len(item[1]), item[1])
            for item in items
        ]
    )
