"""`spanlab quickstart [--out runs/quickstart] [--steps 500] [--labels ...] [--text ...] [--threads N]`.

Generate a small data set, train the default encoder on it for a few minutes, evaluate,
and tag a sample text: the whole pipeline on a fresh machine, with nothing to download.

    spanlab quickstart                                   # runs/quickstart/{data,model,eval}/
    spanlab quickstart --threads 2 --labels "person,company,country" --text "Ana left Zorvex for Chile."

The data come from `spanlab.data.synthetic`. Three types (country, musical instrument,
river) never occur in its training split, so the `dev-unseen` row of the table is a
genuine zero-shot score; `dev-seen` holds the training types with names never seen in
training. The run itself is an ordinary `train(cfg)` run: its resolved config is saved
as OUT/config.yaml and can be re-run or extended with `spanlab train`.
"""

from __future__ import annotations

import json
import shlex
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from spanlab.cli import app
from spanlab.cli.predict import parse_labels, render
from spanlab.config import load_config
from spanlab.data.synthetic import HELD_OUT, make_splits, write_jsonl

N_TRAIN, N_DEV, DATA_SEED = 2000, 200, 0
STEPS = 500  # ~2 epochs of N_TRAIN at batch 8
DEFAULT_LABELS = "person,company,date,programming language,university,city"
DEFAULT_TEXT = "Maya Lindgren left Corvane Robotics in March 2022 to teach Rust at Tallowmere University in Cardiff."


