"""A faithful, validated model of Redis's ``commands.json`` format.

The model accepts what Redis publishes and nothing looser: unknown argument types are kept as
strings here and reported by the parser, so a newer spec is digested with diagnostics rather
than rejected wholesale. Several files merge into one table; a command defined twice is an
error. Nothing here decides how a command looks in Python.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from codegen.diagnostics import Diagnostics

__all__ = ["ArgumentSpec", "CommandSpec", "KeySpecSpec", "SpecTable", "load_specs"]

#: Argument types of the published grammar; anything else is reported by the parser.
KNOWN_ARGUMENT_TYPES = frozenset(
    {"string", "integer", "double", "key", "pattern", "unix-time", "pure-token", "oneof", "block"}
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class ArgumentSpec(_Model):
    """One argument of a command, possibly with nested arguments (``oneof``/``block``)."""

    name: str
    type: str
    display_text: str | None = None
    token: str | None = None
    summary: str | None = None
    since: str | None = None
    optional: bool = False
    multiple: bool = False
    multiple_token: bool = False
    key_spec_index: int | None = None
    deprecated_since: str | None = None
    arguments: tuple[ArgumentSpec, ...] = ()


class BeginSearch(_Model):
    """Where the search for keys starts: ``index``, ``keyword`` or ``unknown``."""

    type: str
    spec: dict[str, Any] = Field(default_factory=dict)


class FindKeys(_Model):
    """How keys are found from the start: ``range``, ``keynum`` or ``unknown``."""

    type: str
    spec: dict[str, Any] = Field(default_factory=dict)


class KeySpecSpec(_Model):
    """One key specification with its flags (``RW``, ``access`` ...) as booleans."""

    model_config = ConfigDict(extra="allow", frozen=True)

    begin_search: BeginSearch
    find_keys: FindKeys
    notes: str | None = None

    def flag_names(self) -> tuple[str, ...]:
        """Return the names of the flags set on this key spec, sorted."""
        extra = self.model_extra or {}
        return tuple(sorted(k for k, v in extra.items() if v is True))


class CommandSpec(_Model):
    """One command or subcommand entry, keyed by its full name in the table."""

    summary: str | None = None
    since: str | None = None
    group: str
    complexity: str | None = None
    module: str | None = None
    deprecated_since: str | None = None
    replaced_by: str | None = None
    history: tuple[tuple[str, str], ...] = ()
    acl_categories: tuple[str, ...] = ()
    arity: int = 0
    key_specs: tuple[KeySpecSpec, ...] = ()
    arguments: tuple[ArgumentSpec, ...] = ()
    command_flags: tuple[str, ...] = ()
    doc_flags: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


#: The merged table: full upper-case command name -> entry.
SpecTable = dict[str, CommandSpec]


def load_specs(paths: Sequence[Path], diagnostics: Diagnostics) -> SpecTable:
    """Load and merge spec files; every problem becomes a diagnostic.

    Args:
        paths: Files in commands.json format, merged in the order given.
        diagnostics: Where problems are recorded.

    Returns:
        The merged table, sorted by command name; entries that failed validation are absent.
    """
    table: SpecTable = {}
    for path in paths:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            diagnostics.error("", f"cannot read {path.name}: {exc}")
            continue
        if not isinstance(raw, dict):
            diagnostics.error("", f"{path.name}: top level is not an object")
            continue
        for name, entry in raw.items():
            if name in table:
                diagnostics.error(name, f"defined again in {path.name}")
                continue
            try:
                table[name] = CommandSpec.model_validate(entry)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                diagnostics.error(name, f"invalid entry: {problems}")
    return dict(sorted(table.items()))
