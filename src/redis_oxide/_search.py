"""RediSearch replies brought to one form, RESP2 or RESP3, before the generated parsers read them.

Each function here is a ``reshape`` of ``specs/modules/redisearch.replies.toml``: it takes the
decoded reply (and, first, the call's options it needs) and returns the form the reply's
notation describes; the generated parser then converts types and builds the models. Rules:

- RESP3 maps are the model: RESP2's flat arrays are read into the same keys, and what only one
  protocol sends (RESP3's ``attributes``, ``format``, ``warning``, ``values``) is left out, so
  both protocols give equal values.
- Keys that name fields of a reply (document fields, aggregate properties) keep the client's
  string type; keys that are RediSearch vocabulary are read as text.
- FT.SEARCH's RESP2 reply cannot be read without the options that shaped it: each document is
  its id followed by one item per WITHSCORES, WITHPAYLOADS, WITHSORTKEYS, then its fields
  unless NOCONTENT (or ``RETURN 0``) left them out, which shows as the absence of a list.
  A document whose key expired or was deleted after it was indexed has a nil for its fields
  (RESP3: ``extra_attributes`` null): both give ``fields=None``, the rest of the reply intact.
- An EXPLAINSCORE score arrives as ``[score, explanation tree]``; the tree becomes indented
  text lines (two spaces a level).
"""

from __future__ import annotations

from typing import Any

from redis_oxide._parsers import map_items, text

__all__ = ["aggregate", "config_help", "info", "profile", "search", "spellcheck"]

# Attribute flags FT.INFO's RESP2 reply lists as bare words among the name/value pairs.
_FLAGS = frozenset(
    {
        "SORTABLE",
        "UNF",
        "NOSTEM",
        "NOINDEX",
        "CASESENSITIVE",
        "WITHSUFFIXTRIE",
        "INDEXEMPTY",
        "INDEXMISSING",
    }
)


def _named(reply: Any) -> dict[str, Any]:
    """A RESP3 map or RESP2 flat array whose keys are vocabulary, keyed by text."""
    return {text(key): value for key, value in map_items(reply)}


def _explanation(tree: Any, depth: int, lines: list[str]) -> None:
    for item in tree if tree.__class__ is list else [tree]:
        if item.__class__ is list:
            _explanation(item, depth + 1, lines)
        else:
            lines.append("  " * depth + text(item))


def _document(doc_id: Any, score: Any, payload: Any, sortkey: Any, fields: Any) -> dict[str, Any]:
    explanation: list[str] | None = None
    if score.__class__ is list:
        score, tree = score[0], score[1] if len(score) == 2 else score[1:]
        explanation = []
        _explanation(tree, 0, explanation)
    return {
        "id": doc_id,
        "score": score,
        "explanation": explanation,
        "payload": payload,
        "sortkey": sortkey,
        "fields": fields,
    }


def search(withscores: bool, withpayloads: bool, withsortkeys: bool, reply: Any) -> Any:
    """FT.SEARCH: ``{"total": n, "documents": [{id, score, ..., fields}]}``."""
    if reply.__class__ is dict:
        found = _named(reply)
        documents: list[dict[str, Any]] = []
        for result in found["results"]:
            item = _named(result)
            fields = item.get("extra_attributes")
            documents.append(
                _document(
                    item["id"],
                    item.get("score"),
                    item.get("payload"),
                    item.get("sortkey"),
                    None if fields is None else dict(map_items(fields)),
                )
            )
        return {"total": found["total_results"], "documents": documents}
    items, index = reply, 1
    documents = []
    while index < len(items):
        doc_id = items[index]
        index += 1
        score = payload = sortkey = None
        if withscores:
            score, index = items[index], index + 1
        if withpayloads:
            payload, index = items[index], index + 1
        if withsortkeys:
            sortkey, index = items[index], index + 1
        fields = None
        if index < len(items):
            found = items[index]
            # A nil stands for the fields of a document whose key is gone (an id never is).
            if found.__class__ is list:
                fields, index = dict(map_items(found)), index + 1
            elif found is None:
                index += 1
        documents.append(_document(doc_id, score, payload, sortkey, fields))
    return {"total": items[0], "documents": documents}


