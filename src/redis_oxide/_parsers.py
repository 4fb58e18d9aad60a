"""Helpers the generated reply parsers are built from, and the ``Reply`` alias.

Each generated parser (``_generated/_reply_parsers.py``) turns a decoded reply, RESP2 or RESP3
shaped, into the one Python value its command's annotation promises, by composing these
helpers. Rules:

- Helpers are pure, synchronous and never fail on a valid reply; a server error never
  reaches them (the executor raises it first).
- Replies that already decode to the promised value get no parser at all: the generated
  code passes ``None`` and the executor skips the call.
- Decoding of strings (``bytes`` or ``str``) is the connection's business; helpers keep
  whatever string type they are given, so one parser serves ``Redis[bytes]`` and
  ``Redis[str]``. Only ``text``, ``info`` and ``props`` decode, because they stand for
  server vocabulary that is text on every client (``scalar`` too). That is why helpers take ``Any``
  while the generated method signatures stay precise.
- The shape differences handled here: RESP2 sends doubles as bulk strings and maps as flat
  arrays, and member/score pairs flat where RESP3 nests them; hiredis returns RESP3 sets as
  lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ForwardRef, Generic, TypeAlias, TypeVar

from pydantic import ValidationError

from redis_oxide._exceptions import ReplyDecodeError, ServerError

__all__ = [
    "InfoValue",
    "ModelReply",
    "Reply",
    "ReplyItem",
    "floats",
    "info",
    "lines",
    "logged",
    "map_items",
    "only",
    "props",
    "scalar",
    "text",
    "to_dict",
    "to_set",
    "use_double_decoder",
]

if TYPE_CHECKING:
    #: One element of a reply, at any depth below the top. Besides every decoded value it
    #: may be a server error: a script's table can hold one (``redis.error_reply``, the
    #: result of ``redis.pcall``), and it stays a :class:`ServerError` value in its slot.
    ReplyItem: TypeAlias = (
        str
        | bytes
        | int
        | float
        | bool
        | ServerError
        | list["ReplyItem"]
        | dict["ReplyItem", "ReplyItem"]
        | set["ReplyItem"]
        | None
    )
else:
    # The same alias for run-time introspection (``typing.get_type_hints``): the recursive
    # reference names this module, so it resolves wherever the alias is used.
    _ITEM = ForwardRef("ReplyItem", module=__name__)
    ReplyItem = (
        str | bytes | int | float | bool | ServerError | list[_ITEM] | dict[_ITEM, _ITEM]
    ) | (set[_ITEM] | None)

#: A reply that is arbitrary by nature (a script's result, a raw command): any decoded RESP
#: value. A server error at the top is raised, never returned; below it, items may be errors.
Reply: TypeAlias = (
    str | bytes | int | float | bool | list[ReplyItem] | dict[ReplyItem, ReplyItem]
) | (set[ReplyItem] | None)

#: The value of one INFO line: a number when the text is one, else text. A name that repeats
#: within a section (``module``, one line per loaded module) holds the list of its values.
InfoValue: TypeAlias = str | int | float | list[str | int | float]


#: From how many texts on :func:`floats` hands them to the batch decoder: below it, ``float``
#: per text costs less than building the batch.
FLOATS_BATCH = 16
_decode_doubles: Callable[[list[Any]], list[float] | None] | None = None


def use_double_decoder(decoder: Callable[[list[Any]], list[float] | None] | None) -> None:
    """Set the batch decoder :func:`floats` uses (None: ``float`` per text).

    The protocol layer, above this module, installs hiredis's when it is imported; a decoder
    returns one float per text, exactly as ``float()`` reads each, or None to decline.
    """
    global _decode_doubles
    _decode_doubles = decoder


def floats(values: list[Any]) -> Iterable[float]:
    """Return the doubles of a column of a reply (RESP2 texts, or RESP3 floats) as floats.

    WITHSCORES replies carry thousands of scores; many at once go to the batch decoder,
    which reads them several times faster than ``float()`` on each.
    """
    if len(values) >= FLOATS_BATCH and _decode_doubles is not None:
        doubles = _decode_doubles(values)
        if doubles is not None:
            return doubles
    return map(float, values)


def text(reply: Any) -> str:
    """Return server vocabulary as ``str`` whatever the client decodes."""
    if isinstance(reply, str):
        return reply
    if isinstance(reply, bytes | bytearray):
        return reply.decode("utf-8", "surrogateescape")
    return str(reply)


def logged(reply: Any) -> str:
    """Return text the server logged from other clients' arguments (SLOWLOG) as ``str``.

    Such text can hold any bytes, and Redis cuts a long argument at a byte count, perhaps in
    the middle of a character: bytes that are not UTF-8 appear as ``\\xNN`` escapes, so the
    log stays readable (and printable) on every client.
    """
    if isinstance(reply, bytes | bytearray):
        return reply.decode("utf-8", "backslashreplace")
    return text(reply)


def scalar(reply: Any) -> str | int | float:
    """Return a plain value: numbers as they are, strings as text."""
    return reply if isinstance(reply, int | float) else text(reply)


def only(reply: Any) -> Any:
    """Return the one value of a one-element reply: a RESP2 array or a RESP3 map.

    BF.INFO with one field answers ``[100]`` in RESP2 and ``{"Capacity": 100}`` in RESP3.
    """
    if reply.__class__ is dict:
        return next(iter(reply.values()))
    return reply[0]


# The container tests below compare ``__class__`` rather than call ``isinstance``: decoders
# build exact builtins, and a type checker keeps the helpers' ``Any`` instead of inventing
# unknown item types.


def to_set(reply: Any) -> set[Any]:
    """Return a set reply: a RESP3 set, or an array (RESP2, and hiredis for RESP3 sets)."""
    return reply if reply.__class__ is set else set(reply)


def map_items(reply: Any) -> Iterable[tuple[Any, Any]]:
    """Return the pairs of a map reply.

    A RESP3 map, a RESP2 array of alternating keys and values, or an array of key/value
    pairs (RESP2 XREAD, XPENDING consumers): keys are never arrays, so a first item that is
    an array means pairs.
    """
    if reply.__class__ is dict:
        return reply.items()
    if reply and isinstance(reply[0], list | tuple):
        return ((key, value) for key, value in reply)
    it = iter(reply)
    return zip(it, it, strict=True)


def to_dict(reply: Any) -> dict[Any, Any]:
    """Return a map reply as a dict: a RESP3 map as is, a RESP2 flat array paired up."""
    return reply if reply.__class__ is dict else dict(map_items(reply))


def lines(reply: Any) -> list[Any]:
    """Return the non-empty lines of a text reply, in the reply's string type."""
    if isinstance(reply, bytes):
        return [line.rstrip(b"\r") for line in reply.split(b"\n") if line.strip()]
    return [line.rstrip("\r") for line in text(reply).split("\n") if line.strip()]


