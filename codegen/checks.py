"""``arguments.toml`` ``checks``: combinations of arguments the server refuses, as method lines.

Rules kept here:
- a condition is a small Python expression over the method's parameters: ``and``/``or``/
  ``not``, comparisons, constants, ``len(param)``, ``param.field`` of a block parameter,
  ``param[0]`` of a tuple parameter, ``any(<condition> for x in param)`` over a collection
  and a minus sign before a number (``-1.5``); any other construct is an error; a name that
  is not a parameter (or a field or an item the parameter lacks) follows the stale-entry rule
  (an error for core commands; for module commands, whose releases rename arguments, a
  warning or an info);
- a check that names only required parameters runs before the no-option fast path (after
  their number checks); one that names an option runs after it, and must be false when no
  option is given (one of its ``and`` terms, over options only, is false at their defaults),
  so the fast path skips it without changing what is refused;
- ``len`` of an ``Iterable`` parameter makes it a tuple first (the encoding takes the tuple
  as is), a number parameter compared with ``<``/``<=``/``>``/``>=`` is converted first
  (``_enc.integer``/``_enc.double``, or its own conversion such as ``_enc.milliseconds``,
  whose result the encoding takes as is), so are the items ``any()`` compares
  (``_enc.integers``/``_enc.doubles``, a tuple), a field of a block parameter is read after the
  block's type test and an item of a tuple after its length test, and an integer field or
  item compared by order is type-tested first, so a wrong type still raises the usual
  ``TypeError`` naming the command;
- the condition is printed as written: it must be in ``ruff format`` style (``make lint``
  checks the output) and fit its line.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from codegen.config import CheckEntry
from codegen.diagnostics import Diagnostics, stale
from codegen.ir import Argument, ParamKind
from codegen.naming import PythonIdentifier, escape_spec_text
from codegen.plan import Step, early_names, lay
from codegen.pyfmt import Bracket, parse_node
from codegen.wire import Shape

__all__ = ["CheckLines", "check_lines"]

_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.Is,
    ast.IsNot,
    ast.In,
    ast.NotIn,
    ast.Name,
    ast.Attribute,
    ast.Call,
    ast.Constant,
    ast.Tuple,
    ast.Load,
    ast.Subscript,
    ast.GeneratorExp,
    ast.comprehension,
    ast.Store,
)


@dataclass(slots=True)
class CheckLines:
    """Body lines of a method's checks: before the fast path, and after it."""

    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)


def check_lines(
    command: str,
    entries: Mapping[str, CheckEntry],
    params: Sequence[Argument],
    steps: Sequence[Step],
    blocks: Collection[str],
    diagnostics: Diagnostics,
) -> CheckLines:
    """Return the lines that refuse each ``checks`` entry of ``command``.

    Args:
        command: The full command name (the message's prefix).
        entries: The command's entries, by name, in file order.
        params: The method's parameters.
        steps: The plan's steps, which give each parameter's shape.
        blocks: The names of the generated block dataclasses.
        diagnostics: Where a bad entry is reported (an error: it would test nothing; one
            naming what the spec lacks follows the stale-entry rule).

    Returns:
        The lines, in entry order; preparations (tuples, type tests) once, before the first
        check that needs them.
    """
    by_name: dict[str, Argument] = {str(p.name): p for p in params}
    shapes = {s.expr.lstrip("*"): s.shape for s in steps if s.expr}
    early = early_names(steps)
    result = CheckLines()
    done_before: set[str] = set()
    done_after: set[str] = set()
    for key, entry in entries.items():
        where = f"arguments.toml: checks.{command}.{key}"
        tree = _parse(entry.when, where, command, diagnostics)
        if tree is None:
            continue
        uses = _uses(tree)
        unknown = sorted(uses.names - by_name.keys())
        if unknown:
            stale(diagnostics, command, f"{where}: names no parameter of the method: {unknown}")
            continue
        called = {"len": uses.counted, "any": uses.iterated}
        hidden = sorted(b for b, used in called.items() if used and b in by_name)
        if hidden:
            diagnostics.error(command, f"{where}: {hidden[0]}() is a parameter of the method")
            continue
        options = {n for n in uses.names if _is_option(by_name[n])}
        if options and not _false_without_options(tree.body, by_name):
            diagnostics.error(
                command,
                f"{where}: can hold when no option is given; add a term such as"
                f" `{sorted(options)[0]} is not None` that is false then",
            )
            continue
        lines, done = (result.after, done_after) if options else (result.before, done_before)
        prepare = _Preparation(command, where, by_name, shapes, blocks, diagnostics, early)
        prepare.done, prepare.lone = done | done_before, _lone_option(params)
        if not prepare.all(uses):
            continue
        done.update(prepare.done)
        lines += prepare.lines
        lines.append(f"if {_past_fast_path(entry.when, params)}:")
        lines += _raise(f"{command}: {entry.message}")
    return result


