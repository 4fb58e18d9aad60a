"""Where a command's keys put it: one slot, a split per slot, or a clear refusal.

Rules this module keeps:

- Sans-IO and derived: keys come from the key extractor over the generated key specs, the
  split from the command's own key spec and its ``request_policy``; no command is named here.
  Shard channels (``NOT_KEY`` specs: SPUBLISH) route like keys (``routing_keys``).
- A command whose keys share one slot goes to that slot, whatever its policy.
- A ``multi_shard`` command whose keys span slots is split per slot when one key spec finds
  its keys from a fixed index, as a range (MGET, MSET, JSON.MSET's key-path-value triplets,
  JSON.MGET's keys before its path) or after a key count (MSETEX): each part keeps the
  arguments before the keys (a key count rewritten to the part's), the keys of its slot with
  the arguments that go with each key (MSET's values), and the arguments after them
  (JSON.MGET's path). ``reassemble`` puts the parts' replies back in the caller's key order
  for commands without a response policy (MGET, JSON.MGET, TS.MADD).
- Any other command whose keys span slots raises ``CrossSlotError`` before anything is sent,
  naming the slots and suggesting hash tags.
"""

from __future__ import annotations

import re
from binascii import crc_hqx
from collections.abc import Sequence
from typing import Any, cast

from redis_oxide._command import ArgT, CommandMeta, KeySpec, KeySpecFlag, RequestPolicy
from redis_oxide._exceptions import CrossSlotError
from redis_oxide._keys import SLOT_COUNT, KeyExtraction, command_keys, key_slot

__all__ = [
    "Part",
    "can_split",
    "cross_slot_error",
    "reassemble",
    "routing_keys",
    "slot_of_keys",
    "slots_of",
    "split_by_slot",
]

_SLOT_MASK = SLOT_COUNT - 1
#: key_slot's hash tag rule as a pattern: up to the first "{", then a non-empty run to a "}".
_HASH_TAG = re.compile(rb"[^{]*\{([^}]+)\}")

#: One part of a split command: its slot, its wire arguments, and the positions (in the
#: caller's key order) of the keys it carries.
Part = tuple[int, tuple[ArgT, ...], list[int]]


def routing_keys(meta: CommandMeta, args: Sequence[ArgT]) -> KeyExtraction:
    """The arguments that decide a command's slot: its keys, and shard channels (SPUBLISH).

    Args:
        meta: The command.
        args: Its wire arguments.

    Returns:
        ``(keys, complete)`` as ``command_keys`` gives them, ``NOT_KEY`` arguments included.
    """
    return command_keys(meta, args, include_not_keys=True)


def slot_of_keys(meta: CommandMeta, keys: Sequence[ArgT]) -> int | None:
    """The one slot ``keys`` hash to, or None when they span slots and the command may split.

    Args:
        meta: The command.
        keys: Its keys, at least one.

    Returns:
        The slot, or None for a ``multi_shard`` command whose keys span slots.

    Raises:
        CrossSlotError: The keys span slots and the command cannot be split.
    """
    first = key_slot(keys[0])
    slots = [first]
    for key in keys[1:]:
        slot = key_slot(key)
        if slot != first:
            slots.append(slot)
    if len(slots) == 1:
        return first
    if _split_spec(meta) is not None:
        return None
    raise cross_slot_error(meta, slots)


def cross_slot_error(meta: CommandMeta, slots: Sequence[int]) -> CrossSlotError:
    """The error for a command whose keys span slots.

    Args:
        meta: The command.
        slots: The slots its keys hash to.

    Returns:
        A ``CrossSlotError`` naming the slots and how to keep keys together.
    """
    distinct = sorted(set(slots))
    shown = ", ".join(map(str, distinct[:8])) + (" ..." if len(distinct) > 8 else "")
    return CrossSlotError(
        f"the keys of {meta.name} hash to {len(distinct)} slots ({shown}); a cluster runs a "
        "multi-key command only when all its keys share a slot: give them a common hash tag, "
        "e.g. {user:1}:name and {user:1}:email",
        code="CROSSSLOT",
        command=meta.name,
    )


def _split_spec(meta: CommandMeta) -> KeySpec | None:
    # The split needs a multi_shard command whose keys one spec finds from a fixed index:
    # a range, or a key count in front of the keys.
    if meta.request_policy is not RequestPolicy.MULTI_SHARD:
        return None
    specs = [s for s in meta.key_specs if not s.flags & KeySpecFlag.NOT_KEY]
    if len(specs) != 1:
        return None
    spec = specs[0]
    if spec.begin_index is None or spec.limit or spec.flags & KeySpecFlag.INCOMPLETE:
        return None
    if spec.keynum_index is not None:
        return spec if spec.keynum_index < spec.first_key else None
    return spec if spec.last_key is not None else None


