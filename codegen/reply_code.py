"""Reply types -> generated parser functions, one per distinct type that needs work.

Rules kept here:
- a type that decodes identically under RESP2 and RESP3 gets no parser: the method passes
  ``None`` and the executor returns the decoded reply untouched;
- a type whose whole conversion is one builtin call (``double``, ``numstr``, ``bool``, ``ok``)
  is parsed by that builtin itself (``float``, ``int``, ``bool``): a C call per reply, no
  Python frame. ``float`` reads RESP2 text (``b"1.5"``, ``b"inf"``, ``b"-inf"``) as well as a
  RESP3 double; ``bool`` is ``True`` for the OK status and ``False`` for nil;
- every other type gets one small function in ``_generated/_reply_parsers.py``, named after
  the type (``parse_array_pair_bulk_double``); nested containers that need work get their own
  function, so each body is one short expression;
- arrays of pairs/tuples (WITHSCORES and friends, often thousands of items) are converted
  column-wise in C: a flat RESP2 array with ``zip`` over its columns and ``map`` of the
  column's converter (a column of doubles as a stride slice read in one batch by
  ``_p.floats``), a nested RESP3 array with ``map(tuple, ...)`` when its first group
  shows that the doubles already arrived as doubles (a reply never mixes the two);
- structure is normalised by helpers in ``redis_oxide._parsers`` (RESP2 flat pairs, RESP3
  maps, hiredis sets as lists); models are built with ``model_validate`` from a record whose
  keys are snake_case, after the fields that need work are converted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.ir import ParserFunction
from codegen.pyfmt import LINE_LENGTH, Bracket, layout, parse_node
from codegen.replies import EMPTY, ReplyNode, mangle

__all__ = ["ModelFields", "ParserBuilder"]

_SCALAR_EXPR = {
    "double": "float({})",
    "numstr": "int({})",
    "bool": "bool({})",
    "str": "_p.text({})",
    "logged": "_p.logged({})",
    "info": "_p.info({})",
    "props": "_p.props({})",
    "scalar": "_p.scalar({})",
    "json": "_j.decode({})",
    "one": "{} == 1",
}
_CONTAINERS = ("array", "set", "map", "lines", "pair", "tuple", "path", "only")
_RECORDS = {"map": "_r.record({})", "kv": "_r.kv_record({})"}
# A parser that is one call of a builtin on the reply is that builtin.
_BUILTIN_PARSER = re.compile(r"(bool|float|int)\(x\)")
# A conversion that is one call of a named function on the value.
_ONE_CALL = re.compile(r"([A-Za-z_][\w.]*)\(v\)")


@dataclass(frozen=True, slots=True)
class ModelFields:
    """What the parser of a model needs: its shape and its fields in reply order."""

    name: str
    shape: str
    fields: tuple[tuple[str, ReplyNode], ...]
    rest: bool = False
    tags: tuple[tuple[str, tuple[str, ...]], ...] = ()
    numbered: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class ParserBuilder:
    """Collects the parser functions that the reply types of a package need."""

    models: dict[str, ModelFields]
    functions: dict[str, ParserFunction] = field(default_factory=dict)

    def parser_for(self, node: ReplyNode) -> str:
        """Return the parser argument: ``None``, a builtin name or ``_rp.<function>``."""
        if not node.needs_work():
            return "None"
        builtin = _BUILTIN_PARSER.fullmatch(self._expr(node, "x"))
        if builtin is not None:
            return builtin.group(1)
        return "_rp." + self._function(node)

    def reshaped(self, node: ReplyNode, function: str, args: tuple[str, ...]) -> str:
        """Return the parser of a reply a handwritten ``function`` brings to one form first.

        The function takes the call's ``args`` and then the reply; the result takes the
        ``args`` too (the method binds them). Without conversion, the function is the parser.
        """
        if not node.needs_work():
            return function
        name = f"parse_{function.rpartition('.')[2]}_{mangle(node)}"
        if name not in self.functions:
            returns = node.annotation(strt="Any", prefix="_models.")
            params = tuple(f"{arg}: Any" for arg in (*args, "x"))
            head = layout(Bracket(f"def {name}(", params, f") -> {returns}:"), 0)
            if len(head) > 1:
                # Long signatures keep their parameters on one line and return Any (see above).
                head = layout(Bracket(f"def {name}(", params, ") -> Any:"), 0)
            call = f"r = {function}({', '.join([*args, 'x'])})"
            body = [call, *_statement("return ", self._child(node, "r"), 4)]
            lines = (*head, *("    " + b for b in body))
            self.functions[name] = ParserFunction(name, lines)
        return "_rp." + name

    def named_for(self, command: str, parser: str, variant: bool = False) -> str:
        """Return a parser for ``command`` that reports a reply not fitting a model by name.

        ``parser`` is the reply type's own parser; the result (``reply_<command>``, with the
        type's name after it for a variant) wraps it in ``_p.ModelReply``.
        """
        target = parser.removeprefix("_rp.")
        name = "reply_" + re.sub(r"[^a-z0-9]+", "_", command.lower()).strip("_")
        if variant:
            name += "_" + target.rpartition(".")[2].removeprefix("parse_")
        if name not in self.functions:
            line = f'{name} = _p.ModelReply("{command}", {target})'
            self.functions[name] = ParserFunction(name, tuple(layout(parse_node(line), 0)))
        return "_rp." + name

    def _function(self, node: ReplyNode) -> str:
        name = "parse_" + mangle(node)
        if name in self.functions:
            return name
        # Reserve the name first: a model may refer to itself.
        self.functions[name] = ParserFunction(name, ())
        returns = node.annotation(strt="Any", prefix="_models.")
        head = f"def {name}(x: Any) -> {returns}:"
        # ``only<T>`` of a T that needs no work returns what a helper typed Any returns.
        bare_only = node.name == "only" and not node.args[0].needs_work()
        if len(head) > LINE_LENGTH or bare_only:
            # The parsers take Any and mypy cannot check them closely; the precise type is
            # on the generated method, so a name that long keeps a short signature.
            head = f"def {name}(x: Any) -> Any:"
        if node.is_model and not node.nullable:
            body = self._model_body(self.models[node.name], node.generic)
        elif _is_group_array(node):
            body = self._groups_body(node)
        elif node.name == "path" and not node.nullable:
            # A legacy path gives one value, a JSONPath a list with nil for each non-match.
            each = self._child(node.args[0], "v")
            body = [
                "if x.__class__ is list:",
                *(
                    "    " + line
                    for line in _statement(
                        "return ", f"[None if v is None else {each} for v in x]", 8
                    )
                ),
                *_statement(
                    "return ", f"None if x is None else {self._child(node.args[0], 'x')}", 4
                ),
            ]
        else:
            body = _statement("return ", self._expr(node, "x"), 4)
        self.functions[name] = ParserFunction(name, (head, *("    " + b for b in body)))
        return name

    def _model_body(self, model: ModelFields, generic: bool) -> list[str]:
        if model.shape in _RECORDS:
            record = _RECORDS[model.shape].format("x")
        elif model.tags:
            tags = ", ".join(f'("{tag}", {_names(names)})' for tag, names in model.tags)
            record = f"_r.tagged(x, ({tags}))"
        else:
            helper = "_r.positional" if model.shape == "array" else "_r.words_record"
            names = _names([n for n, _ in model.fields])
            record = f"{helper}(x, {names}, rest={model.rest})"
        lines = layout(parse_node(f"d = {record}"), 0)
        lines += [f'd["{fname}"] = _r.numbered(d, "{prefix}")' for fname, prefix in model.numbered]
        for fname, fnode in model.fields:
            if not fnode.needs_work():
                continue
            value = self._expr(_required(fnode), "v")
            lines.append(f'if (v := d.get("{fname}")) is not None:')
            lines += ["    " + line for line in _statement(f'd["{fname}"] = ', value, 8)]
        built = f"return _models.{model.name}.model_validate(d)"
        if not generic:
            return [*lines, built]
        # pyright leaves the StrT of a bare generic class unsolved (mypy reads it as Any); the
        # generated method's signature carries the precise type.
        return [*lines, f"{built}  # pyright: ignore[reportUnknownVariableType]"]

    def _groups_body(self, node: ReplyNode) -> list[str]:
        """Body for an array of pairs/tuples: flat (RESP2, RESP3 single pair) or nested."""
        parts = node.args[0].args
        converters = [self._converter(part) for part in parts]
        lines = ["if not x:", "    return []", "if not isinstance(x[0], list):"]
        # strict: a flat array that does not divide into groups is malformed (its last
        # column comes out shorter).
        if "float" in converters:
            # A column of doubles (WITHSCORES) is read in one batch (``_p.floats``), so
            # every column is a stride slice of the flat array.
            columns = []
            for i, convert in enumerate(converters):
                column = f"x[{i or ''}::{len(parts)}]"
                if convert == "float":
                    column = f"_p.floats({column})"
                elif convert is not None:
                    column = f"map({convert}, {column})"
                columns.append(column)
        else:
            # Every column draws from one iterator over the flat array, in turn: no copies.
            columns = ["it" if c is None else f"map({c}, it)" for c in converters]
            lines.append("    it = iter(x)")
        flat = f"list(zip({', '.join(columns)}, strict=True))"
        lines += ["    " + line for line in _statement("return ", flat, 8)]
        worked = [i for i, part in enumerate(parts) if part.needs_work()]
        if all(parts[i].name == "double" and not parts[i].nullable for i in worked):
            # Nested groups whose doubles are already floats need no conversion at all.
            checks = " and ".join(f"x[0][{i}].__class__ is float" for i in worked)
            if not checks:
                return [*lines, "return list(map(tuple, x))"]
            lines += [f"if {checks}:", "    return list(map(tuple, x))"]
        items = ", ".join(self._child(part, f"g[{i}]") for i, part in enumerate(parts))
        return lines + _statement("return ", f"[({items}) for g in x]", 4)

    def _converter(self, node: ReplyNode) -> str | None:
        """A callable converting one value to the type, or None when none is needed."""
        if not node.needs_work():
            return None
        call = _ONE_CALL.fullmatch(self._child(node, "v"))
        return call.group(1) if call is not None else self._function(node)

    def _expr(self, node: ReplyNode, x: str) -> str:
        """Return an expression converting the decoded value named ``x`` to the type."""
        if not node.needs_work():
            return x
        if node.name == "ok":
            # Only OK (truthy) or nil reaches an ``ok`` parser: errors are raised before.
            return f"bool({x})"
        if node.nullable:
            return f"None if {x} is None else {self._child(_required(node), x)}"
        if node.is_model or _is_group_array(node):
            return f"{self._function(node)}({x})"
        if node.name in _SCALAR_EXPR:
            return _SCALAR_EXPR[node.name].format(x)
        if node.name in ("pair", "tuple"):
            items = ", ".join(self._child(a, f"{x}[{i}]") for i, a in enumerate(node.args))
            return f"({items})"
        if node.name == "only":
            return self._child(node.args[0], f"_p.only({x})")
        if node.name == "empty":
            inner = node.args[0]
            return f"{EMPTY[inner.name]} if {x} is None else {self._child(inner, x)}"
        if node.name == "err":
            # The error the server put in an item's place stays, unconverted.
            # (a subclass of ServerError, named by the error's prefix).
            return f"{x} if isinstance({x}, ServerError) else {self._child(node.args[0], x)}"
        if node.name == "path":
            return f"{self._function(node)}({x})"
        element = node.args[0]
        if node.name == "map":
            key, value = (self._child(a, n) for a, n in zip(node.args, "kv", strict=True))
            if key == "k" and value == "v":
                return f"_p.to_dict({x})"
            return f"{{{key}: {value} for k, v in _p.map_items({x})}}"
        source = f"_p.lines({x})" if node.name == "lines" else x
        item = self._child(element, "e")
        if node.name == "set":
            return f"_p.to_set({source})" if item == "e" else f"{{{item} for e in {source}}}"
        return source if item == "e" else f"[{item} for e in {source}]"

    def _child(self, node: ReplyNode, x: str) -> str:
        """An element expression: nested containers that need work get their own function."""
        if node.needs_work() and node.name in _CONTAINERS:
            return f"{self._function(node)}({x})"
        return self._expr(node, x)

    def ordered(self) -> tuple[ParserFunction, ...]:
        """Return the functions sorted by name, for stable output.

        The ``reply_*`` wrappers sort after the ``parse_*`` functions they name.
        """
        return tuple(self.functions[k] for k in sorted(self.functions))


def _statement(start: str, expr: str, indent: int) -> list[str]:
    """Lay out ``start + expr`` as ruff would; a long comprehension opens its brackets."""
    line = start + expr
    if indent + len(line) <= LINE_LENGTH:
        return [line]
    if expr[0] in "[{" and " for " in expr:
        return [start + expr[0], "    " + expr[1:-1], expr[-1]]
    return [text[indent:] for text in layout(parse_node(line), indent)]


def _names(names: Sequence[str]) -> str:
    quoted = ", ".join(f'"{n}"' for n in names)
    return f"({quoted},)" if len(names) == 1 else f"({quoted})"


def _is_group_array(node: ReplyNode) -> bool:
    element = node.args[0] if node.name == "array" else None
    return (
        element is not None
        and not node.nullable
        and element.name in ("pair", "tuple")
        and not element.nullable
    )


def _required(node: ReplyNode) -> ReplyNode:
    return ReplyNode(node.name, node.args, False, node.generic)