def _raise(message: str) -> list[str]:
    """Return the ``raise`` of a check; a message too long for its line is cut into pieces."""
    text = escape_spec_text(message)
    if 16 + len(text) <= 100:
        return lay(Bracket("raise ValueError(", (text,), ")"), 4)
    chunks = textwrap.wrap(message, 78, drop_whitespace=False)
    return ["    raise ValueError(", *(f"        {escape_spec_text(c)}" for c in chunks), "    )"]


def _parse(when: str, where: str, command: str, diagnostics: Diagnostics) -> ast.Expression | None:
    try:
        tree = ast.parse(when, mode="eval")
    except SyntaxError as exc:
        diagnostics.error(command, f"{where}: not a Python condition: {exc.msg}")
        return None
    bad = sorted({type(n).__name__ for n in ast.walk(tree) if not isinstance(n, _ALLOWED)})
    if bad:
        diagnostics.error(command, f"{where}: the condition may not use {', '.join(bad)}")
        return None
    problem = _construct_problem(tree)
    if problem:
        diagnostics.error(command, f"{where}: {problem}")
        return None
    if when != " ".join(when.split()) or "'" in when:
        diagnostics.error(command, f'{where}: write the condition on one line, quoting with "')
        return None
    if len(f"        if {when}:") > 100:
        diagnostics.error(command, f"{where}: the condition is too long; split the entry")
        return None
    return tree


def _construct_problem(tree: ast.Expression) -> str:
    """What the condition uses beyond calls of ``len``/``any``, fields, constant indexes and
    negative numbers."""
    generators: set[int] = set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _is_call(node, "len") and isinstance(node.args[0], ast.Name):
            continue
        gen = node.args[0] if _is_call(node, "any") else None
        if not isinstance(gen, ast.GeneratorExp) or len(gen.generators) != 1:
            return "the only calls allowed are len(parameter) and any(... for x in parameter)"
        comp = gen.generators[0]
        if not isinstance(comp.target, ast.Name) or not isinstance(comp.iter, ast.Name):
            return "any() must iterate a parameter: any(... for x in parameter)"
        if comp.ifs or any(isinstance(n, ast.GeneratorExp) for n in ast.walk(gen.elt)):
            return "any() takes one condition: any(... for x in parameter), without if or nesting"
        generators.add(id(gen))
        bound.add(comp.target.id)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and not (
                isinstance(node.operand, ast.Constant) and type(node.operand.value) in (int, float)
            )
        ):
            return "a minus sign goes only before a number: -1.5"
        if isinstance(node, ast.GeneratorExp) and id(node) not in generators:
            return "a generator may only be the argument of any()"
        if isinstance(node, ast.Attribute | ast.Subscript) and not (
            isinstance(node.value, ast.Name) and node.value.id not in bound
        ):
            return "only a parameter's own field or item may be read"
        if isinstance(node, ast.Subscript) and not (
            isinstance(node.slice, ast.Constant)
            and type(node.slice.value) is int
            and node.slice.value >= 0
        ):
            return "an item is read with a constant index: parameter[0]"
    return ""


def _is_call(node: ast.Call, name: str) -> bool:
    return (
        isinstance(node.func, ast.Name)
        and node.func.id == name
        and not node.keywords
        and len(node.args) == 1
    )


_ORDERED = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


@dataclass(slots=True)
class _Uses:
    """What a condition reads of the method's parameters.

    ``ordered`` holds what ``<``, ``<=``, ``>``, ``>=`` compare: a parameter (``count``), a
    field (``aggregation.bucket_duration``) or an item (``limit[0]``); ``iterated`` maps a
    parameter ``any()`` walks to whether its items are compared by order.
    """

    names: set[str] = field(default_factory=set)
    counted: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    items: set[str] = field(default_factory=set)
    ordered: set[str] = field(default_factory=set)
    iterated: dict[str, bool] = field(default_factory=dict)


