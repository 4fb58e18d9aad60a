"""Plan one generated method: its parameters, the steps that send them and the checks.

Rules kept here:
- leading required arguments are positional, options keyword-only; the last required
  ``multiple`` of plain values is ``*args``;
- an optional block named in ``flatten`` is spread into keyword parameters;
- a ``token_default`` oneof (XADD ``*|id``) is one keyword for the value, defaulting to the
  token, so the common call spells nothing;
- a oneof of values is spread into mutually exclusive keywords, with the check that at most
  (or, when required, exactly) one is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.docstrings import describe_parameter
from codegen.ir import Argument, ParamKind
from codegen.naming import PythonIdentifier, escape_spec_text, param_name
from codegen.pyfmt import Bracket, Node, layout
from codegen.shapes import (
    MAPPING_KEYS,
    Shape,
    ShapeContext,
    counts_words,
    hoist_alias,
    is_count,
    shape_of,
)
from codegen.spec import ArgumentSpec, CommandSpec

__all__ = [
    "MethodPlan",
    "Step",
    "early_names",
    "lay",
    "leads",
    "plain_elements",
    "plan_arguments",
]


@dataclass(slots=True)
class Step:
    expr: str
    shape: Shape
    optional: bool
    #: The token of a oneof spread into keywords (COMMAND LIST ``FILTERBY``), sent first.
    lead: str | None = None


@dataclass(slots=True)
class MethodPlan:
    """Parameters, emission steps and checks of one method, before layout."""

    params: list[Argument] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    #: A required oneof is spread into optional keywords: a call giving none is invalid.
    needs_option: bool = False


def leads(step: Step) -> bool:
    """Whether a step may be among a method's leading arguments, which are sent (and their
    numbers tested) before any check runs: a constant token or a required plain value."""
    shape = step.shape
    return (shape.kind == "const" and not shape.choices) or (
        not step.optional and shape.is_simple_value
    )


def early_names(steps: Sequence[Step]) -> frozenset[str]:
    """The parameters of the leading steps: their numbers are converted before the checks."""
    names: set[str] = set()
    for step in steps:
        if not leads(step):
            break
        names.add(step.expr)
    return frozenset(names - {""})


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
            plan.steps.append(Step("", shape, False))
            continue
        name = _unique(param_name(arg.name), taken)
        count = args[index - 1].name if counted else None
        doc = describe_parameter(arg, shape, ctx, arg.name, optional=arg.optional, count=count)
        if arg.optional and arg.name in ctx.variadic and plain_elements(shape) and not counted:
            # An optional trailing list spelled as *args: none given means the option is absent.
            plan.params.append(Argument(name, _element(shape), ParamKind.VARIADIC, None, doc))
            plan.steps.append(Step(f"*{name}", shape, False))
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
                plan.steps.append(Step(f"*{name}", shape, False))
                # Counted or not, the server refuses none ("wrong number of arguments").
                what = escape_spec_text(f"{ctx.command} takes at least one {arg.name}")
                plan.checks += [f"if not {name}:", f"    raise TypeError({what})"]
                continue
            plan.params.append(Argument(name, shape.annotation, ParamKind.POSITIONAL, None, doc))
            plan.steps.append(Step(name, shape, False))
            if shape.kind in ("mapping", "parallel") and not counted:
                # The server refuses an empty one ("wrong number of arguments"): say so first.
                what = escape_spec_text(f"{ctx.command}: {name} must not be empty")
                plan.checks += [f"if not {name}:", f"    raise ValueError({what})"]
                shape.nonempty = False  # tested here, before the fast path and the list
            continue
        if shape.kind == "flag":
            plan.params.append(Argument(name, "bool", ParamKind.KEYWORD, "False", doc))
        elif counted:
            plan.params.append(Argument(name, shape.annotation, ParamKind.KEYWORD, "()", doc))
            plan.steps.append(Step(name, shape, False))
            continue
        else:
            annotation = f"{shape.annotation} | None"
            plan.params.append(Argument(name, annotation, ParamKind.KEYWORD, "None", doc))
        plan.steps.append(Step(name, shape, True))
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
        plan.steps.append(Step(name, shape, True))
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
    plan.steps.append(Step(name, shape, False))


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
        plan.steps.append(Step(name, shape, True, arg.token))
    helper = "_enc.exclusive" if arg.optional else "_enc.exactly_one"
    plan.needs_option = plan.needs_option or not arg.optional
    # Counting what was given is a few comparisons; the helper, which names the offending
    # options, runs only when the count is wrong.
    wrong = "> 1" if arg.optional else "!= 1"
    plan.checks.extend(_count_test(given, wrong))
    items = [escape_spec_text(ctx.command)] + [f"({escape_spec_text(n)}, {n})" for n in names]
    plan.checks.extend(lay(Bracket(f"{helper}(", tuple(items), ")"), 4))


def _count_test(terms: Sequence[str], wrong: str) -> list[str]:
    """Return ``if <sum of terms> <wrong>:`` laid out the way ``ruff format`` keeps it."""
    line = f"if {' + '.join(terms)} {wrong}:"
    if 8 + len(line) <= 100:
        return [line]
    return ["if (", f"    {terms[0]}", *(f"    + {t}" for t in terms[1:]), f") {wrong}:"]


def lay(node: Node, depth: int = 0, suffix: str = "") -> list[str]:
    """Lay out a statement of a method body; bodies sit 8 spaces deep in the class."""
    return [line[8:] for line in layout(node, 8 + depth, suffix)]


def _element(shape: Shape) -> str:
    assert shape.element is not None
    return shape.element.annotation


def plain_elements(shape: Shape) -> bool:
    return shape.element is not None and shape.element.is_plain
