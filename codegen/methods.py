"""Build one generated method: parameters, overloads, docstring and body, as finished lines.

Rules kept here:
- leading required arguments are positional, options keyword-only; the last required
  ``multiple`` of plain values is ``*args``;
- a simple command's body is one ``return self._execute(...)`` with a tuple literal;
- checks (choices, mutual exclusion, non-empty ``*args``) run before anything is sent and
  raise ``TypeError``/``ValueError`` naming the command and the argument;
- reply variants from the replies file become ``@overload`` stubs keyed on one option.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

from codegen.ir import Argument, Method, ParamKind, ReplyType
from codegen.naming import PythonIdentifier, escape_spec_text, param_name
from codegen.pyfmt import Bracket, layout
from codegen.shapes import Lines, Shape, ShapeContext, hoist_alias, is_count, shape_of
from codegen.spec import ArgumentSpec, CommandSpec

__all__ = ["MethodPlan", "build_method", "plan_arguments"]

_DOC_WIDTH = 100 - 8


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


def _union(*annotations: str) -> str:
    parts: list[str] = []
    for annotation in annotations:
        for part in annotation.split(" | "):
            if part not in parts:
                parts.append(part)
    none_last = [p for p in parts if p != "None"] + (["None"] if "None" in parts else [])
    return " | ".join(none_last)


def _wrap(text: str, prefix: str = "", first: int = 0) -> list[str]:
    escaped = escape_spec_text(text, in_docstring=True)
    indent = " " * len(prefix)
    return textwrap.wrap(
        escaped,
        width=_DOC_WIDTH - first,
        initial_indent=prefix,
        subsequent_indent=indent + "    " if prefix else "",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [prefix.rstrip()]


def build_docstring(spec: CommandSpec, name: str, reply: ReplyType, plan: MethodPlan) -> list[str]:
    """Return the docstring lines (without indentation or quotes) for a command's method."""
    # The first paragraph shares its first line with the opening quotes.
    lines = _wrap(spec.summary or f"Run ``{name}``.", first=3)
    lines.append("")
    if spec.complexity:
        lines += _wrap(f"Time complexity: {spec.complexity}")
    origin = f"{spec.module} module" if spec.module else "Redis"
    lines += _wrap(f"Available since {origin} {spec.since or 'unknown'}.")
    if spec.acl_categories:
        lines += _wrap("ACL categories: " + ", ".join(spec.acl_categories) + ".")
    if spec.deprecated_since:
        replaced = f"; use {spec.replaced_by} instead" if spec.replaced_by else ""
        lines += _wrap(f"Deprecated since Redis {spec.deprecated_since}{replaced}.")
    if spec.history:
        lines += ["", "History:"]
        for version, change in spec.history:
            lines += _wrap(f"{version}: {change}", "    - ")
    if plan.params:
        lines += ["", "Args:"]
        for param in plan.params:
            lines += _wrap(f"{param.name}: {param.doc}", "    ")
    lines += ["", "Returns:"]
    lines += _wrap(f"An awaitable of the reply, typed ``{reply.annotation}``.", "    ")
    lines += ["", "Raises:"]
    lines += _wrap(
        "TypeError: An argument has the wrong type or a required one is missing.", "    "
    )
    lines += _wrap("ValueError: An argument value or combination is not allowed.", "    ")
    return lines


def _signature(
    name: str,
    params: list[Argument],
    returns: str,
    override: tuple[str, str, str] | None = None,
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
        if override is not None and param.name == override[0]:
            ann, default = override[1], override[2]
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
    variants: dict[str, ReplyType],
    meta: str,
) -> Method:
    """Lay out the method for one command.

    Args:
        name: The method name.
        spec: The command entry.
        ctx: Per-command state.
        plan: The argument plan from ``plan_arguments``.
        reply: The default reply type.
        variants: Python parameter name -> reply type when that option is given.
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
    variant = next(iter(variants.items()), None)
    simple = variant is None and all(
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
        if variant is not None:
            key, alt = variant
            test = key if _param(plan, key).annotation == "bool" else f"{key} is not None"
            body.append(f"if {test}:")
            call = Bracket("return self._execute(", (meta, "tuple(_args)", alt.parser), ")")
            body += _lay(call, 4)
        call = Bracket("return self._execute(", (meta, "tuple(_args)", reply.parser), ")")
        body += _lay(call)
    overloads: list[tuple[str, ...]] = []
    returns = reply.annotation
    if variant is not None:
        key, alt = variant
        param = _param(plan, key)
        if param.annotation == "bool":
            chosen, other = ("Literal[True]", ""), ("Literal[False]", "False")
        else:
            bare = param.annotation.removesuffix(" | None")
            chosen, other = (bare, ""), ("None", "None")
        overloads.append(
            ("@overload", *_signature(name, plan.params, alt.annotation, (key, *chosen), True))
        )
        overloads.append(
            ("@overload", *_signature(name, plan.params, reply.annotation, (key, *other), True))
        )
        returns = _union(reply.annotation, alt.annotation)
    docstring = build_docstring(spec, ctx.command, reply, plan)
    return Method(
        name=name,
        overloads=tuple(overloads),
        signature=tuple(_signature(name, plan.params, returns)),
        docstring=tuple(docstring),
        body=tuple(body),
    )


def _param(plan: MethodPlan, name: str) -> Argument:
    return next(p for p in plan.params if p.name == name)


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