def _uses(tree: ast.Expression) -> _Uses:
    uses = _Uses()

    def visit(node: ast.AST, bound: tuple[str, str] | None) -> None:
        if isinstance(node, ast.Call):
            arg = node.args[0]
            if isinstance(arg, ast.Name):  # len(param)
                uses.counted.add(arg.id)
                uses.names.add(arg.id)
                return
            assert isinstance(arg, ast.GeneratorExp)
            comp = arg.generators[0]
            assert isinstance(comp.target, ast.Name)
            assert isinstance(comp.iter, ast.Name)
            uses.names.add(comp.iter.id)
            uses.iterated.setdefault(comp.iter.id, False)
            visit(arg.elt, (comp.target.id, comp.iter.id))
            return
        if isinstance(node, ast.Compare) and any(isinstance(op, _ORDERED) for op in node.ops):
            for operand in (node.left, *node.comparators):
                if isinstance(operand, ast.Name) and bound and operand.id == bound[0]:
                    uses.iterated[bound[1]] = True
                elif isinstance(operand, ast.Name | ast.Attribute | ast.Subscript):
                    uses.ordered.add(ast.unparse(operand))
        if isinstance(node, ast.Attribute | ast.Subscript):
            assert isinstance(node.value, ast.Name)
            kind = uses.fields if isinstance(node, ast.Attribute) else uses.items
            kind.add(node.value.id)
        if isinstance(node, ast.Name) and not (bound and node.id == bound[0]):
            uses.names.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child, bound)

    visit(tree.body, None)
    return uses


def _is_option(param: Argument) -> bool:
    return param.kind is ParamKind.KEYWORD and param.default is not None


def _false_without_options(body: ast.expr, params: Mapping[str, Argument]) -> bool:
    """Whether an ``and`` term over options only is false when each has its default."""
    terms = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
    for term in terms:
        named = _uses(ast.Expression(term)).names
        if not named or not all(_is_option(params[n]) for n in named):
            continue
        defaults = {n: ast.literal_eval(params[n].default or "None") for n in named}
        code = compile(ast.Expression(term), "<check>", "eval")
        try:
            value = eval(code, {"__builtins__": {"len": len, "any": any}}, defaults)
        except (AttributeError, TypeError):
            continue  # a field of an absent block: another term guards it
        if not value:
            return True
    return False


#: A number's annotation -> the ``_enc`` helper that converts it before a comparison.
_NUMBER_HELPERS = {"int": "integer", "float": "double"}


