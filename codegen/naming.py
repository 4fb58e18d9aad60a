"""Every Python name and every piece of spec text that becomes source code passes through here.

Rules:
- ``PythonIdentifier`` and ``ClassName`` can only be built by the functions below, which
  validate them, so a raw spec string never reaches a template where a name is expected.
- Reserved words get a trailing underscore, and so does a parameter named after a builtin or
  module name that generated bodies use for any argument (``float``, ``_enc`` ...): a body
  must never reach the user's value where it means the builtin (``parse`` first tries the
  argument's token, INCREX ``BYFLOAT``). Renames that Python forces on command names
  (``DEL`` -> ``delete``) live in ``overrides/names.toml``.
- ``escape_spec_text`` is the only way spec text (summaries, history, tokens) enters generated
  source. Removing it would let a crafted spec inject code into the generated package.
"""

from __future__ import annotations

import keyword
import re

__all__ = [
    "BODY_NAMES",
    "ClassName",
    "PythonIdentifier",
    "class_name",
    "constant_name",
    "escape_spec_text",
    "is_body_name",
    "method_name",
    "param_name",
    "snake_name",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: Names generated method bodies use whatever their arguments are: the number checks
#: (``x.__class__ is not float``), the argument list (``_args: list[ArgT]``, ``tuple(_args)``),
#: the conversions, and the module names of every group module. A parameter taking one of
#: them would make the body test or call the user's value. Builtins a body calls only for some
#: arguments (``len`` of a counted list) are guarded where the body is built instead
#: (``methods.shadowed_names``), so LPOS's ``len`` and SCAN's ``type`` keep their names.
BODY_NAMES = frozenset(
    {"bool", "bytes", "dict", "float", "int", "isinstance", "list", "str", "tuple", "warnings"}
    | {"ArgT", "_args", "_enc", "_j", "_m", "_partial", "_rp"}
)
# Names a parameter must not take besides keywords: the method's own receiver and the names
# the bodies use. Soft keywords (`match`, `case`, `type`) are ordinary names, and `match=` is
# what SCAN's MATCH is called everywhere; the list of them also changes between Python
# versions, which would make the output depend on the generating interpreter.
_RESERVED = frozenset(keyword.kwlist) | {"self", "_"}
_RESERVED_PARAMS = _RESERVED | BODY_NAMES


class PythonIdentifier(str):
    """A validated Python identifier that is not a reserved word."""

    __slots__ = ()

    def __new__(cls, value: str) -> PythonIdentifier:
        if not _IDENTIFIER.match(value) or keyword.iskeyword(value):
            raise ValueError(f"not a usable Python identifier: {value!r}")
        return super().__new__(cls, value)


class ClassName(str):
    """A validated CamelCase class name."""

    __slots__ = ()

    def __new__(cls, value: str) -> ClassName:
        if not _IDENTIFIER.match(value) or not value[0].isupper():
            raise ValueError(f"not a usable class name: {value!r}")
        return super().__new__(cls, value)


def _words(text: str) -> list[str]:
    spaced = _CAMEL_BOUNDARY.sub(" ", text)
    return [w.lower() for w in _SEPARATORS.split(spaced) if w]


def _fix_reserved(name: str, reserved: frozenset[str] = _RESERVED) -> str:
    if name in reserved:
        return name + "_"
    if name[0].isdigit():
        return "n" + name
    return name


def param_name(spec_name: str) -> PythonIdentifier:
    """Return the parameter name for an argument name from the spec (``unix-time`` -> ...)."""
    words = _words(spec_name) or ["value"]
    return PythonIdentifier(_fix_reserved("_".join(words), _RESERVED_PARAMS))


def is_body_name(spec_name: str) -> bool:
    """Whether an argument name from the spec would be a name the generated bodies use."""
    return "_".join(_words(spec_name)) in BODY_NAMES


def snake_name(text: str) -> PythonIdentifier:
    """Return a module or namespace name from spec words (``sorted-set``, ``JSON``)."""
    return PythonIdentifier(_fix_reserved("_".join(_words(text) or ["value"])))


def method_name(command: str) -> PythonIdentifier:
    """Return the method name for a full command name (``CLIENT LIST`` -> ``client_list``).

    Only separators change: spaces, dots and dashes become underscores, so the name stays
    searchable from the Redis documentation.
    """
    name = re.sub(r"[ .\-]", "_", command.lower())
    if not _IDENTIFIER.match(name):
        raise ValueError(f"command name cannot become a method: {command!r}")
    return PythonIdentifier(_fix_reserved(name))


def constant_name(command: str) -> PythonIdentifier:
    """Return the metadata constant name for a full command name (``CLIENT LIST``...)."""
    name = re.sub(r"[ .\-]", "_", command.upper())
    if not _IDENTIFIER.match(name):
        raise ValueError(f"command name cannot become a constant: {command!r}")
    return PythonIdentifier(name)


def class_name(*parts: str) -> ClassName:
    """Return a CamelCase class name from spec words (``sorted-set``, ``Commands``...)."""
    words = [w for part in parts for w in _words(part)]
    return ClassName("".join(w[:1].upper() + w[1:] for w in words))


def _escape_char(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    if char.isprintable():
        return char
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_spec_text(text: str, *, in_docstring: bool = False) -> str:
    """Turn spec text into source text, the one door through which spec text enters code.

    Without ``in_docstring``, return a complete string literal, quoted the way ``ruff format``
    quotes it (double quotes unless the text holds more double than single quotes). With
    ``in_docstring``, return text safe to place on one line of a triple-quoted docstring:
    backslashes, quote runs and control characters are escaped, newlines become spaces.

    Args:
        text: Any text taken from a spec file.
        in_docstring: Whether the text goes inside a docstring instead of a literal.

    Returns:
        Source text that, once parsed, gives back ``text`` (newlines aside in docstrings).
    """
    if in_docstring:
        flat = " ".join(text.split())
        body = "".join(_escape_char(c) for c in flat)
        # Escape every double quote: a run of three would close the docstring, and a quote
        # at the very end would merge with the closing delimiter.
        return body.replace('"', '\\"')
    quote = "'" if text.count('"') > text.count("'") else '"'
    body = "".join(_escape_char(c) for c in text)
    return quote + body.replace(quote, "\\" + quote) + quote
