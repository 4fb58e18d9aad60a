"""The reply side of the IR: each command's reply type, its variants, models and parsers.

Rules kept here:
- a core command with a method must have an entry in ``specs/replies.toml``; one warning
  lists those that do not (they return the recursive ``Reply``);
- a module command (its spec names a ``module``) without an entry returns ``Reply`` quietly
  (an info diagnostic), until module reply entries exist;
- a notation error is an error diagnostic and the command falls back to ``Reply``;
- the reply is ``binary`` (read undecoded by the runtime) when its type holds ``bytes``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from codegen.config import Overrides
from codegen.diagnostics import Diagnostics
from codegen.imports import imports_for
from codegen.ir import Argument, ParserFunction, ReplyModel, ReplyType
from codegen.overloads import Variant, read_variants
from codegen.replies import PROVISIONAL, ReplyNotationError, parse_notation
from codegen.reply_code import ParserBuilder
from codegen.reply_models import build_models
from codegen.spec import CommandSpec

__all__ = ["ReplyTable"]


@dataclass(slots=True)
class ReplyTable:
    """Resolves reply notations for one generation run and collects what they need."""

    overrides: Overrides
    diagnostics: Diagnostics
    models: tuple[ReplyModel, ...] = ()
    _flags: dict[str, bool] = field(default_factory=dict)
    _builder: ParserBuilder = field(default_factory=lambda: ParserBuilder({}))
    _missing: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._flags, self.models, inputs = build_models(self.overrides.models, self.diagnostics)
        self._builder = ParserBuilder(inputs)
        for model in self.models:
            # A model no command uses still gets its parser, so every model stays checked.
            self._builder.parser_for(parse_notation(model.name, self._flags))

    def reply(self, command: str, notation: str) -> ReplyType:
        """Return the reply type for a notation, recording notation errors."""
        try:
            node = parse_notation(notation, self._flags)
        except ReplyNotationError as exc:
            self.diagnostics.error(command, f"replies.toml: {exc}")
            node = parse_notation(PROVISIONAL, self._flags)
        return ReplyType(
            "".join(notation.split()),
            node.annotation(),
            self._builder.parser_for(node),
            node.is_binary(),
            node.describe(),
        )

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
        return read_variants(name, params, raw, lambda n: self.reply(name, n), self.diagnostics)

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