@dataclass(slots=True)
class _Preparation:
    """The lines that make what a check reads safe to test, each made once per method.

    ``done`` holds what earlier checks prepared (``len:p``, ``block:p``, ``p.f`` ...);
    ``lone`` names the method's only option, which is given past the fast path; ``early``
    the numbers the method converts before any check (its leading arguments).
    """

    command: str
    where: str
    params: Mapping[str, Argument]
    shapes: Mapping[str, Shape]
    blocks: Collection[str]
    diagnostics: Diagnostics
    early: Collection[str] = ()
    lines: list[str] = field(default_factory=list)
    done: set[str] = field(default_factory=set)
    lone: str | None = None

    def all(self, uses: _Uses) -> bool:
        """Prepare everything ``uses`` reads, parameter by parameter; False on a finding."""
        for name in sorted(uses.names):
            steps = [
                (f"len:{name}", name in uses.counted, self._counted),
                (f"any:{name}", name in uses.iterated, self._iterated),
                (f"block:{name}", name in uses.fields, self._block),
                (f"tuple:{name}", name in uses.items, self._tuple),
            ]
            for key, wanted, step in steps:
                if not wanted or key in self.done:
                    continue
                if not step(name, uses):
                    return False
                self.done.add(key)
            for what in sorted(w for w in uses.ordered if _root(w) == name):
                if what not in self.done and not self._number(what):
                    return False
                self.done.add(what)
        return True

    def _mismatch(self, message: str) -> bool:
        stale(self.diagnostics, self.command, f"{self.where}: {message}")
        return False

    def _guard(self, name: str) -> str:
        """``name is not None and `` for an option that may be absent, else nothing."""
        param = self.params[name]
        optional = param.annotation.endswith(" | None") and name != self.lone
        return f"{name} is not None and " if optional else ""

    def _add(self, test: str, statement: str) -> None:
        if len(f"        if {test}:") > 100:
            # Never reached by the project's checks; a layout for it would be dead code.
            self.diagnostics.error(self.command, f"{self.where}: `if {test}:` is too long")
        self.lines += [f"if {test}:", *lay(parse_node(statement), 4)]

    def _names(self, name: str) -> str:
        return f"{escape_spec_text(self.command)}, {escape_spec_text(name)}"

    def _counted(self, name: str, uses: _Uses) -> bool:
        if self.params[name].annotation.startswith("Iterable["):
            call = f"{name} = _enc.items({self._names(name)}, {name})"
            self._rebind(name, call)
        return True

    def _rebind(self, name: str, statement: str) -> None:
        guard = self._guard(name)
        if guard:
            self._add(guard.removesuffix(" and "), statement)
        else:
            self.lines += lay(parse_node(statement))

    def _iterated(self, name: str, uses: _Uses) -> bool:
        shape = self.shapes.get(name)
        element = shape.element if shape is not None and shape.kind == "multiple" else None
        if element is None:
            return self._mismatch(f"{name} is not a collection any() can walk")
        if uses.iterated[name]:
            helper = _NUMBER_HELPERS.get(element.check)
            if helper is None or element.convert != "{}":
                return self._mismatch(f"the items of {name} are not numbers to compare")
            self._rebind(name, f"{name} = _enc.{helper}s({self._names(name)}, {name})")
        elif self.params[name].annotation.startswith("Iterable["):
            self._rebind(name, f"{name} = _enc.items({self._names(name)}, {name})")
        return True

    def _block(self, name: str, uses: _Uses) -> bool:
        annotation = self.params[name].annotation.removesuffix(" | None")
        if annotation not in self.blocks:
            return self._mismatch(f"{name} is not a block: it has no fields")
        test = f"{self._guard(name)}{name}.__class__ is not {annotation}"
        self._add(test, f"_enc.instance({self._names(name)}, {name}, {annotation})")
        return True

    def _tuple(self, name: str, uses: _Uses) -> bool:
        shape = self.shapes.get(name)
        if shape is None or shape.kind != "tuple" or len(_values(shape)) < 2:
            return self._mismatch(f"{name} is not a tuple: it has no items")
        size = len(_values(shape))
        form = escape_spec_text(f"({', '.join(str(p) for p, _, _ in _values(shape))})")
        test = f"{name}.__class__ is not tuple or len({name}) != {size}"
        guard = self._guard(name)
        test = f"{guard}({test})" if guard else test
        self._add(test, f"_enc.fixed({self._names(name)}, {name}, {form})")
        return True

    def _number(self, what: str) -> bool:
        """Convert (a parameter) or type-test (a field, an item) a number compared by order."""
        name = _root(what)
        if what == name:
            return self._parameter_number(name)
        part = self._part(what)
        if part is None:
            return False
        label, shape, optional = part
        if shape.check != "int" or shape.convert != "{}":
            # A double may be text (``"inf"``), which does not compare with a number.
            return self._mismatch(f"{what} is not an int to compare")
        test = f"{self._guard(name)}{what}.__class__ is not int"
        if optional:
            test = f"{self._guard(name)}{what} is not None and {what}.__class__ is not int"
        self._add(test, f"_enc.integer({self._names(label)}, {what})")
        return True

    def _part(self, what: str) -> tuple[str, Shape, bool] | None:
        """The name, shape and optionality of the field or item ``what`` reads."""
        name = _root(what)
        shape = self.shapes.get(name)
        parts = _values(shape) if shape is not None else []
        if "." in what:
            wanted = what.split(".", 1)[1]
            found = [p for p in parts if str(p[0]) == wanted]
        else:
            index = int(what[len(name) + 1 : -1])
            found = parts[index : index + 1]
        if not found:
            self._mismatch(f"{name} has no {what.removeprefix(name)}")
            return None
        label, shape, optional = found[0]
        return str(label), shape, optional

    def _parameter_number(self, name: str) -> bool:
        param = self.params[name]
        shape = self.shapes.get(name)
        annotation = param.annotation.removesuffix(" | None")
        base = annotation.split(" | ")[0]
        helper = _NUMBER_HELPERS.get(base)
        if shape is None or shape.kind != "scalar" or helper is None:
            return self._mismatch(f"{name} is not an int or float to compare")
        converted = shape.convert != "{}"
        if annotation != base and not converted:
            return self._mismatch(f"{name} is not an int or float to compare")
        if not converted and name in self.early:
            return True  # a leading number is converted before the checks run
        if converted:
            # The conversion tests the plain type first; its result types the comparison.
            self._rebind(name, f"{name} = {shape.expression(name)}")
            return True
        test = f"{name}.__class__ is not {base}"
        if base == "float":
            test += f" and {name}.__class__ is not int"
        call = f"_enc.{helper}({self._names(name)}, {name})"
        self._add(self._guard(name) + test, f"{name} = {call}")
        return True


def _root(what: str) -> str:
    """The parameter a field (``p.f``) or an item (``p[0]``) belongs to."""
    return what.split(".", 1)[0].split("[", 1)[0]


def _values(shape: Shape) -> list[tuple[PythonIdentifier, Shape, bool]]:
    """The parts of a tuple or a block that are sent values (not constant tokens)."""
    return [p for p in shape.parts if p[1].kind != "const"]


def _lone_option(params: Sequence[Argument]) -> str | None:
    """The name of a method's only option: past the no-option fast path it is given."""
    options = [str(p.name) for p in params if _is_option(p)]
    return options[0] if len(options) == 1 else None


def _past_fast_path(when: str, params: Sequence[Argument]) -> str:
    """The condition as printed: without its leading ``X is not None`` term for a lone option
    ``X``, which a type checker knows to hold past the fast path."""
    lone = _lone_option(params)
    head = f"{lone} is not None and "
    return when.removeprefix(head) if lone is not None and " or " not in when else when