def can_split(meta: CommandMeta) -> bool:
    """Whether ``meta``'s keys can be split per slot (``split_by_slot``).

    Args:
        meta: The command.

    Returns:
        True for a ``multi_shard`` command whose one key spec is a range or a key count from
        a fixed index.
    """
    return _split_spec(meta) is not None


def _key_starts(spec: KeySpec, args: tuple[ArgT, ...]) -> tuple[range, int | None]:
    # Where each key's words start, and the index of the key count (None for a range), by
    # Redis's key-spec arithmetic (``getKeysUsingKeySpecs``).
    begin = spec.begin_index
    assert begin is not None
    if spec.keynum_index is None:
        assert spec.last_key is not None
        last = len(args) + spec.last_key if spec.last_key < 0 else begin + spec.last_key
        return range(begin, last + 1, spec.step), None
    count_at = begin + spec.keynum_index
    first = begin + spec.first_key
    return range(first, first + int(args[count_at]) * spec.step, spec.step), count_at


def slots_of(keys: Sequence[ArgT]) -> list[int]:
    """The slot of each key, as ``key_slot`` gives it.

    Args:
        keys: The keys.

    Returns:
        One slot per key, in order.

    Raises:
        TypeError: A key is of a type the wire cannot carry.
    """
    # key_slot inlined for the common keys (str or bytes, no hash tag), in comprehensions: a
    # frame or a loop step per key is most of what placing many keys costs.
    wire = [k if type(k) is bytes else k.encode() if type(k) is str else None for k in keys]
    if None in wire:  # a key of another type: key_slot says what it hashes, or refuses it
        return [key_slot(key) for key in keys]
    datas = cast("list[bytes]", wire)
    if b"".join(datas).find(b"{") < 0:
        return [crc_hqx(data, 0) & _SLOT_MASK for data in datas]
    # A hash tag: what lies between the first "{" and the first "}" after it, when not empty.
    tag = _HASH_TAG.match
    return [crc_hqx(m[1] if (m := tag(data)) else data, 0) & _SLOT_MASK for data in datas]


def split_by_slot(meta: CommandMeta, args: tuple[ArgT, ...]) -> list[Part]:
    """Split a ``multi_shard`` command into one command per slot, in first-key order.

    Args:
        meta: The command (``can_split(meta)``).
        args: Its wire arguments.

    Returns:
        One part per slot.

    Raises:
        CrossSlotError: The command's key spec cannot be split, or its keys are not where
            the spec says.
    """
    spec = _split_spec(meta)
    if spec is None:
        raise cross_slot_error(meta, [])
    try:
        starts, count_at = _key_starts(spec, args)
    except (IndexError, TypeError, ValueError):  # no key count, or one that is no number
        raise cross_slot_error(meta, []) from None
    if not starts or starts[-1] >= len(args):
        raise cross_slot_error(meta, [])
    step = spec.step
    head, tail = args[: starts.start], args[starts[-1] + step :]
    keys = args[starts.start : starts.stop : step]
    slots = slots_of(keys)
    # A slot per key of a plain key list (MGET's common case): a part per key, no grouping.
    if len(head) == 1 and not tail and step == 1 and len(set(slots)) == len(slots):
        name = head[0]
        pairs = enumerate(zip(slots, keys, strict=True))
        return [(slot, (name, key), [at]) for at, (slot, key) in pairs]
    groups: dict[int, list[int]] = {}
    for position, slot in enumerate(slots):
        group = groups.get(slot)
        if group is None:
            groups[slot] = [position]
        else:
            group.append(position)
    parts: list[Part] = []
    for slot, positions in groups.items():
        if step == 1:
            words = [keys[position] for position in positions]
        else:
            words = [w for p in positions for w in args[starts[p] : starts[p] + step]]
        own = head
        if count_at is not None:  # the part's own key count
            own = (*head[:count_at], len(positions), *head[count_at + 1 :])
        parts.append((slot, (*own, *words, *tail), positions))
    return parts


def reassemble(parts: Sequence[Part], replies: Sequence[Any]) -> list[Any]:
    """Put per-slot array replies back in the caller's key order (MGET, JSON.MGET, TS.MADD).

    Args:
        parts: The parts, as ``split_by_slot`` made them.
        replies: One array reply per part, one item per key of the part.

    Returns:
        One item per key of the original command, in its order.
    """
    result: list[Any] = [None] * sum([len(positions) for _, _, positions in parts])
    reply: Any
    for (_, _, positions), reply in zip(parts, replies, strict=True):
        # (``type(reply) is list`` would narrow the reply to a list of unknown items.)
        if reply.__class__ is list and len(reply) == 1 == len(positions):  # MGET's usual part
            result[positions[0]] = reply[0]
            continue
        for position, item in zip(positions, reply, strict=True):
            result[position] = item
    return result
