"""Command encoding without hiredis, and the argument rules both encoders share.

Rules (identical for this encoder and the hiredis one, checked by one test table):

- A command is a RESP array of bulk strings; ``str`` is sent as UTF-8, ``int`` in decimal,
  ``float`` as its ``repr`` (``0.1`` -> ``0.1``, ``inf`` -> ``inf``): the shortest text that
  reads back as the same double, which Redis parses with ``strtold``.
- ``bool`` and ``None`` are refused with ``TypeError``: Redis has neither, and silently sending
  ``1``/``True``/``""`` has bitten users of other clients. So is any other type.
- Subclasses are sent as the value of their builtin base (an ``IntEnum`` as its number, a
  ``StrEnum`` as its text, a NumPy float as its ``float`` value), never via their own
  ``__repr__``. A memoryview is sent as its raw bytes in C order.
- An empty command is refused with ``ValueError``: Redis answers nothing to ``*0``, which
  would leave the reply queue waiting forever.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeAlias, cast

from redis_oxide._command import ArgT

__all__ = ["PlainArg", "encode_command", "encode_commands", "normalize_args"]

#: An argument after :func:`normalize_args`: exact builtin types only.
PlainArg: TypeAlias = bytes | str | int | float | memoryview


def _normalize(arg: object, index: int) -> PlainArg:
    # Order matters: bool is an int subclass, and must be refused before the int branch.
    if isinstance(arg, bool) or arg is None:
        raise TypeError(
            f"argument {index} is {arg!r}; Redis has no {type(arg).__name__}: "
            "send an int, a str or a token instead"
        )
    if isinstance(arg, bytes):
        return arg if type(arg) is bytes else bytes(memoryview(arg))
    if isinstance(arg, str):
        return arg if type(arg) is str else str.__str__(arg)
    if isinstance(arg, int):
        return arg if type(arg) is int else int(arg)
    if isinstance(arg, float):
        return arg if type(arg) is float else float(arg)
    if isinstance(arg, memoryview):
        view = cast("memoryview", arg)  # isinstance cannot know the item type
        # ``c_contiguous`` also raises ValueError on a released view, before any send.
        return view if view.c_contiguous else view.tobytes()
    raise TypeError(
        f"argument {index} has type {type(arg).__name__}; "
        "expected str, bytes, memoryview, int or float"
    )


def normalize_args(args: Sequence[ArgT]) -> tuple[PlainArg, ...]:
    """Reduce every argument to an exact builtin type, refusing what Redis cannot take.

    Args:
        args: The command's wire arguments, name first.

    Returns:
        The arguments as exact ``bytes``/``str``/``int``/``float``/contiguous ``memoryview``.

    Raises:
        TypeError: An argument is a ``bool``, ``None`` or of an unsupported type.
        ValueError: ``args`` is empty, or a memoryview was released.
    """
    if not args:
        raise ValueError("a command needs at least one argument (its name)")
    try:
        return tuple([_normalize(arg, index) for index, arg in enumerate(args)])
    except TypeError as exc:
        raise _named(exc, args[0]) from None


def _bulk(arg: object, index: int) -> bytes:
    # Exact type checks first: they are the common case and cheaper than isinstance.
    data: bytes
    if type(arg) is bytes:
        data = arg
    elif type(arg) is str:
        data = arg.encode()
    elif type(arg) is int:
        data = b"%d" % arg
    elif type(arg) is float:
        data = repr(arg).encode()
    else:
        plain = _normalize(arg, index)
        if type(plain) is not memoryview:
            return _bulk(plain, index)
        data = plain.tobytes()
    return b"$%d\r\n%b\r\n" % (len(data), data)


def encode_command(args: Sequence[ArgT]) -> bytes:
    """Encode one command as a RESP array of bulk strings.

    Args:
        args: The command's wire arguments, name first.

    Returns:
        The bytes to write.

    Raises:
        TypeError: An argument is a ``bool``, ``None`` or of an unsupported type.
        ValueError: ``args`` is empty, an ``int`` has more digits than Python converts
            (``sys.get_int_max_str_digits``), or a memoryview was released.
    """
    if not args:
        raise ValueError("a command needs at least one argument (its name)")
    parts = [b"*%d\r\n" % len(args)]
    try:
        parts += [_bulk(arg, index) for index, arg in enumerate(args)]
    except TypeError as exc:
        raise _named(exc, args[0]) from None
    return b"".join(parts)


def _named(exc: TypeError, name: object) -> TypeError:
    # The command's name leads the message; argument 0 is the name itself.
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    if not isinstance(name, str) or exc.args[0].startswith("argument 0 "):
        return TypeError(f"command {exc.args[0]}")
    return TypeError(f"{name.upper()} {exc.args[0]}")


def encode_commands(commands: Iterable[Sequence[ArgT]]) -> bytes:
    """Encode several commands back to back, for one write.

    Args:
        commands: Each command's wire arguments, name first.

    Returns:
        The concatenated encodings.

    Raises:
        TypeError: An argument is a ``bool``, ``None`` or of an unsupported type.
        ValueError: A command is empty, or as for :func:`encode_command`.
    """
    return b"".join([encode_command(args) for args in commands])
