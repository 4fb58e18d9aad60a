"""Build one generated method: parameters, overloads, docstring and body, as finished lines.

Rules kept here:
- leading required arguments are positional, options keyword-only; the last required
  ``multiple`` of plain values is ``*args``;
- a simple command's body is one ``return self._execute(...)`` with a tuple literal;
- checks (choices, mutual exclusion, non-empty ``*args``) run before anything is sent and
  raise ``TypeError``/``ValueError`` naming the command and the argument;
- reply variants from the replies file become ``@overload`` stubs (see ``overloads``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.docstrings import build_docstring
from codegen.ir import Argument, Method, ParamKind, ReplyType
from codegen.naming import PythonIdentifier, escape_spec_text, param_name
from codegen.overloads import Variant, dispatch_tests, overload_overrides, union
from codegen.pyfmt import Bracket, layout
from codegen.shapes import Lines, Shape, ShapeContext, hoist_alias, is_count, shape_of
from codegen.spec import ArgumentSpec, CommandSpec

__all__ = ["MethodPlan", "build_method", "plan_arguments"]


@dataclass(slots=True)
class _Step:
    expr: str
    shape: Shape
    optional: bool


@dataclass(slots=True)
class MethodPlan:
    """Parameters, emission steps and checks of one method, before layout."""

    params: list[Argument] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)


def _unique(name: PythonIdentifier, taken: set[str]) -> PythonIdentifier:
    while name in taken:
        name = PythonIdentifier(name + "_")
    taken.add(name)
    return name


def _doc_for(arg: ArgumentSpec) -> str:
    if arg.summary:
        return arg.summary
    token = f" (``{arg.token}``)" if arg.token else ""
    return f"The ``{arg.display_text or arg.name}`` argument{token}."


def plan_arguments(spec: CommandSpec, ctx: ShapeContext) -> MethodPlan:
    """Turn a command's top-level arguments into parameters and emission steps.

    Args:
        spec: The command entry.
        ctx: Per-command state (diagnostics, mapping hints, block types).

    Returns:
        The plan; parameters are in signature order, steps in wire order.
    """
    plan = MethodPlan()
    taken: set[str] = set()
    args = spec.arguments
    required = [
        i for i, a in enumerate(args) if not a.optional and a.type not in ("pure-token", "block")
    ]
    last_required = required[-1] if required else -1
    cmd = escape_spec_text(ctx.command)
    for index, arg in enumerate(args):
        following = args[index + 1] if index + 1 < len(args) else None
        if is_count(arg, following):
            continue
        counted = index > 0 and is_count(args[index - 1], arg)
        if arg.type == "oneof" and not arg.multiple and _has_values(arg):
            _plan_alternatives(arg, plan, taken, ctx)
            continue
        if arg.type == "block" and arg.optional and arg.name in ctx.flatten:
            _plan_flattened(arg, plan, taken, ctx)
            continue
        shape = shape_of(arg, ctx, arg.name, top=True)
        shape.counted = counted
        if shape.kind == "const":
            plan.steps.append(_Step("", shape, False))
            continue
        name = _unique(param_name(arg.name), taken)
        doc = _doc_for(arg)
        if not arg.optional:
            variadic = (
                index == last_required
                and shape.kind == "multiple"
                and shape.element is not None
                and shape.element.kind in ("scalar", "tuple")
            )
            if variadic:
                element = shape.element
                assert element is not None
                plan.params.append(
                    Argument(name, element.annotation, ParamKind.VARIADIC, None, doc)
                )
                plan.steps.append(_Step(f"*{name}", shape, False))
                if not counted:
                    what = escape_spec_text(f"{ctx.command} takes at least one {arg.name}")
                    plan.checks += [f"if not {name}:", f"    raise TypeError({what})"]
                continue
            plan.params.append(Argument(name, shape.annotation, ParamKind.POSITIONAL, None, doc))
            plan.steps.append(_Step(name, shape, False))
            continue
        if shape.kind == "flag":
            plan.params.append(Argument(name, "bool", ParamKind.KEYWORD, "False", doc))
        elif counted:
            plan.params.append(Argument(name, shape.annotation, ParamKind.KEYWORD, "()", doc))
            plan.steps.append(_Step(name, shape, False))
            continue
        else:
            annotation = f"{shape.annotation} | None"
            plan.params.append(Argument(name, annotation, ParamKind.KEYWORD, "None", doc))
        plan.steps.append(_Step(name, shape, True))
    del cmd
    plan.params = [_shorten(p, ctx) for p in plan.params]
    positional = [p for p in plan.params if p.kind is not ParamKind.KEYWORD]
    keyword = [p for p in plan.params if p.kind is ParamKind.KEYWORD]
    plan.params = positional + keyword
    return plan


def _shorten(param: Argument, ctx: ShapeContext) -> Argument:
    """Name a parameter's annotation as an alias when its declaration would not fit a line."""
    if len(" " * 8 + param.declaration() + ",") <= 100:
        return param
    bare = param.annotation.removesuffix(" | None")
    alias = hoist_alias(ctx, bare, param.name)
    annotation = alias + param.annotation[len(bare) :]
    return Argument(param.name, annotation, param.kind, param.default, param.doc)


