"""Docstrings of generated methods, from the spec's summary, history and arguments.

Every piece of spec text passes through ``naming.escape_spec_text`` and is wrapped to fit the
method's indentation; the sections follow the Google style (Args, Returns, Raises).

A parameter is described from its spec argument and the shape it took, never by hand per
command: its Redis syntax (``EX seconds``), its type (after ``numbers`` hints), the version
that added it, how the Python value reaches the wire (``sent as EX <seconds>``, a flag's
token, each item of a collection) and whether it is deprecated. ``Returns`` names the reply in
words and, for commands with reply variants, what each combination of options returns.
"""

from __future__ import annotations

import itertools
import re
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from codegen.ir import ReplyType
from codegen.naming import escape_spec_text
from codegen.shapes import Shape, ShapeContext, is_count, is_token
from codegen.spec import ArgumentSpec, CommandSpec

if TYPE_CHECKING:
    from codegen.overloads import Variant
    from codegen.plan import MethodPlan

__all__ = ["build_docstring", "describe_parameter", "wrap"]

_DOC_WIDTH = 100 - 8
#: An inline literal (````EX <seconds>````) up to this long is never split across lines.
_MAX_UNBROKEN = 48
_LITERAL = re.compile(r"``[^`]+``")
# Stands for a space inside a literal while wrapping; escaped text never holds a NUL.
_GLUE = "\x00"
#: Nesting below this depth is shown by name only, so a syntax stays readable.
_SYNTAX_DEPTH = 2
#: A documented syntax longer than this is shown one level shallower.
_MAX_SYNTAX = 64
#: A block or oneof with more parts than this lists only the first names, and counts the rest.
_MAX_LISTED_PARTS = 6


def _keep_together(match: re.Match[str]) -> str:
    span = match.group(0)
    return span.replace(" ", _GLUE) if len(span) <= _MAX_UNBROKEN else span


def wrap(text: str, prefix: str = "", first: int = 0) -> list[str]:
    """Escape ``text`` for a docstring and wrap it; short literals stay on one line.

    Args:
        text: Plain text, spec text included.
        prefix: Put before the first line (``"    "`` for a section entry); later lines are
            indented four more.
        first: Characters already taken on the first line (the opening quotes).

    Returns:
        The lines.
    """
    escaped = escape_spec_text(text, in_docstring=True)
    glued = _LITERAL.sub(_keep_together, escaped)
    indent = " " * len(prefix)
    lines = textwrap.wrap(
        glued,
        width=_DOC_WIDTH - first,
        initial_indent=prefix,
        subsequent_indent=indent + "    " if prefix else "",
        break_long_words=False,
        break_on_hyphens=False,
    ) or [prefix.rstrip()]
    return [line.replace(_GLUE, " ") for line in lines]


def _display(arg: ArgumentSpec) -> str:
    return arg.display_text or arg.name


def _token(text: str | None) -> str:
    # MIGRATE's key selector has an empty token: it sends an empty string.
    return text or '""'


def _documented(arg: ArgumentSpec) -> str:
    """Return the argument as Redis documents it (``EX seconds``), shallower when it is long."""
    text = _syntax(arg, wire=False, limit=_SYNTAX_DEPTH)
    for limit in range(_SYNTAX_DEPTH - 1, -1, -1):
        if len(text) <= _MAX_SYNTAX:
            break
        text = _syntax(arg, wire=False, limit=limit)
    return text


def _syntax(arg: ArgumentSpec, wire: bool, depth: int = 0, limit: int = _SYNTAX_DEPTH) -> str:
    """Return the argument as documented (``EX seconds``) or as sent (``EX <seconds>``).

    On the wire a oneof is one chosen value (``<unit>``); in the documented form its
    alternatives are listed (``<M | KM>``) down to ``limit`` levels.
    """
    token = None if is_token(arg) else arg.token
    if is_token(arg):
        core = _token(arg.token)
    elif arg.type == "block" and (wire or depth < limit):
        core = " ".join(_nested(c, wire, depth + 1, limit) for c in arg.arguments)
    elif arg.type == "oneof" and not wire and depth < limit:
        core = " | ".join(_nested(c, wire, depth + 1, limit) for c in arg.arguments)
        if token or arg.multiple:
            core = f"<{core}>"
    else:
        plain = not wire and arg.type not in ("block", "oneof")
        core = _display(arg) if plain else f"<{_display(arg)}>"
    if not arg.multiple:
        return f"{token} {core}" if token else core
    if arg.multiple_token and token:
        return f"{token} {core} [{token} {core} ...]"
    return (f"{token} " if token else "") + f"{core} [{core} ...]"


