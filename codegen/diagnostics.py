"""Problems the generator found, collected instead of raised.

Every stage appends to one ``Diagnostics`` list and keeps going, so a run reports all problems
at once. Only the command line decides what is fatal: errors always, warnings on request.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field

__all__ = ["Diagnostic", "Diagnostics", "Level", "is_module_command", "module_prefix", "stale"]


class Level(enum.Enum):
    """How bad a problem is; the order of members is the order of severity."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    """One problem: its level, the command it concerns ("" for the whole run), a message."""

    command: str
    message: str
    level: Level = field(compare=False)

    def format(self) -> str:
        """Return the one-line text the command line prints."""
        where = self.command or "(spec)"
        return f"{self.level.value}: {where}: {self.message}"


@dataclass(slots=True)
class Diagnostics:
    """An append-only collection of diagnostics with grouped output."""

    items: list[Diagnostic] = field(default_factory=list)
    #: The module prefixes (``JSON.``) the spec has commands of: an override naming another
    #: command of such a module is a typo, not a command of a different release.
    module_prefixes: frozenset[str] = frozenset()

    def add(self, level: Level, command: str, message: str) -> None:
        """Record one problem."""
        self.items.append(Diagnostic(command, message, level))

    def error(self, command: str, message: str) -> None:
        """Record an error: generation fails."""
        self.add(Level.ERROR, command, message)

    def warning(self, command: str, message: str) -> None:
        """Record a warning: generation fails only with ``--fail-on-warning``."""
        self.add(Level.WARNING, command, message)

    def info(self, command: str, message: str) -> None:
        """Record a note that never fails generation."""
        self.add(Level.INFO, command, message)

    def __iter__(self) -> Iterator[Diagnostic]:
        return iter(self.items)

    def count(self, level: Level) -> int:
        """Return how many diagnostics have ``level``."""
        return sum(1 for d in self.items if d.level is level)

    def grouped(self, minimum: Level = Level.WARNING) -> list[str]:
        """Return printable lines, grouped by level (errors first) and sorted within a group."""
        order = [Level.ERROR, Level.WARNING, Level.INFO]
        ranks = {level: i for i, level in enumerate(reversed(order))}
        lines: list[str] = []
        for level in order:
            if ranks[level] < ranks[minimum]:
                continue
            chosen = sorted(d for d in self.items if d.level is level)
            if chosen:
                lines.append(f"{level.value}s ({len(chosen)}):")
                lines.extend(f"  {d.format()}" for d in chosen)
        return lines


def is_module_command(name: str) -> bool:
    """Whether a command name is a module's: its first word has a dot (core names never do)."""
    return "." in name.split(" ")[0]


def module_prefix(name: str) -> str:
    """The module prefix of a dotted command name (``JSON.`` of ``JSON.DEBUG HELP``)."""
    return name.split(" ")[0].partition(".")[0].upper() + "."


def stale(diagnostics: Diagnostics, name: str, message: str) -> None:
    """Report an override entry that names nothing of the spec it is applied to.

    An error for core commands. For module commands a warning when the spec has other
    commands of that module (a misspelt name or argument, which ``make generate``'s
    ``--fail-on-warning`` refuses; a newer module release renaming them is reported the same
    way, so the hints get updated), and an info when the spec has none of the module's
    commands (a core-only spec: the overlay's module entries have nothing to apply to).
    """
    if not is_module_command(name):
        diagnostics.error(name, message)
    elif module_prefix(name) in diagnostics.module_prefixes:
        diagnostics.warning(name, message)
    else:
        diagnostics.info(name, message)
