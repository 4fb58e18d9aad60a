"""Combining the replies of a command sent to several nodes into the one value a server gives.

Rules this module keeps:

- Replies are combined raw (decoded, not yet parsed) and the command's own parser runs once
  on the result, so a fanned-out command has exactly the type it has on a single server
  (``dbsize()`` is an ``int``, ``keys()`` a list).
- The ``response_policy`` tip decides: ``one_succeeded`` (the first success, else the first
  error), ``all_succeeded`` (any error is raised; else the first reply), ``agg_logical_and``,
  ``agg_logical_or``, ``agg_min``, ``agg_max``, ``agg_sum`` (element-wise for array replies).
  Without a tip, arrays are concatenated, maps merged and sets joined; equal replies give one.
  Every policy but ``one_succeeded`` raises the first node's error when any node failed.
- ``special`` is, by the spec's definition, a per-command rule; ``SPECIAL`` below holds one per
  command of the spec that has it, and a test fails when the spec gains one this table lacks.
  A command with a rule not listed here gets the first node's reply.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from redis_oxide._command import CommandMeta, ResponsePolicy
from redis_oxide._parsers import map_items

__all__ = ["SPECIAL", "combine"]


def combine(meta: CommandMeta, outcomes: Sequence[Any], addresses: Sequence[str]) -> Any:
    """Combine one raw reply (or error) per node into the command's single raw reply.

    Args:
        meta: The command (its ``response_policy`` and name).
        outcomes: Per node, the decoded reply or the exception it raised.
        addresses: Per node, its address (for per-node text).

    Returns:
        The raw reply the command's parser takes.

    Raises:
        BaseException: A node's error, as the policy says.
    """
    policy = meta.response_policy
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    if policy is ResponsePolicy.ONE_SUCCEEDED:
        for outcome in outcomes:
            if not isinstance(outcome, BaseException):
                return outcome
        raise errors[0]
    if errors:
        raise errors[0]
    replies = list(outcomes)
    if policy is None:
        return _default(replies)
    if policy is ResponsePolicy.ALL_SUCCEEDED:
        return replies[0]
    if policy is ResponsePolicy.SPECIAL:
        rule = SPECIAL.get(meta.name)
        return replies[0] if rule is None else rule(replies, addresses)
    return _aggregate(policy, replies)


def _default(replies: list[Any]) -> Any:
    first = replies[0]
    if all(r == first for r in replies[1:]):
        return first
    if all(isinstance(r, list) for r in replies):
        return [item for reply in replies for item in reply]
    if all(isinstance(r, dict) for r in replies):
        merged: dict[Any, Any] = {}
        for reply in replies:
            merged.update(reply)
        return merged
    if all(isinstance(r, set | frozenset) for r in replies):
        return set[Any]().union(*replies)
    return first


def _aggregate(policy: ResponsePolicy, replies: list[Any]) -> Any:
    if isinstance(replies[0], list):
        columns = zip(*replies, strict=True)
        return [_aggregate(policy, list(column)) for column in columns]
    if policy is ResponsePolicy.AGG_SUM:
        return sum(replies)
    if policy is ResponsePolicy.AGG_MIN:
        return min(replies)
    if policy is ResponsePolicy.AGG_MAX:
        return max(replies)
    truth = all(replies) if policy is ResponsePolicy.AGG_LOGICAL_AND else any(replies)
    # Keep the reply's own type: RESP3 booleans stay booleans, integers stay 0/1.
    return truth if isinstance(replies[0], bool) else int(truth)


# -- special rules ----------------------------------------------------------------------------


def _random_key(replies: list[Any], addresses: Sequence[str]) -> Any:
    # RANDOMKEY: a random key of a random shard that has keys.
    found = [r for r in replies if r is not None]
    return random.choice(found) if found else None


def _joined_text(replies: list[Any], addresses: Sequence[str]) -> Any:
    # INFO: every node's text in turn, so a field every node reports holds each node's value
    # (INFO keeps repeated names as a list), in slot order of the nodes.
    if isinstance(replies[0], bytes):
        return b"\r\n".join(replies)
    return "\r\n".join(replies)


def _labelled_text(replies: list[Any], addresses: Sequence[str]) -> Any:
    # Free text (MEMORY DOCTOR, LATENCY DOCTOR ...): each node's report under its address.
    pairs = zip(addresses, replies, strict=True)
    parts = [f"# {address}\n{_str(reply)}" for address, reply in pairs]
    text = "\n".join(parts)
    return text.encode() if isinstance(replies[0], bytes) else text


def _concatenated(replies: list[Any], addresses: Sequence[str]) -> Any:
    # Event lists (LATENCY LATEST, LATENCY HISTORY): every node's events.
    return [item for reply in replies for item in reply]


def _summed_maps(replies: list[Any], addresses: Sequence[str]) -> Any:
    # Counters (MEMORY STATS, LATENCY HISTOGRAM): integers summed, ratios (floats) the largest,
    # nested maps merged the same way; anything else is the first node's.
    return _sum_maps(replies)


def _sum_maps(values: list[Any]) -> Any:
    first = values[0]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return sum(values)
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return max(values)
    if all(isinstance(v, dict | list) for v in values):
        merged: dict[Any, list[Any]] = {}
        for value in values:
            for key, item in map_items(value):
                merged.setdefault(key, []).append(item)
        return {key: _sum_maps(items) for key, items in merged.items()}
    return first


def _function_stats(replies: list[Any], addresses: Sequence[str]) -> Any:
    # FUNCTION STATS: the engines are the same on every primary (FUNCTION LOAD goes to all);
    # the running script is whichever node runs one.
    stats = [dict(map_items(r)) for r in replies]
    merged = dict(stats[0])
    for key in merged:
        if _str(key) == "running_script":
            merged[key] = next((s[key] for s in stats if s.get(key) is not None), None)
    return merged


def _str(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


#: The ``special`` response rules, by command name.
SPECIAL: dict[str, Callable[[list[Any], Sequence[str]], Any]] = {
    "RANDOMKEY": _random_key,
    "INFO": _joined_text,
    "MEMORY DOCTOR": _labelled_text,
    "MEMORY MALLOC-STATS": _labelled_text,
    "LATENCY DOCTOR": _labelled_text,
    "LATENCY GRAPH": _labelled_text,
    "LATENCY HISTORY": _concatenated,
    "LATENCY LATEST": _concatenated,
    "LATENCY HISTOGRAM": _summed_maps,
    "MEMORY STATS": _summed_maps,
    "FUNCTION STATS": _function_stats,
    # SCAN's rule is a request rule: its cursor walks the shards one after another (_scan).
    "SCAN": lambda replies, addresses: replies[0],
}
