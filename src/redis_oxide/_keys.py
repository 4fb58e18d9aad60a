"""Which arguments of a command are keys, and which cluster slot a key hashes to.

Rules:

- Sans-IO and pure: this module imports only ``_command`` and the standard library. Nothing here
  blocks or awaits; the only state is a cache of compiled plans, one per ``CommandMeta``.
- ``command_keys`` follows Redis's ``getKeysUsingKeySpecs`` (``src/db.c``) step for step: the
  same keyword scan (``startfrom`` > 0 scans forward and stops before the last argument, else
  backward from ``argc + startfrom`` and stops before index 1), the same range and key-count
  arithmetic, the same bounds checks, keys in spec order. Where Redis gives up on the specs and
  calls the command's own key finder (an ``unknown`` or ``INCOMPLETE`` spec, arguments that do
  not fit a spec, a movable-keys command without a usable spec), the result's ``complete`` is
  False and its keys are what the usable specs found: the caller asks the server
  (``COMMAND GETKEYS``) rather than guess.
- One shortcut, where the server's own finder answers the same without the round trip: a key
  count of 0 on a command flagged ``NO_MANDATORY_KEYS`` (EVAL, FCALL) means no keys, complete.
- Indices count from ``args[0]``: the command name, or for a subcommand the container name
  (``XINFO STREAM key`` has its key at 2), as the server counts them.
- ``NOT_KEY`` specs (shard channels of SPUBLISH/SSUBSCRIBE) are skipped unless asked for; they
  are routed like keys but are not keys.
- Speed: each meta is compiled once into a plan. One key at a fixed index (most commands) is a
  length check and a one-tuple inside ``command_keys``; a plain range (MGET, DEL, MSET) is one
  more call, a length check and a slice. Only keyword searches, key counts and several specs
  take the general loop.
- ``key_slot`` hashes the bytes the wire carries (``str`` as UTF-8, numbers as their text) with
  CRC16/XMODEM (``binascii.crc_hqx``, the same polynomial and zero start as Redis's
  ``crc16.c``), modulo 16384, honouring the first non-empty ``{hash tag}``.
"""

from __future__ import annotations

import re
from binascii import crc_hqx
from collections.abc import Callable, Sequence
from typing import TypeAlias

from redis_oxide._command import ArgT, CommandFlag, CommandMeta, KeySpec, KeySpecFlag

__all__ = ["SLOT_COUNT", "KeyExtraction", "command_keys", "key_slot", "single_key_index"]

#: Hash slots of a Redis Cluster.
SLOT_COUNT = 16384


#: ``(keys, complete)``: the key arguments as given (not encoded), in the order the server
#: reports them, and whether they are all of them. ``complete`` is False when the key specs
#: cannot tell; ``keys`` then holds what the usable specs found, and only ``COMMAND GETKEYS``
#: can say more. A plain tuple: a named one costs more to build than the whole fast path.
KeyExtraction: TypeAlias = tuple[tuple[ArgT, ...], bool]

#: A compiled plan: the index of the only key, or a function of the arguments.
_Plan: TypeAlias = int | Callable[[tuple[ArgT, ...]], KeyExtraction]

_NO_KEYS: KeyExtraction = ((), True)
_UNKNOWN: KeyExtraction = ((), False)
# A count as Redis's string2ll reads it: no "+", no leading zero, no spaces, under 21
# characters. Its leading "-" is left out: a negative count is refused all the same.
_COUNT = re.compile(rb"0|[1-9][0-9]{0,19}")
_LLONG_MAX = 2**63 - 1

# Plans by id(meta). ``_pinned`` holds each meta while its plan is cached, so its id cannot be
# reused by another object. Generated metadata is a few hundred objects that live forever; the
# bound is for metadata built at run time.
_plans: dict[int, _Plan] = {}
_plans_with_not_keys: dict[int, _Plan] = {}
_pinned: dict[int, CommandMeta] = {}
_CACHE_LIMIT = 4096


