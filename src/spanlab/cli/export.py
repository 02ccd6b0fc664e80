"""`spanlab export MODEL_DIR --onnx OUT [--int8] [--check]`: an ONNX model folder for onnxruntime."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from spanlab.cli import app


@app.command("export")
def export_command(
    model_dir: Path = typer.Argument(..., help="A model folder written by `spanlab train`."),
    onnx: Path = typer.Option(..., "--onnx", help="Output folder: config, tokenizer and model.onnx."),
    int8: bool = typer.Option(False, "--int8", help="Also write model.int8.onnx (dynamic int8 quantisation)."),
    check: bool = typer.Option(False, "--check", help="Compare the ONNX graph(s) with PyTorch on sample texts."),
) -> None:
    """Export a model to ONNX (dynamic batch and length axes) for `spanlab serve --backend onnx`."""
    from spanlab.inference.onnx_export import export_onnx  # torch: imported here so that --help stays fast

    console = Console()
    for path in export_onnx(model_dir, onnx, int8=int8):
        console.print(f"wrote {path} ({path.stat().st_size / 2**20:.1f} MiB)")
    if not check:
        return
    from spanlab.inference.onnx_check import check_onnx

    results = [check_onnx(model_dir, onnx, int8=q) for q in ([False, True] if int8 else [False])]
    table = Table(title="ONNX vs PyTorch")
    for col in ("graph", "texts", "max |logit diff|", "entities (torch / onnx)", "identical entities"):
        table.add_column(col)
    for r in results:
        table.add_row(r["graph"], str(r["texts"]), f"{r['max_abs_logit_diff']:.2e}",
                      f"{r['entities_torch']} / {r['entities_onnx']}", "yes" if r["same_entities"] else "NO")
    console.print(table)
    if not results[0]["same_entities"]:  # fp32 must agree exactly; int8 is reported, not enforced
        raise typer.Exit(1)
