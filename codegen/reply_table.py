"""The reply side of the IR: each command's reply type, its variants, models and parsers.

Rules kept here:
- a core command with a method must have an entry in ``specs/replies.toml``; one warning
  lists those that do not (they return the recursive ``Reply``);
- a module command (its spec names a ``module``) without an entry returns ``Reply`` quietly
  (an info diagnostic), until module reply entries exist;
- a notation error is an error diagnostic and the command falls back to ``Reply``;
- the reply is ``binary`` (read undecoded by the runtime) when its type holds ``bytes`` or
  ``logged`` text, in a model too (such a model may not be generic);
- a ``reshape`` (``search.spellcheck``, ``json.type_reply(path)``) runs a handwritten function
  of ``redis_oxide._json``/``_search``/``_timeseries`` on the reply first, for every variant of
  the command; the parameters it names are bound from the call with ``functools.partial``;
- a variant of a module command naming an option its spec lacks is an info, not an error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.config import Overrides
from codegen.diagnostics import Diagnostics, is_module_command, stale
from codegen.imports import imports_for
from codegen.ir import Argument, ParserFunction, ReplyModel, ReplyType
from codegen.overloads import Variant, read_variants
from codegen.replies import PROVISIONAL, ReplyNotationError, parse_notation
from codegen.reply_code import ParserBuilder
from codegen.reply_models import build_models
from codegen.spec import CommandSpec

__all__ = ["ReplyTable"]

#: Modules reshapes may name -> their import alias in generated code.
RESHAPE_MODULES = {"json": "_j", "search": "_rs", "timeseries": "_rt"}
_RESHAPE = re.compile(r"^([a-z]+)\.([a-z_]+)(?:\(([a-z_, ]*)\))?$")


@dataclass(slots=True)
class ReplyTable:
    """Resolves reply notations for one generation run and collects what they need."""

    overrides: Overrides
    diagnostics: Diagnostics
    models: tuple[ReplyModel, ...] = ()
    _flags: dict[str, bool] = field(default_factory=dict)
    _builder: ParserBuilder = field(default_factory=lambda: ParserBuilder({}))
    _missing: list[str] = field(default_factory=list)
    _binary: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self._flags, self.models, inputs = build_models(self.overrides.models, self.diagnostics)
        self._builder = ParserBuilder(inputs)
        # Models that hold ``bytes``/``logged`` fields, however deep: a reply holding one is
        # read undecoded, so such a model may not be generic in StrT.
        held = {name: [node for _, node in m.fields] for name, m in inputs.items()}
        binary = {name for name, nodes in held.items() if any(n.is_binary() for n in nodes)}
        while grown := {
            name
            for name, nodes in held.items()
            if name not in binary and any(n.models() & binary for n in nodes)
        }:
            binary |= grown
        for name in sorted(binary):
            if self._flags.get(name):
                self.diagnostics.error(name, "reply_models: bytes or logged text with bulk")
        self._binary = frozenset(binary)
        for model in self.models:
            # A model no command uses still gets its parser, so every model stays checked.
            self._builder.parser_for(parse_notation(model.name, self._flags))

    def reply(
        self, command: str, notation: str, reshape: bool = True, variant: bool = False
    ) -> ReplyType:
        """Return the reply type for a notation, recording notation errors.

        Args:
            command: The command, whose reshape (if any) applies unless ``reshape`` is False.
            notation: The reply type in the notation.
            reshape: Whether to apply the command's reshape.
            variant: Whether the type is one of the command's variants (not its default).
        """
        try:
            node = parse_notation(notation, self._flags)
        except ReplyNotationError as exc:
            self.diagnostics.error(command, f"replies.toml: {exc}")
            node = parse_notation(PROVISIONAL, self._flags)
        parser = self._builder.parser_for(node)
        args: tuple[str, ...] = ()
        found = self._reshape_of(command) if reshape else None
        if found is not None:
            function, args = found
            parser = self._builder.reshaped(node, function, args)
        if node.models():
            parser = self._builder.named_for(command, parser, variant)
        if found is not None and args:
            parser = f"_partial({parser}, {', '.join(args)})"
        return ReplyType(
            "".join(notation.split()),
            node.annotation(),
            parser,
            node.is_binary() or bool(node.models() & self._binary),
            node.describe(),
            args,
        )

    def _reshape_of(self, command: str) -> tuple[str, tuple[str, ...]] | None:
        text = self.overrides.replies.reshape.get(command)
        if text is None:
            return None
        found = _RESHAPE.match(text)
        if found is None or found.group(1) not in RESHAPE_MODULES:
            self.diagnostics.error(command, f"replies: reshape {text!r} is not module.function")
            return None
        args = tuple(a.strip() for a in (found.group(3) or "").split(",") if a.strip())
        return f"{RESHAPE_MODULES[found.group(1)]}.{found.group(2)}", args

    def of_command(self, name: str, spec: CommandSpec, has_method: bool) -> ReplyType:
        """Return a command's reply type; a missing entry is reported by ``finish``."""
        notation = self.overrides.replies.replies.get(name)
        if notation is None:
            if has_method and spec.module:
                self.diagnostics.info(name, "module command without reply type returns Reply")
            elif has_method:
                self._missing.append(name)
            notation = PROVISIONAL
        return self.reply(name, notation)

    def variants(self, name: str, params: Sequence[Argument]) -> list[Variant]:
        """Return the command's reply variants (empty when it has none)."""
        raw = self.overrides.replies.variants.get(name, {})
        if not raw:
            return []

        def reply_of(notation: str) -> ReplyType:
            return self.reply(name, notation, variant=True)

        if not is_module_command(name):
            return read_variants(name, params, raw, reply_of, self.diagnostics)
        found = Diagnostics()
        variants = read_variants(name, params, raw, reply_of, found)
        for problem in found:
            stale(self.diagnostics, problem.command, problem.message)
        return variants

    def finish(self) -> None:
        """Report core commands that have no reply type."""
        if self._missing:
            self.diagnostics.warning(
                "",
                f"{len(self._missing)} commands have no reply type yet and return Reply: "
                + ", ".join(self._missing),
            )

    @property
    def parsers(self) -> tuple[ParserFunction, ...]:
        """Every parser function the resolved types need, sorted by name."""
        return self._builder.ordered()

    def parser_imports(self) -> tuple[str, ...]:
        """The import block of the generated parser module."""
        lines = [line for f in self.parsers for line in f.lines]
        return imports_for(lines)

    def model_imports(self) -> tuple[str, ...]:
        """The import block of the generated models module."""
        lines = [f.annotation for m in self.models for f in m.fields] + ["ReplyModel"]
        lines += ["Generic[StrT]"] if any(m.generic for m in self.models) else []
        return imports_for(lines)
