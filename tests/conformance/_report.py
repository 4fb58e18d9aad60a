"""What the conformance run found, kept for the terminal summary and the mismatch report.

Rules: tests append here and never read it; the conftest reads it once, at the end of the run.
The report file is written only when ``REDIS_OXIDE_CONFORMANCE_REPORT`` names a path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["REPORT", "Finding", "Report"]

REPORT_ENV = "REDIS_OXIDE_CONFORMANCE_REPORT"


@dataclass(frozen=True)
class Finding:
    """One disagreement between a declared type and what the server gave.

    Attributes:
        entry: The entry id (method and variant).
        command: The Redis command.
        run: ``RESP2 bytes``, ``RESP3 str`` ...
        declared: The declared type.
        actual: The value (repr, shortened).
        problem: Why it does not conform.
    """

    entry: str
    command: str
    run: str
    declared: str
    actual: str
    problem: str


@dataclass
class Report:
    """Findings of the run, plus the coverage line and commands still typed ``Reply``."""

    findings: list[Finding] = field(default_factory=list)
    provisional: dict[str, str] = field(default_factory=dict)
    coverage: str = ""

    def markdown(self) -> str:
        """Render the findings as a Markdown document."""
        lines = [
            "# Conformance mismatches",
            "",
            f"Coverage: {self.coverage or '(coverage test not run)'}",
            "",
            "## Declared type differs from the real reply",
            "",
            "| entry | command | run | declared | actual | problem |",
            "|---|---|---|---|---|---|",
        ]
        for f in sorted(self.findings, key=lambda f: (f.command, f.entry, f.run)):
            cells = (f.entry, f.command, f.run, f.declared, f.actual, f.problem)
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines += [
            "",
            "## Commands still typed with the provisional `Reply` alias",
            "",
            "Not failures: the alias admits any reply. Each value is the RESP3 bytes reply seen.",
            "",
        ]
        lines += [f"- `{cmd}`: `{_cell(val)}`" for cmd, val in sorted(self.provisional.items())]
        return "\n".join(lines) + "\n"

    def write_if_asked(self) -> Path | None:
        """Write the Markdown report to ``$REDIS_OXIDE_CONFORMANCE_REPORT``, if it is set."""
        target = os.environ.get(REPORT_ENV)
        if not target:
            return None
        path = Path(target)
        path.write_text(self.markdown())
        return path


def _cell(text: str) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= 160 else text[:157] + "..."


REPORT = Report()
