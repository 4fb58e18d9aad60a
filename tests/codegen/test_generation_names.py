"""Names the generator chooses never hide what the generated code itself uses.

A parameter named after a builtin the bodies use (``float``) is renamed: after its token
(INCREX's ``BYFLOAT``), else with a trailing underscore. A body that would call a builtin a
parameter hides (``len``), or a method that hides a builtin its class's annotations use, is a
generator error naming the command.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import command, generate_into, recorder, write_inputs

from codegen.__main__ import main
from codegen.diagnostics import Level

KEY = {"name": "key", "type": "key", "key_spec_index": 0}


def _client(tmp_path: Path, spec: dict[str, Any], **files: str) -> Any:
    module, diagnostics = generate_into(tmp_path, spec, **files)
    assert diagnostics.count(Level.ERROR) == 0, [d.format() for d in diagnostics]
    return recorder(module.Commands)


def _errors(
    tmp_path: Path, spec: dict[str, Any], capsys: pytest.CaptureFixture[str], **files: str
) -> list[str]:
    spec_path, overrides, replies = write_inputs(tmp_path, spec, **files)
    status = main(
        [
            *("generate", "--spec", str(spec_path), "--out", str(tmp_path / "out")),
            *("--overrides", str(overrides), "--replies", str(replies)),
        ]
    )
    assert status == 1
    return [line.strip() for line in capsys.readouterr().err.splitlines() if "error:" in line]


def test_parameter_named_float_takes_its_token_and_float_stays_the_builtin(
    tmp_path: Path,
) -> None:
    spec = {
        "INCREX": command(
            "INCREX",
            [
                KEY,
                {"name": "float", "type": "double", "token": "BYFLOAT", "optional": True},
                {"name": "int", "type": "integer", "token": "BYINT", "optional": True},
            ],
        )
    }
    client = _client(tmp_path, spec, replies='[replies]\nINCREX = "double"\n')
    assert list(inspect.signature(client.increx).parameters) == ["key", "byfloat", "byint"]
    call = client.increx("k", byfloat=1.5)
    assert call.args == ("INCREX", "k", "BYFLOAT", 1.5)
    assert client.increx("k", byint=2).args == ("INCREX", "k", "BYINT", 2)
    with pytest.raises(TypeError, match=r"INCREX.*byfloat"):
        client.increx("k", byfloat="1.5")


def test_parameter_named_float_without_token_gets_an_underscore(tmp_path: Path) -> None:
    spec = {"INCRBYFLOAT": command("INCRBYFLOAT", [KEY, {"name": "float", "type": "double"}])}
    client = _client(tmp_path, spec, replies='[replies]\nINCRBYFLOAT = "double"\n')
    assert list(inspect.signature(client.incrbyfloat).parameters) == ["key", "float_"]
    call = client.incrbyfloat("k", 1.5)
    assert call.args == ("INCRBYFLOAT", "k", 1.5)
    # The reply parser is the generated one, never the caller's number.
    assert not isinstance(call.parser, float)
    with pytest.raises(TypeError, match="INCRBYFLOAT"):
        client.incrbyfloat("k", "x")


def test_rename_hint_to_a_builtin_the_body_uses_is_made_safe(tmp_path: Path) -> None:
    spec = {"INCRBYFLOAT": command("INCRBYFLOAT", [KEY, {"name": "increment", "type": "double"}])}
    client = _client(
        tmp_path,
        spec,
        replies='[replies]\nINCRBYFLOAT = "double"\n',
        mappings='[rename]\n"INCRBYFLOAT/increment" = "float"\n',
    )
    call = client.incrbyfloat("k", 2.5)
    assert call.args == ("INCRBYFLOAT", "k", 2.5)
    assert not isinstance(call.parser, float)


def test_parameter_hiding_a_builtin_its_body_calls_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The count of the keys is computed with len(): a parameter named len would hide it.
    spec = {
        "MGETLEN": command(
            "MGETLEN",
            [
                {"name": "numkeys", "type": "integer"},
                {"name": "key", "type": "key", "key_spec_index": 0, "multiple": True},
                {"name": "len", "type": "integer", "token": "LEN", "optional": True},
            ],
        )
    }
    errors = _errors(tmp_path, spec, capsys, replies='[replies]\nMGETLEN = "int"\n')
    assert errors == [
        "error: MGETLEN: parameter len hides the builtin len its method's body uses; give the"
        " argument another name in arguments.toml rename"
    ]


def test_parameter_named_len_is_kept_when_the_body_does_not_call_len(tmp_path: Path) -> None:
    spec = {
        "LPOS": command(
            "LPOS",
            [KEY, {"name": "len", "type": "integer", "token": "MAXLEN", "optional": True}],
        )
    }
    client = _client(tmp_path, spec, replies='[replies]\nLPOS = "int?"\n')
    assert client.lpos("k", len=3).args == ("LPOS", "k", "MAXLEN", 3)


def test_core_method_hiding_a_builtin_its_class_uses_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {
        "LRANGE": command(
            "LRANGE",
            [KEY, {"name": "start", "type": "integer"}, {"name": "stop", "type": "integer"}],
            group="list",
        ),
        "LPOS": command("LPOS", [KEY, {"name": "element", "type": "string"}], group="list"),
    }
    errors = _errors(
        tmp_path,
        spec,
        capsys,
        replies='[replies]\nLRANGE = "array<bulk>"\nLPOS = "int?"\n',
        names='[methods]\nLPOS = "list"\n',
    )
    assert errors == [
        "error: LPOS: method list hides the builtin its class's annotations use; rename it in"
        " names.toml"
    ]


def test_module_command_without_described_arguments_gets_no_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Redis 8's docs list module commands they do not document this way (FT.ADD, CF.COMPACT).
    key_spec = {
        "begin_search": {"type": "index", "spec": {"index": 2}},
        "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 1, "limit": 0}},
    }
    bare = {"group": "module", "arity": -1, "module": "search", "command_flags": ["module"]}
    spec = {
        "FT.ADD": {**bare, "key_specs": [key_spec]},
        "FT.SYNADD": bare,
        "FT.HELP": {**bare, "summary": "Lists the FT commands.", "since": ""},
    }
    spec_path, overrides, replies = write_inputs(tmp_path, spec)
    args = ["generate", "--spec", str(spec_path), "--out", str(tmp_path / "out")]
    args += ["--overrides", str(overrides), "--replies", str(replies)]
    assert main(args) == 0
    warned = [line.strip() for line in capsys.readouterr().err.splitlines() if "warning:" in line]
    assert warned == [
        f"warning: {name}: arity -1 and no arguments: the spec does not describe what it takes,"
        " so it gets no method (execute_command still sends it); give its arguments in"
        " arguments.toml grammar"
        for name in ("FT.ADD", "FT.SYNADD")
    ]
    assert main([*args, "--fail-on-warning"]) == 1
    ft = (tmp_path / "out" / "ft.py").read_text("utf-8")
    assert "def add(" not in ft
    assert "def synadd(" not in ft
    # A documented command that takes nothing keeps its method; an unknown version is not shown.
    assert "def help(self)" in ft
    assert "unknown" not in ft
