"""Module commands grouped under namespaces of the client (``r.json``, ``r.ft``, ``r.ts`` ...).

Rules:
- a module command (its spec names a ``module``) whose first word has a dot lives in the
  namespace named by the part before the dot, lower-cased: ``JSON.SET`` -> ``json``,
  ``TDIGEST.ADD`` -> ``tdigest``, ``FT.CONFIG GET`` -> ``ft``. Its method is named from the
  rest (``set``, ``config_get``), or by ``names.toml``, keyed by the full command name;
- a module command without a dotted prefix (Redis 8's vector sets: ``VADD``) is a plain
  method of the client in a mixin named after its module, like a core command: its name was
  chosen to stand beside the core commands;
- a namespace is a generated class deriving from ``NamespaceBase``; ``Commands`` gets one
  property per namespace, which builds it around the owner's bound ``_execute``;
- a namespace may not take the name of a client method, and no generated method (of a
  namespace or of a core group's mixin) may take the name of a builtin type its class's
  annotations use: mypy resolves annotations in class scope first, so ``def list`` would
  hide ``list[...]`` in every later method.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Collection, Sequence

from codegen.diagnostics import Diagnostics
from codegen.imports import imports_for
from codegen.ir import Command, Method, Namespace
from codegen.naming import PythonIdentifier, class_name, escape_spec_text, snake_name
from codegen.spec import CommandSpec

__all__ = ["build_namespaces", "check_builtin_names", "method_lines", "split_name"]

_BUILTIN_TYPES = frozenset(
    name for name in dir(builtins) if isinstance(getattr(builtins, name), type)
)


def split_name(name: str, spec: CommandSpec) -> tuple[PythonIdentifier | None, str]:
    """Return the namespace of a command (None for a flat one) and its name inside it."""
    first = name.split(" ")[0]
    prefix, dot, rest = name.partition(".")
    if not spec.module or "." not in first or not prefix or prefix.startswith("_"):
        return None, name
    return snake_name(prefix), rest if dot else name


def method_lines(method: Method, base: str) -> list[str]:
    """The source lines of a method that decide its imports, with its class's base."""
    lines = [line for stub in method.overloads for line in stub]
    return lines + list(method.signature) + list(method.body) + [f"{base}[StrT]"]


def _annotation_names(commands: Sequence[Command]) -> set[str]:
    """The names the signatures' annotations use (parameter names aside)."""
    names: set[str] = set()
    for command in commands:
        if command.method is None:
            continue
        stubs = [command.method.signature, *command.method.overloads]
        for stub in stubs:
            source = "\n".join(stub)  # (decorators parse too: only annotations are read)
            tree = ast.parse(source if source.endswith("...") else source + " ...")
            for node in ast.walk(tree):
                if isinstance(node, ast.arg) and node.annotation is not None:
                    names.update(_names_in(node.annotation))
                elif isinstance(node, ast.FunctionDef) and node.returns is not None:
                    names.update(_names_in(node.returns))
    return names


def _names_in(annotation: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(annotation) if isinstance(n, ast.Name)}


def check_builtin_names(prefix: str, members: Sequence[Command], diagnostics: Diagnostics) -> None:
    """Refuse a method of one generated class named after a builtin its annotations use.

    Args:
        prefix: How the class's methods are reached (``"topk."``, ``""`` for the client).
        members: The commands whose methods the class holds.
        diagnostics: Where a clash is reported, naming the command.
    """
    used = _annotation_names(members)
    for command in members:
        method = command.method
        if method is not None and method.name in _BUILTIN_TYPES and method.name in used:
            diagnostics.error(
                command.name,
                f"method {prefix}{method.name} hides the builtin its class's annotations use;"
                " rename it in names.toml",
            )


def build_namespaces(
    commands: Sequence[Command],
    flat_methods: Collection[str],
    modules: dict[str, set[str]],
    local_types: frozenset[str],
    local_models: frozenset[str],
    diagnostics: Diagnostics,
) -> tuple[Namespace, ...]:
    """Group the namespaced commands into namespace IR, checking the names they take.

    Args:
        commands: Every command of the package.
        flat_methods: Method names of ``Commands`` itself.
        modules: Namespace -> names of the modules whose commands it holds.
        local_types: Generated block types, for the import block.
        local_models: Generated reply models, for the import block.
        diagnostics: Where name clashes are reported.

    Returns:
        The namespaces, sorted by name, each with its methods sorted by name.
    """
    by_namespace: dict[str, list[Command]] = {}
    for command in commands:
        if command.method is not None and command.namespace is not None:
            by_namespace.setdefault(command.namespace, []).append(command)
    result = []
    for name in sorted(by_namespace):
        members = sorted(by_namespace[name], key=lambda c: str(c.method and c.method.name))
        if name in flat_methods:
            diagnostics.error("", f"namespace {name} clashes with a method of the client")
        check_builtin_names(f"{name}.", members, diagnostics)
        prefix = escape_spec_text(f"{name.upper()}.*", in_docstring=True)
        origin = escape_spec_text(", ".join(sorted(modules[name])), in_docstring=True)
        result.append(
            Namespace(
                name=PythonIdentifier(name),
                class_name=class_name(name, "commands"),
                doc=f"The ``{prefix}`` commands of the {origin} module",
                imports=imports_for(
                    [
                        line
                        for c in members
                        if c.method
                        for line in method_lines(c.method, "NamespaceBase")
                    ],
                    local_types=local_types,
                    local_models=local_models,
                ),
                commands=tuple(members),
            )
        )
    return tuple(result)
