"""`spanlab convert ...`: move models and data between spanlab and the GLiNER ecosystem.

    spanlab convert pile-ner train.json data/pile-ner.jsonl.gz   # Universal-NER Pile-NER-type → records
    spanlab convert from-gliner path/to/gliner-model runs/imported   # gliner checkpoint → spanlab folder
    spanlab convert to-gliner runs/x/model exported/                 # spanlab (or gliner) model → gliner format
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from spanlab.cli import app

convert_app = typer.Typer(help="Convert models and data from and to the GLiNER ecosystem.", no_args_is_help=True)
app.add_typer(convert_app, name="convert")
console = Console(stderr=True)


@convert_app.command("pile-ner")
def pile_ner(
    src: Path = typer.Argument(..., help="Pile-NER-type conversation JSON (Universal-NER train.json)"),
    dst: Path = typer.Argument(..., help="output JSONL, gzipped when it ends in .gz"),
    keep_case: bool = typer.Option(False, "--keep-case", help="keep entity types as written (default: lower-case)"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="skip malformed entries and count them"),
) -> None:
    """Convert Pile-NER conversations to GLiNER training records (types answered [] → `negative`)."""
    from spanlab.data.pile_ner import convert_pile_ner

    report = convert_pile_ner(src, dst, lowercase=not keep_case, skip_invalid=skip_invalid)
    console.print(f"{dst}: {report.summary()}")


@convert_app.command("from-gliner")
def from_gliner(
    src: Path = typer.Argument(..., help="folder saved by the gliner library (gliner_config.json + weights)"),
    dst: Path = typer.Argument(..., help="output spanlab model folder"),
) -> None:
    """Import a gliner uni-encoder span checkpoint as a spanlab model folder."""
    from spanlab.interop.gliner_checkpoint import load_gliner_checkpoint

    load_gliner_checkpoint(src).save_pretrained(dst)
    console.print(f"{dst}: spanlab model written")


@convert_app.command("to-gliner")
def to_gliner(
    src: Path = typer.Argument(..., help="spanlab model folder (or a gliner checkpoint)"),
    dst: Path = typer.Argument(..., help="output folder in the gliner library's format"),
) -> None:
    """Export a model so that gliner's GLiNER.from_pretrained loads it."""
    from spanlab.interop.gliner_checkpoint import save_gliner_checkpoint
    from spanlab.model import SpanModel

    save_gliner_checkpoint(SpanModel.from_pretrained(src), dst)
    console.print(f"{dst}: gliner checkpoint written")
