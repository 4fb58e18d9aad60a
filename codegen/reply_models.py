"""Structured replies: ``specs/reply_models.toml`` read into model IR and parser inputs.

A model is a frozen pydantic class with typed, snake_case fields, written in the reply
notation. Rules kept here:
- a model is generic in ``StrT`` exactly when one of its fields (or a model it holds) carries
  strings that follow the client (``bulk``); ``str`` fields hold server vocabulary and are
  always text, so ``Redis[bytes]`` and ``Redis[str]`` both get honest types;
- a field written with ``?`` may be nil or absent (older servers, optional parts) and
  defaults to None; other fields are required;
- models are emitted dependencies first (a model may refer to itself), names sorted;
- the ``shape`` says how the reply holds the fields: ``map`` (RESP3 map or RESP2 flat list),
  ``array`` (positional), ``kv`` (``name=value`` text) or ``words`` (space-separated text,
  positional); with ``rest`` a final ``array`` field takes the remaining items, and ``tags``
  pick the positional fields by the first item (ROLE's ``master``/``slave``/``sentinel``);
  ``numbered`` gathers the keys ``<prefix><n>`` of a map into one field ``{n: value}``, so
  per-database entries are typed and alike under RESP2 and RESP3;
- text shapes (``kv``, ``words``) give text, so their fields are ``str``, never ``bulk``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict

from codegen.diagnostics import Diagnostics
from codegen.ir import ModelField, ReplyModel
from codegen.naming import ClassName, PythonIdentifier, escape_spec_text
from codegen.replies import ReplyNode, ReplyNotationError, parse_notation
from codegen.reply_code import ModelFields

__all__ = ["ModelSpec", "ModelTable", "build_models"]

# Names a pydantic model already uses; a field may not shadow them.
_TAKEN = frozenset(dir(BaseModel))


class ModelSpec(BaseModel):
    """One entry of ``reply_models.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    doc: str
    shape: Literal["map", "array", "kv", "words"] = "map"
    #: Positional shapes: the last field takes every remaining item.
    rest: bool = False
    #: Positional shapes: first item -> the fields that reply holds (ROLE).
    tags: dict[str, list[str]] = {}
    #: Map shape: field -> key prefix; the keys ``<prefix><n>`` become that field's map
    #: ``{n: value}`` (MEMORY STATS ``db.0``, ``db.1`` ...).
    numbered: dict[str, str] = {}
    fields: dict[str, str]


class ModelTable(BaseModel):
    """The whole ``reply_models.toml``: model name -> model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: dict[str, ModelSpec] = {}


def _generic_flags(table: Mapping[str, ModelSpec], diagnostics: Diagnostics) -> dict[str, bool]:
    """Decide which models are generic, propagating through references until stable."""
    flags = dict.fromkeys(table, False)
    changed = True
    while changed:
        changed = False
        for name, spec in table.items():
            if flags[name]:
                continue
            for notation in spec.fields.values():
                try:
                    node = parse_notation(notation, flags)
                except ReplyNotationError:
                    continue  # reported by build_models
                if node.uses_strt():
                    flags[name] = changed = True
                    break
    return flags


def _order(nodes: Mapping[str, Mapping[str, ReplyNode]]) -> list[str]:
    done: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path:
            return
        for node in nodes[name].values():
            for ref in sorted(node.models()):
                visit(ref, (*path, name))
        done.append(name)

    for name in sorted(nodes):
        visit(name, ())
    return done


def build_models(
    table: ModelTable, diagnostics: Diagnostics
) -> tuple[dict[str, bool], tuple[ReplyModel, ...], dict[str, ModelFields]]:
    """Turn the models file into IR.

    Args:
        table: The validated models file.
        diagnostics: Where problems are recorded.

    Returns:
        Model name -> generic flag (for the notation), the models in output order, and what
        the parser builder needs about each model.
    """
    flags = _generic_flags(table.models, diagnostics)
    nodes: dict[str, dict[str, ReplyNode]] = {}
    for name, spec in table.models.items():
        try:
            ClassName(name)
        except ValueError:
            diagnostics.error("", f"reply_models.toml: {name!r} is not a class name")
            continue
        nodes[name] = {}
        for fname, notation in spec.fields.items():
            where = f"reply_models.toml: {name}.{fname}"
            if fname != fname.lower() or fname in _TAKEN:
                diagnostics.error("", f"{where}: field names are snake_case and not pydantic's")
                continue
            try:
                PythonIdentifier(fname)
                node = parse_notation(notation, flags)
                if any(n.name == "reply" for n in node.walk()):
                    raise ReplyNotationError("models cannot hold `reply`; use `scalar`")
                nodes[name][fname] = node
            except (ReplyNotationError, ValueError) as exc:
                diagnostics.error("", f"{where}: {exc}")
        last = list(nodes[name].values())[-1:]
        if spec.rest and (spec.shape not in ("array", "words") or last[0].name != "array"):
            diagnostics.error("", f"reply_models.toml: {name}: rest needs a positional array")
        for fname, prefix in spec.numbered.items():
            target = nodes[name].get(fname)
            if spec.shape != "map" or target is None or target.name != "map" or not prefix:
                diagnostics.error("", f"reply_models.toml: {name}: bad numbered {fname!r}")
        for tag, names in spec.tags.items():
            if spec.shape != "array" or not set(names) <= set(spec.fields):
                diagnostics.error("", f"reply_models.toml: {name}: bad tag {tag!r}")
        if len(spec.doc) > 88 or "\n" in spec.doc:
            diagnostics.error("", f"reply_models.toml: {name}: doc must fit one line")
    models: list[ReplyModel] = []
    inputs: dict[str, ModelFields] = {}
    for name in _order(nodes):
        spec = table.models[name]
        fields = []
        for fname, node in nodes[name].items():
            default = "None" if node.nullable else None
            fields.append(ModelField(PythonIdentifier(fname), node.annotation(), default))
        models.append(
            ReplyModel(
                name=ClassName(name),
                doc=escape_spec_text(spec.doc, in_docstring=True),
                generic=flags[name],
                fields=tuple(fields),
            )
        )
        tags = tuple((tag, tuple(names)) for tag, names in sorted(spec.tags.items()))
        numbered = tuple(sorted(spec.numbered.items()))
        inputs[name] = ModelFields(
            name, spec.shape, tuple(nodes[name].items()), spec.rest, tags, numbered
        )
    return flags, tuple(models), inputs