def command_keys(
    meta: CommandMeta, args: Sequence[ArgT], *, include_not_keys: bool = False
) -> KeyExtraction:
    """Return the key arguments of one call, as the command's key specs locate them.

    Args:
        meta: The command's metadata (its ``key_specs`` and flags).
        args: The wire arguments: the command name first, then (for a subcommand) the
            subcommand name, then the arguments.
        include_not_keys: Also report ``NOT_KEY`` arguments (shard channels), as Redis's
            ``GET_KEYSPEC_INCLUDE_NOT_KEYS`` does, for routing sharded pub/sub.

    Returns:
        ``(keys, complete)``, see ``KeyExtraction``.

    Raises:
        TypeError: A keyword search met an argument the wire cannot carry (``None``, ``bool``).
    """
    cache = _plans_with_not_keys if include_not_keys else _plans
    try:
        plan = cache[id(meta)]
    except KeyError:
        plan = _remember(meta, cache, include_not_keys)
    if type(args) is not tuple:
        args = tuple(args)
    # (The exact-type test above narrows args to a tuple of unknown items for pyright.)
    if isinstance(plan, int):
        # One key at a fixed index, most commands: no second call.
        return ((args[plan],), True) if len(args) > plan else _UNKNOWN  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
    return plan(args)  # pyright: ignore[reportUnknownArgumentType]


def single_key_index(meta: CommandMeta) -> int | None:
    """The index of the one key of ``meta``'s calls, when its key specs fix one (GET, SET).

    For such a command ``command_keys`` answers ``((args[index],), True)`` whenever
    ``len(args) > index``, so a router may read the key itself and skip the call.

    Args:
        meta: The command's metadata.

    Returns:
        The index, or None when the command has no key, several, or keys found otherwise.
    """
    plan = _compile(meta, False)
    return plan if isinstance(plan, int) else None


def key_slot(key: str | bytes | memoryview | int | float) -> int:
    """Return the cluster hash slot of a key, as the server's ``CLUSTER KEYSLOT`` does.

    Args:
        key: The key as it would be sent: ``str`` is hashed as UTF-8, ``int`` and ``float`` as
            their wire text (``12``, ``1.5``).

    Returns:
        The slot, 0 to 16383. Only the part between the first ``{`` and the first ``}`` after
        it is hashed, when that part is not empty.

    Raises:
        TypeError: The key is a ``bool``, ``None`` or of another type the wire cannot carry.
        UnicodeEncodeError: A ``str`` key holds a lone surrogate.
    """
    data = key if type(key) is bytes else key.encode() if type(key) is str else _wire(key)
    start = data.find(b"{")
    if start >= 0:
        end = data.find(b"}", start + 1)
        if end > start + 1:
            data = data[start + 1 : end]
    return crc_hqx(data, 0) & 0x3FFF


def _wire(arg: object) -> bytes:
    """The bytes the encoder sends for ``arg`` (subclasses as their builtin base)."""
    if isinstance(arg, bytes):
        return bytes(arg)
    if isinstance(arg, str):
        return str.encode(arg)
    if isinstance(arg, bool) or arg is None:
        raise TypeError(f"a key cannot be {arg!r}: Redis has no {type(arg).__name__}")
    if isinstance(arg, int):
        return b"%d" % int(arg)
    if isinstance(arg, float):
        return float.__repr__(arg).encode()
    if isinstance(arg, memoryview):
        return arg.tobytes()
    raise TypeError(f"a key of type {type(arg).__name__} cannot be sent")


def _remember(meta: CommandMeta, cache: dict[int, _Plan], include_not_keys: bool) -> _Plan:
    if len(_pinned) >= _CACHE_LIMIT:
        _plans.clear()
        _plans_with_not_keys.clear()
        _pinned.clear()
    _pinned[id(meta)] = meta
    plan = cache[id(meta)] = _compile(meta, include_not_keys)
    return plan


def _compile(meta: CommandMeta, include_not_keys: bool) -> _Plan:
    specs = tuple(
        spec for spec in meta.key_specs if include_not_keys or not spec.flags & KeySpecFlag.NOT_KEY
    )
    if not specs:
        # The server then asks the command's own key finder, which only movable-keys commands
        # (module commands with a getkeys callback) have.
        return _unknown if meta.flags & CommandFlag.MOVABLEKEYS else _no_keys
    zero_keys_valid = bool(meta.flags & CommandFlag.NO_MANDATORY_KEYS)
    if len(specs) == 1:
        plan = _single_plan(specs[0], zero_keys_valid)
        if plan is not None:
            return plan
    return _general_plan(specs, zero_keys_valid)


def _no_keys(args: tuple[ArgT, ...]) -> KeyExtraction:
    return _NO_KEYS


def _unknown(args: tuple[ArgT, ...]) -> KeyExtraction:
    return _UNKNOWN


