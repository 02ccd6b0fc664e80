"""`spanlab train CONFIG.yaml [--set section.key=value ...] [--resume]`.

Works under `torchrun -m spanlab train …`: every rank trains, only rank 0 logs at INFO
level, prints the summary and evaluates the final model.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from spanlab.cli import app
from spanlab.config import RunConfig, load_config


def setup_logging(rank: int = 0) -> None:
    """Rich log lines for spanlab's loggers (INFO on rank 0, WARNING elsewhere); other libraries stay at WARNING."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s", handlers=[RichHandler(console=Console(stderr=True))])
    logging.getLogger("spanlab").setLevel(logging.INFO if rank == 0 else logging.WARNING)


def leave_process_group() -> None:
    """Under torchrun the Trainer opens a process group and nothing closes it: a rank that exits
    while rank 0 still evaluates can then abort in gloo's teardown ("terminate called without an
    active exception", exit code -6). Every rank meets here once training is done and closes it."""
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def train_and_report(cfg: RunConfig, resume: bool = False, console: Console | None = None) -> Path:
    """Train; on rank 0 print the run summary and, with an eval suite configured, the final model's table."""
    from spanlab.training.recipe import train  # torch + transformers: imported here so that --help stays fast

    final = train(cfg, resume=resume)
    leave_process_group()
    if int(os.environ.get("RANK", "0")) != 0:
        return final
    console = console or Console()
    summary_path = Path(cfg.train.output_dir) / "train_summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.is_file() else {}
    console.print(f"[bold green]done[/] · model: {escape(str(final))}")
    console.print(
        f"steps: {summary.get('steps')} · best metric (suite F1): {summary.get('best_metric')} · "
        f"best checkpoint: {escape(str(summary.get('best_checkpoint')))}"
    )
    if cfg.eval.suite:
        from spanlab.cli.evaluate import evaluate_with_progress
        from spanlab.evaluation.report import rich_table
        from spanlab.evaluation.suite import load_suite
        from spanlab.model import SpanModel

        e = cfg.eval
        sets = load_suite(e.suite, e.sets, e.lowercase, e.fixed_labels, e.max_sentences)
        result = evaluate_with_progress(SpanModel.from_pretrained(final), sets, e, seed=cfg.train.seed)
        console.print(rich_table(result, title=f"Final model · {escape(str(final))}"))
    return final


@app.command("train")
def train_command(
    config: Path = typer.Argument(..., help="A run config (YAML); see configs/."),
    overrides: list[str] | None = typer.Option(
        None, "--set", help="Override one key, e.g. --set train.steps=100 (repeatable)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint in train.output_dir."),
) -> None:
    """Train a model as the config describes; the best (or last) model ends up in OUTPUT_DIR/model."""
    cfg = load_config(config, overrides or [])  # config errors before anything heavy is imported
    setup_logging(int(os.environ.get("RANK", "0")))
    train_and_report(cfg, resume=resume)
