"""Reviewed data files the spec cannot replace, validated with pydantic on load.

One file per concern: ``overrides/names.toml`` (Python-forced method renames),
``overrides/runtime_owned.toml`` (commands with no method, and why), ``overrides/arguments.toml``
(argument-shape hints), ``overrides/tips.toml`` (command tips a spec lacks),
``specs/replies.toml`` (reply types) and the ``reply_models.toml`` beside it (structured reply
models), and ``modules/*.replies.toml`` beside it (the reply types, variants, reshapes and
models of each module's commands, merged in; a name defined twice is an error). The parser
applies them; an entry naming a core command absent from the spec is an error there, so stale
entries cannot pile up.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from codegen.diagnostics import Diagnostics
from codegen.naming import PythonIdentifier
from codegen.reply_models import ModelSpec, ModelTable
from codegen.spec import ArgumentSpec

__all__ = ["Overrides", "load_overrides"]

_M = TypeVar("_M", bound=BaseModel)

DEFAULT_OVERRIDES = Path(__file__).parent / "overrides"
DEFAULT_REPLIES = Path(__file__).parent.parent / "specs" / "replies.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NamesFile(_Strict):
    """``names.toml``: full command name -> method name."""

    methods: dict[str, str] = Field(default_factory=dict)

    @field_validator("methods")
    @classmethod
    def _identifiers(cls, value: dict[str, str]) -> dict[str, str]:
        for command, name in value.items():
            try:
                PythonIdentifier(name)
            except ValueError as exc:
                raise ValueError(f"{command} = {name!r}: {exc}") from None
        return value


class RuntimeOwnedFile(_Strict):
    """``runtime_owned.toml``: full command name -> what to use instead."""

    commands: dict[str, str]


class ArgumentsFile(_Strict):
    """``arguments.toml``: argument-shape hints keyed by ``"COMMAND/arg"`` paths."""

    mappings: dict[str, str] = Field(default_factory=dict)
    #: ``"COMMAND/block"`` entries: optional blocks spread into keyword parameters, so that
    #: overloads can key on their parts (``ZRANDMEMBER`` count and ``WITHSCORES``).
    flatten: list[str] = Field(default_factory=list)
    #: ``"COMMAND/oneof"`` entries: a required oneof of a pure token and a value becomes one
    #: keyword parameter for the value whose default is the token (XADD ``id="*"``).
    token_default: list[str] = Field(default_factory=list)
    #: ``"COMMAND/arg"`` -> how the server really reads a number the spec types loosely:
    #: ``double`` (an ``integer`` in the spec that takes fractions, ZUNION weights) or ``text``
    #: (also a string: ``(1.5`` exclusive score bounds, ``-inf``): ``float | str``, unchecked.
    #: ``seconds``/``milliseconds``: an integer in that unit, which also takes a ``timedelta``
    #: (what an argument named ``seconds`` gets; for one the ``rename`` hint renamed).
    numbers: dict[str, Literal["double", "text", "seconds", "milliseconds"]] = Field(
        default_factory=dict
    )
    #: ``"COMMAND/arg"`` string arguments that take a JSON value (RedisJSON): any
    #: JSON-serialisable Python value, sent as JSON text.
    json_values: list[str] = Field(default_factory=list)
    #: ``"COMMAND/arg"`` optional ``multiple`` arguments at the end of the grammar that become
    #: ``*args`` (JSON.GET paths); none given means the option is absent.
    variadic: list[str] = Field(default_factory=list)
    #: Command -> the arguments of a command whose spec declares none although its arity says
    #: it takes some (DEBUG's subcommands), with the reason; used while the spec has none.
    grammar: dict[str, GrammarEntry] = Field(default_factory=dict)
    #: ``"COMMAND/arg"`` -> a new name for a top-level argument whose spec name says something
    #: else than what it is (RESTORE's ``seconds`` is IDLETIME's): the parameter's name.
    rename: dict[str, str] = Field(default_factory=dict)
    #: Command -> named rules its grammar states in words only (ZADD's NX with GT or LT): a
    #: condition over the method's parameters that the server refuses, tested before sending.
    checks: dict[str, dict[str, CheckEntry]] = Field(default_factory=dict)

    @field_validator("checks", mode="before")
    @classmethod
    def _quoted_module_names(cls, value: object) -> object:
        # [checks.TS.RANGE] nests a table RANGE in a table TS: say so rather than list the
        # fields an entry named RANGE lacks.
        for command, entries in value.items() if isinstance(value, dict) else ():
            for key, entry in entries.items() if isinstance(entries, dict) else ():
                if isinstance(entry, dict) and all(isinstance(v, dict) for v in entry.values()):
                    raise ValueError(
                        f"{command}.{key}: a command name with a dot is quoted in the table"
                        f' header: [checks."{command}.{key}"]'
                    )
        return value


class CheckEntry(_Strict):
    """A combination of a method's arguments that the server refuses, and why it is refused.

    ``when`` is a Python condition over the parameters (``and``/``or``/``not``, comparisons,
    constants, ``len(param)``, ``param.field`` of a block); ``message`` follows the command
    name in the ``ValueError`` and says what to do instead.
    """

    when: str
    message: str
    reason: str


class GrammarEntry(_Strict):
    """Arguments a spec leaves out, in commands.json format, and why they are added."""

    why: str
    arguments: tuple[ArgumentSpec, ...]


class RepliesFile(_Strict):
    """``replies.toml``: reply types, and per-option variants that drive overloads."""

    replies: dict[str, str]
    variants: dict[str, dict[str, str]] = Field(default_factory=dict)
    #: Command -> ``module.function`` or ``module.function(param, ...)``: a handwritten
    #: function that brings the command's RESP2 and RESP3 replies to one form before the
    #: notation's parser reads it, given the named parameters of the call first.
    reshape: dict[str, str] = Field(default_factory=dict)


class ModuleRepliesFile(RepliesFile):
    """``modules/<module>.replies.toml``: a module's reply types and their models."""

    replies: dict[str, str] = Field(default_factory=dict)
    models: dict[str, ModelSpec] = Field(default_factory=dict)


