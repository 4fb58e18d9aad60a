"""Argument grammar -> Python value shapes (``codegen.wire`` puts them on the wire).

A shape knows the annotation of the Python value a caller passes for one spec argument and how
to append that value to the wire argument list. The rules (see docs/decisions.md, "Code
generator"):

- scalars map to ``KeyT``/``ValueT``/``int``/``float``; ``unix-time`` also takes ``datetime``;
  ``seconds``/``milliseconds``/double ``timeout`` also take ``timedelta``;
- ``integer``/``double`` values are type-tested at call time (``bool`` is no integer): an
  inline ``x.__class__ is int`` test with the ``_enc`` helper only on the failure path, or inside
  the conversion helper that the value already goes through; ``numbers`` hints correct the
  spec where the server reads a number otherwise; a double is never NaN (an inline ``x != x``
  test, also of a ``text`` number), which Redis refuses or, in a search filter, misreads;
- an optional pure token is a ``bool`` flag; a oneof of pure tokens is a ``Literal`` choice;
- a block whose parts are all required is a tuple (or the bare value when it has one part);
  a block with optional parts is a generated frozen dataclass;
- any other oneof (of blocks and tokened values: FT.CREATE's field types, BITFIELD's
  operations, CLIENT KILL's filters) is a union, named in ``_types``, of one generated frozen
  dataclass per alternative, told apart with ``isinstance`` when sent;
- ``multiple`` is an iterable that refuses a bare string; pairs named in ``arguments.toml``
  are a ``Mapping`` whose key type is a method-scoped type variable (``Mapping`` is invariant
  in its key, so ``dict[str, str]`` would not match a union key); a ``num*`` integer right
  before a ``multiple`` is computed from it (the number of items), and so is an ``nargs``
  integer (the number of words the items take, RediSearch's convention);
- a ``json`` hint makes a string a JSON value: any JSON-serialisable Python value, sent as
  JSON text (``bytes`` pass as already-encoded JSON);
- whatever the grammar nests beyond this (a oneof with a bare token or a repeated
  alternative) is a raw ``Iterable[ArgT]`` passed through verbatim, with an info diagnostic.
"""

from __future__ import annotations

import re
from dataclasses import replace

from codegen.diagnostics import Level
from codegen.ir import BlockType
from codegen.naming import ClassName, PythonIdentifier, class_name, escape_spec_text, param_name
from codegen.pyfmt import layout_alias
from codegen.spec import ArgumentSpec
from codegen.wire import Lines, Shape, ShapeContext, literal_tuple

__all__ = [
    "MAPPING_KEYS",
    "Lines",
    "Shape",
    "ShapeContext",
    "hoist_alias",
    "counts_words",
    "is_count",
    "is_token",
    "literal_tuple",
    "shape_of",
]

# Longer choices become a named alias so signatures stay readable and within the line length.
_ALIAS_THRESHOLD = 40


def hoist_alias(ctx: ShapeContext, annotation: str, *words: str) -> str:
    """Register ``annotation`` as a named type alias in ``_types`` and return the name."""
    name = class_name(ctx.command, *words)
    while name in ctx.block_types and ctx.block_types[name].alias[:1] != (annotation,):
        name = class_name(name, "alt")
    lines = tuple(layout_alias(name, annotation))
    ctx.block_types[name] = BlockType(name, "", (annotation,), lines)
    ctx.imports.add(f"types:{name}")
    return name


_COUNT_NAME = re.compile(r"^(num[a-z_-]*|nargs)$", re.IGNORECASE)


def counts_words(arg: ArgumentSpec) -> bool:
    """Whether a computed count is of words (``nargs``) rather than of items (``num*``)."""
    return arg.name.lower() == "nargs"


def is_count(arg: ArgumentSpec, following: ArgumentSpec | None) -> bool:
    """Whether ``arg`` is a count the generator computes from the ``multiple`` after it."""
    return (
        arg.type == "integer"
        and not arg.optional
        and arg.token is None
        and bool(_COUNT_NAME.match(arg.name))
        and following is not None
        and following.multiple
    )


