"""Values the server always refuses, refused by generated methods before the executor sees them.

Functional tier: inline spec snippets are generated, imported and called through a recording
executor. NaN is refused in every double; ``arguments.toml`` checks read fields of blocks,
items of tuples, the items of a collection (``any()``) and converted numbers, on core and
module commands alike; what a check reads is type-tested first, so a wrong type is still the
usual ``TypeError``. Broken entries are reported, those naming what a module spec lacks by the
stale-entry rule.
"""

from __future__ import annotations

import math
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from codegen_helpers import ROOT, ZADD_SPEC, command, generate_into, write_inputs

from codegen.__main__ import main
from codegen.diagnostics import Level

KEY = {"name": "key", "type": "key", "key_spec_index": 0}
NAN = float("nan")
NAN_MESSAGE = "must be a number, not NaN; check the computation that produced it$"
RUFF = str(ROOT / ".venv" / "bin" / "ruff")


class Sink:
    """Records what reaches the executor, so a test can assert that nothing did."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, ...]] = []


def _client(tmp_path: Path, spec: dict[str, Any], hints: str) -> tuple[Any, Any, Sink]:
    module, diagnostics = generate_into(tmp_path, spec, mappings=hints)
    # Commands without a reply type are only noted; nothing about the checks may be.
    assert diagnostics.count(Level.ERROR) == 0, diagnostics.grouped()
    assert not [d for d in diagnostics if "checks" in d.message], diagnostics.grouped()
    sink = Sink()

    class Recording(module.Commands):  # type: ignore[misc, name-defined]  # chosen at run time
        __slots__ = ()

        def _execute(self, meta: Any, args: tuple[Any, ...], parser: Any) -> Any:
            sink.sent.append(args)
            return parser

    return Recording(), module, sink


def _module(name: str, arguments: list[dict[str, Any]]) -> dict[str, Any]:
    return command(name, arguments, group="module", module="tests")


class Real(float):
    """A float subclass, as numpy's float64 is: it goes through the helper, not the inline test."""


NUMBERS_SPEC = {
    "ZADD": ZADD_SPEC,
    "BUMP": command(
        "BUMP",
        [
            KEY,
            {"name": "increment", "type": "double"},
            {"name": "weights", "type": "double", "token": "W", "optional": True, "multiple": True},
            {
                "name": "where",
                "type": "block",
                "token": "AT",
                "optional": True,
                "arguments": [
                    {"name": "longitude", "type": "double"},
                    {"name": "latitude", "type": "double"},
                ],
            },
            {
                "name": "low-cut-percentile",
                "type": "double",
                "token": "LONG",
                "optional": True,
            },
        ],
    ),
    "COUNTIN": command(
        "COUNTIN",
        [KEY, {"name": "min", "type": "double"}, {"name": "max", "type": "double"}],
        group="sorted-set",
    ),
    "WAITFOR": command("WAITFOR", [KEY, {"name": "timeout", "type": "double"}]),
}
NUMBERS_HINTS = """\
[mappings]
"ZADD/data" = "member"
[numbers]
"COUNTIN/min" = "text"
"COUNTIN/max" = "text"
"""