class TipsFile(_Strict):
    """``tips.toml``: full command name -> command tips the spec lacks.

    Only tips that change what the runtime does may be added (the cache's
    ``nondeterministic_output`` and ``dont_cache``). An entry whose tip the spec already
    has is reported (info) and changes nothing, so a newer spec is digested unchanged.
    """

    commands: dict[str, list[Literal["nondeterministic_output", "dont_cache"]]] = Field(
        default_factory=dict
    )


class Overrides(_Strict):
    """Every override, merged."""

    names: NamesFile = NamesFile()
    runtime_owned: RuntimeOwnedFile = RuntimeOwnedFile(commands={})
    arguments: ArgumentsFile = ArgumentsFile()
    replies: RepliesFile = RepliesFile(replies={})
    models: ModelTable = ModelTable()
    tips: TipsFile = TipsFile()


def _load(model: type[_M], path: Path, diagnostics: Diagnostics) -> _M | None:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        diagnostics.error("", f"cannot read {path.name}: {exc}")
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            diagnostics.error("", f"{path.name}: {where}: {err['msg']}")
        return None


def load_overrides(directory: Path, replies: Path, diagnostics: Diagnostics) -> Overrides:
    """Load the override files from ``directory`` and the reply types from ``replies``.

    Args:
        directory: Holds names.toml, runtime_owned.toml, arguments.toml and (optional)
            tips.toml.
        replies: The reply-types file.
        diagnostics: Where problems are recorded; a broken file counts as empty, and the
            command line stops after loading so that no error follows from that.

    Returns:
        The validated overrides.
    """
    names = _load(NamesFile, directory / "names.toml", diagnostics)
    owned = _load(RuntimeOwnedFile, directory / "runtime_owned.toml", diagnostics)
    arguments = _load(ArgumentsFile, directory / "arguments.toml", diagnostics)
    reply_file = _load(RepliesFile, replies, diagnostics)
    models_path = replies.with_name("reply_models.toml")
    models = _load(ModelTable, models_path, diagnostics) if models_path.exists() else None
    tips_path = directory / "tips.toml"
    tips = _load(TipsFile, tips_path, diagnostics) if tips_path.exists() else None
    merged_replies, merged_models = _merge_modules(
        reply_file or RepliesFile(replies={}),
        models or ModelTable(),
        sorted((replies.parent / "modules").glob("*.replies.toml")),
        diagnostics,
    )
    return Overrides(
        names=names or NamesFile(),
        runtime_owned=owned or RuntimeOwnedFile(commands={}),
        arguments=arguments or ArgumentsFile(),
        replies=merged_replies,
        models=merged_models,
        tips=tips or TipsFile(),
    )


def _merge_modules(
    replies: RepliesFile, models: ModelTable, paths: list[Path], diagnostics: Diagnostics
) -> tuple[RepliesFile, ModelTable]:
    """Merge the module reply files into the core tables; a name defined twice is an error."""
    tables: dict[str, dict[str, object]] = {
        "replies": dict(replies.replies),
        "variants": dict(replies.variants),
        "reshape": dict(replies.reshape),
        "models": dict(models.models),
    }
    for path in paths:
        module = _load(ModuleRepliesFile, path, diagnostics)
        if module is None:
            continue
        for kind, table in tables.items():
            for name, value in getattr(module, kind).items():
                if name in table:
                    diagnostics.error(name, f"{path.name}: {kind} entry defined again")
                table[name] = value
    return (
        RepliesFile.model_validate({k: tables[k] for k in ("replies", "variants", "reshape")}),
        ModelTable.model_validate({"models": tables["models"]}),
    )
