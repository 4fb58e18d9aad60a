"""The base of generated reply models, and the records they are validated from.

Structured replies (XINFO, CLIENT INFO, CLUSTER SHARDS ...) become frozen pydantic models
generated from ``specs/reply_models.toml``. A generated parser first turns the reply into a
record (a dict whose keys are the model's snake_case field names), converts the fields that
need it, then calls ``model_validate``. Rules:

- records come from a RESP3 map or a RESP2 flat array (``record``), a positional array
  (``positional``), ``name=value`` text (``kv_record``) or space-separated words
  (``words_record``); reply keys are normalised to snake_case (``last-delivered-id`` ->
  ``last_delivered_id``, ``peak.allocated`` -> ``peak_allocated``);
- ``numbered`` gathers numbered keys (``db_0``, ``db_1``) into one map field keyed by number;
- models keep fields they do not declare (``model_extra``): a newer server may add fields,
  and dropping them would hide data from users;
- pydantic's lax mode turns the remaining text into ``int``/``float``/``str`` fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from redis_oxide._parsers import map_items, text

__all__ = [
    "ReplyModel",
    "kv_record",
    "numbered",
    "positional",
    "record",
    "snake",
    "tagged",
    "words_record",
]

_NON_WORD = re.compile(r"[^0-9a-z]+")


class ReplyModel(BaseModel):
    """Base of every generated reply model: frozen, keeps undeclared fields."""

    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True, extra="allow")


def snake(key: Any) -> str:
    """Return a reply key as a snake_case field name."""
    return _NON_WORD.sub("_", text(key).lower()).strip("_")


def record(reply: Any) -> dict[str, Any]:
    """Return a map reply (RESP3 map or RESP2 flat array) with snake_case keys."""
    return {snake(key): value for key, value in map_items(reply)}


def positional(reply: Any, names: Sequence[str], rest: bool = False) -> dict[str, Any]:
    """Return an array reply as a record, item ``i`` named ``names[i]``.

    With ``rest``, the last name takes the list of all remaining items. Otherwise extra
    items (a newer server) are kept as ``item_<i>``; missing ones are left out.
    """
    items = list(reply)
    if rest:
        found = dict(zip(names[:-1], items, strict=False))
        found[names[-1]] = items[len(names) - 1 :]
        return found
    found = dict(zip(names, items, strict=False))
    for index in range(len(names), len(items)):
        found[f"item_{index}"] = items[index]
    return found


def tagged(reply: Any, layouts: Sequence[tuple[str, Sequence[str]]]) -> dict[str, Any]:
    """Return an array reply whose first item names its layout (ROLE) as a record.

    ``layouts`` pairs each first item with the names of the reply's items.
    """
    tag = text(reply[0])
    names = next((n for t, n in layouts if t == tag), ("tag",))
    return positional(reply, names)


def kv_record(reply: Any) -> dict[str, Any]:
    """Return ``name=value name=value`` text (CLIENT INFO) as a record; values stay text."""
    found: dict[str, Any] = {}
    for word in text(reply).split():
        name, _, value = word.partition("=")
        found[snake(name)] = value
    return found


def words_record(reply: Any, names: Sequence[str], rest: bool = False) -> dict[str, Any]:
    """Return space-separated words (a CLUSTER NODES line) as a record, as ``positional``."""
    return positional(text(reply).split(), names, rest)


def numbered(found: dict[str, Any], prefix: str) -> dict[int, Any]:
    """Remove the keys ``<prefix><n>`` from a record and return them as ``{n: value}``."""
    size = len(prefix)
    keys = [key for key in found if key.startswith(prefix) and key[size:].isdigit()]
    return {int(key[size:]): found.pop(key) for key in keys}
