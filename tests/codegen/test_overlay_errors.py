"""Mistakes in the override files are reported once, clearly, and stop ``make generate``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import command, write_inputs

from codegen.__main__ import main

KEY = {"name": "key", "type": "key", "key_spec_index": 0}
JSON = {"group": "module", "module": "ReJSON", "since": "1.0.0", "summary": "A JSON command."}
JSON_SPEC = {
    "JSON.DEL": {**JSON, "arity": -2, "arguments": [KEY]},
    "JSON.GET": {**JSON, "arity": -2, "arguments": [KEY]},
}


def _run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    spec: dict[str, Any],
    *extra: str,
    **files: str,
) -> tuple[int, list[str]]:
    spec_path, overrides, replies = write_inputs(tmp_path, spec, **files)
    status = main(
        [
            *("generate", "--spec", str(spec_path), "--out", str(tmp_path / "out")),
            *("--overrides", str(overrides), "--replies", str(replies), *extra),
        ]
    )
    err = capsys.readouterr().err
    return status, [line.strip() for line in err.splitlines() if line.startswith("  ")]


def test_misspelt_module_command_fails_generation_when_the_module_is_in_the_spec(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = '[replies]\n"JSON.DEL" = "int"\n"JSON.GET" = "bulk?"\n'
    names = '[methods]\n"JSON.DELL" = "delete"\n'
    status, reported = _run(
        tmp_path, capsys, JSON_SPEC, "--fail-on-warning", names=names, replies=replies
    )
    assert status == 1
    assert reported == ["warning: JSON.DELL: names.toml names a command that is not in the spec"]


def test_module_entries_are_only_noted_for_a_spec_without_the_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {"GET": command("GET", [KEY])}
    replies = '[replies]\nGET = "bulk?"\n'
    names = '[methods]\n"JSON.DEL" = "delete"\n'
    status, reported = _run(
        tmp_path, capsys, spec, "--fail-on-warning", names=names, replies=replies
    )
    assert (status, reported) == (0, [])


def test_broken_names_file_reports_its_own_error_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Read as empty, the file would also leave TOPK.LIST's method hiding list[...].
    spec = {
        "TOPK.LIST": {
            "group": "module",
            "module": "bf",
            "summary": "List.",
            "arity": 2,
            "arguments": [KEY],
        }
    }
    replies = '[replies]\n"TOPK.LIST" = "array<bulk>"\n'
    names = '[methods]\n"TOPK.LIST" = "list_items"\n"TOPK.INFO" = "in-fo"\n'
    status, reported = _run(tmp_path, capsys, spec, names=names, replies=replies)
    assert status == 1
    assert reported == [
        "error: (spec): names.toml: methods: Value error, TOPK.INFO = 'in-fo': not a usable"
        " Python identifier: 'in-fo'"
    ]


def test_misspelt_rename_path_gives_one_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {
        "RESTORE": command(
            "RESTORE",
            [KEY, {"name": "seconds", "type": "integer", "token": "IDLETIME", "optional": True}],
        )
    }
    hints = '[rename]\n"RESTORE/secs" = "idletime"\n[numbers]\n"RESTORE/idletime" = "seconds"\n'
    status, reported = _run(
        tmp_path, capsys, spec, mappings=hints, replies='[replies]\nRESTORE = "ok"\n'
    )
    assert status == 1
    assert reported == ["error: RESTORE: arguments.toml: rename RESTORE/secs names no argument"]


def test_rename_onto_another_parameter_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = {"EXPIRE": command("EXPIRE", [KEY, {"name": "seconds", "type": "integer"}])}
    hints = '[rename]\n"EXPIRE/seconds" = "key"\n'
    status, reported = _run(
        tmp_path, capsys, spec, mappings=hints, replies='[replies]\nEXPIRE = "int"\n'
    )
    assert status == 1
    assert reported == [
        "error: EXPIRE: arguments.toml: rename EXPIRE/seconds = 'key': the command already has a"
        " parameter key; choose another name"
    ]
