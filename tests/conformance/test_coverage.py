"""The conformance tables cover every generated method, and at least 95 % of the commands run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ._report import REPORT
from ._runner import command_of, generated_methods
from .tables import CANNOT_RUN, ENTRIES, VARYING

SPEC = Path(__file__).resolve().parents[2] / "specs" / "commands.json"
#: The share of the spec's commands (those with a method) that must really run.
MIN_RAN = 0.95


def test_every_generated_method_is_in_a_table(
    record_property: Callable[[str, object], None],
) -> None:
    methods = generated_methods()
    tabled = {entry.method for entry in ENTRIES}
    assert not tabled & CANNOT_RUN.keys(), "in both tables"
    assert not (tabled | CANNOT_RUN.keys()) - methods, "tables name methods that do not exist"
    missing = sorted(methods - tabled - CANNOT_RUN.keys())
    assert not missing, f"generated methods in no conformance table: {missing}"

    spec_commands = set(json.loads(SPEC.read_text()))
    with_method = {command_of(m) for m in methods} & spec_commands
    ran = {command_of(m) for m in tabled} & spec_commands
    share = len(ran) / len(with_method)
    line = (
        f"{len(ran)}/{len(with_method)} spec commands with a method ran on a real server "
        f"({share:.1%}); {len(CANNOT_RUN)} cannot run"
    )
    REPORT.coverage = line
    record_property("conformance_coverage", line)
    assert share >= MIN_RAN, line


def test_varying_commands_are_real_commands() -> None:
    known = {command_of(m) for m in generated_methods()}
    assert not VARYING.keys() - known
