"""Shapes of Python values and the statements that put them on the wire.

A ``Shape`` (built by ``codegen.shapes``) knows the annotation of the value a caller passes for
one spec argument and emits the statements that append it to the wire argument list
``_args`` of a generated method: tokens, call-time number checks, collections, mappings and
unions. ``Lines`` collects those statements; ``ShapeContext`` is the per-command state both
modules share.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.diagnostics import Diagnostics
from codegen.ir import BlockType
from codegen.naming import PythonIdentifier, escape_spec_text, param_name
from codegen.pyfmt import LINE_LENGTH

__all__ = ["Lines", "Shape", "ShapeContext", "emit_optional", "literal_tuple"]


def literal_tuple(values: Sequence[str]) -> str:
    """Return a tuple literal of escaped strings (``("NX", "XX")``)."""
    items = ", ".join(escape_spec_text(v) for v in values)
    return f"({items},)" if len(values) == 1 else f"({items})"


@dataclass(slots=True)
class Lines:
    """Statements being built, with the current indentation depth (4 spaces a level)."""

    lines: list[str] = field(default_factory=list)
    depth: int = 0
    counter: int = 0

    def add(self, text: str) -> None:
        """Append one statement at the current depth."""
        self.lines.append("    " * self.depth + text)

    def fresh(self, stem: str) -> str:
        """Return a new local variable name that no parameter can take."""
        self.counter += 1
        return f"_{stem}{self.counter}"


@dataclass(slots=True)
class ShapeContext:
    """Per-command state: where problems and generated block types go."""

    command: str
    diagnostics: Diagnostics
    mappings: dict[str, str]
    block_types: dict[str, BlockType]
    imports: set[str] = field(default_factory=set)
    #: Optional blocks spread into keyword parameters (``arguments.toml`` ``flatten``).
    flatten: frozenset[str] = frozenset()
    #: Required token-or-value oneofs whose value defaults to the token.
    token_default: frozenset[str] = frozenset()
    #: Argument path -> ``double`` or ``text``: how the server really reads a spec number.
    numbers: dict[str, str] = field(default_factory=dict)
    #: String arguments that take a JSON value.
    json: frozenset[str] = frozenset()
    #: Optional trailing ``multiple`` arguments that become ``*args``.
    variadic: frozenset[str] = frozenset()


#: ``Shape.check`` -> the ``_enc`` helper that words the error (and converts, for numbers).
_HELPERS = {"int": "_enc.integer", "float": "_enc.double", "nan": "_enc.not_nan"}


@dataclass(slots=True)
class Shape:
    """How one spec argument looks in Python and how it reaches the wire.

    ``kind`` is one of: const, flag, choice, scalar, tuple, dataclass, union, multiple,
    mapping, parallel, raw. ``convert`` is a format string applied to the value expression;
    ``check`` (``int`` or ``float``) asks for a call-time type test of a scalar that has no
    conversion, ``nan`` for the NaN test of a double sent as given (a ``text`` number). A
    mapping keeps its key and value shapes in ``parts``, a union its alternatives (each a
    dataclass) in ``variants``. ``note`` says, for the docstring, what a conversion accepts
    besides the plain value.
    """

    kind: str
    annotation: str
    token: str | None = None
    convert: str = "{}"
    choices: tuple[str, ...] = ()
    parts: list[tuple[PythonIdentifier, Shape, bool]] = field(default_factory=list)
    element: Shape | None = None
    variants: list[Shape] = field(default_factory=list)
    per_element_token: bool = False
    key_first: bool = True
    counted: bool = False
    #: The computed count is of the words the items take, not of the items.
    count_words: bool = False
    name: str = ""
    check: str = ""
    note: str = ""
    #: A collection the grammar requires ("one or more"): an empty one is refused when sent.
    nonempty: bool = False

    @property
    def is_simple_value(self) -> bool:
        """A single wire element with no token: it can sit inside a tuple literal."""
        return self.kind == "scalar" and self.token is None

    @property
    def is_plain(self) -> bool:
        """A simple value sent as given: no conversion and no type test."""
        return self.is_simple_value and self.convert == "{}" and not self.check

    def expression(self, expr: str) -> str:
        """Return the wire expression for a simple value."""
        return self.convert.format(expr)

    def checked(self, expr: str, out: Lines, ctx: ShapeContext) -> str:
        """Emit the call-time type test of a number held in ``expr``; return its wire form.

        A plain name is tested inline and rebound only on the failure path, which is the cheap
        case; any other expression goes through the helper, which tests first as well.
        """
        if not self.check or self.convert != "{}":
            return self.convert.format(expr)
        public = expr.isidentifier() and not expr.startswith("_")
        name = escape_spec_text(expr if public else param_name(self.name))
        helper = _HELPERS[self.check]
        call = f"{helper}({escape_spec_text(ctx.command)}, {name}, {expr})"
        if not expr.isidentifier():
            return call
        # ``__class__`` rather than ``type()``: a parameter may be named ``type`` (SCAN).
        lines = [f"if {expr}.__class__ is not int:"]
        if self.check == "nan":
            lines = [f"if {expr} != {expr}:"]
        elif self.check == "float":
            # NaN is the one float no command takes; ``x != x`` is its cheapest test.
            tests = [f"{expr}.__class__ is not float", f"and {expr}.__class__ is not int"]
            lines = [f"if ({' '.join(tests)}) or {expr} != {expr}:"]
            indent = 8 + 4 * out.depth
            if indent + len(lines[0]) > LINE_LENGTH:
                # As ruff format splits it: the parenthesised part on a line of its own, or
                # one line per operand when that is too long as well.
                if indent + 4 + len(" ".join(tests)) <= LINE_LENGTH:
                    tests = [" ".join(tests)]
                lines = ["if (", *(f"    {t}" for t in tests), f") or {expr} != {expr}:"]
        for line in lines:
            out.add(line)
        out.depth += 1
        out.add(f"{expr} = {call}")
        out.depth -= 1
        return expr

    def label(self, expr: str) -> str:
        """What an error message calls the value held in ``expr``: the parameter's name."""
        public = expr.isidentifier() and not expr.startswith("_")
        return expr if public else param_name(self.name)

    def emit(
        self,
        expr: str,
        out: Lines,
        ctx: ShapeContext,
        *,
        label: str | None = None,
        trusted: bool = False,
    ) -> None:
        """Append statements that put the value held in ``expr`` on the wire list ``_args``.

        ``label`` names the value in error messages (an item of a collection); ``trusted``
        says that the class of a dataclass value was tested already (a union's branch).
        """
        tok = escape_spec_text(self.token) if self.token is not None else None
        if self.kind in ("const", "flag"):
            # A block of pure tokens (``NO ONE``) is one constant of several words.
            words = self.choices or (self.token or "",)
            statement = (
                f"_args.append({escape_spec_text(words[0])})"
                if len(words) == 1
                else f"_args.extend({literal_tuple(words)})"
            )
            if self.kind == "const":
                out.add(statement)
                return
            out.add(f"if {expr}:")
            out.depth += 1
            out.add(statement)
            out.depth -= 1
        elif self.kind == "choice":
            cmd = escape_spec_text(ctx.command)
            name = escape_spec_text(param_name(self.name))
            checked = f"_enc.choice({cmd}, {name}, {expr}, {literal_tuple(self.choices)})"
            out.add(f"_args.extend(({tok}, {checked}))" if tok else f"_args.append({checked})")
        elif self.kind == "scalar":
            value = self.checked(expr, out, ctx)
            out.add(f"_args.extend(({tok}, {value}))" if tok else f"_args.append({value})")
        elif self.kind == "union":
            self._emit_union(expr, tok, out, ctx)
        elif self.kind in ("tuple", "dataclass"):
            values = [p for p in self.parts if p[1].kind != "const"]
            self._emit_shape_test(expr, len(values), label, trusted, out, ctx)
            if tok:
                out.add(f"_args.append({tok})")
            for index, (pname, part, optional) in enumerate(self.parts):
                if part.kind == "const":
                    part.emit("", out, ctx)
                    continue
                if self.kind == "dataclass":
                    sub = f"{expr}.{pname}"
                elif len(values) == 1:
                    sub = expr
                else:
                    sub = f"{expr}[{values.index(self.parts[index])}]"
                emit_optional(sub, part, optional, out, ctx)
        else:
            self._emit_collection(expr, tok, out, ctx)

    def _emit_shape_test(
        self,
        expr: str,
        size: int,
        label: str | None,
        trusted: bool,
        out: Lines,
        ctx: ShapeContext,
    ) -> None:
        """Emit the test that a structured value has the class or tuple length it is read as.

        The inline test is a class comparison (and a length); the ``_enc`` helper that words
        the error runs only when it fails (it also accepts a list of the right length).
        """
        if trusted or (self.kind == "tuple" and size < 2):
            return  # a one-value tuple is the bare value, tested as such
        cmd = escape_spec_text(ctx.command)
        name = escape_spec_text(label or self.label(expr))
        if self.kind == "dataclass":
            out.add(f"if {expr}.__class__ is not {self.annotation}:")
            out.add(f"    _enc.instance({cmd}, {name}, {expr}, {self.annotation})")
            return
        names = [str(p) for p, part, _ in self.parts if part.kind != "const"]
        form = escape_spec_text(f"({', '.join(names)})")
        out.add(f"if {expr}.__class__ is not tuple or len({expr}) != {size}:")
        out.add(f"    _enc.fixed({cmd}, {name}, {expr}, {form})")

    def _emit_union(self, expr: str, tok: str | None, out: Lines, ctx: ShapeContext) -> None:
        # isinstance narrows each branch for the type checkers; the last alternative is the
        # ``else`` (strict checkers call an always-true isinstance an error), tested there by
        # the helper, which refuses anything else with a TypeError naming the alternatives.
        if tok:
            out.add(f"_args.append({tok})")
        var = expr
        if not expr.isidentifier():
            var = out.fresh("u")
            out.add(f"{var} = {expr}")
        *tested, last = self.variants
        for index, variant in enumerate(tested):
            out.add(f"{'if' if index == 0 else 'elif'} isinstance({var}, {variant.annotation}):")
            out.depth += 1
            variant.emit(var, out, ctx, trusted=True)
            out.depth -= 1
        if tested:
            out.add("else:")
            out.depth += 1
        cmd = escape_spec_text(ctx.command)
        name = escape_spec_text(param_name(self.name))
        names = ", ".join(v.annotation for v in self.variants)
        names = f"({names},)" if len(self.variants) == 1 else f"({names})"
        out.add(f"_enc.variant({cmd}, {name}, {var}, {last.annotation}, {names})")
        last.emit(var, out, ctx, trusted=True)
        if tested:
            out.depth -= 1

    def _emit_collection(self, expr: str, tok: str | None, out: Lines, ctx: ShapeContext) -> None:
        cmd = escape_spec_text(ctx.command)
        name = escape_spec_text(param_name(self.name))
        if self.kind == "raw":
            if tok:
                out.add(f"_args.append({tok})")
            out.add(f"_args.extend(_enc.items({cmd}, {name}, {expr}))")
            return
        if self.kind == "mapping" or self.kind == "parallel":
            items = out.fresh("m")
            # A dict, the common case, skips the helper and its slower Mapping ABC test.
            out.add(f"if {expr}.__class__ is not dict:")
            out.add(f"    _enc.mapping({cmd}, {name}, {expr})")
            out.add(f"{items} = {expr}.items()")
        elif self.counted and expr.startswith("*"):
            items = expr[1:]
        else:
            items = out.fresh("s")
            out.add(f"{items} = _enc.items({cmd}, {name}, {expr.lstrip('*')})")
        if self.nonempty and not expr.startswith("*"):
            # The server refuses an empty one ("wrong number of arguments"): say so first.
            what = escape_spec_text(f"{ctx.command}: {self.label(expr)} must not be empty")
            out.add(f"if not {items}:")
            out.add(f"    raise ValueError({what})")
        if self.counted:
            if tok:
                out.add(f"_args.append({tok})")
            words = self._words_per_item(ctx) if self.count_words else 1
            out.add(f"_args.append(len({items}){f' * {words}' if words != 1 else ''})")
        elif tok and not self.per_element_token:
            out.add(f"if {items}:")
            out.depth += 1
            out.add(f"_args.append({tok})")
            out.depth -= 1
        if self.kind == "parallel":
            out.add(f"_args.extend(_k for _k, _ in {items})")
            out.add(f"_args.extend(_v for _, _v in {items})")
            return
        if self.kind == "mapping":
            key, value = (p[1] for p in self.parts)
            out.add(f"for _k, _v in {items}:")
            out.depth += 1
            wire = (key.checked("_k", out, ctx), value.checked("_v", out, ctx))
            order = wire if self.key_first else wire[::-1]
            out.add(f"_args.extend(({', '.join(order)}))")
            out.depth -= 1
            return
        element = self.element
        assert element is not None
        if element.is_plain and not self.per_element_token:
            out.add(f"_args.extend({items})")
            return
        var = out.fresh("x")
        out.add(f"for {var} in {items}:")
        out.depth += 1
        if self.per_element_token and tok:
            out.add(f"_args.append({tok})")
        element.emit(var, out, ctx, label=f"{self.label(expr.lstrip('*'))} item")
        out.depth -= 1

    def _words_per_item(self, ctx: ShapeContext) -> int:
        """How many wire words each item of a counted collection takes (fixed, or an error)."""
        if self.kind in ("mapping", "parallel"):
            return 2
        element = self.element
        words = element.fixed_words() if element is not None else None
        if words is None:
            ctx.diagnostics.error(ctx.command, f"{self.name}: nargs of items of varying length")
            return 1
        return words

    def fixed_words(self) -> int | None:
        """The number of wire words a value of this shape takes, when it does not vary."""
        if self.kind in ("scalar", "choice"):
            return 1 + (self.token is not None)
        if self.kind == "const":
            return len(self.choices or (self.token,))
        if self.kind == "tuple":
            total = int(self.token is not None)
            for _, part, optional in self.parts:
                words = None if optional else part.fixed_words()
                if words is None:
                    return None
                total += words
            return total
        return None


def emit_optional(expr: str, shape: Shape, optional: bool, out: Lines, ctx: ShapeContext) -> None:
    if not optional or shape.kind in ("flag", "multiple", "mapping", "parallel", "raw"):
        if optional and shape.kind in ("multiple", "mapping", "parallel", "raw"):
            out.add(f"if {expr} is not None:")
            out.depth += 1
            shape.emit(expr, out, ctx)
            out.depth -= 1
        else:
            shape.emit(expr, out, ctx)
        return
    out.add(f"if {expr} is not None:")
    out.depth += 1
    shape.emit(expr, out, ctx)
    out.depth -= 1
