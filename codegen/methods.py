"""Build one generated method: parameters, overloads, docstring and body, as finished lines.

Rules kept here:
- leading required arguments are positional, options keyword-only; the last required
  ``multiple`` of plain values is ``*args``;
- a simple command's body is one ``return self._execute(...)`` with a tuple literal;
- checks (choices, mutual exclusion, non-empty ``*args``, number types) run before anything
  is sent and raise ``TypeError``/``ValueError`` naming the command and the argument; each
  is an inline test that costs a few comparisons when the call is valid, and the ``_enc``
  helper that words the error runs only when it is not;
- a ``token_default`` oneof (XADD ``*|id``) is one keyword for the value, defaulting to the
  token, so the common call spells nothing;
- reply variants from the replies file become ``@overload`` stubs (see ``overloads``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from codegen.docstrings import build_docstring, describe_parameter
from codegen.ir import Argument, Method, ParamKind, ReplyType
from codegen.naming import PythonIdentifier, escape_spec_text, param_name
from codegen.overloads import Variant, dispatch_tests, overload_overrides, union
from codegen.pyfmt import Bracket, layout, parse_node, wrap_statements
from codegen.shapes import (
    MAPPING_KEYS,
    Lines,
    Shape,
    ShapeContext,
    counts_words,
    hoist_alias,
    is_count,
    shape_of,
)
from codegen.spec import ArgumentSpec, CommandSpec

__all__ = ["MethodPlan", "build_method", "plan_arguments"]


@dataclass(slots=True)
class _Step:
    expr: str
    shape: Shape
    optional: bool
    #: The token of a oneof spread into keywords (COMMAND LIST ``FILTERBY``), sent first.
    lead: str | None = None


@dataclass(slots=True)
class MethodPlan:
    """Parameters, emission steps and checks of one method, before layout."""

    params: list[Argument] = field(default_factory=list)
    steps: list[_Step] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    #: A required oneof is spread into optional keywords: a call giving none is invalid.
    needs_option: bool = False


def _unique(name: PythonIdentifier, taken: set[str]) -> PythonIdentifier:
    while name in taken:
        name = PythonIdentifier(name + "_")
    taken.add(name)
    return name


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
        if arg.name in ctx.token_default:
            _plan_token_default(arg, plan, taken, ctx)
            continue
        if arg.type == "oneof" and not arg.multiple and _has_values(arg):
            _plan_alternatives(arg, plan, taken, ctx)
            continue
        if arg.type == "block" and arg.optional and arg.name in ctx.flatten:
            _plan_flattened(arg, plan, taken, ctx)
            continue
        shape = shape_of(arg, ctx, arg.name, top=True)
        shape.counted = counted
        shape.count_words = counted and counts_words(args[index - 1])
        if shape.kind == "const":
            plan.steps.append(_Step("", shape, False))
            continue
        name = _unique(param_name(arg.name), taken)
        count = args[index - 1].name if counted else None
        doc = describe_parameter(arg, shape, ctx, arg.name, optional=arg.optional, count=count)
        if arg.optional and arg.name in ctx.variadic and _plain_elements(shape) and not counted:
            # An optional trailing list spelled as *args: none given means the option is absent.
            plan.params.append(Argument(name, _element(shape), ParamKind.VARIADIC, None, doc))
            plan.steps.append(_Step(f"*{name}", shape, False))
            continue
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
    # An alias holding a type variable is generic and must be subscripted where it is used.
    variables = [v for v in MAPPING_KEYS.values() if v in bare]
    if variables:
        alias += f"[{', '.join(variables)}]"
    annotation = alias + param.annotation[len(bare) :]
    return Argument(param.name, annotation, param.kind, param.default, param.doc)


def _has_values(arg: ArgumentSpec) -> bool:
    return any(a.type != "pure-token" or a.multiple for a in arg.arguments)


def _plan_flattened(
    arg: ArgumentSpec, plan: MethodPlan, taken: set[str], ctx: ShapeContext
) -> None:
    """Spread an optional block into keywords; later parts need the first one."""
    first: PythonIdentifier | None = None
    absent = ""
    for part in arg.arguments:
        path = f"{arg.name}/{part.name}"
        shape = shape_of(part, ctx, path)
        name = _unique(param_name(part.name), taken)
        if shape.kind in ("const", "flag"):
            shape.kind = "flag"
        needs = (f"Needs ``{first}``.",) if first is not None else ()
        doc = describe_parameter(part, shape, ctx, path, optional=True, parent=arg, notes=needs)
        if shape.kind == "flag":
            plan.params.append(Argument(name, "bool", ParamKind.KEYWORD, "False", doc))
            given: str = name
        else:
            annotation = f"{shape.annotation} | None"
            plan.params.append(Argument(name, annotation, ParamKind.KEYWORD, "None", doc))
            given = f"{name} is not None"
        plan.steps.append(_Step(name, shape, True))
        if first is None:
            first = name
            absent = f"not {name}" if shape.kind == "flag" else f"{name} is None"
            continue
        what = escape_spec_text(f"{ctx.command}: {name} needs {first}")
        plan.checks += [f"if {given} and {absent}:", f"    raise TypeError({what})"]


def _plan_token_default(
    arg: ArgumentSpec, plan: MethodPlan, taken: set[str], ctx: ShapeContext
) -> None:
    """One keyword for the value of a required token-or-value oneof, defaulting to the token."""
    tokens = [a for a in arg.arguments if a.type == "pure-token" and a.token is not None]
    values = [a for a in arg.arguments if a.type not in ("pure-token", "block", "oneof")]
    if arg.optional or arg.multiple or len(tokens) != 1 or len(values) != 1:
        ctx.diagnostics.error(
            ctx.command,
            f"arguments.toml: token_default {arg.name!r} is not a required oneof of one token"
            " and one value",
        )
        return
    token, value = tokens[0], values[0]
    path = f"{arg.name}/{value.name}"
    shape = shape_of(value, ctx, path)
    name = _unique(param_name(value.name), taken)
    default = escape_spec_text(token.token or "")
    note = f"Defaults to ``{token.token}`` ({token.name}), which is sent when it is not given."
    doc = describe_parameter(value, shape, ctx, path, optional=False, parent=arg, notes=(note,))
    plan.params.append(Argument(name, shape.annotation, ParamKind.KEYWORD, default, doc))
    plan.steps.append(_Step(name, shape, False))


def _plan_alternatives(
    arg: ArgumentSpec, plan: MethodPlan, taken: set[str], ctx: ShapeContext
) -> None:
    names: list[PythonIdentifier] = []
    given: list[str] = []
    rule = "at most one may" if arg.optional else "exactly one must"
    notes = (f"One of the ``{arg.name}`` options: {rule} be given.",)
    for alt in arg.arguments:
        path = f"{arg.name}/{alt.name}"
        shape = shape_of(alt, ctx, path)
        name = _unique(param_name(alt.name), taken)
        names.append(name)
        if shape.kind in ("const", "flag"):
            shape.kind = "flag"
        doc = describe_parameter(alt, shape, ctx, path, optional=True, parent=arg, notes=notes)
        if shape.kind == "flag":
            plan.params.append(Argument(name, "bool", ParamKind.KEYWORD, "False", doc))
            given.append(f"({name} is not False)")
        else:
            annotation = f"{shape.annotation} | None"
            plan.params.append(Argument(name, annotation, ParamKind.KEYWORD, "None", doc))
            given.append(f"({name} is not None)")
        plan.steps.append(_Step(name, shape, True, arg.token))
    helper = "_enc.exclusive" if arg.optional else "_enc.exactly_one"
    plan.needs_option = plan.needs_option or not arg.optional
    # Counting what was given is a few comparisons; the helper, which names the offending
    # options, runs only when the count is wrong.
    wrong = "> 1" if arg.optional else "!= 1"
    plan.checks.extend(_count_test(given, wrong))
    items = [escape_spec_text(ctx.command)] + [f"({escape_spec_text(n)}, {n})" for n in names]
    plan.checks.extend(_lay(Bracket(f"{helper}(", tuple(items), ")"), 4))


def _count_test(terms: Sequence[str], wrong: str) -> list[str]:
    """Return ``if <sum of terms> <wrong>:`` laid out the way ``ruff format`` keeps it."""
    line = f"if {' + '.join(terms)} {wrong}:"
    if 8 + len(line) <= 100:
        return [line]
    return ["if (", f"    {terms[0]}", *(f"    + {t}" for t in terms[1:]), f") {wrong}:"]


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
    simple = not variants and all(
        (s.shape.kind == "const" and not s.shape.choices)
        or (not s.optional and s.shape.is_simple_value)
        or (s.expr.startswith("*") and not s.shape.counted and _plain_elements(s.shape))
        for s in plan.steps
    )
    guards = Lines()
    if simple:
        body += plan.checks
        items = list(words)
        for step in plan.steps:
            if step.shape.kind == "const":
                items.append(escape_spec_text(step.shape.token or ""))
            elif step.expr.startswith("*"):
                items.append(step.expr)
            else:
                items.append(step.shape.checked(step.expr, guards, ctx))
        body += wrap_statements(guards.lines)
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
                leading.append(step.shape.checked(step.expr, guards, ctx))
        body += wrap_statements(guards.lines)
        optional = all(s.optional and s.shape.kind != "const" for s in steps)
        fast = bool(steps) and optional and not plan.needs_option
        if fast:
            body += _fast_path(steps, leading, meta, reply.parser)
        # Past the fast path a lone option is given: testing it again is dead code.
        given = fast and len(steps) == 1
        body += plan.checks
        head = Bracket("_args: list[ArgT] = [", tuple(leading), "]")
        out.lines += _lay(head)
        for step in steps:
            if step.shape.kind == "const":
                step.shape.emit("", out, ctx)
            elif step.lead is not None:
                flag = step.shape.kind == "flag"
                if not given:
                    out.add(f"if {step.expr}:" if flag else f"if {step.expr} is not None:")
                    out.depth += 1
                out.add(f"_args.append({escape_spec_text(step.lead)})")
                shape = replace(step.shape, kind="const") if flag else step.shape
                shape.emit(step.expr, out, ctx)
                out.depth -= not given
            elif step.optional and step.shape.kind != "flag":
                if not given:
                    out.add(f"if {step.expr} is not None:")
                    out.depth += 1
                step.shape.emit(step.expr, out, ctx)
                out.depth -= not given
            else:
                step.shape.emit(step.expr, out, ctx)
        body += wrap_statements(out.lines)
        parser = reply.parser
        for test, variant in zip(dispatch_tests(plan.params, variants), variants, strict=True):
            if given:
                # The lone option is given, so its variant is the reply: no test, no fallback.
                parser = variant.reply.parser
                continue
            body.append(f"if {test}:")
            call = Bracket(
                "return self._execute(", (meta, "tuple(_args)", variant.reply.parser), ")"
            )
            body += _lay(call, 4)
        call = Bracket("return self._execute(", (meta, "tuple(_args)", parser), ")")
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
    docstring = build_docstring(spec, ctx.command, reply, plan, variants)
    return Method(
        name=name,
        overloads=tuple(overloads),
        signature=tuple(_signature(name, plan.params, returns)),
        docstring=tuple(docstring),
        body=tuple(body),
    )


def _fast_path(steps: Sequence[_Step], leading: list[str], meta: str, parser: str) -> list[str]:
    """Return the early return of a call that gives none of its options.

    It sends the leading arguments as a tuple literal and skips the option checks and the list
    building; the default reply type is the one of a call without options.
    """
    tests = [f"not {s.expr}" if s.shape.kind == "flag" else f"{s.expr} is None" for s in steps]
    line = f"if {' and '.join(tests)}:"
    lines = [line] if 8 + len(line) <= 100 else ["if (", *_and_chain(tests), "):"]
    items = tuple(parse_node(item) for item in leading)
    wire = Bracket("(", items, ")", one_tuple=len(leading) == 1)
    return lines + _lay(Bracket("return self._execute(", (meta, wire, parser), ")"), 4)


def _and_chain(tests: Sequence[str]) -> list[str]:
    return [f"    {tests[0]}", *(f"    and {t}" for t in tests[1:])]


def _element(shape: Shape) -> str:
    assert shape.element is not None
    return shape.element.annotation


def _plain_elements(shape: Shape) -> bool:
    return shape.element is not None and shape.element.is_plain