def _nested(child: ArgumentSpec, wire: bool, depth: int, limit: int) -> str:
    text = _syntax(child, wire, depth, limit)
    if child.optional:
        return f"[{text}]"
    bare_oneof = child.type == "oneof" and not child.token and not child.multiple
    if bare_oneof and not wire and depth < limit and not is_token(child):
        return f"<{text}>"
    return text


def _type_of(arg: ArgumentSpec, ctx: ShapeContext, path: str) -> str:
    """Return the argument's type in words, after the ``numbers`` hints."""
    if is_token(arg):
        return "pure token"
    hint = ctx.numbers.get(path)
    if arg.type in ("integer", "double") and hint in ("double", "text"):
        return "double" if hint == "double" else f"{arg.type} or string"
    if arg.type not in ("block", "oneof"):
        return arg.type
    children = arg.arguments
    if arg.type == "oneof" and all(is_token(c) for c in children):
        return "oneof of pure tokens"
    if len(children) > _MAX_LISTED_PARTS:
        names = ", ".join(f"``{_display(c)}``" for c in children[:_MAX_LISTED_PARTS])
        more = len(children) - _MAX_LISTED_PARTS
        return f"{arg.type} of {names} and {more} more"
    parts = []
    for child in children:
        if is_token(child):
            word = f"token ``{_token(child.token)}``"
        elif child.type in ("block", "oneof"):
            word = f"{child.type} ``{_display(child)}``"
        else:
            word = f"{_type_of(child, ctx, f'{path}/{child.name}')} ``{_display(child)}``"
        parts.append(("optional " if child.optional else "") + word)
    return f"{arg.type} of {', '.join(parts)}"


def _element_wire(arg: ArgumentSpec) -> str:
    """One item of a ``multiple`` argument as sent (with its token when each item repeats it)."""
    token = arg.token if arg.multiple_token else None
    return _syntax(arg.model_copy(update={"multiple": False, "token": token}), wire=True)


def _how(arg: ArgumentSpec, shape: Shape, lead: str | None) -> str:
    """Return how the Python value reaches the wire, as a clause (empty for a plain value)."""
    first = f"{lead} " if lead else ""
    kind = shape.kind
    if kind == "choice":
        after = f" after ``{first}{shape.token}``" if shape.token else ""
        return f"sends the chosen token{after}"
    if kind == "scalar":
        text = f"sent as ``{first}{_syntax(arg, wire=True)}``" if arg.token or lead else ""
        return "; ".join(t for t in (text, shape.note) if t)
    if kind in ("tuple", "dataclass"):
        fields = [str(n) for n, s, _ in shape.parts if s.kind != "const"]
        if kind == "dataclass":
            what = f"a ``{shape.annotation}``, "
        else:
            what = f"a tuple ``({', '.join(fields)})``, " if len(fields) > 1 else ""
        children = arg.arguments
        counts = [
            f"; ``{c.name}`` is computed"
            for c, after in itertools.pairwise(children)
            if is_count(c, after)
        ]
        return f"{what}sent as ``{first}{_syntax(arg, wire=True)}``" + "".join(counts)
    if kind in ("mapping", "parallel"):
        names = [str(p[0]) for p in shape.parts] or [_display(c) for c in arg.arguments]
        what = f"a mapping of ``{names[0]}`` to ``{names[1]}``"
        if kind == "parallel":
            key, value = (_display(c) for c in arg.arguments)
            token = f"{arg.token} " if arg.token else ""
            return f"{what}, sent as ``{first}{token}<{key}> ... <{value}> ...``"
        key_first = _element_wire(arg.model_copy(update={"token": None}))
        return f"{what}; each item is sent as ``{key_first}``"
    if kind == "raw":
        return "passed through verbatim, each part as given"
    if kind == "union":
        return f"{_variants(shape)}, sent as its own token and parts"
    element = shape.element
    if element is not None and element.kind == "raw":
        return "each item's parts are sent in order, as given"
    if element is not None and element.kind == "union":
        return f"each item is {_variants(element)}, sent as its own token and parts"
    item = _element_wire(arg)
    if arg.token and not arg.multiple_token:
        return f"sent as ``{first}{arg.token} {item} [{item} ...]``"
    if element is not None and element.kind == "tuple" and len(element.parts) > 1:
        parts = ", ".join(str(n) for n, s, _ in element.parts if s.kind != "const")
        return f"each item is a tuple ``({parts})`` sent as ``{item}``"
    return f"each item is sent as ``{item}``"


def _variants(shape: Shape) -> str:
    """``one of A, B or C`` (and the union's name): the dataclasses a union takes."""
    names = [f"``{v.annotation}``" for v in shape.variants]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    named = f" (``{shape.annotation}``)" if len(names) > 1 else ""
    return f"one of {listed}{named}"


