"""Docstrings of generated methods, from the spec's summary, history and arguments.

Every piece of spec text passes through ``naming.escape_spec_text`` and is wrapped to fit the
method's indentation; the sections follow the Google style (Args, Returns, Raises).
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from codegen.ir import ReplyType
from codegen.naming import escape_spec_text
from codegen.spec import CommandSpec

if TYPE_CHECKING:
    from codegen.methods import MethodPlan

__all__ = ["build_docstring", "wrap"]

_DOC_WIDTH = 100 - 8


def wrap(text: str, prefix: str = "", first: int = 0) -> list[str]:
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
    lines = wrap(spec.summary or f"Run ``{name}``.", first=3)
    lines.append("")
    if spec.complexity:
        lines += wrap(f"Time complexity: {spec.complexity}")
    origin = f"{spec.module} module" if spec.module else "Redis"
    lines += wrap(f"Available since {origin} {spec.since or 'unknown'}.")
    if spec.acl_categories:
        lines += wrap("ACL categories: " + ", ".join(spec.acl_categories) + ".")
    if spec.deprecated_since:
        replaced = f"; use {spec.replaced_by} instead" if spec.replaced_by else ""
        lines += wrap(f"Deprecated since Redis {spec.deprecated_since}{replaced}.")
    if spec.history:
        lines += ["", "History:"]
        for version, change in spec.history:
            lines += wrap(f"{version}: {change}", "    - ")
    if plan.params:
        lines += ["", "Args:"]
        for param in plan.params:
            lines += wrap(f"{param.name}: {param.doc}", "    ")
    lines += ["", "Returns:"]
    lines += wrap(f"An awaitable of the reply, typed ``{reply.annotation}``.", "    ")
    lines += ["", "Raises:"]
    lines += wrap("TypeError: An argument has the wrong type or a required one is missing.", "    ")
    lines += wrap("ValueError: An argument value or combination is not allowed.", "    ")
    return lines