def _has_values(arg: ArgumentSpec) -> bool:
    return any(a.type != "pure-token" or a.multiple for a in arg.arguments)


def _plan_flattened(
    arg: ArgumentSpec, plan: MethodPlan, taken: set[str], ctx: ShapeContext
) -> None:
    """Spread an optional block into keywords; later parts need the first one."""
    first: PythonIdentifier | None = None
    for part in arg.arguments:
        shape = shape_of(part, ctx, f"{arg.name}/{part.name}")
        name = _unique(param_name(part.name), taken)
        if shape.kind in ("const", "flag"):
            shape.kind = "flag"
            plan.params.append(Argument(name, "bool", ParamKind.KEYWORD, "False", _doc_for(part)))
            given: str = name
        else:
            annotation = f"{shape.annotation} | None"
            plan.params.append(
                Argument(name, annotation, ParamKind.KEYWORD, "None", _doc_for(part))
            )
            given = f"{name} is not None"
        plan.steps.append(_Step(name, shape, True))
        if first is None:
            first = name
            continue
        what = escape_spec_text(f"{ctx.command}: {name} needs {first}")
        plan.checks += [f"if {given} and {first} is None:", f"    raise TypeError({what})"]


def _plan_alternatives(
    arg: ArgumentSpec, plan: MethodPlan, taken: set[str], ctx: ShapeContext
) -> None:
    names: list[PythonIdentifier] = []
    for alt in arg.arguments:
        shape = shape_of(alt, ctx, f"{arg.name}/{alt.name}")
        name = _unique(param_name(alt.name), taken)
        names.append(name)
        if shape.kind in ("const", "flag"):
            shape.kind = "flag"
            plan.params.append(Argument(name, "bool", ParamKind.KEYWORD, "False", _doc_for(alt)))
        else:
            annotation = f"{shape.annotation} | None"
            plan.params.append(Argument(name, annotation, ParamKind.KEYWORD, "None", _doc_for(alt)))
        plan.steps.append(_Step(name, shape, True))
    helper = "_enc.exclusive" if arg.optional else "_enc.exactly_one"
    items = [escape_spec_text(ctx.command)] + [f"({escape_spec_text(n)}, {n})" for n in names]
    plan.checks.extend(_lay(Bracket(f"{helper}(", tuple(items), ")")))


def _lay(node: Bracket | str, depth: int = 0, suffix: str = "") -> list[str]:
    """Lay out a statement of a method body; bodies sit 8 spaces deep in the class."""
    return [line[8:] for line in layout(node, 8 + depth, suffix)]


def _signature(
    name: str,
    params: list[Argument],
    returns: str,
    fixed: dict[str, tuple[str, str]] | None = None,
    stub: bool = False,
) -> list[str]:
    decls = ["self"]
    star = False
    for param in params:
        if param.kind is ParamKind.KEYWORD and not star:
            decls.append("*")
            star = True
        if param.kind is ParamKind.VARIADIC:
            star = True
        if fixed is not None and param.name in fixed:
            ann, default = fixed[param.name]
            decls.append(f"{param.name}: {ann}" + (f" = {default}" if default else ""))
        else:
            decls.append(param.declaration())
    tail = f") -> Awaitable[{returns}]:" + (" ..." if stub else "")
    return [line[4:] for line in layout(Bracket(f"def {name}(", tuple(decls), tail), 4)]