def describe_parameter(
    arg: ArgumentSpec,
    shape: Shape,
    ctx: ShapeContext,
    path: str,
    *,
    optional: bool,
    parent: ArgumentSpec | None = None,
    count: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """Describe the Python parameter that stands for one spec argument.

    Args:
        arg: The spec argument.
        shape: The shape it took.
        ctx: Per-command state (``numbers`` hints).
        path: The argument path from the command (``expiration/seconds``).
        optional: Whether a call may leave it out.
        parent: The oneof or block it was spread from (its token leads, its version applies).
        count: The name of the count sent before it, which the method computes.
        notes: Sentences that say how the parameter relates to others.

    Returns:
        Plain text; ``wrap`` escapes it.
    """
    since = arg.since or (parent.since if parent else None)
    deprecated = arg.deprecated_since or (parent.deprecated_since if parent else None)
    lead = parent.token if parent is not None and parent.type == "oneof" else None
    kind = _type_of(arg, ctx, path) + (f", since Redis {since}" if since else "")
    syntax = f"{lead} {_documented(arg)}" if lead else _documented(arg)
    sentences = [f"``{syntax}`` ({kind})."]
    if arg.summary:
        sentences.insert(0, arg.summary.rstrip(".") + ".")
    if shape.kind == "flag":
        words = " ".join(_token(w) for w in shape.choices or (shape.token,))
        how = f"Flag: sends ``{lead + ' ' if lead else ''}{words}`` when true"
    else:
        how = _how(arg, shape, lead)
        if count is not None:
            how += f"; their count ``{count}`` is computed and sent first"
        if optional:
            how = "Optional" + (f"; {how}" if how else "")
        elif arg.multiple and shape.kind not in ("mapping", "parallel"):
            how = "One or more" + (f"; {how}" if how else "")
    if how:
        sentences.append(how[0].upper() + how[1:] + ".")
    sentences += notes
    if deprecated:
        sentences.append(f"Deprecated since Redis {deprecated}.")
    return " ".join(sentences)


def _article(text: str) -> str:
    if text.startswith("``True``"):
        return text
    first = text.lstrip("`(")[:1].lower()
    return ("an " if first in "aeiou" else "a ") + text


def _said(reply: ReplyType) -> str:
    what = _article(reply.description) if reply.description else "the reply"
    return f"{what}, typed ``{reply.annotation}``."


def _returns(plan: MethodPlan, reply: ReplyType, variants: Sequence[Variant]) -> list[str]:
    """Return the Returns entries: one per reply variant (most options first), then the rest."""
    if not variants:
        return wrap(f"An awaitable of {_said(reply)}", "    ")
    flags = {p.name for p in plan.params if p.annotation == "bool"}
    lines = wrap("An awaitable of the reply, which depends on the options given:", "    ")
    for variant in variants:
        given = [f"``{n}=True``" if n in flags else f"``{n}`` given" for n in variant.given]
        lines += wrap(f"With {' and '.join(given)}: {_said(variant.reply)}", "    ")
    lines += wrap(f"Otherwise: {_said(reply)}", "    ")
    return lines


def build_docstring(
    spec: CommandSpec,
    name: str,
    reply: ReplyType,
    plan: MethodPlan,
    variants: Sequence[Variant] = (),
) -> list[str]:
    """Return the docstring lines (without indentation or quotes) for a command's method."""
    # The first paragraph shares its first line with the opening quotes.
    lines = wrap(spec.summary or f"Run ``{name}``.", first=3)
    lines.append("")
    if spec.complexity:
        lines += wrap(f"Time complexity: {spec.complexity}")
    origin = f"{spec.module} module" if spec.module else "Redis"
    if spec.since:
        lines += wrap(f"Available since {origin} {spec.since}.")
    if spec.acl_categories:
        lines += wrap("ACL categories: " + ", ".join(spec.acl_categories) + ".")
    if spec.deprecated_since:
        replaced = f"; use {spec.replaced_by} instead" if spec.replaced_by else ""
        lines += wrap(f"Deprecated since {origin} {spec.deprecated_since}{replaced}.")
    if spec.history:
        lines += ["", "History:"]
        for version, change in spec.history:
            lines += wrap(f"{version}: {change}", "    - ")
    if plan.params:
        lines += ["", "Args:"]
        for param in plan.params:
            lines += wrap(f"{param.name}: {param.doc}", "    ")
    lines += ["", "Returns:"]
    lines += _returns(plan, reply, variants)
    lines += ["", "Raises:"]
    lines += wrap("TypeError: An argument has the wrong type or a required one is missing.", "    ")
    lines += wrap("ValueError: An argument value or combination is not allowed.", "    ")
    return lines