def _converter(helper: str, arg: ArgumentSpec, ctx: ShapeContext) -> str:
    """Return the format string that passes a value through an ``_enc`` conversion helper."""
    names = f"{escape_spec_text(ctx.command)}, {escape_spec_text(param_name(arg.name))}"
    return f"_enc.{helper}({names.replace('{', '{{').replace('}', '}}')}, {{}})"


#: Conversion helper -> what the docstring says it accepts besides the plain number.
_CONVERSION_NOTES = {
    "seconds": "a ``timedelta`` must be a whole number of seconds",
    "milliseconds": "a ``timedelta`` must be a whole number of milliseconds",
    "block_milliseconds": "a ``timedelta`` must be a whole number of milliseconds",
    "seconds_float": "a ``timedelta`` is sent in seconds",
    "unix_seconds": "a ``datetime`` is sent as Unix seconds (a naive one is local time)",
    "unix_milliseconds": "a ``datetime`` is sent as Unix milliseconds (a naive one is local time)",
}


def _converted(helper: str, annotation: str, arg: ArgumentSpec, ctx: ShapeContext) -> Shape:
    conv = _converter(helper, arg, ctx)
    note = _CONVERSION_NOTES[helper]
    return Shape("scalar", annotation, arg.token, conv, name=arg.name, note=note)


def _scalar(arg: ArgumentSpec, ctx: ShapeContext, path: str) -> Shape:
    name = arg.name.lower()
    kind = arg.type
    if kind == "key" or kind == "pattern":
        return Shape("scalar", "KeyT", token=arg.token, name=arg.name)
    unit = ctx.numbers.get(path)
    if kind == "integer" and unit in ("seconds", "milliseconds"):
        name = unit
    elif kind in ("integer", "double") and unit is not None:
        if unit == "text":
            if kind == "integer":
                return Shape("scalar", "int | str", token=arg.token, name=arg.name)
            # Sent as given, but never as NaN: Redis refuses it, or matches nothing with it.
            return Shape("scalar", "float | str", token=arg.token, name=arg.name, check="nan")
        kind = "double"
    if kind == "integer":
        if name in ("seconds", "milliseconds"):
            ctx.imports.add("timedelta")
            # A BLOCK timeout (XREAD, XREADGROUP) must not be negative.
            helper = "block_milliseconds" if arg.token == "BLOCK" else name
            return _converted(helper, "int | timedelta", arg, ctx)
        return Shape("scalar", "int", token=arg.token, name=arg.name, check="int")
    if kind == "double":
        if name == "timeout":
            ctx.imports.add("timedelta")
            return _converted("seconds_float", "float | timedelta", arg, ctx)
        return Shape("scalar", "float", token=arg.token, name=arg.name, check="float")
    if kind == "unix-time":
        ctx.imports.add("datetime")
        helper = "unix_milliseconds" if "milli" in name else "unix_seconds"
        return _converted(helper, "int | datetime", arg, ctx)
    if kind != "string":
        ctx.diagnostics.warning(ctx.command, f"argument {arg.name!r}: unknown type {kind!r}")
    if path in ctx.json:
        names = f"{escape_spec_text(ctx.command)}, {escape_spec_text(param_name(arg.name))}"
        conv = f"_j.encode({names.replace('{', '{{').replace('}', '}}')}, {{}})"
        return Shape("scalar", "JsonInput", arg.token, conv, name=arg.name)
    return Shape("scalar", "ValueT", token=arg.token, name=arg.name)


#: Key type -> the type variable a Mapping parameter is keyed by (defined in ``_base``).
MAPPING_KEYS = {"KeyT": "MappingKeyT", "ValueT": "MappingFieldT"}


def is_token(arg: ArgumentSpec) -> bool:
    """A pure token, or an empty block/oneof that carries a token (newer module specs)."""
    bare = arg.type == "pure-token" or (arg.type in ("block", "oneof") and not arg.arguments)
    return bare and arg.token is not None


