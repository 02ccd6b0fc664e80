"""`spanlab calibrate MODEL_DIR --dev PATH [--dev PATH ...] [--no-save]`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from spanlab.cli import app


@app.command("calibrate")
def calibrate_command(
    model_dir: Path = typer.Argument(..., help="A model folder (e.g. runs/x/model)."),
    dev: list[str] = typer.Option(..., "--dev", help="Dev data: GLiNER-format file or benchmark set folder (repeatable)."),
    out: Path | None = typer.Option(None, "--out", help="Where the plot and JSON go (default MODEL_DIR/calibration)."),
    save: bool = typer.Option(True, "--save/--no-save", help="Store the chosen threshold in the model's config.json."),
    max_sentences: int | None = typer.Option(None, "--max-sentences", help="Per dev set, for a quick look."),
) -> None:
    """Sweep the decoding threshold on dev, plot P/R/F1 against it and keep the best threshold."""
    from spanlab.config import EvalConfig
    from spanlab.search.calibrate import calibrate

    result = calibrate(model_dir, dev, out, EvalConfig(bootstrap=0, max_sentences=max_sentences), save=save)
    console = Console()
    console.print(f"threshold {result['threshold']} · F1 {100 * result['f1']:.1f} (at 0.5: {100 * result['f1_at_0.5']:.1f})")
    console.print(escape(result["verdict"]))
    if save:
        console.print(f"stored in {escape(str(model_dir / 'config.json'))}")
