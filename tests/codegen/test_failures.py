"""Failure tier: broken specs and overrides produce the expected diagnostics, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest
from codegen_helpers import command, write_inputs

from codegen.__main__ import main

KEY = {"name": "key", "type": "key"}

CASES = {
    "unknown_override_command": (
        {"GET": command("GET", [KEY])},
        {"names": '[methods]\nNOPE = "nope"\n', "replies": '[replies]\nGHOST = "int"\n'},
        [
            "error: GHOST: replies.toml names a command that is not in the spec",
            "error: NOPE: names.toml names a command that is not in the spec",
        ],
    ),
    "bad_grammar": (
        {
            "BAD": command(
                "BAD",
                [
                    {"name": "flag", "type": "pure-token"},
                    {"name": "empty", "type": "oneof"},
                    {"name": "weird", "type": "function"},
                ],
            )
        },
        {},
        [
            "error: BAD: argument 'empty' is an empty oneof",
            "error: BAD: argument 'flag' is a pure-token without token",
            "warning: BAD: argument 'weird' has unknown type 'function'",
        ],
    ),
    "bad_reply_notation": (
        {"GET": command("GET", [KEY])},
        {"replies": '[replies]\nGET = "list<bulk>"\n'},
        ["error: GET: replies.toml: unknown reply type 'list' in 'list<bulk>'"],
    ),
    "method_clashes_with_runtime": (
        {"PIPELINE": command("PIPELINE", [])},
        {"replies": '[replies]\nPIPELINE = "ok"\n'},
        ["error: PIPELINE: method pipeline clashes with the runtime; rename it"],
    ),
    "variant_names_no_option": (
        {"GET": command("GET", [KEY])},
        {"replies": '[replies]\nGET = "bulk"\n[variants.GET]\nwithscores = "int"\n'},
        ["error: GET: reply variant 'withscores' is not an option of the command"],
    ),
    "variant_combination_names_no_option": (
        {"GET": command("GET", [KEY, {"name": "raw", "type": "pure-token", "token": "RAW"}])},
        {"replies": '[replies]\nGET = "bulk"\n[variants.GET]\n"raw+nope" = "int"\n'},
        ["error: GET: reply variant 'raw+nope' is not an option of the command"],
    ),
    "unknown_model": (
        {"GET": command("GET", [KEY])},
        {"replies": '[replies]\nGET = "array<Nope>"\n'},
        ["error: GET: replies.toml: unknown model 'Nope' in 'array<Nope>'"],
    ),
    "bytes_mixed_with_client_strings": (
        {"GET": command("GET", [KEY])},
        {"replies": '[replies]\nGET = "pair<bytes,bulk>"\n'},
        ["error: GET: replies.toml: 'pair<bytes,bulk>' mixes bytes with strings"],
    ),
    "broken_models": (
        {"GET": command("GET", [KEY])},
        {
            "replies": '[replies]\nGET = "Thing"\n',
            "models": (
                '[models.Thing]\ndoc = "A thing."\n'
                '[models.Thing.fields]\nBad = "int"\nschema = "int"\nraw = "reply"\n'
                'rest = "array<int>"\n'
                '[models.Loose]\ndoc = "Loose."\nshape = "map"\nrest = true\n'
                '[models.Loose.fields]\nitems = "array<int>"\n'
            ),
        },
        [
            "error: (spec): reply_models.toml: Loose: rest needs a positional array",
            "error: (spec): reply_models.toml: Thing.Bad: field names are snake_case",
            "error: (spec): reply_models.toml: Thing.raw: models cannot hold `reply`",
            "error: (spec): reply_models.toml: Thing.schema: field names are snake_case",
        ],
    ),
    "bad_argument_hints": (
        {"GET": command("GET", [KEY, {"name": "pos", "type": "integer"}])},
        {
            "mappings": (
                'token_default = ["GET/key", "GET/nope"]\n'
                '[numbers]\n"GET/ghost" = "double"\n"GET/pos" = "float"\n'
            )
        },
        [
            "error: (spec): arguments.toml: numbers.GET/pos: Input should be 'double', 'text'",
        ],
    ),
    "argument_hints_name_no_argument": (
        {"GET": command("GET", [KEY, {"name": "pos", "type": "integer"}])},
        {"mappings": 'token_default = ["GET/key", "GET/nope"]\n[numbers]\n"GET/ghost" = "text"\n'},
        [
            "error: GET: arguments.toml: GET/ghost names no argument of the command",
            "error: GET: arguments.toml: GET/nope names no argument of the command",
            "error: GET: arguments.toml: token_default 'key' is not a required oneof of one token",
        ],
    ),
    "arity_needs_undescribed_arguments": (
        {"DEBUG": command("DEBUG", [], arity=-2), "GET": command("GET", [KEY], arity=2)},
        {
            "replies": '[replies]\nDEBUG = "reply"\nGET = "bulk"\n',
            "mappings": (
                '[grammar.GET]\nwhy = "test"\narguments = [{ name = "x", type = "string" }]\n'
                '[rename]\n"GET/ghost" = "spirit"\n'
            ),
        },
        [
            "error: DEBUG: arity -2 needs arguments the spec does not describe",
            "error: GET: arguments.toml grammar: the spec describes the arguments",
            "error: GET: arguments.toml: rename GET/ghost names no argument",
        ],
    ),
    "check_without_reason": (
        {"GET": command("GET", [KEY])},
        {"mappings": '[checks.GET]\nwhy = { when = "key", message = "m" }\n'},
        ["error: (spec): arguments.toml: checks.GET.why.reason: Field required"],
    ),
    "checks_name_what_the_method_lacks": (
        {
            "GET": command(
                "GET",
                [
                    KEY,
                    {"name": "pos", "type": "integer", "token": "POS", "optional": True},
                    {"name": "raw", "type": "pure-token", "token": "RAW", "optional": True},
                ],
            )
        },
        {
            "replies": '[replies]\nGET = "bulk"\n',
            "mappings": (
                "[checks.GET]\n"
                'ghost = { when = "ghost and raw", message = "m", reason = "r" }\n'
                'call = { when = "print(raw)", message = "m", reason = "r" }\n'
                'lam = { when = "(lambda: raw)()", message = "m", reason = "r" }\n'
                'holds = { when = "pos is None", message = "m", reason = "r" }\n'
                'broken = { when = "raw and", message = "m", reason = "r" }\n'
                'field = { when = "key.x is not None", message = "m", reason = "r" }\n'
                "[checks.NOPE]\n"
                'x = { when = "raw", message = "m", reason = "r" }\n'
            ),
        },
        [
            "error: GET: arguments.toml: checks.GET.ghost: names no parameter of the method:"
            " ['ghost']",
            "error: GET: arguments.toml: checks.GET.call: the only calls allowed are len(parameter)"
            " and any(... for x in parameter)",
            "error: GET: arguments.toml: checks.GET.lam: the condition may not use Lambda",
            "error: GET: arguments.toml: checks.GET.holds: can hold when no option is given",
            "error: GET: arguments.toml: checks.GET.broken: not a Python condition",
            "error: GET: arguments.toml: checks.GET.field: key is not a block: it has no fields",
            "error: NOPE: arguments.toml checks names a command that is not in the spec",
        ],
    ),
    "empty_of_a_scalar": (
        {"GET": command("GET", [KEY])},
        {"replies": '[replies]\nGET = "empty<bulk>"\n'},
        ["error: GET: replies.toml: empty<T> of a T that is not a list, set or map"],
    ),
    "unknown_tips_and_key_specs": (
        {
            "GET": command(
                "GET",
                [KEY],
                hints=["request_policy:everywhere", "response_policy:agg_median", "new_tip"],
                key_specs=[
                    {
                        "begin_search": {"type": "index", "spec": {"index": 1}},
                        "find_keys": {"type": "range", "spec": {"lastkey": 0, "keystep": 0}},
                        "RW": True,
                        "sometimes": True,
                    },
                    {"begin_search": {"type": "regex"}, "find_keys": {"type": "glob"}},
                ],
            )
        },
        {},
        [
            "error: GET: key spec has keystep 0 and limit 0",
            "error: GET: key spec has unknown begin_search type 'regex'",
            "error: GET: key spec has unknown find_keys type 'glob'",
            "error: GET: key spec has unknown flag 'sometimes'",
            "error: GET: unknown request_policy 'everywhere'",
            "error: GET: unknown response_policy 'agg_median'",
            "warning: GET: unknown command tip 'new_tip'",
        ],
    ),
    "invalid_entry": (
        {"GET": {"summary": "no group", "arity": "two"}},
        {},
        ["error: GET: invalid entry: group: Field required"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_input_reports_expected_diagnostics(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec, files, expected = CASES[case]
    spec_path, overrides, replies = write_inputs(tmp_path, spec, **files)
    status = main(
        [
            *("generate", "--spec", str(spec_path), "--out", str(tmp_path / "out")),
            *("--overrides", str(overrides), "--replies", str(replies)),
        ]
    )
    err = capsys.readouterr().err
    reported = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    for line in expected:
        assert any(r.startswith(line) for r in reported), f"{line!r} not in {reported}"
    assert status == 1
    assert "generation failed" in err
    assert not (tmp_path / "out").exists()


def test_warnings_fail_only_with_fail_on_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec_path, overrides, replies = write_inputs(tmp_path, {"GET": command("GET", [KEY])})
    args = ["generate", "--spec", str(spec_path), "--out", str(tmp_path / "out")]
    args += ["--overrides", str(overrides), "--replies", str(replies)]
    assert main(args) == 0
    assert "1 commands have no reply type yet and return Reply: GET" in capsys.readouterr().err
    assert main([*args, "--fail-on-warning"]) == 1