def _choice_of(arg: ArgumentSpec) -> tuple[str, ...] | None:
    alternatives = arg.arguments
    if alternatives and all(is_token(a) and not a.multiple for a in alternatives):
        return tuple(a.token or "" for a in alternatives)
    return None


def shape_of(arg: ArgumentSpec, ctx: ShapeContext, path: str, *, top: bool = False) -> Shape:
    """Return the shape of one argument, ignoring its ``optional`` marker.

    Args:
        arg: The spec argument.
        ctx: Per-command state.
        path: Slash-separated argument names from the command (``data``, ``trim/limit``).
        top: Whether the argument sits directly in the command's argument list.

    Returns:
        The shape; ``multiple`` arguments get a collection shape around their element.
    """
    if not arg.multiple:
        return _single_shape(arg, ctx, path)
    # The token of a repeated argument belongs to the collection, not to each element.
    element = _single_shape(arg.model_copy(update={"token": None}), ctx, path)
    if path in ctx.mappings and element.kind in ("tuple", "dataclass") and len(element.parts) == 2:
        return _mapping(arg, element, ctx, path)
    ctx.imports.add("Iterable")
    return Shape(
        "multiple",
        f"Iterable[{element.annotation}]",
        token=arg.token,
        element=element,
        per_element_token=arg.multiple_token,
        name=arg.name,
        nonempty=not arg.optional,
    )


def _mapping(arg: ArgumentSpec, element: Shape, ctx: ShapeContext, path: str) -> Shape:
    key_name = ctx.mappings[path]
    names = [str(p[0]) for p in element.parts]
    if param_name(key_name) not in names:
        ctx.diagnostics.error(ctx.command, f"arguments.toml: {path} has no part {key_name!r}")
        key_name = names[0]
    key_index = names.index(param_name(key_name))
    key, value = element.parts[key_index], element.parts[1 - key_index]
    ctx.imports.add("Mapping")
    return Shape(
        "mapping",
        f"Mapping[{_mapping_key(key[1].annotation)}, {value[1].annotation}]",
        token=arg.token,
        parts=[key, value],
        key_first=key_index == 0,
        name=arg.name,
        nonempty=not arg.optional,
    )


def _field_annotation(shape: Shape) -> str:
    """A dataclass field's annotation: a mapping is keyed by ``str`` there.

    A method keys its mappings by a type variable of its own (``MappingFieldT``), which a
    dataclass field cannot. Such keys name options (FT.CREATE's vector attributes), so ``str``
    keys; a union with ``Mapping[bytes, ...]`` would make type checkers infer an inline dict
    literal as ``dict[str, object]`` and refuse it.
    """
    if shape.kind != "mapping":
        return shape.annotation
    value = shape.parts[1][1].annotation  # ``_mapping`` keeps (key, value)
    return f"Mapping[str, {value}]"


def _mapping_key(annotation: str) -> str:
    return MAPPING_KEYS.get(annotation, annotation)


def _single_shape(arg: ArgumentSpec, ctx: ShapeContext, path: str) -> Shape:
    if is_token(arg) or arg.type == "pure-token":
        return Shape("flag" if arg.optional else "const", "bool", token=arg.token, name=arg.name)
    if arg.type == "oneof":
        choices = _choice_of(arg)
        if choices is not None:
            ctx.imports.add("Literal")
            annotation = f"Literal[{', '.join(escape_spec_text(c) for c in choices)}]"
            if len(annotation) > _ALIAS_THRESHOLD:
                annotation = hoist_alias(ctx, annotation, *path.split("/"))
            return Shape("choice", annotation, token=arg.token, choices=choices, name=arg.name)
        return _union(arg, ctx, path)
    if arg.type == "block":
        return _block(arg, ctx, path)
    return _scalar(arg, ctx, path)


