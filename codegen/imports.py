"""Import blocks of generated modules, derived from the names the source lines use.

Rules: an import is emitted only when a generated line mentions the name; blocks are ordered
the way ruff's isort rules order them (stdlib, first party, package-relative), names sorted
case-insensitively, and a line too long for 100 columns is wrapped in parentheses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["IMPORTS", "imports_for"]

#: Name used in generated code -> (section, import line). Sections order the import block.
IMPORTS = {
    "warnings": (0, "import warnings"),
    "Awaitable": (1, "from collections.abc import {}"),
    "Iterable": (1, "from collections.abc import {}"),
    "Mapping": (1, "from collections.abc import {}"),
    "dataclass": (1, "from dataclasses import {}"),
    # Private name: a command may have a parameter called ``partial`` (FT.ADD).
    "_partial": (1, "from functools import partial as _partial"),
    "datetime": (2, "from datetime import {}"),
    "timedelta": (2, "from datetime import {}"),
    "Literal": (3, "from typing import {}"),
    "TypeAlias": (3, "from typing import {}"),
    "Final": (3, "from typing import {}"),
    "MappingProxyType": (2, "from types import {}"),
    "overload": (3, "from typing import {}"),
    "deprecated": (3, "from typing_extensions import {}"),
    "_parsers": (4, "from redis_oxide import {}"),
    "ArgT": (5, "from redis_oxide._command import {}"),
    "KeyT": (5, "from redis_oxide._command import {}"),
    "ValueT": (5, "from redis_oxide._command import {}"),
    "CommandFlag": (5, "from redis_oxide._command import {}"),
    "CommandMeta": (5, "from redis_oxide._command import {}"),
    "KeySpec": (5, "from redis_oxide._command import {}"),
    "KeySpecFlag": (5, "from redis_oxide._command import {}"),
    "RequestPolicy": (5, "from redis_oxide._command import {}"),
    "ResponsePolicy": (5, "from redis_oxide._command import {}"),
    "ServerError": (6, "from redis_oxide._exceptions import {}"),
    "InfoValue": (6, "from redis_oxide._parsers import {}"),
    "Reply": (6, "from redis_oxide._parsers import {}"),
    "_p": (6, "from redis_oxide import _parsers as _p"),
    "_r": (6, "from redis_oxide import _replies as _r"),
    "_j": (6, "from redis_oxide import _json as _j"),
    "_rs": (6, "from redis_oxide import _search as _rs"),
    "_rt": (6, "from redis_oxide import _timeseries as _rt"),
    "JsonInput": (6, "from redis_oxide._json import {}"),
    "JsonValue": (6, "from redis_oxide._json import {}"),
    "ReplyModel": (6, "from redis_oxide._replies import {}"),
    "Any": (3, "from typing import {}"),
    "Generic": (3, "from typing import {}"),
    "_enc": (7, "from . import _encode as _enc"),
    "_m": (8, "from . import _meta as _m"),
    "_rp": (8, "from . import _reply_parsers as _rp"),
    "_models": (8, "from . import {}"),
    "CommandsBase": (9, "from ._base import {}"),
    "NamespaceBase": (9, "from ._base import {}"),
    "StrT": (9, "from ._base import {}"),
    "MappingKeyT": (9, "from ._base import {}"),
    "MappingFieldT": (9, "from ._base import {}"),
}


def imports_for(
    lines: Sequence[str],
    *,
    relative: bool = True,
    local_types: frozenset[str] = frozenset(),
    local_models: frozenset[str] = frozenset(),
) -> tuple[str, ...]:
    """Return the import block lines that the given source lines need, in isort order.

    Args:
        lines: Generated source lines (docstrings excluded).
        relative: Whether package-relative imports may be used.
        local_types: Generated block types, imported from ``._types`` when used.
        local_models: Generated reply models, imported from ``._models`` when used.

    Returns:
        Import lines; a blank string separates the stdlib, third-party, first-party and local
        sections.
    """
    used: set[str] = set()
    for line in lines:
        used.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", line))
    names = sorted(n for n in IMPORTS if n in used and (relative or IMPORTS[n][0] < 7))
    statements: dict[str, list[str]] = {}
    ranks: dict[str, int] = {}
    for name in names:
        rank, template = IMPORTS[name]
        statements.setdefault(template, []).append(name)
        ranks[template] = rank
    types = sorted(used & local_types, key=lambda n: (n.lower(), n))
    models = sorted(used & local_models, key=lambda n: (n.lower(), n))
    result: list[str] = []
    previous_section = -1

    def section_of(template: str) -> int:
        if template in _THIRD_PARTY:
            return 1
        return 0 if ranks[template] < 4 else 2 if ranks[template] < 7 else 3

    def order(template: str) -> tuple[int, bool, str]:
        return section_of(template), not template.startswith("import "), template

    for template in sorted(statements, key=order):
        section = section_of(template)
        if result and section != previous_section:
            result.append("")
        previous_section = section
        result.append(_import_line(template, sorted(statements[template], key=str.lower)))
    for template, local in (("from ._models import {}", models), ("from ._types import {}", types)):
        if local:
            if previous_section != 3:
                result.append("")
            previous_section = 3
            result.append(_import_line(template, local))
    return tuple(result)


# Templates of the third-party section, between the standard library and redis_oxide.
_THIRD_PARTY = frozenset({"from typing_extensions import {}"})


def _import_line(template: str, names: Sequence[str]) -> str:
    line = template.format(", ".join(names))
    if len(line) <= 100 or "{}" not in template:
        return line
    inner = "".join(f"    {name},\n" for name in names)
    return template.format(f"(\n{inner})")
