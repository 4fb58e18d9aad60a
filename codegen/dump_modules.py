"""Merge what a live server knows about module commands into the hand-written module specs.

Redis Stack 7.4 answers `COMMAND DOCS` for module commands with their group and module only, so
the argument grammar of each module command is written by hand in `specs/modules/<module>.json`
(commands.json format). `make spec` keeps that grammar and takes the rest from the server. Rules:

- Hand-written fields: summary, since, complexity, deprecated_since, replaced_by, history,
  arguments, doc_flags. Live fields (replaced on every dump): group, module, acl_categories,
  arity, key_specs, command_flags, hints. Fields are written in the published order.
- A hand-written subcommand (`FT.CONFIG GET`) of a container the server only knows as one
  command takes the container's live fields: the server has nothing more precise.
- `specs/modules/overrides.toml` corrects key specs that are wrong for routing (`key_specs`)
  and flags that are (`command_flags`: a write marked `readonly` runs on a replica that reads
  are sent to, and changes that replica only), adds the cluster tips the modules leave out
  (`tips`: `request_policy:multi_shard` lets a cluster client split a command per slot), each
  with the reason, and lists the server's module commands deliberately not described
  (`omitted`, with the reason; a container there omits its subcommands too).
- Every mismatch is an error, never a silent skip: a command the server has that no file
  describes nor `omitted` lists, a described command the server lacks, an override naming no
  described command, flags or a tip the server already gives (the override is stale), a
  second policy of one kind. A new module release therefore shows up as a failed `make spec`.
- Output is byte-stable: the format of `specs/commands.json` (sorted keys, four-space indent).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from codegen.parse import FLAGS, IGNORED_TIPS, POLICY_TIPS, TIP_FLAGS

__all__ = ["ModuleOverrides", "load_module_overrides", "merge_module_specs"]

#: Fields the server knows about a module command; everything else is hand-written.
LIVE_FIELDS = ("group", "module", "acl_categories", "arity", "key_specs", "command_flags", "hints")
HAND_FIELDS = (
    "summary",
    "since",
    "complexity",
    "deprecated_since",
    "replaced_by",
    "history",
    "arguments",
    "doc_flags",
)
#: Entry fields in the order Redis's published commands.json writes them.
FIELD_ORDER = (
    "summary",
    "since",
    "group",
    "complexity",
    "module",
    "deprecated_since",
    "replaced_by",
    "history",
    "acl_categories",
    "arity",
    "key_specs",
    "arguments",
    "command_flags",
    "doc_flags",
    "hints",
)
OVERRIDES_FILE = "overrides.toml"


class _Reasoned(BaseModel):
    """An override: every one says why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    why: str


class KeySpecOverride(_Reasoned):
    """Key specs replacing the server's for one command, and why."""

    specs: list[dict[str, Any]]


class NoKeys(_Reasoned):
    """Commands whose server key specs name something that is not a key, and why."""

    commands: list[str]


class FlagsOverride(_Reasoned):
    """Command flags replacing the server's for one command, and why."""

    flags: list[str]

    @field_validator("flags")
    @classmethod
    def _known(cls, flags: list[str]) -> list[str]:
        unknown = [f for f in flags if f not in FLAGS and f != "module"]
        if unknown or "module" not in flags:
            raise ValueError(f"unknown flags {unknown}, or no 'module' flag")
        if "readonly" in flags and "write" in flags:
            raise ValueError("a command is readonly or write, not both")
        return flags


class TipsOverride(_Reasoned):
    """Command tips added to the server's for one command, and why."""

    add: list[str]

    @field_validator("add")
    @classmethod
    def _known(cls, tips: list[str]) -> list[str]:
        if not tips or len(set(tips)) != len(tips):
            raise ValueError("add names no tip, or one tip twice")
        for tip in tips:
            kind, _, value = tip.partition(":")
            if kind in POLICY_TIPS:
                if value not in POLICY_TIPS[kind][1]:
                    raise ValueError(f"unknown {kind} {value!r}")
            elif tip not in TIP_FLAGS and tip not in IGNORED_TIPS:
                raise ValueError(f"unknown tip {tip!r}")
        return tips