def _raw(arg: ArgumentSpec, ctx: ShapeContext, why: str) -> Shape:
    ctx.imports.add("Iterable")
    ctx.diagnostics.info(ctx.command, f"argument {arg.name!r} is passed through raw: {why}")
    return Shape("raw", "Iterable[ArgT]", token=arg.token, name=arg.name)


def _union(arg: ArgumentSpec, ctx: ShapeContext, path: str) -> Shape:
    """A oneof of blocks and tokened values: one dataclass per alternative, and their union."""
    alternatives = arg.arguments
    if not alternatives or any(
        a.multiple or is_token(a) or a.type == "pure-token" or f"{path}/{a.name}" in ctx.mappings
        for a in alternatives
    ):
        return _raw(arg, ctx, "a oneof with a bare token or a repeated alternative")
    # What the attempt adds is taken back if the oneof stays raw.
    types_before, imports_before = dict(ctx.block_types), set(ctx.imports)
    noted_before = len(ctx.diagnostics.items)
    variants = []
    for alt in alternatives:
        cls = class_name(ctx.command, alt.name)
        while cls in ctx.block_types:
            cls = class_name(cls, "alt")
        doc = f"The ``{alt.name}`` choice of ``{arg.name}`` in ``{ctx.command}``."
        sub = f"{path}/{alt.name}"
        if alt.type == "block":
            variant = _block(alt.model_copy(update={"optional": False}), ctx, sub, cls, doc)
        else:
            # A single value (with its token): a dataclass of one field.
            value = _single_shape(alt.model_copy(update={"token": None}), ctx, sub)
            pname = param_name(alt.name)
            docline = escape_spec_text(doc, in_docstring=True)
            ctx.block_types[cls] = BlockType(cls, docline, (f"{pname}: {value.annotation}",))
            ctx.imports.add(f"types:{cls}")
            parts = [(pname, value, False)]
            variant = Shape("dataclass", cls, token=alt.token, parts=parts, name=alt.name)
        variants.append(variant)
        variant.emit("_trial", Lines(), ctx)  # what it cannot send is reported now
    problem = next(
        (d for d in ctx.diagnostics.items[noted_before:] if d.level is not Level.INFO), None
    )
    if problem is not None or any(v.kind != "dataclass" for v in variants):
        # A block of tokens only, or a part the generator cannot send: the oneof stays raw.
        ctx.block_types.clear()
        ctx.block_types.update(types_before)
        ctx.imports.clear()
        ctx.imports.update(imports_before)
        del ctx.diagnostics.items[noted_before:]
        why = problem.message if problem is not None else "an alternative carries no value"
        return _raw(arg, ctx, f"a oneof whose alternatives cannot all be typed ({why})")
    annotation = " | ".join(v.annotation for v in variants)
    if len(variants) > 1:
        annotation = hoist_alias(ctx, annotation, arg.name)
    return Shape("union", annotation, token=arg.token, variants=variants, name=arg.name)


