"""Combining the replies of a command sent to several nodes into the one value a server gives.

Rules this module keeps:

- Replies are combined raw (decoded, not yet parsed) and the command's own parser runs once
  on the result, so a fanned-out command has exactly the type it has on a single server
  (``dbsize()`` is an ``int``, ``keys()`` a list).
- The ``response_policy`` tip decides: ``one_succeeded`` (the first success, else the first
  error), ``all_succeeded`` (any error is raised; else the first reply), ``agg_logical_and``,
  ``agg_logical_or``, ``agg_min``, ``agg_max``, ``agg_sum`` (element-wise for array replies).
  A request tip without a response tip (KEYS, SLOWLOG GET): arrays are concatenated, maps
  merged and sets joined; equal replies give one. Every policy but ``one_succeeded`` raises
  the first node's error when any node failed.
- A command with no tip and no rule here (ROLE, TIME, CONFIG GET, CLIENT ID ...) answers
  for one node; no merge of several such replies is right, so ``combines`` says no and the
  caller refuses it (``cluster.on(group)``: a value per node is ``.each(...)``).
- The PUBSUB queries and ACL LOG (``CLUSTER_WIDE``) have no tip but answer about the node's
  own clients: they run on every node, channel lists are de-duplicated, counts summed and
  logs joined.
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

__all__ = ["CLUSTER_WIDE", "SPECIAL", "combine", "combines"]


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
        whole = CLUSTER_WIDE.get(meta.name)
        return _default(replies) if whole is None else whole(replies)
    if policy is ResponsePolicy.ALL_SUCCEEDED:
        return replies[0]
    if policy is ResponsePolicy.SPECIAL:
        rule = SPECIAL.get(meta.name)
        return replies[0] if rule is None else rule(replies, addresses)
    return _aggregate(policy, replies)


def combines(meta: CommandMeta) -> bool:
    """Whether the replies of several nodes to ``meta`` make one value by a rule here.

    Args:
        meta: The command.

    Returns:
        True for a command with a policy tip or a ``CLUSTER_WIDE`` rule.
    """
    return (
        meta.response_policy is not None
        or meta.request_policy is not None
        or meta.name in CLUSTER_WIDE
    )


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
    # Counters (LATENCY HISTOGRAM): integers summed, nested maps merged the same way;
    # anything else is the first node's.
    return _sum_maps(replies)


def _memory_stats(replies: list[Any], addresses: Sequence[str]) -> Any:
    # Byte amounts and counts summed. The per-key average is the nodes' own weighted by their
    # key counts, the percentages recomputed from the summed amounts: the whole cluster's
    # figures. The other ratios (fragmentation: their base, the RSS, is not in the reply)
    # are the largest, the worst node's.
    merged = _sum_maps(replies)
    nodes = [{_str(key): value for key, value in map_items(reply)} for reply in replies]
    fields = {_str(key): key for key in merged}

    def total(name: str) -> int:
        value = merged.get(fields.get(name))
        return value if isinstance(value, int) else 0

    keys = total("keys.count")
    weighted = sum(_int(n.get("keys.bytes-per-key")) * _int(n.get("keys.count")) for n in nodes)
    net = total("total.allocated") - total("startup.allocated")
    peak = total("peak.allocated")
    derived = {
        "keys.bytes-per-key": weighted // keys if keys else 0,
        "dataset.percentage": total("dataset.bytes") * 100 / net if net > 0 else 0.0,
        "peak.percentage": total("total.allocated") * 100 / peak if peak else 0.0,
    }
    for name, value in derived.items():
        key = fields.get(name)
        if key is not None:
            merged[key] = _like(merged[key], value)
    return merged


def _int(value: Any) -> int:
    return value if isinstance(value, int) else 0


def _sum_maps(values: list[Any]) -> Any:
    first = values[0]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return sum(values)
    if all(isinstance(v, dict | list) for v in values):
        merged: dict[Any, list[Any]] = {}
        for value in values:
            for key, item in map_items(value):
                merged.setdefault(key, []).append(item)
        return {key: _sum_maps(items) for key, items in merged.items()}
    numbers = [_number(v) for v in values]
    if all(n is not None for n in numbers):
        # Ratios (floats; RESP2 sends them as text): the largest, in the node's own form.
        return values[numbers.index(max(n for n in numbers if n is not None))]
    return first


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, bytes | str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _like(template: Any, value: float) -> Any:
    # A computed figure in the form the nodes sent that field (int, float, or RESP2 text).
    if isinstance(template, bytes):
        return repr(value).encode()
    if isinstance(template, str):
        return repr(value)
    return value


# -- keyless commands whose answer is the whole cluster's ------------------------------------


def _distinct(replies: list[Any]) -> Any:
    # PUBSUB CHANNELS/SHARDCHANNELS: every node's channels, each once, in order of appearance.
    return list(dict.fromkeys(item for reply in replies for item in reply))


def _summed_counts(replies: list[Any]) -> Any:
    # PUBSUB NUMSUB/SHARDNUMSUB: per channel, the subscribers of every node (a subscriber is
    # connected to one node), in the order asked; RESP3 map or RESP2 flat pairs as sent.
    totals: dict[Any, int] = {}
    for reply in replies:
        for channel, count in map_items(reply):
            totals[channel] = totals.get(channel, 0) + count
    if isinstance(replies[0], dict):
        return totals
    return [item for pair in totals.items() for item in pair]


def _total(replies: list[Any]) -> Any:
    # PUBSUB NUMPAT: the pattern subscriptions of every node.
    return sum(replies)


def _joined(replies: list[Any]) -> Any:
    # ACL LOG: every node keeps its own log; the entries of all of them (RESET: one OK).
    if all(isinstance(reply, list) for reply in replies):
        return [entry for reply in replies for entry in reply]
    return replies[0]


#: Keyless commands without tips that ask about the clients of the node answering: on a
#: cluster they run on every node (replicas included; subscribers may use them), combined so.
CLUSTER_WIDE: dict[str, Callable[[list[Any]], Any]] = {
    "PUBSUB CHANNELS": _distinct,
    "PUBSUB SHARDCHANNELS": _distinct,
    "PUBSUB NUMSUB": _summed_counts,
    "PUBSUB SHARDNUMSUB": _summed_counts,
    "PUBSUB NUMPAT": _total,
    "ACL LOG": _joined,
}


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
    "MEMORY STATS": _memory_stats,
    "FUNCTION STATS": _function_stats,
    # SCAN's rule is a request rule: its cursor walks the shards one after another (_scan).
    "SCAN": lambda replies, addresses: replies[0],
}
