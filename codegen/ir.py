"""The intermediate representation: frozen dataclasses shaped for output.

Everything a template prints is decided here or in the parser: names are validated
``naming`` types, annotations, import lines, docstring lines and statements are finished
strings, and templates only loop over these lists. No field holds raw spec text that has not
passed through ``naming.escape_spec_text``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from codegen.naming import ClassName, PythonIdentifier
from codegen.pyfmt import Chain, Node, flat

__all__ = [
    "Argument",
    "BlockType",
    "Command",
    "GroupModule",
    "KeySpec",
    "Method",
    "ModelField",
    "Namespace",
    "Package",
    "ParserFunction",
    "ParamKind",
    "Policy",
    "ReplyModel",
    "ReplyType",
    "RuntimeOwned",
]


class ParamKind(enum.Enum):
    """Where a parameter sits in the signature."""

    POSITIONAL = "positional"
    VARIADIC = "variadic"
    KEYWORD = "keyword"


@dataclass(frozen=True, slots=True)
class ReplyType:
    """A reply type: its notation, its Python annotation and the parser that builds it.

    ``parser`` is source text: ``None`` when the decoded reply already is the value, or a
    ``_partial(...)`` (``functools.partial``) binding ``call_args`` when the parser needs
    values of the call.
    ``binary`` marks a reply the runtime must read undecoded (it holds ``bytes``).
    ``description`` is the type in words for docstrings (``list of strings``).
    """

    notation: str
    annotation: str
    parser: str
    binary: bool = False
    description: str = ""
    #: Parameters of the call the parser takes (a reshape's), which the method must have.
    call_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelField:
    """One field of a generated reply model."""

    name: PythonIdentifier
    annotation: str
    default: str | None

    @property
    def declaration(self) -> str:
        """Return ``name: annotation`` with ``= default`` when the field has one."""
        text = f"{self.name}: {self.annotation}"
        return text if self.default is None else f"{text} = {self.default}"


@dataclass(frozen=True, slots=True)
class ReplyModel:
    """A generated pydantic model of a structured reply; ``doc`` is docstring-safe text."""

    name: ClassName
    doc: str
    generic: bool
    fields: tuple[ModelField, ...]


@dataclass(frozen=True, slots=True)
class ParserFunction:
    """A generated reply parser: its name and its source lines (unindented ``def``)."""

    name: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Argument:
    """One Python parameter of a generated method, with the text the signature prints."""

    name: PythonIdentifier
    annotation: str
    kind: ParamKind
    default: str | None
    doc: str

    def declaration(self, annotation: str | None = None, default: str | None = None) -> str:
        """Return ``name: annotation = default`` (``*name: ...`` when variadic)."""
        text = f"{self.name}: {annotation or self.annotation}"
        if self.kind is ParamKind.VARIADIC:
            return "*" + text
        chosen = default if default is not None else self.default
        return text if chosen is None else f"{text} = {chosen}"


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A key specification: the keyword arguments of the ``KeySpec`` constructor, as source.

    ``flags`` holds the ``KeySpecFlag`` members (``KeySpecFlag.RW``) that ``flags=`` combines.
    """

    fields: tuple[str, ...]
    flags: tuple[str, ...] = ()

    @property
    def arguments(self) -> tuple[Node, ...]:
        """Return the keyword arguments, ``flags=`` last, as layout nodes."""
        if not self.flags:
            return self.fields
        return (*self.fields, Chain("flags=", self.flags))

    @property
    def source(self) -> str:
        """Return the constructor call on one line."""
        return f"KeySpec({', '.join(flat(a) for a in self.arguments)})"


@dataclass(frozen=True, slots=True)
class Policy:
    """Cluster request and response policies from the command's tips.

    Each is an enum member in source form (``RequestPolicy.ALL_SHARDS``), or None without the tip.
    """

    request: str | None
    response: str | None