def _block(
    arg: ArgumentSpec,
    ctx: ShapeContext,
    path: str,
    cls: ClassName | None = None,
    doc: str | None = None,
) -> Shape:
    """A block's shape; ``cls`` names the dataclass it must be (a union's alternative)."""
    children = arg.arguments
    # A block made of two parallel lists (XREAD's STREAMS key... id...) named in the
    # mappings file becomes one Mapping.
    if (
        path in ctx.mappings
        and len(children) == 2
        and all(c.multiple and c.type not in ("block", "oneof") for c in children)
    ):
        key = _scalar(children[0], ctx, f"{path}/{children[0].name}")
        value = _scalar(children[1], ctx, f"{path}/{children[1].name}")
        ctx.imports.add("Mapping")
        annotation = f"Mapping[{_mapping_key(key.annotation)}, {value.annotation}]"
        required = not (arg.optional or any(c.optional for c in children))
        return Shape("parallel", annotation, token=arg.token, name=arg.name, nonempty=required)
    parts: list[tuple[PythonIdentifier, Shape, bool]] = []
    taken: set[str] = set()
    for index, child in enumerate(children):
        following = children[index + 1] if index + 1 < len(children) else None
        if is_count(child, following):
            continue
        shape = shape_of(child, ctx, f"{path}/{child.name}")
        if index > 0 and is_count(children[index - 1], child):
            shape.counted = True
            shape.count_words = counts_words(children[index - 1])
            # A count of 0 in an optional block means something (RETURN 0, STOPWORDS 0,
            # GROUPBY 0); pairs are the exception (PARAMS 0 is refused).
            if arg.optional and shape.kind == "multiple":
                shape.nonempty = False
        pname = param_name(child.name)
        while pname in taken:
            pname = PythonIdentifier(pname + "_")
        taken.add(pname)
        parts.append((pname, shape, child.optional))
    valued = [p for p in parts if p[1].kind != "const"]
    if not valued:
        words = ((arg.token,) if arg.token is not None else ()) + tuple(
            p[1].token or "" for p in parts
        )
        kind = "flag" if arg.optional else "const"
        return Shape(kind, "bool", token=arg.token, choices=words, name=arg.name)
    has_optional = any(optional for _, _, optional in valued)
    plain = all(s.kind not in ("multiple", "mapping") for _, s, _ in valued)
    if cls is None and not has_optional and (plain or len(valued) == 1):
        inner = [s.annotation for _, s, _ in valued]
        annotation = inner[0] if len(inner) == 1 else f"tuple[{', '.join(inner)}]"
        return Shape("tuple", annotation, token=arg.token, parts=parts, name=arg.name)
    fields = []
    ordered = [p for p in valued if not p[2]] + [p for p in valued if p[2]]
    for pname, shape, optional in ordered:
        annotation = _field_annotation(shape)
        if not optional:
            fields.append(f"{pname}: {annotation}")
        elif shape.kind == "flag":
            fields.append(f"{pname}: bool = False")
        else:
            fields.append(f"{pname}: {annotation} | None = None")
    shared = _shared_block(ctx, path, tuple(fields)) if cls is None and doc is None else None
    if shared is not None:
        cls = shared
    else:
        if cls is None:
            cls = class_name(ctx.command, *path.split("/"))
            while cls in ctx.block_types:
                cls = class_name(cls, "alt")
        doc = doc or f"The ``{arg.name}`` block of ``{ctx.command}``."
        text = escape_spec_text(doc, in_docstring=True)
        ctx.block_types[cls] = BlockType(cls, text, tuple(fields))
    ctx.imports.add(f"types:{cls}")
    return Shape("dataclass", cls, token=arg.token, parts=parts, name=arg.name)


def _shared_block(ctx: ShapeContext, path: str, fields: tuple[str, ...]) -> ClassName | None:
    """The class of an identical block of the command this one is a variant of, if any.

    A command named after another (GEOSEARCHSTORE after GEOSEARCH, GEORADIUS_RO after
    GEORADIUS) shares the class of a block both take with the same fields: ``COUNT n [ANY]``
    is one ``GeosearchCountBlock``, so a query moves between them unchanged. The docstring
    names every command that takes it.
    """
    suffix = class_name(*path.split("/"))
    for name, block in ctx.block_types.items():
        if block.alias or block.fields != fields or not name.endswith(suffix):
            continue
        head, sep, tail = block.doc.rpartition(" block of ")
        commands = re.findall(r"``[^`]+``", tail)
        if not sep or not commands or not ctx.command.startswith(commands[0].strip("`")):
            continue
        commands.append(f"``{escape_spec_text(ctx.command, in_docstring=True)}``")
        listed = ", ".join(commands[:-1]) + " and " + commands[-1]
        doc = f"{head} block of {listed}."
        if len(doc) > 90 or tail.endswith("named after it."):  # the docstring stays one line
            doc = f"{head} block of {commands[0]} and the commands named after it."
        ctx.block_types[name] = replace(block, doc=doc)
        return block.name
    return None
