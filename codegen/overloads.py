"""Reply variants -> ``@overload`` stubs and the runtime choice of parser.

``[variants.CMD]`` in the replies file maps a combination of options (``withdist+withhash``)
to the reply type when exactly those options are given. Rules kept here:
- every option of a combination is an optional parameter: a ``bool`` flag (given means
  ``Literal[True]``, absent ``Literal[False] = False``) or a value (given means its type
  without ``None``, absent ``None = None``);
- one overload per listed combination plus the default (nothing given), each fixing every
  option that takes part, so the overloads never overlap; combinations not listed are the
  ones Redis refuses, and a call spelling one out with literals fails type checking;
- a last overload with the implementation's own parameters returns the union, for callers
  that pass a plain ``bool`` or an ``X | None``;
- the body tests combinations with most options first, so the first match is the exact one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from codegen.diagnostics import Diagnostics
from codegen.ir import Argument, ReplyType
from codegen.naming import param_name
from codegen.pyfmt import union_parts

__all__ = ["Variant", "dispatch_tests", "overload_overrides", "read_variants", "union"]


@dataclass(frozen=True, slots=True)
class Variant:
    """The reply type when exactly ``given`` options are passed (empty: the default)."""

    given: tuple[str, ...]
    reply: ReplyType


def read_variants(
    command: str,
    params: Sequence[Argument],
    raw: dict[str, str],
    reply_of: Callable[[str], ReplyType],
    diagnostics: Diagnostics,
) -> list[Variant]:
    """Read a command's variants, most options first.

    Args:
        command: The command name, for diagnostics.
        params: The method's parameters.
        raw: Combination (``opt+opt``, spec argument names) -> reply notation.
        reply_of: Turns a notation into a reply type (recording notation errors).
        diagnostics: Where problems are recorded.

    Returns:
        The variants without the default; empty when none is usable.
    """
    by_name: dict[str, Argument] = {p.name: p for p in params}
    order: list[str] = [p.name for p in params]
    found: list[Variant] = []
    for combo, notation in sorted(raw.items()):
        names: list[str] = [param_name(part.strip()) for part in combo.split("+")]
        bad = [n for n in names if n not in by_name or by_name[n].default is None]
        if bad or len(set(names)) != len(names):
            diagnostics.error(command, f"reply variant {combo!r} is not an option of the command")
            continue
        given = tuple(sorted(names, key=order.index))
        found.append(Variant(given, reply_of(notation)))
    found.sort(key=lambda v: (-len(v.given), [order.index(n) for n in v.given]))
    return found


def _is_flag(param: Argument) -> bool:
    return param.annotation == "bool"


def overload_overrides(
    params: Sequence[Argument], variants: Sequence[Variant], default: ReplyType
) -> list[tuple[dict[str, tuple[str, str]], str]]:
    """Return, per overload, parameter name -> (annotation, default) and the return type.

    The default combination comes after the listed ones; the union fallback is not included.
    """
    options = [p for p in params if any(p.name in v.given for v in variants)]
    result = []
    for variant in [*variants, Variant((), default)]:
        fixed: dict[str, tuple[str, str]] = {}
        for param in options:
            given = param.name in variant.given
            if _is_flag(param):
                fixed[param.name] = ("Literal[True]", "") if given else ("Literal[False]", "False")
            else:
                bare = param.annotation.removesuffix(" | None")
                fixed[param.name] = (bare, "") if given else ("None", "None")
        result.append((fixed, variant.reply.annotation))
    return result


def dispatch_tests(params: Sequence[Argument], variants: Sequence[Variant]) -> list[str]:
    """Return the condition of each variant, in the order the body tests them."""
    by_name: dict[str, Argument] = {p.name: p for p in params}
    tests = []
    for variant in variants:
        parts = [n if _is_flag(by_name[n]) else f"{n} is not None" for n in variant.given]
        tests.append(" and ".join(parts))
    return tests


def union(*annotations: str) -> str:
    """Return the union of annotations, each part once, ``None`` last."""
    parts: list[str] = []
    for annotation in annotations:
        for part in union_parts(annotation):
            if part not in parts:
                parts.append(part)
    none_last = [p for p in parts if p != "None"] + (["None"] if "None" in parts else [])
    return " | ".join(none_last)
