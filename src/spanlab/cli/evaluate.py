"""`spanlab evaluate MODEL_DIR --suite DIR`: a model × a zero-shot suite → table, JSON, Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from spanlab.cli import app
from spanlab.config import EvalConfig
from spanlab.evaluation.report import markdown, rich_table
from spanlab.evaluation.suite import EvalSet, load_suite
from spanlab.evaluation.zeroshot import SuiteResult, evaluate_suite
from spanlab.io import atomic_write_json, atomic_write_text


def evaluate_with_progress(
    model, sets: list[EvalSet], cfg: EvalConfig, seed: int = 0, label_orders: int = 0, console: Console | None = None
) -> SuiteResult:
    """`evaluate_suite` with a progress bar over the sets (on stderr, gone when done)."""
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("evaluating", total=len(sets))

        def on_set(r) -> None:
            progress.update(task, advance=1, description=f"{escape(r.name)}: F1 {100 * r.typed.micro.f1:.1f}")

        return evaluate_suite(model, sets, cfg, seed=seed, label_orders=label_orders, on_set=on_set)


def write_report(out: Path, result: SuiteResult, model_dir: str | Path) -> None:
    """`eval.json` (everything, with the model path) and `eval.md`, each written atomically."""
    atomic_write_json(out / "eval.json", {"model": str(model_dir), **result.as_dict()})
    atomic_write_text(out / "eval.md", f"Model: `{model_dir}`\n\n" + markdown(result))


@app.command("evaluate")
def evaluate_command(
    model_dir: Path = typer.Argument(..., help="A model folder written by `spanlab train`."),
    suite: Path = typer.Option(..., "--suite", help="Folder of sets (each with test.json + labels.json)."),
    sets: str = typer.Option("", "--sets", help="Comma-separated subset of the suite's sets; empty = all."),
    threshold: float = typer.Option(0.5, help="Decoding threshold."),
    decoding: Literal["flat", "nested"] = typer.Option("flat", help="flat: no overlaps; nested: full nesting."),
    multi_label: bool = typer.Option(False, "--multi-label", help="Let one span carry several labels."),
    fixed_labels: bool = typer.Option(False, "--fixed-labels", help="Map CrossNER_music's organisation/misc."),
    no_lowercase: bool = typer.Option(False, "--no-lowercase", help="Keep the case of labels and gold types."),
    batch_size: int = typer.Option(16, help="Sentences per forward pass."),
    max_sentences: int | None = typer.Option(None, help="Score only the first N sentences of each set."),
    label_orders: int = typer.Option(0, help="Also score N random label orders per set; 0 disables."),
    bootstrap: int = typer.Option(1000, help="Bootstrap resamples for the 95% CI; 0 disables."),
    seed: int = typer.Option(0, help="Seed of the bootstrap and the label orders."),
    out: Path | None = typer.Option(None, "--out", help="Folder for eval.json and eval.md."),
) -> None:
    """Score a model on a zero-shot suite (GLiNER protocol by default)."""
    from spanlab.model import SpanModel  # torch: imported here so that --help stays fast

    cfg = EvalConfig(
        suite=[str(suite)], sets=[s.strip() for s in sets.split(",") if s.strip()], threshold=threshold,
        decoding=decoding, multi_label=multi_label, lowercase=not no_lowercase, fixed_labels=fixed_labels,
        batch_size=batch_size, max_sentences=max_sentences, bootstrap=bootstrap,
    )
    eval_sets = load_suite(suite, cfg.sets, cfg.lowercase, cfg.fixed_labels, cfg.max_sentences)  # fails fast
    model = SpanModel.from_pretrained(model_dir)
    result = evaluate_with_progress(model, eval_sets, cfg, seed=seed, label_orders=label_orders)
    Console().print(rich_table(result, title=f"Zero-shot F1 · {escape(str(model_dir))}"))
    if out is not None:
        write_report(out, result, model_dir)
        Console(stderr=True).print(f"wrote {out / 'eval.json'} and {out / 'eval.md'}", markup=False)
