"""The conformance tables cover every generated method, and at least 95 % of the commands run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ._report import REPORT
from ._runner import command_of, generated_methods
from .tables import CANNOT_RUN, ENTRIES, VARYING

SPECS = Path(__file__).resolve().parents[2] / "specs"
SPEC = SPECS / "commands.json"
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

    module_commands: set[str] = set()
    for path in sorted((SPECS / "modules").glob("*.json")):
        module_commands |= set(json.loads(path.read_text()))
    lines, shares = [], []
    for what, commands in (
        ("spec", set(json.loads(SPEC.read_text()))),
        ("module", module_commands),
    ):
        with_method = {command_of(m) for m in methods} & commands
        ran = {command_of(m) for m in tabled} & commands
        cannot = {command_of(m) for m in CANNOT_RUN} & commands
        shares.append(len(ran) / len(with_method))
        lines.append(
            f"{len(ran)}/{len(with_method)} {what} commands with a method ran on a real server "
            f"({shares[-1]:.1%}); {len(cannot)} cannot run"
        )
    line = "; ".join(lines)
    REPORT.coverage = line
    record_property("conformance_coverage", line)
    assert min(shares) >= MIN_RAN, line


def test_varying_commands_are_real_commands() -> None:
    known = {command_of(m) for m in generated_methods()}
    assert not VARYING.keys() - known