def build_method(
    name: PythonIdentifier,
    spec: CommandSpec,
    ctx: ShapeContext,
    plan: MethodPlan,
    reply: ReplyType,
    variants: Sequence[Variant],
    meta: str,
) -> Method:
    """Lay out the method for one command.

    Args:
        name: The method name.
        spec: The command entry.
        ctx: Per-command state.
        plan: The argument plan from ``plan_arguments``.
        reply: The default reply type.
        variants: Reply types when combinations of options are given, most options first.
        meta: Source text of the metadata constant (``_m.GET``).

    Returns:
        The method IR.
    """
    words = tuple(escape_spec_text(w) for w in ctx.command.split(" "))
    body: list[str] = []
    if spec.deprecated_since:
        instead = f"; use {spec.replaced_by}" if spec.replaced_by else ""
        text = f"{ctx.command} is deprecated{instead}"
        chunks = [text]
        if len(escape_spec_text(text)) > 100 - 13:
            chunks = textwrap.wrap(text, 80, drop_whitespace=False)
        body += ["warnings.warn("] + [f"    {escape_spec_text(c)}" for c in chunks]
        body[-1] += ","
        body += ["    DeprecationWarning,"]
        body += ["    stacklevel=2,", ")"]
    body += plan.checks
    simple = not variants and all(
        (s.shape.kind == "const" and not s.shape.choices)
        or (not s.optional and s.shape.is_simple_value)
        or (s.expr.startswith("*") and not s.shape.counted and _plain_elements(s.shape))
        for s in plan.steps
    )
    if simple:
        items = list(words)
        for step in plan.steps:
            if step.shape.kind == "const":
                items.append(escape_spec_text(step.shape.token or ""))
            elif step.expr.startswith("*"):
                items.append(step.expr)
            else:
                items.append(step.shape.expression(step.expr))
        wire = Bracket("(", tuple(items), ")", one_tuple=len(items) == 1)
        call = Bracket("return self._execute(", (meta, wire, reply.parser), ")")
        body += _lay(call)
    else:
        out = Lines()
        leading = list(words)
        steps = list(plan.steps)
        while steps and (
            (steps[0].shape.kind == "const" and not steps[0].shape.choices)
            or (not steps[0].optional and steps[0].shape.is_simple_value)
        ):
            step = steps.pop(0)
            if step.shape.kind == "const":
                leading.append(escape_spec_text(step.shape.token or ""))
            else:
                leading.append(step.shape.expression(step.expr))
        head = Bracket("_args: list[ArgT] = [", tuple(leading), "]")
        out.lines += _lay(head)
        for step in steps:
            if step.shape.kind == "const":
                step.shape.emit("", out, ctx)
            elif step.optional and step.shape.kind != "flag":
                out.add(f"if {step.expr} is not None:")
                out.depth += 1
                step.shape.emit(step.expr, out, ctx)
                out.depth -= 1
            else:
                step.shape.emit(step.expr, out, ctx)
        body += _wrap_statements(out.lines)
        for test, variant in zip(dispatch_tests(plan.params, variants), variants, strict=True):
            body.append(f"if {test}:")
            parser = variant.reply.parser
            call = Bracket("return self._execute(", (meta, "tuple(_args)", parser), ")")
            body += _lay(call, 4)
        call = Bracket("return self._execute(", (meta, "tuple(_args)", reply.parser), ")")
        body += _lay(call)
    overloads: list[tuple[str, ...]] = []
    returns = reply.annotation
    if variants:
        for fixed, annotation in overload_overrides(plan.params, variants, reply):
            stub = _signature(name, plan.params, annotation, fixed, True)
            overloads.append(("@overload", *stub))
        returns = union(reply.annotation, *(v.reply.annotation for v in variants))
        if len(returns) > 60:
            # A long union gets a name, so signatures stay on their lines.
            alias = hoist_alias(ctx, returns, "reply")
            returns = f"{alias}[StrT]" if "StrT" in returns else alias
        overloads.append(("@overload", *_signature(name, plan.params, returns, stub=True)))
    docstring = build_docstring(spec, ctx.command, reply, plan)
    return Method(
        name=name,
        overloads=tuple(overloads),
        signature=tuple(_signature(name, plan.params, returns)),
        docstring=tuple(docstring),
        body=tuple(body),
    )


def _plain_elements(shape: Shape) -> bool:
    return (
        shape.element is not None
        and shape.element.is_simple_value
        and shape.element.convert == "{}"
    )


def _wrap_statements(lines: list[str]) -> list[str]:
    """Lay out statements the shapes emitted as single lines when they are too long."""
    result: list[str] = []
    for line in lines:
        indent = len(line) - len(line.lstrip(" "))
        text = line.strip()
        if 8 + indent + len(text) <= 100 or not text.endswith(")") or "(" not in text:
            result.append(line)
            continue
        result += _lay(_split_call(text), indent)
    return result


def _split_call(text: str) -> Bracket | str:
    head, _, rest = text.partition("(")
    inner = rest[:-1]
    parts: list[str] = []
    depth = 0
    current = ""
    quote = ""
    for char in inner:
        if quote:
            current += char
            if char == quote and not current.endswith("\\" + quote):
                quote = ""
            continue
        if char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    items = tuple(
        _split_call(p) if len(p) > 60 and p.endswith(")") and "(" in p else p for p in parts
    )
    return Bracket(head + "(", items, ")")