class ModuleOverrides(BaseModel):
    """``specs/modules/overrides.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key_specs: dict[str, KeySpecOverride] = {}
    no_keys: list[NoKeys] = []
    command_flags: dict[str, FlagsOverride] = {}
    tips: dict[str, TipsOverride] = {}
    omitted: dict[str, str] = {}

    def key_specs_of(self, name: str) -> list[dict[str, Any]] | None:
        """Return the corrected key specs of ``name`` (empty: no keys), or None."""
        if name in self.key_specs:
            return self.key_specs[name].specs
        if any(name in group.commands for group in self.no_keys):
            return []
        return None

    def named_commands(self) -> list[str]:
        """Every command an override names, for the staleness check."""
        return [
            *self.key_specs,
            *(c for group in self.no_keys for c in group.commands),
            *self.command_flags,
            *self.tips,
        ]

    def is_omitted(self, name: str) -> bool:
        """Whether the server command ``name`` is deliberately not described."""
        container = name.split(" ")[0]
        return name in self.omitted or container in self.omitted


def load_module_overrides(path: Path) -> ModuleOverrides:
    """Read and validate the module overrides file.

    Args:
        path: ``specs/modules/overrides.toml``.

    Returns:
        The overrides; an absent file means none.

    Raises:
        ValueError: The file is not valid TOML or does not fit the model.
    """
    if not path.exists():
        return ModuleOverrides()
    try:
        return ModuleOverrides.model_validate(tomllib.loads(path.read_text("utf-8")))
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise ValueError(f"{path.name}: {exc}") from exc


def _live_of(name: str, live: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    if name in live:
        return live[name]
    container = name.split(" ")[0]
    return live.get(container) if " " in name else None


def _merge_entry(
    name: str,
    entry: dict[str, Any],
    live: dict[str, Any],
    overrides: ModuleOverrides,
    problems: list[str],
) -> dict[str, Any]:
    merged = {k: entry[k] for k in HAND_FIELDS if k in entry}
    merged.update({k: live[k] for k in LIVE_FIELDS if k in live})
    corrected = overrides.key_specs_of(name)
    if corrected is not None:
        merged.pop("key_specs", None)
        if corrected:
            merged["key_specs"] = corrected
    if name in overrides.command_flags:
        flags = overrides.command_flags[name].flags
        if flags == merged.get("command_flags"):
            problems.append(f"{OVERRIDES_FILE}: {name} already has the flags {flags}")
        merged["command_flags"] = flags
    if name in overrides.tips:
        added = overrides.tips[name].add
        merged["hints"] = _with_tips(name, merged.get("hints", []), added, problems)
    return {k: merged[k] for k in FIELD_ORDER if k in merged}


def _with_tips(name: str, hints: list[str], added: list[str], problems: list[str]) -> list[str]:
    # The server's tips first, then the added ones in the file's order. An added tip the
    # server already gives, or a second policy of one kind, is an error: the override is stale.
    kinds = [hint.partition(":")[0] for hint in hints]
    for tip in added:
        kind = tip.partition(":")[0]
        if tip in hints:
            problems.append(f"{OVERRIDES_FILE}: {name} already has the tip {tip!r}")
        elif kind in POLICY_TIPS and kind in kinds:
            problems.append(f"{OVERRIDES_FILE}: {name} already has a {kind}")
        kinds.append(kind)
    return [*hints, *(tip for tip in added if tip not in hints)]


def render_module_spec(table: dict[str, Any]) -> str:
    """Serialise a module spec file the way it is stored (the format of commands.json)."""
    return json.dumps(dict(sorted(table.items())), indent=4, ensure_ascii=False) + "\n"


def merge_module_specs(
    live: dict[str, dict[str, Any]], directory: Path
) -> tuple[dict[Path, str], list[str]]:
    """Merge the server's module command entries into the hand-written spec files.

    Args:
        live: Full upper-case command name -> the entry dumped from the server (module
            commands only).
        directory: ``specs/modules``, holding one ``<module>.json`` per module and
            ``overrides.toml``.

    Returns:
        The new text of every spec file, and the problems found (empty when the merge is
        complete and consistent).
    """
    problems: list[str] = []
    try:
        overrides = load_module_overrides(directory / OVERRIDES_FILE)
    except ValueError as exc:
        return {}, [str(exc)]
    described: set[str] = set()
    out: dict[Path, str] = {}
    for path in sorted(directory.glob("*.json")):
        table = json.loads(path.read_text("utf-8"))
        merged: dict[str, Any] = {}
        for name, entry in table.items():
            described.add(name)
            found = _live_of(name, live)
            if found is None:
                problems.append(f"{path.name}: {name} is not a command of the server")
                continue
            merged[name] = _merge_entry(name, entry, found, overrides, problems)
        out[path] = render_module_spec(merged)
    for name in sorted(live):
        if name not in described and not overrides.is_omitted(name):
            problems.append(f"{name}: the server has it but no module spec describes it")
    for name in overrides.named_commands():
        if name not in described:
            problems.append(f"{OVERRIDES_FILE}: {name} is not a described command")
    for name in overrides.omitted:
        if name not in live:
            problems.append(f"{OVERRIDES_FILE}: omitted {name} is not a command of the server")
    return out, problems