@dataclass(frozen=True, slots=True)
class Method:
    """A generated method: overload stubs, the implementation and its docstring, as lines.

    Lines carry no indentation of their own beyond what the statement nesting needs; the
    template adds the class-level indentation.
    """

    name: PythonIdentifier
    overloads: tuple[tuple[str, ...], ...]
    signature: tuple[str, ...]
    docstring: tuple[str, ...]
    body: tuple[str, ...]
    #: The parameters, in order, of a method whose body only sends the command's words and
    #: then each of them as given, and whose parser is None or a named function: the
    #: runtime may answer such a call from a cache without the method (``_generated/_plain``).
    plain: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class PlainRead:
    """A read-only command's plain method (``Method.plain``), as ``_plain.py`` lists it.

    ``lines`` is its entry in the mapping, laid out at the mapping's indentation.
    """

    method: str
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Command:
    """One command of the spec with everything the templates print about it."""

    name: str
    constant: PythonIdentifier
    group_module: PythonIdentifier
    meta_fields: tuple[str, ...]
    key_specs: tuple[KeySpec, ...]
    policy: Policy
    reply: ReplyType
    arguments: tuple[Argument, ...]
    method: Method | None
    #: The client namespace of a module command (``json`` for ``JSON.SET``), or None.
    namespace: PythonIdentifier | None = None


@dataclass(frozen=True, slots=True)
class BlockType:
    """A frozen dataclass for a ``block`` with optional parts, or a named type alias.

    ``alias`` holds the laid-out lines of ``Name: TypeAlias = ...`` for an alias (a long
    ``Literal`` choice, a long annotation), and is empty for a dataclass.
    """

    name: ClassName
    doc: str
    fields: tuple[str, ...]
    alias: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GroupModule:
    """One module of the generated package: the mixin for one command group."""

    module: PythonIdentifier
    class_name: ClassName
    group: str
    imports: tuple[str, ...]
    commands: tuple[Command, ...]


@dataclass(frozen=True, slots=True)
class Namespace:
    """One namespace of module commands on the client (``r.json``), a module of its own.

    ``name`` is the property of ``Commands`` and the module's file name; ``doc`` is the
    docstring-safe text naming the command prefix and the modules it holds.
    """

    name: PythonIdentifier
    class_name: ClassName
    doc: str
    imports: tuple[str, ...]
    commands: tuple[Command, ...]


@dataclass(frozen=True, slots=True)
class RuntimeOwned:
    """A command the runtime owns, with the reason as a finished string literal."""

    name_literal: str
    reason_literal: str


@dataclass(frozen=True, slots=True)
class Package:
    """The whole generated package."""

    header: tuple[str, ...]
    groups: tuple[GroupModule, ...]
    commands: tuple[Command, ...]
    block_types: tuple[BlockType, ...]
    runtime_owned: tuple[RuntimeOwned, ...]
    type_imports: tuple[str, ...]
    models: tuple[ReplyModel, ...] = ()
    model_names: tuple[str, ...] = ()
    parsers: tuple[ParserFunction, ...] = ()
    parser_imports: tuple[str, ...] = ()
    model_imports: tuple[str, ...] = ()
    meta_imports: tuple[str, ...] = ()
    namespaces: tuple[Namespace, ...] = ()
    #: The plain methods of read-only commands on the client itself, by method name.
    plain_reads: tuple[PlainRead, ...] = ()
    #: The imports of ``_plain.py`` beyond its own: the metadata, and the parsers if used.
    plain_imports: tuple[str, ...] = ()
    #: (module, class name) of every group and namespace, sorted by module for the imports.
    class_modules: tuple[tuple[PythonIdentifier, ClassName], ...] = ()
    #: The names ``__init__`` exports, sorted.
    exports: tuple[str, ...] = ()
    #: ``NamespaceBase``, its ``BoundExecute`` and the namespace classes, sorted: what
    #: ``_namespaces`` exports.
    namespace_exports: tuple[str, ...] = ()