def _single_plan(spec: KeySpec, zero_keys_valid: bool) -> _Plan | None:
    """A plan for one complete spec at a fixed index, or None for the general loop."""
    first, last_key, step = spec.begin_index, spec.last_key, spec.step
    if first is None or spec.flags & KeySpecFlag.INCOMPLETE:
        return None
    if last_key is None or (last_key < 0 and spec.limit):

        def counted(args: tuple[ArgT, ...]) -> KeyExtraction:
            found = _find_keys(spec, args, first, zero_keys_valid)
            return _UNKNOWN if found is None else (found, True)

        return counted
    if last_key == 0:
        return first
    if last_key > 0:
        last = first + last_key

        def fixed_range(args: tuple[ArgT, ...]) -> KeyExtraction:
            if len(args) > last:
                return args[first : last + 1 : step], True
            return _UNKNOWN

        return fixed_range

    def tail_range(args: tuple[ArgT, ...]) -> KeyExtraction:
        # last = argc + last_key < argc, so first <= last also keeps first in bounds.
        end = len(args) + last_key + 1
        if first < end:
            return args[first:end:step], True
        return _UNKNOWN

    return tail_range


def _general_plan(specs: tuple[KeySpec, ...], zero_keys_valid: bool) -> _Plan:
    # Flag tests are decided here: an enum.Flag ``&`` costs more than the whole fast path.
    steps = tuple(
        (
            spec,
            None if spec.begin_keyword is None else spec.begin_keyword.encode().upper(),
            bool(spec.flags & KeySpecFlag.INCOMPLETE),
        )
        for spec in specs
    )

    def general(args: tuple[ArgT, ...]) -> KeyExtraction:
        keys: list[ArgT] = []
        complete = True
        for spec, keyword, incomplete in steps:
            if spec.begin_index is not None:
                first = spec.begin_index
            elif keyword is not None:
                first = _find_keyword(args, keyword, spec.begin_keyword_start)
                if not first:
                    continue  # no keyword: this spec has no keys, and that is no failure
            else:
                complete = False  # an ``unknown`` begin_search
                continue
            found = _find_keys(spec, args, first, zero_keys_valid)
            if found is None:
                complete = False
                continue
            keys += found
            complete = complete and not incomplete
        return tuple(keys), complete

    return general


def _find_keyword(args: tuple[ArgT, ...], keyword: bytes, startfrom: int) -> int:
    """The index after ``keyword``, searched as Redis does, or 0 when it is absent."""
    argc = len(args)
    if startfrom > 0:
        start, end = startfrom, argc - 1
    else:
        start, end = argc + startfrom, 1
    size = len(keyword)
    for index in range(start, end, 1 if start <= end else -1):
        if index >= argc or index < 1:
            break
        arg = args[index]
        if type(arg) is str:
            data = arg.encode()
        elif type(arg) is bytes:
            data = arg
        elif type(arg) is int:
            data = b"%d" % arg
        else:
            data = _wire(arg)
        # strcasecmp: ASCII case folded, the argument read up to a NUL.
        if data[:size].upper() == keyword and (len(data) == size or data[size] == 0):
            return index + 1
    return 0


def _find_keys(
    spec: KeySpec, args: tuple[ArgT, ...], first: int, zero_keys_valid: bool
) -> tuple[ArgT, ...] | None:
    """The keys of one spec from ``first`` on, or None where Redis finds the spec invalid."""
    argc = len(args)
    if spec.last_key is not None:
        if spec.last_key >= 0:
            last = first + spec.last_key
        elif not spec.limit:
            last = argc + spec.last_key
        else:
            # Floor and C's truncation differ only for first > argc, refused below anyway.
            last = first + (argc - first) // spec.limit + spec.last_key
    elif spec.keynum_index is not None:
        at = first + spec.keynum_index
        count = _key_count(args[at]) if at < argc else None
        if count is None:
            return None
        first += spec.first_key
        if count == 0 and zero_keys_valid:
            return ()
        last = first + count - 1
    else:
        return None  # an ``unknown`` find_keys
    if last >= argc or last < first or first >= argc:
        return None
    return args[first : last + 1 : spec.step]


def _key_count(arg: ArgT) -> int | None:
    """A key-count argument as Redis reads it; None when it is no count or negative."""
    if type(arg) is int:
        return arg if 0 <= arg <= _LLONG_MAX else None
    try:
        data = _wire(arg)
    except TypeError:
        return None
    if not _COUNT.fullmatch(data):
        return None
    count = int(data)
    return count if 0 <= count <= _LLONG_MAX else None