def test_nan_is_refused_in_every_double_and_infinity_is_kept(tmp_path: Path) -> None:
    client, package, sink = _client(tmp_path, NUMBERS_SPEC, NUMBERS_HINTS)
    refusals = [
        (lambda: client.zadd("z", {"a": 1.0, "b": NAN}), "ZADD: score"),
        (lambda: client.zadd("z", {"a": Real(NAN)}), "ZADD: score"),
        (lambda: client.bump("k", NAN), "BUMP: increment"),
        (lambda: client.bump("k", 1, weights=[1, NAN]), "BUMP: weights"),
        (lambda: client.bump("k", 1, where=(NAN, 1.0)), "BUMP: longitude"),
        (
            lambda: client.bump("k", 1, low_cut_percentile=NAN),
            "BUMP: low_cut_percentile",
        ),
        (lambda: client.countin("z", NAN, "+inf"), "COUNTIN: min"),
        (lambda: client.countin("z", "(1", Real(NAN)), "COUNTIN: max"),
        (lambda: client.waitfor("k", NAN), "WAITFOR: timeout"),
    ]
    for call, prefix in refusals:
        with pytest.raises(ValueError, match=f"^{prefix} {NAN_MESSAGE}"):
            call()
    assert sink.sent == []
    client.zadd("z", {"a": math.inf, "b": -math.inf, "c": Real(0.5), "d": "-inf"})
    client.bump("k", math.inf, weights=[1, 2.5], low_cut_percentile=1)
    client.countin("z", "-inf", math.inf)
    client.waitfor("k", timedelta(seconds=0.5))
    assert sink.sent == [
        ("ZADD", "z", math.inf, "a", -math.inf, "b", 0.5, "c", -math.inf, "d"),
        ("BUMP", "k", math.inf, "W", 1, 2.5, "LONG", 1),
        ("COUNTIN", "z", "-inf", math.inf),
        ("WAITFOR", "k", 0.5),
    ]
    # A long name keeps the NaN test, laid out as ruff formats it.
    module = package.string
    assert (
        "        ) or low_cut_percentile != low_cut_percentile:\n"
        in Path(module.__file__).read_text()
    )
    result = subprocess.run(
        [RUFF, "format", "--check", "--isolated", "--line-length", "100", str(module.__file__)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


AGGREGATION = {
    "name": "aggregation",
    "type": "block",
    "optional": True,
    "arguments": [
        {"name": "align", "type": "string", "token": "ALIGN", "optional": True},
        {"name": "aggregator", "type": "string", "token": "AGGREGATION"},
        {"name": "bucket-duration", "type": "integer"},
    ],
}
LIMIT = {
    "name": "limit",
    "type": "block",
    "token": "LIMIT",
    "optional": True,
    "arguments": [{"name": "offset", "type": "integer"}, {"name": "num", "type": "integer"}],
}
MODULE_SPEC = {
    "SERIES.RANGE": _module("SERIES.RANGE", [KEY, AGGREGATION, LIMIT]),
    "SERIES.QUANTILE": _module(
        "SERIES.QUANTILE", [KEY, {"name": "quantile", "type": "double", "multiple": True}]
    ),
    "SERIES.RULE": _module(
        "SERIES.RULE",
        [
            KEY,
            {
                "name": "aggregator",
                "type": "oneof",
                "arguments": [
                    {"name": "avg", "type": "pure-token", "token": "AVG"},
                    {"name": "sum", "type": "pure-token", "token": "SUM"},
                ],
            },
            {"name": "bucket-duration", "type": "integer"},
        ],
    ),
    "HANDOVER": command(
        "HANDOVER",
        [
            {"name": "force", "type": "pure-token", "token": "FORCE", "optional": True},
            {"name": "milliseconds", "type": "integer", "token": "TIMEOUT", "optional": True},
        ],
        group="server",
    ),
}


def _entry(command: str, name: str, when: str, message: str) -> str:
    """One ``checks`` entry as an arguments.toml table."""
    table = f'"{command}"' if "." in command else command
    return f'[checks.{table}.{name}]\nwhen = "{when}"\nmessage = "{message}"\nreason = "r"\n'


MODULE_HINTS = "".join(
    [
        _entry(
            "SERIES.RANGE",
            "bucket",
            "aggregation is not None and aggregation.bucket_duration <= 0",
            "bucket_duration must be more than 0",
        ),
        _entry(
            "SERIES.RANGE",
            "limit",
            "limit is not None and (limit[0] < 0 or limit[1] < 0)",
            "limit must not be negative",
        ),
        _entry(
            "SERIES.QUANTILE",
            "range",
            "any(q < 0 or q > 1 for q in quantile)",
            "each quantile must be between 0 and 1",
        ),
        _entry(
            "SERIES.RULE", "bucket", "bucket_duration <= 0", "bucket_duration must be more than 0"
        ),
        _entry(
            "HANDOVER",
            "timeout",
            "milliseconds is not None and milliseconds <= 0",
            "milliseconds must be more than 0",
        ),
    ]
)


def test_checks_read_fields_items_collections_and_converted_numbers(tmp_path: Path) -> None:
    client, module, sink = _client(tmp_path, MODULE_SPEC, MODULE_HINTS)
    block = module._types.SeriesRangeAggregation
    refusals = [
        (
            lambda: client.series.range(
                "k", aggregation=block(aggregator="avg", bucket_duration=0)
            ),
            "SERIES.RANGE: bucket_duration must be more than 0",
        ),
        (lambda: client.series.range("k", limit=(0, -1)), "SERIES.RANGE: limit must not be"),
        (lambda: client.series.range("k", limit=[-1, 5]), "SERIES.RANGE: limit must not be"),
        (lambda: client.series.quantile("k", 0.5, 1.5), "SERIES.QUANTILE: each quantile"),
        (lambda: client.series.quantile("k", "-inf"), "SERIES.QUANTILE: each quantile"),
        (lambda: client.series.rule("k", "SUM", -1), "SERIES.RULE: bucket"),
        (lambda: client.handover(milliseconds=0), "HANDOVER: milliseconds must be more than 0"),
        (
            lambda: client.handover(milliseconds=timedelta(0)),
            "HANDOVER: milliseconds must be more than 0",
        ),
    ]
    for call, message in refusals:
        with pytest.raises(ValueError, match=f"^{message}"):
            call()
    wrong_types = [
        (
            lambda: client.series.range(
                "k", aggregation=block(aggregator="a", bucket_duration="1")
            ),
            "^SERIES.RANGE: bucket_duration must be an int, not str$",
        ),
        (
            lambda: client.series.range("k", aggregation=(1, 2)),
            "^SERIES.RANGE: aggregation must be a SeriesRangeAggregation, not tuple$",
        ),
        (lambda: client.series.range("k", limit=(0, 1.5)), "^SERIES.RANGE: num must be an int"),
        (lambda: client.series.range("k", limit=5), r"^SERIES.RANGE: limit must be a \(offset"),
        (lambda: client.series.quantile("k", "half"), "^SERIES.QUANTILE: quantile must be a"),
        (lambda: client.handover(milliseconds="5"), "^HANDOVER: milliseconds must be an int or"),
    ]
    for call, message in wrong_types:
        with pytest.raises(TypeError, match=message):
            call()
    assert sink.sent == []
    client.series.range("k", aggregation=block(aggregator="avg", bucket_duration=1))
    client.series.range("k", limit=[0, 0])
    client.series.quantile("k", 0, 1, 0.5)
    client.series.rule("k", "AVG", 60)
    client.handover(milliseconds=timedelta(seconds=1))
    client.handover()
    assert sink.sent == [
        ("SERIES.RANGE", "k", "AGGREGATION", "avg", 1),
        ("SERIES.RANGE", "k", "LIMIT", 0, 0),
        ("SERIES.QUANTILE", "k", 0, 1, 0.5),
        ("SERIES.RULE", "k", "AVG", 60),
        ("HANDOVER", "TIMEOUT", 1000),
        ("HANDOVER",),
    ]


def _report(tmp_path: Path, spec: dict[str, Any], hints: str, capsys: Any) -> list[str]:
    spec_path, overrides, replies = write_inputs(tmp_path, spec, mappings=hints)
    args = ["generate", "--spec", str(spec_path), "--out", str(tmp_path / "out")]
    main([*args, "--overrides", str(overrides), "--replies", str(replies)])
    err: str = capsys.readouterr().err
    return [line.strip() for line in err.splitlines() if line.startswith("  ")]


def test_entries_naming_what_a_module_spec_lacks_are_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hints = MODULE_HINTS + (
        '\n[checks."SERIES.RULE".ghost]\nwhen = "ghost > 1"\nmessage = "m"\nreason = "r"\n'
        '\n[checks."SERIES.QUANTILE".field]\nwhen = "key.x > 1"\nmessage = "m"\nreason = "r"\n'
    )
    reported = _report(tmp_path, MODULE_SPEC, hints, capsys)
    assert (
        "warning: SERIES.RULE: arguments.toml: checks.SERIES.RULE.ghost: names no parameter of"
        " the method: ['ghost']"
    ) in reported
    assert (
        "warning: SERIES.QUANTILE: arguments.toml: checks.SERIES.QUANTILE.field: key is not a"
        " block: it has no fields"
    ) in reported
    assert not [line for line in reported if line.startswith("error")]


BROKEN = {
    "generator outside any": ("(q for q in quantile)", "a generator may only be the argument"),
    "any over a call": ("any(q > 1 for q in len(key))", "any() must iterate a parameter"),
    "any with if": ("any(q > 1 for q in quantile if q)", "any() takes one condition"),
    "item of an item": ("any(q[0] > 1 for q in quantile)", "only a parameter's own field or"),
    "computed index": ("limit[len(key)] > 1", "an item is read with a constant index"),
    "negative index": ("limit[-1] > 1", "an item is read with a constant index"),
    "negated parameter": ("-limit[0] > 1", "a minus sign goes only before a number"),
}


@pytest.mark.parametrize(("when", "message"), list(BROKEN.values()), ids=list(BROKEN))
def test_constructs_a_check_cannot_use_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], when: str, message: str
) -> None:
    spec = {
        "PICK": command(
            "PICK", [KEY, LIMIT, {"name": "quantile", "type": "double", "multiple": True}]
        )
    }
    hints = _entry("PICK", "bad", when, "m")
    reported = _report(tmp_path, spec, hints, capsys)
    assert any(
        line.startswith(f"error: PICK: arguments.toml: checks.PICK.bad: {message}")
        for line in reported
    ), reported


def test_a_double_field_compared_by_order_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = {
        "name": "where",
        "type": "block",
        "token": "AT",
        "optional": True,
        "arguments": [{"name": "x", "type": "double"}, {"name": "y", "type": "double"}],
    }
    hints = _entry("PICK", "bad", "where is not None and where[0] < 0", "m")
    reported = _report(tmp_path, {"PICK": command("PICK", [KEY, where])}, hints, capsys)
    assert (
        "error: PICK: arguments.toml: checks.PICK.bad: where[0] is not an int to compare"
        in reported
    )


def test_an_unquoted_module_name_in_a_table_header_is_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hints = _entry("SERIES.RULE", "bucket", "bucket_duration <= 0", "m").replace(
        '"SERIES.RULE"', "SERIES.RULE"
    )
    reported = _report(tmp_path, MODULE_SPEC, hints, capsys)
    assert any(
        "SERIES.RULE: a command name with a dot is quoted in the table header:"
        ' [checks."SERIES.RULE"]' in line
        for line in reported
    ), reported