def _rows(reply: Any) -> dict[str, Any]:
    if reply.__class__ is dict:
        found = _named(reply)
        rows = [dict(map_items(_named(r).get("extra_attributes") or {})) for r in found["results"]]
        return {"total": found["total_results"], "rows": rows}
    return {"total": reply[0], "rows": [dict(map_items(row)) for row in reply[1:]]}


def aggregate(reply: Any) -> Any:
    """FT.AGGREGATE, FT.CURSOR READ: ``{total, rows}``, or ``[that, cursor id]``."""
    if reply.__class__ is list and reply and reply[0].__class__ in (list, dict):
        return [_rows(reply[0]), reply[1]]
    return _rows(reply)


def spellcheck(reply: Any) -> Any:
    """FT.SPELLCHECK: misspelled term -> ``[[suggestion, score], ...]``."""
    if reply.__class__ is dict:
        terms = _named(reply)["results"]
        return {
            term: [list(pair) for suggestion in found for pair in map_items(suggestion)]
            for term, found in map_items(terms)
        }
    return {entry[1]: [[s, score] for score, s in entry[2]] for entry in reply}


def config_help(reply: Any) -> Any:
    """FT.CONFIG HELP: option name -> its description fields (RESP2: ``[name, k, v, ...]``)."""
    if reply.__class__ is dict:
        return reply
    return {entry[0]: entry[1:] for entry in reply}


def _attribute(reply: Any) -> dict[str, Any]:
    if reply.__class__ is dict:
        return _named(reply)
    found: dict[str, Any] = {"flags": []}
    items = iter(reply)
    for item in items:
        name = text(item)
        if name in _FLAGS:
            found["flags"].append(item)
        else:
            found[name] = next(items, None)
    return found


def info(reply: Any) -> Any:
    """FT.INFO: the reply as a map, its attributes with their flags in a ``flags`` list."""
    found = _named(reply)
    attributes: list[Any] = found.get("attributes") or []
    found["attributes"] = [_attribute(a) for a in attributes]
    return found


def _profile_entry(entry: list[Any]) -> tuple[str, Any]:
    """One RESP2 profile entry: a name, then nothing, one value, or several items."""
    name = text(entry[0])
    if len(entry) == 1:
        return name, None
    if len(entry) == 2:
        return name, entry[1]
    return name, entry[1:]


def _iterator(reply: Any) -> dict[str, Any]:
    """An iterator profile; RESP2 lists child iterators as the items after their key."""
    if reply.__class__ is dict:
        found = _named(reply)
    else:
        found, items, index = {}, reply, 0
        while index < len(items):
            key = text(items[index])
            if key == "Child iterators":
                found[key] = items[index + 1 :]
                break
            found[key] = items[index + 1] if index + 1 < len(items) else None
            index += 2
    children = found.get("Child iterators")
    if children is not None:
        found["Child iterators"] = [_iterator(child) for child in children]
    return found


def profile(reply: Any) -> Any:
    """FT.PROFILE: ``{total, profile}``: the result count and the timings of each step.

    RESP3 merges the profiled reply and a ``profile`` map; RESP2 pairs them in an array and
    writes the profile as entries of a name and its values, a lone name for no value.
    """
    if reply.__class__ is dict:
        found = _named(reply)
        total, details = found["total_results"], _named(found["profile"])
    else:
        result, entries = reply
        total = result[0]
        details = dict(_profile_entry(entry) for entry in entries)
    warning = details.get("Warning")
    details["Warning"] = None if warning is None or text(warning) == "None" else warning
    iterators = details.get("Iterators profile")
    if iterators is not None:
        details["Iterators profile"] = [_iterator(i) for i in _listed(iterators)]
    processors = details.get("Result processors profile")
    if processors is not None:
        details["Result processors profile"] = [_named(p) for p in _listed(processors)]
    return {"total": total, "profile": details}


def _listed(value: Any) -> list[Any]:
    """A list of entries, where RESP2 may send a lone entry (a flat name/value list)."""
    return value if value and value[0].__class__ in (list, dict) else [value]
