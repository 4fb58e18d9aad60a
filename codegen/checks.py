"""``arguments.toml`` ``checks``: combinations of arguments the server refuses, as method lines.

Rules kept here:
- a condition is a small Python expression over the method's parameters: ``and``/``or``/
  ``not``, comparisons, constants, ``len(param)`` and ``param.field`` of a block parameter;
  a name that is not a parameter, or any other construct, is an error;
- a check that names only required parameters runs before the no-option fast path (after
  their number checks); one that names an option runs after it, and must be false when no
  option is given (one of its ``and`` terms, over options only, is false at their defaults),
  so the fast path skips it without changing what is refused;
- ``len`` of an ``Iterable`` parameter makes it a tuple first (the encoding takes the tuple
  as is), a number parameter compared with ``<``/``<=``/``>``/``>=`` is converted first
  (``_enc.integer``/``_enc.double``, whose result the encoding takes as is), and a field of a
  block parameter is read after the block's type test, so a wrong type still raises the
  usual ``TypeError`` naming the command;
- the condition is printed as written: it must be in ``ruff format`` style (``make lint``
  checks the output) and fit its line.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from codegen.config import CheckEntry
from codegen.diagnostics import Diagnostics
from codegen.ir import Argument, ParamKind
from codegen.naming import escape_spec_text
from codegen.plan import lay
from codegen.pyfmt import Bracket

__all__ = ["CheckLines", "check_lines"]

_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
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
    blocks: Collection[str],
    diagnostics: Diagnostics,
) -> CheckLines:
    """Return the lines that refuse each ``checks`` entry of ``command``.

    Args:
        command: The full command name (the message's prefix).
        entries: The command's entries, by name, in file order.
        params: The method's parameters.
        blocks: The names of the generated block dataclasses.
        diagnostics: Where a bad entry is reported (an error: it would test nothing).

    Returns:
        The lines, in entry order; preparations (tuples, type tests) once, before the first
        check that needs them.
    """
    by_name: dict[str, Argument] = {str(p.name): p for p in params}
    result = CheckLines()
    prepared: set[str] = set()
    for key, entry in entries.items():
        where = f"arguments.toml: checks.{command}.{key}"
        tree = _parse(entry.when, where, command, diagnostics)
        if tree is None:
            continue
        names, counted, fields, ordered = _names(tree)
        unknown = sorted(names - by_name.keys())
        if unknown:
            diagnostics.error(command, f"{where}: names no parameter of the method: {unknown}")
            continue
        if "len" in by_name and counted:
            diagnostics.error(command, f"{where}: len() is a parameter of the method")
            continue
        options = {n for n in names if _is_option(by_name[n])}
        if options and not _false_without_options(tree.body, by_name):
            diagnostics.error(
                command,
                f"{where}: can hold when no option is given; add a term such as"
                f" `{sorted(options)[0]} is not None` that is false then",
            )
            continue
        lines = result.after if options else result.before
        for name in sorted(counted | fields | ordered):
            if name in prepared:
                continue
            param = by_name[name]
            if name in ordered and name not in counted | fields:
                lone = _lone_option(params) == name
                prep = _prepare_number(command, param, lone, where, diagnostics)
            else:
                prep = _prepare(command, param, name in counted, blocks, where, diagnostics)
            if prep is None:
                break
            prepared.add(name)
            lines += prep
        else:
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
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and not (
            isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and not node.keywords
            and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)
        ):
            diagnostics.error(command, f"{where}: the only call allowed is len(parameter)")
            return None
        if isinstance(node, ast.Attribute) and not isinstance(node.value, ast.Name):
            diagnostics.error(command, f"{where}: only a parameter's own field may be read")
            return None
    if when != " ".join(when.split()) or "'" in when:
        diagnostics.error(command, f'{where}: write the condition on one line, quoting with "')
        return None
    if len(f"        if {when}:") > 100:
        diagnostics.error(command, f"{where}: the condition is too long; split the entry")
        return None
    return tree


_ORDERED = (ast.Lt, ast.LtE, ast.Gt, ast.GtE)


def _names(tree: ast.Expression) -> tuple[set[str], set[str], set[str], set[str]]:
    """Return the parameters named, those counted with ``len``, those whose field is read,
    and those compared by order (``<``, ``<=``, ``>``, ``>=``) themselves."""
    names: set[str] = set()
    counted: set[str] = set()
    fields: set[str] = set()
    ordered: set[str] = set()
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(isinstance(op, _ORDERED) for op in node.ops):
            operands = [node.left, *node.comparators]
            ordered.update(n.id for n in operands if isinstance(n, ast.Name))
        if isinstance(node, ast.Name) and id(node) not in calls:
            names.add(node.id)
        elif isinstance(node, ast.Call) and isinstance(node.args[0], ast.Name):
            counted.add(node.args[0].id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            fields.add(node.value.id)
    return names, counted, fields, ordered


def _is_option(param: Argument) -> bool:
    return param.kind is ParamKind.KEYWORD and param.default is not None


def _false_without_options(body: ast.expr, params: Mapping[str, Argument]) -> bool:
    """Whether an ``and`` term over options only is false when each has its default."""
    terms = body.values if isinstance(body, ast.BoolOp) and isinstance(body.op, ast.And) else [body]
    for term in terms:
        calls = {id(n.func) for n in ast.walk(term) if isinstance(n, ast.Call)}
        named = {n.id for n in ast.walk(term) if isinstance(n, ast.Name) and id(n) not in calls}
        if not named or not all(_is_option(params[n]) for n in named):
            continue
        defaults = {n: ast.literal_eval(params[n].default or "None") for n in named}
        code = compile(ast.Expression(term), "<check>", "eval")
        try:
            value = eval(code, {"__builtins__": {"len": len}}, defaults)
        except (AttributeError, TypeError):
            continue  # a field of an absent block: another term guards it
        if not value:
            return True
    return False


def _prepare(
    command: str,
    param: Argument,
    counted: bool,
    blocks: Collection[str],
    where: str,
    diagnostics: Diagnostics,
) -> list[str] | None:
    """Lines that make a parameter safe to test: a tuple for ``len``, a type test for fields."""
    annotation = param.annotation.removesuffix(" | None")
    optional = annotation != param.annotation
    cmd = escape_spec_text(command)
    name = escape_spec_text(param.name)
    if counted:
        if not annotation.startswith("Iterable["):
            return []
        call = f"{param.name} = _enc.items({cmd}, {name}, {param.name})"
        return [f"if {param.name} is not None:", f"    {call}"] if optional else [call]
    if annotation not in blocks:
        diagnostics.error(command, f"{where}: {param.name} is not a block: it has no fields")
        return None
    test = f"{param.name}.__class__ is not {annotation}"
    if optional:
        test = f"{param.name} is not None and {test}"
    return [f"if {test}:", f"    _enc.instance({cmd}, {name}, {param.name}, {annotation})"]


#: A number parameter's annotation -> the ``_enc`` helper that converts it before a comparison.
_NUMBER_HELPERS = {"int": "integer", "float": "double"}


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


def _prepare_number(
    command: str, param: Argument, lone: bool, where: str, diagnostics: Diagnostics
) -> list[str] | None:
    """Lines that make a number parameter safe to compare: its conversion to ``int``/``float``.

    ``lone``: the parameter is the method's only option, given past the fast path.
    """
    annotation = param.annotation.removesuffix(" | None")
    helper = _NUMBER_HELPERS.get(annotation)
    if helper is None:
        diagnostics.error(command, f"{where}: {param.name} is not an int or float to compare")
        return None
    if not _is_option(param):
        return []  # a required number is converted before the checks run
    test = f"{param.name}.__class__ is not {annotation}"
    if annotation != param.annotation and not lone:
        test = f"{param.name} is not None and {test}"
    cmd = escape_spec_text(command)
    name = escape_spec_text(param.name)
    return [f"if {test}:", f"    {param.name} = _enc.{helper}({cmd}, {name}, {param.name})"]