def _number(value: str) -> str | int | float:
    try:
        return int(value)
    except ValueError:
        pass
    # Only plain decimals: "nan", "inf" or "1e5" in INFO text are names, not numbers.
    if value.replace(".", "", 1).removeprefix("-").isdigit():
        return float(value)
    return value


def props(reply: Any) -> dict[str, str | int | float]:
    """Return ``name:value`` lines (CLUSTER INFO, one INFO section) as a dict.

    Values that are integers or plain decimals become numbers; everything else stays text.
    """
    found: dict[str, str | int | float] = {}
    for line in lines(text(reply)):
        if line.startswith("#"):
            continue
        name, sep, value = line.partition(":")
        if sep:
            found[name.strip()] = _number(value.strip())
    return found


def info(reply: Any) -> dict[str, dict[str, InfoValue]]:
    """Return INFO text as sections: lower-case section name -> its ``name: value`` lines.

    Values are converted as in ``props``. Lines before any ``# Section`` header go to the
    section ``""``. A name that repeats within a section (``INFO modules`` has one ``module``
    line per loaded module) keeps every value: it maps to the list of them, in order.
    """
    sections: dict[str, dict[str, InfoValue]] = {}
    current: dict[str, InfoValue] | None = None
    for line in lines(text(reply)):
        if line.startswith("#"):
            current = sections.setdefault(line.lstrip("#").strip().lower(), {})
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if current is None:
            current = sections.setdefault("", {})
        name = name.strip()
        number = _number(value.strip())
        if name not in current:
            current[name] = number
            continue
        previous = current[name]
        if isinstance(previous, list):
            previous.append(number)
        else:
            current[name] = [previous, number]
    return sections


_T = TypeVar("_T")


class ModelReply(Generic[_T]):
    """The parser of a command whose reply holds models: the type's parser, named for errors.

    A reply that does not fit its model (a field the server left out, a value of another
    type) fails the command with a ``ReplyDecodeError`` naming it, the validation error as
    its ``__cause__``, and never a bare pydantic error. The connection and other callers go on.

    Args:
        command: The command's name, e.g. ``"COMMAND DOCS"``.
        parser: The parser of the reply type; extra leading arguments (a reshape's) pass through.
    """

    __slots__ = ("command", "parser")

    def __init__(self, command: str, parser: Callable[..., _T]) -> None:
        self.command = command
        self.parser = parser

    def __call__(self, *args: Any) -> _T:
        try:
            return self.parser(*args)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors()[:3]
            )
            raise ReplyDecodeError(
                f"the reply to {self.command} does not fit redis-oxide's reply model "
                f"({exc.title}: {problems}); read it raw with execute_command() and "
                "report the reply to redis-oxide",
                command=self.command,
            ) from exc
