"""The encoder of the hot paths: ``encode_command`` with a shortcut for short commands.

Rules this module keeps:

- ``pack_args(args)`` returns exactly the bytes ``encode_command(args)`` returns, or raises
  what it raises; the test table checks the two against each other.
- A command of two or three tokens whose name is a ``str`` and whose other arguments are
  ``bytes`` (``GET k``, ``SET k v``, ``HGET k f`` ...) is framed by one ``%`` on a template
  made once per command name: about half the time of ``hiredis.pack_command``, which formats
  every length with ``sprintf``. Anything else goes to ``encode_command``'s rules.
- A template escapes ``%`` in the name; at most ``_MAX_NAMES`` names get one per arity, so
  raw commands with ever-new names cannot grow the caches without bound.
"""

from __future__ import annotations

from typing import Final

from redis_oxide._command import ArgT
from redis_oxide._protocol._hiredis import PLAIN_TYPES, encode_command, pack_plain

__all__ = ["pack_args"]

_MAX_NAMES: Final = 512

# name -> frame template with the name filled in and ``%d``/``%b`` slots for the rest.
_TWO: dict[str, bytes] = {}
_THREE: dict[str, bytes] = {}


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
