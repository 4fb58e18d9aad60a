"""Properties of the generated surface: coverage, no Any, escaping, template fragments."""

from __future__ import annotations

import importlib.util
import inspect
import json
import typing
from pathlib import Path

import pytest
from codegen_helpers import ROOT

from codegen.config import load_overrides
from codegen.diagnostics import Diagnostics
from codegen.ir import (
    Argument,
    BlockType,
    Method,
    ModelField,
    Package,
    ParamKind,
    ParserFunction,
    ReplyModel,
)
from codegen.naming import (
    ClassName,
    PythonIdentifier,
    class_name,
    escape_spec_text,
    method_name,
    param_name,
)
from codegen.parse import is_container, is_internal
from codegen.render import environment
from redis_oxide._generated import Commands, _meta

FRAGMENTS = Path(__file__).parent / "fragments"
NASTY = [
    'say "hi"',
    "it's",
    "back\\slash\\",
    "triple \"\"\" quotes and ''' too",
    "new\nline\r\ttab",
    'ends with quote"',
    "\x00\x1b\u2028 control",
]


def test_every_spec_command_has_a_method_or_a_recorded_reason() -> None:
    table = json.loads((ROOT / "specs" / "commands.json").read_text("utf-8"))
    modules: dict[str, object] = {}
    for path in sorted((ROOT / "specs" / "modules").glob("*.json")):
        modules.update(json.loads(path.read_text("utf-8")))
    overrides = load_overrides(
        ROOT / "codegen" / "overrides", ROOT / "specs" / "replies.toml", Diagnostics()
    )
    owned = overrides.runtime_owned.commands
    methods = {name for name, _ in inspect.getmembers(Commands, inspect.isfunction)}
    names = overrides.names.methods
    missing = [
        name
        for name in table
        if not (name in owned or is_container(name, table) or is_internal(name))
        and names.get(name, method_name(name)) not in methods
    ]
    assert missing == []
    assert set(_meta.COMMANDS) == set(table) | set(modules)
    assert dict(_meta.RUNTIME_OWNED) == owned
    for name in owned:
        assert method_name(name) not in methods


def test_no_public_signature_mentions_any() -> None:
    checked = 0
    for name, function in inspect.getmembers(Commands, inspect.isfunction):
        if name.startswith("_"):
            continue
        hints = typing.get_type_hints(function)
        for hint in hints.values():
            assert "Any" not in repr(hint), f"{name}: {hint!r}"
        checked += 1
    assert checked > 300


@pytest.mark.parametrize("text", NASTY)
def test_escaped_literal_imports_back_to_the_same_text(text: str, tmp_path: Path) -> None:
    literal = escape_spec_text(text)
    doc = escape_spec_text(text, in_docstring=True)
    source = f'"""{doc}"""\n\nVALUE = {literal}\n'
    module_path = tmp_path / "escaped.py"
    module_path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("escaped", module_path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert text == module.VALUE
    assert module.__doc__ == " ".join(text.split())


def test_names_are_validated_identifiers() -> None:
    assert param_name("unix-time-seconds") == "unix_time_seconds"
    assert param_name("from") == "from_"
    assert method_name("CLIENT LIST") == "client_list"
    assert method_name("JSON.GET") == "json_get"
    with pytest.raises(ValueError, match="identifier"):
        PythonIdentifier("not valid")


def _fragment_method() -> Method:
    return Method(
        name=PythonIdentifier("echo"),
        overloads=(),
        signature=("def echo(self, message: ValueT) -> Awaitable[StrT]:",),
        docstring=("Returns the message.", "", "Args:", "    message: What to send back."),
        body=('return self._execute(_m.ECHO, ("ECHO", message), None)',),
    )


def test_method_fragment_renders_expected_text() -> None:
    template = environment().from_string(
        '{% import "macros.jinja" as macros %}{{ macros.method(method) }}'
    )
    rendered = template.render(method=_fragment_method())
    assert rendered == (FRAGMENTS / "method.txt").read_text("utf-8")


def test_types_fragment_renders_dataclass_and_alias() -> None:
    package = Package(
        header=("# header",),
        groups=(),
        commands=(),
        block_types=(
            BlockType(class_name("limit"), "The limit.", ("offset: int",)),
            BlockType(
                class_name("unit"),
                "",
                ('Literal["M", "KM"]',),
                ('Unit: TypeAlias = Literal["M", "KM"]',),
            ),
        ),
        runtime_owned=(),
        type_imports=("from typing import Literal, TypeAlias",),
    )
    rendered = environment().get_template("types.py.jinja").render(package=package)
    assert rendered == (FRAGMENTS / "types.txt").read_text("utf-8")


def test_argument_declaration_text() -> None:
    arg = Argument(PythonIdentifier("keys"), "KeyT", ParamKind.VARIADIC, None, "doc")
    assert arg.declaration() == "*keys: KeyT"
    flag = Argument(PythonIdentifier("nx"), "bool", ParamKind.KEYWORD, "False", "doc")
    assert flag.declaration() == "nx: bool = False"


def _fragment_package() -> Package:
    return Package(
        header=("# header",),
        groups=(),
        commands=(),
        block_types=(),
        runtime_owned=(),
        type_imports=(),
        models=(
            ReplyModel(
                ClassName("Entry"),
                "One entry.",
                True,
                (
                    ModelField(PythonIdentifier("id"), "StrT", None),
                    ModelField(PythonIdentifier("lag"), "int | None", "None"),
                ),
            ),
        ),
        model_names=("Entry",),
        parsers=(
            ParserFunction(
                "parse_entry",
                (
                    "def parse_entry(x: Any) -> _models.Entry[Any]:",
                    "    return _models.Entry.model_validate(_r.record(x))",
                ),
            ),
        ),
        parser_imports=(
            "from typing import Any",
            "",
            "from redis_oxide import _replies as _r",
            "",
            "from . import _models",
        ),
        model_imports=(
            "from typing import Generic",
            "",
            "from redis_oxide._replies import ReplyModel",
            "",
            "from ._base import StrT",
        ),
    )


@pytest.mark.parametrize("template", ["models", "reply_parsers"])
def test_reply_fragments_render_expected_text(template: str) -> None:
    rendered = (
        environment().get_template(f"{template}.py.jinja").render(package=_fragment_package())
    )
    assert rendered == (FRAGMENTS / f"{template}.txt").read_text("utf-8")
