"""What a deprecated command's docstring and DeprecationWarning tell the user to call instead.

The spec's ``replaced_by`` is Redis documentation text ("`SET` with the `!GET` argument",
where ``!`` marks an argument rather than a command). It is rewritten in the Python the user
writes: the replacement's method, and each argument the text names as the keyword that sends
it (``set(..., get=True)``, ``set(..., seconds=...)``, ``set(..., condition='NX')``). A text
naming an argument that maps to no single keyword keeps its words, without the markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from codegen.naming import param_name
from codegen.spec import ArgumentSpec, SpecTable

__all__ = ["replacement"]

_MARKED = re.compile(r"`!?([^`]+)`")
_WITH_ARGUMENTS = re.compile(r"^`([^`!]+)` with the ((?:`[^`]+`(?:,? and |, )?)+) arguments?$")


def _keyword(args: Sequence[ArgumentSpec], token: str) -> str | None:
    """The keyword that sends ``token``, when exactly one top-level argument does."""
    found: list[str] = []
    for arg in args:
        if arg.type == "pure-token" and arg.token == token:
            found.append(f"{param_name(arg.name)}=True")
        elif arg.type == "oneof":
            tokens = [a for a in arg.arguments if a.token == token]
            if all(a.type == "pure-token" for a in arg.arguments):
                found += [f"{param_name(arg.name)}={token!r}" for _ in tokens]
            else:
                found += [f"{param_name(a.name)}=..." for a in tokens if a.type != "pure-token"]
        elif arg.token == token and arg.type not in ("block", "oneof"):
            found.append(f"{param_name(arg.name)}=...")
    return found[0] if len(found) == 1 else None


def replacement(text: str, table: SpecTable, method_of: Callable[[str], str | None]) -> str:
    """Return ``replaced_by`` as the Python to write instead.

    Args:
        text: The spec's ``replaced_by``.
        table: The spec, for the replacement's arguments.
        method_of: Command name -> its method as the user calls it (``ft.dropindex``), or
            None when it has none.

    Returns:
        Plain text (no markup).
    """
    match = _WITH_ARGUMENTS.match(text)
    if match is not None and match.group(1) in table:
        command = match.group(1)
        method = method_of(command)
        tokens = [t.lstrip("!") for t in re.findall(r"`([^`]+)`", match.group(2))]
        keywords = [_keyword(table[command].arguments, t) for t in tokens]
        if method is not None and all(keywords):
            return f"{method}(..., {', '.join(k for k in keywords if k)})"
    plain = _MARKED.fullmatch(text.strip())
    if plain is not None and method_of(plain.group(1)) is not None:
        return f"{method_of(plain.group(1))}()"

    def call(found: re.Match[str]) -> str:
        word = found.group(1)
        method = None if found.group(0).startswith("`!") else method_of(word)
        return f"{method}()" if method is not None else word

    return _MARKED.sub(call, text)
