"""Build one generated method: parameters, overloads, docstring and body, as finished lines.

The parameters and the steps that send them are planned in ``codegen.plan``. Rules kept here:
- a simple command's body is one ``return self._execute(...)`` with a tuple literal;
- checks (choices, mutual exclusion, non-empty ``*args``, number types) run before anything
  is sent and raise ``TypeError``/``ValueError`` naming the command and the argument; each
  is an inline test that costs a few comparisons when the call is valid, and the ``_enc``
  helper that words the error runs only when it is not;
- reply variants from the replies file become ``@overload`` stubs (see ``overloads``).
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Final

from codegen.checks import CheckLines
from codegen.docstrings import build_docstring
from codegen.ir import Argument, Method, ParamKind, ReplyType
from codegen.naming import PythonIdentifier, escape_spec_text
from codegen.overloads import Variant, dispatch_tests, overload_overrides, union
from codegen.plan import MethodPlan, Step, lay, leads, plain_elements
from codegen.pyfmt import Bracket, layout, parse_node, wrap_statements
from codegen.shapes import Lines, ShapeContext, hoist_alias
from codegen.spec import CommandSpec

__all__ = ["build_method", "shadowed_names"]


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
    checks: CheckLines | None = None,
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
        checks: Lines refusing the ``checks`` of ``arguments.toml``, before and after the
            fast path.

    Returns:
        The method IR.
    """
    words = tuple(escape_spec_text(w) for w in ctx.command.split(" "))
    checks = checks or CheckLines()
    body: list[str] = []
    # PEP 702: type checkers and IDEs flag the calls (the implementation's marks every
    # overload), and the decorator warns at each one.
    decorator: tuple[str, ...] = ()
    if spec.deprecated_since:
        instead = f"; use {spec.replaced_by}" if spec.replaced_by else ""
        text = f"{ctx.command} is deprecated{instead}"
        literal = escape_spec_text(text)
        # As ruff formats it: on the decorator's line, on a line of its own, or in parts.
        if len(literal) <= 100 - len("    @deprecated()"):
            decorator = (f"@deprecated({literal})",)
        elif len(literal) <= 100 - len("        "):
            decorator = ("@deprecated(", f"    {literal}", ")")
        else:
            chunks = textwrap.wrap(text, 80, drop_whitespace=False)
            decorator = ("@deprecated(", *(f"    {escape_spec_text(c)}" for c in chunks), ")")
    simple = not variants and all(
        (s.shape.kind == "const" and not s.shape.choices)
        or (not s.optional and s.shape.is_simple_value)
        or (s.expr.startswith("*") and not s.shape.counted and plain_elements(s.shape))
        for s in plan.steps
    )
    guards = Lines()
    plain: tuple[str, ...] | None = None
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
        body += checks.before + checks.after
        wire = Bracket("(", tuple(items), ")", one_tuple=len(items) == 1)
        call = Bracket("return self._execute(", (meta, wire, reply.parser), ")")
        if not body and not decorator:
            plain = _plain(plan, items[len(words) :], reply.parser)
        body += lay(call)
    else:
        out = Lines()
        leading = list(words)
        steps = list(plan.steps)
        while steps and leads(steps[0]):
            step = steps.pop(0)
            if step.shape.kind == "const":
                leading.append(escape_spec_text(step.shape.token or ""))
            else:
                leading.append(step.shape.checked(step.expr, guards, ctx))
        body += wrap_statements(guards.lines)
        body += checks.before
        optional = all(s.optional and s.shape.kind != "const" for s in steps)
        fast = bool(steps) and optional and not plan.needs_option
        if fast:
            body += _fast_path(steps, leading, meta, reply.parser)
        # Past the fast path a lone option is given: testing it again is dead code.
        given = fast and len(steps) == 1
        body += plan.checks
        body += checks.after
        head = Bracket("_args: list[ArgT] = [", tuple(leading), "]")
        out.lines += lay(head)
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
            body += lay(call, 4)
        call = Bracket("return self._execute(", (meta, "tuple(_args)", parser), ")")
        body += lay(call)
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
        signature=(*decorator, *_signature(name, plan.params, returns)),
        docstring=tuple(docstring),
        body=tuple(body),
        plain=plain,
    )


def _plain(plan: MethodPlan, sent: Sequence[str], parser: str) -> tuple[str, ...] | None:
    """The parameters of a method that sends each as given, after the words (``Method.plain``).

    Every parameter is positional and required, and is sent as is, in order; the parser is
    None or a named function (not one built from the call's values).
    """
    names = [p.name for p in plan.params]
    if any(p.kind is not ParamKind.POSITIONAL or p.default is not None for p in plan.params):
        return None
    if list(sent) != names or not _NAMED_PARSER.fullmatch(parser):
        return None
    return tuple(names)


# None, a builtin, or a function of the reply parsers module.
_NAMED_PARSER: Final = re.compile(r"None|[a-z]+|_rp\.[A-Za-z_][A-Za-z0-9_]*")


def _fast_path(steps: Sequence[Step], leading: list[str], meta: str, parser: str) -> list[str]:
    """Return the early return of a call that gives none of its options.

    It sends the leading arguments as a tuple literal and skips the option checks and the list
    building; the default reply type is the one of a call without options.
    """
    tests = [f"not {s.expr}" if s.shape.kind == "flag" else f"{s.expr} is None" for s in steps]
    line = f"if {' and '.join(tests)}:"
    lines = [line] if 8 + len(line) <= 100 else ["if (", *_and_chain(tests), "):"]
    items = tuple(parse_node(item) for item in leading)
    wire = Bracket("(", items, ")", one_tuple=len(leading) == 1)
    return lines + lay(Bracket("return self._execute(", (meta, wire, parser), ")"), 4)


def _and_chain(tests: Sequence[str]) -> list[str]:
    return [f"    {tests[0]}", *(f"    and {t}" for t in tests[1:])]


def shadowed_names(method: Method, params: Collection[str]) -> list[str]:
    """Return the parameters whose name the body also uses for a builtin.

    A body never calls, annotates with or compares a class against a parameter, so a
    parameter name met in those places stands for the builtin it hides (``len`` of a counted
    list in a method with a ``len`` parameter): the body would reach the user's value.
    """
    tree = ast.parse("def _():\n" + textwrap.indent("\n".join(method.body), "    "))
    found: set[str] = set()
    for node in ast.walk(tree):
        roles: list[ast.expr] = []
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            roles.append(node.func)
            if node.func.id == "isinstance":
                roles += node.args[1:]
        elif isinstance(node, ast.AnnAssign):
            roles += [n for n in ast.walk(node.annotation) if isinstance(n, ast.Name)]
        elif isinstance(node, ast.Compare) and all(
            isinstance(op, ast.Is | ast.IsNot) for op in node.ops
        ):
            roles += node.comparators
        for role in roles:
            if isinstance(role, ast.Name):
                found.add(role.id)
            elif isinstance(role, ast.Tuple | ast.BinOp):
                found.update(n.id for n in ast.walk(role) if isinstance(n, ast.Name))
    return sorted(found & set(params))
