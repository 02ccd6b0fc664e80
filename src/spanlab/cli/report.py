"""`spanlab report STUDY_DIR [--out DIR]`: HTML + PNG report of a study."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from spanlab.cli import app


@app.command("report")
def report_command(
    study_dir: Path = typer.Argument(..., help="A study folder written by `spanlab tune`."),
    out: Path | None = typer.Option(None, "--out", help="Report folder (default: STUDY_DIR/report)."),
) -> None:
    """Write index.html with plots (history, parallel coordinates, importance, curves, cost)."""
    from spanlab.search.report import write_report

    page = write_report(study_dir, out)
    Console().print(f"report: {escape(str(page))}")