def quickstart_settings(
    out: Path, steps: int = STEPS, threads: int | None = None, encoder: str = "default"
) -> dict[str, dict[str, Any]]:
    """The spanlab defaults, changed only where a few minutes on two CPU cores need it.

    The default learning rates (1e-5 / 5e-5) and even 5e-5 / 5e-4 leave the model at 0 F1
    after a few hundred steps: it finds the spans but gives every label the same score.
    The new <<ENT>> token has to learn to carry its label's meaning, and that needs the
    encoder to move fast (measured from a clean clone: 500 steps at 2e-4 / 1e-3, 4 min 32 s
    on 2 cores → 84.0 F1 on dev-seen, 32.6 on dev-unseen).
    """
    data = out / "data"
    return {
        "model": {"encoder": encoder, "dropout": 0.1},  # a short run on clean data needs little regularisation
        "data": {"train": [str(data / "train.jsonl")]},
        "train": {
            "output_dir": str(out),
            "steps": steps,
            "batch_size": 8,
            "lr_encoder": 2e-4,  # 20x the default: see above
            "lr_others": 1e-3,  # the head starts from random weights
            "warmup_ratio": 0.1,
            "eval_steps": steps,  # evaluate (and save) once, at the end
            "save_total_limit": 1,
            "logging_steps": max(steps // 10, 1),
            "threads": threads,
        },
        "eval": {
            "suite": [str(data / "dev-seen.jsonl"), str(data / "dev-unseen.jsonl")],
            "max_sentences": 200,
            "bootstrap": 200,
        },
    }


def as_overrides(settings: dict[str, dict[str, Any]]) -> list[str]:
    # JSON is valid YAML, so every value (paths with ':' included) reads back unchanged.
    return [f"{section}.{key}={json.dumps(value)}" for section, keys in settings.items() for key, value in keys.items()]


def quickstart(
    out: Path,
    steps: int = STEPS,
    labels: str = DEFAULT_LABELS,
    text: str = DEFAULT_TEXT,
    threads: int | None = None,
    encoder: str = "default",
    overrides: list[str] | None = None,
    console: Console | None = None,
) -> Path:
    """Data → train → evaluate → predict, printing each stage; returns the model folder."""
    label_list = parse_labels(labels)  # user errors first, before anything slow
    settings = quickstart_settings(out, steps, threads, encoder)
    cfg = load_config(None, as_overrides(settings) + list(overrides or []))
    console = console or Console()
    started = time.perf_counter()

    console.rule("[bold]1/4 · data")
    splits = make_splits(N_TRAIN, N_DEV, seed=DATA_SEED)
    for name, records in splits.items():
        write_jsonl(out / "data" / f"{name}.jsonl", records)
    console.print(data_table(splits, out / "data"))

    console.rule("[bold]2/4 · training")
    from spanlab.cli.train import setup_logging
    from spanlab.model import SpanModel  # torch + transformers: imported here so that --help stays fast
    from spanlab.training.recipe import train

    setup_logging()
    final = train(cfg)

    console.rule("[bold]3/4 · evaluation")
    from spanlab.cli.evaluate import evaluate_with_progress, write_report
    from spanlab.evaluation.report import rich_table
    from spanlab.evaluation.suite import load_suite

    e = cfg.eval
    model = SpanModel.from_pretrained(final)
    sets = load_suite(e.suite, e.sets, e.lowercase, e.fixed_labels, e.max_sentences)
    result = evaluate_with_progress(model, sets, e, seed=cfg.train.seed)
    write_report(out / "eval", result, final)
    console.print(rich_table(result, title=f"Quickstart F1 · {escape(str(final))}"))
    console.print(per_type_table(result))

    console.rule("[bold]4/4 · prediction")
    entities = model.predict([text], label_list)[0]
    console.print(*render(text, entities, 1, {}), sep="\n")

    minutes, seconds = divmod(round(time.perf_counter() - started), 60)
    console.print(f"\n[bold green]done[/] in {minutes} min {seconds:02d} s · model: {escape(str(final))}")
    console.print(next_steps(out, final, labels), soft_wrap=True)  # commands stay copyable
    return final


def data_table(splits: dict[str, list[dict]], folder: Path) -> Table:
    table = Table(title=f"Synthetic data · {escape(str(folder))}", title_justify="left")
    for col, justify in (("split", "left"), ("records", "right"), ("mentions", "right"), ("types", "left")):
        table.add_column(col, justify=justify)
    for name, records in splits.items():
        types = sorted({label for r in records for *_, label in r["ner"]})
        mentions = sum(len(r["ner"]) for r in records)
        table.add_row(f"{name}.jsonl", str(len(records)), str(mentions), ", ".join(types))
    table.caption = f"held out of training: {', '.join(HELD_OUT)}"
    return table


def per_type_table(result) -> Table:
    """F1 of every type in every set; held-out types are marked zero-shot."""
    table = Table(title="Per type", title_justify="left")
    for col in ("set", "type", "gold", "P", "R", "F1"):
        table.add_column(col, justify="left" if col in ("set", "type") else "right")
    for s in result.sets:
        for label, c in s.typed.per_label.items():
            shown = f"{label} [dim](zero-shot)[/]" if label in HELD_OUT else label
            row = [f"{100 * x:.1f}" for x in (c.precision, c.recall, c.f1)]
            table.add_row(s.name, shown, str(c.tp + c.fn), *row)
    return table


def next_steps(out: Path, final: Path, labels: str) -> Text:
    """Commands to try next, as plain text (paths and labels never go through markup)."""
    q = shlex.quote
    zero_shot = "person,city,country,musical instrument"  # two of them never seen in training
    text = "Omar Haddad joined Nimbus Cloud in May 2019."
    zero_shot_text = "Ana Ruiz left Porto for Chile to study the cello."
    commands = [
        f"spanlab predict {q(str(final))} --labels {q(labels)} {q(text)}",
        f"spanlab predict {q(str(final))} --labels {q(zero_shot)} {q(zero_shot_text)}",
        f"spanlab evaluate {q(str(final))} --suite {q(str(out / 'data' / 'dev-unseen.jsonl'))}",
        f"spanlab train {q(str(out / 'config.yaml'))} --set train.steps=1000 --set train.output_dir=runs/longer",
    ]
    return Text("Next:\n", style="bold").append("\n".join(f"  {c}" for c in commands), style="")


@app.command("quickstart")
def quickstart_command(
    out: Path = typer.Option(Path("runs/quickstart"), "--out", help="Folder for the data, the run and the model."),
    steps: int = typer.Option(STEPS, "--steps", help="Training steps (batches of 8)."),
    labels: str = typer.Option(DEFAULT_LABELS, "--labels", help="Comma-separated types to find in --text."),
    text: str = typer.Option(DEFAULT_TEXT, "--text", help="A sample text to tag with the trained model."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for torch; default: torch's choice."),
    encoder: str = typer.Option("default", "--encoder", help='Encoder folder or hub name; "default" = MiniLM-L6.'),
    overrides: list[str] | None = typer.Option(
        None, "--set", help="Override any config key, e.g. --set eval.bootstrap=0 (repeatable)."
    ),
) -> None:
    """Generate a small data set, train on it for a few minutes, evaluate and tag a sample text."""
    quickstart(out, steps, labels, text, threads, encoder, overrides or [])
