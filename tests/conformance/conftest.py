"""Reports the conformance coverage figure and writes the mismatch report at the end."""

from __future__ import annotations

import pytest

from ._report import REPORT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the coverage figure and where the mismatch report went."""
    if not REPORT.coverage and not REPORT.findings:
        return
    terminalreporter.section("redis-oxide conformance")
    if REPORT.coverage:
        terminalreporter.write_line(f"coverage: {REPORT.coverage}")
    terminalreporter.write_line(f"reply mismatches: {len(REPORT.findings)}")
    written = REPORT.write_if_asked()
    if written is not None:
        terminalreporter.write_line(f"mismatch report: {written}")
