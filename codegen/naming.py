"""Every Python name and every piece of spec text that becomes source code passes through here.

Rules:
- ``PythonIdentifier`` and ``ClassName`` can only be built by the functions below, which
  validate them, so a raw spec string never reaches a template where a name is expected.
- Reserved words get a trailing underscore; nothing else is renamed here. Renames that
  Python forces on command names (``DEL`` -> ``delete``) live in ``overrides/names.toml``.
- ``escape_spec_text`` is the only way spec text (summaries, history, tokens) enters generated
  source. Removing it would let a crafted spec inject code into the generated package.
"""

from __future__ import annotations

import keyword
import re

__all__ = [
    "ClassName",
    "PythonIdentifier",
    "class_name",
    "constant_name",
    "escape_spec_text",
    "method_name",
    "param_name",
]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Names a parameter must not take besides keywords: the method's own receiver, and the soft
# keywords that read badly as names.
_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self"}


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


def _fix_reserved(name: str) -> str:
    if name in _RESERVED:
        return name + "_"
    if name[0].isdigit():
        return "n" + name
    return name


def param_name(spec_name: str) -> PythonIdentifier:
    """Return the parameter name for an argument name from the spec (``unix-time`` -> ...)."""
    words = _words(spec_name) or ["value"]
    return PythonIdentifier(_fix_reserved("_".join(words)))


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
