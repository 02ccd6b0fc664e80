"""`spanlab tune CONFIG.yaml --space SPACE.yaml [--backend optuna|ray] [--workers N] [--storage URL] [--budget U=N]`."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from spanlab.cli import app


@app.command("tune")
def tune_command(
    config: Path = typer.Argument(..., help="The base run config (YAML); needs eval.suite (a dev set)."),
    space: Path = typer.Option(..., "--space", help="Search space + search settings (YAML); see configs/search/."),
    out: Path | None = typer.Option(None, "--out", help="Study folder (default: <train.output_dir>-search)."),
    backend: str = typer.Option("optuna", "--backend", help="optuna (default) or ray (extra: spanlab[ray])."),
    storage: str | None = typer.Option(None, "--storage", help="Optuna RDB URL (default: SQLite in the study folder)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Parallel worker processes (Ray: concurrent trials)."),
    budget: str | None = typer.Option(None, "--budget", help="Override search.budget: trials=N, steps=N or device_hours=X."),
    overrides: list[str] | None = typer.Option(None, "--set", help="Override a base config key (repeatable)."),
    ray_address: str | None = typer.Option(None, "--ray-address", help="An existing Ray cluster (default: local Ray)."),
    resources: str = typer.Option('{"cpu": 1}', "--resources", help='Ray resources per trial, e.g. \'{"gpu": 1}\'.'),
) -> None:
    """Search hyperparameters; rerun the same command to resume an interrupted study."""
    from spanlab.cli.train import setup_logging
    from spanlab.config import load_config
    from spanlab.errors import ConfigError
    from spanlab.search.tune import tune

    if backend not in ("optuna", "ray"):
        raise ConfigError(f"--backend {backend!r}: expected optuna or ray")
    try:
        per_trial = {k: float(v) for k, v in json.loads(resources).items()}
    except (ValueError, AttributeError):
        raise ConfigError(f"--resources {resources!r}: expected a JSON object such as {{\"gpu\": 1}}") from None
    out = out or Path(load_config(config, overrides or []).train.output_dir + "-search")
    setup_logging()
    summary = tune(config, space, out, backend, storage, workers, budget, overrides or [], ray_address, per_trial)
    console = Console()
    winner = summary.get("winner")
    console.print(f"[bold green]done[/] · study: {escape(str(out))} · trials: {summary['total']['trials']} · "
                  f"steps: {summary['total']['steps']} · device-hours: {summary['total']['device_seconds'] / 3600:.3f}"
                  f" · cost: {summary['total']['cost']:.2f}")
    if winner:
        console.print(f"winner: {escape(json.dumps(winner['overrides']))} · "
                      f"{winner['mean']:.4f} ± {winner['std']:.4f} (n={winner['n']})")
    console.print(f"report: spanlab report {escape(str(out))}")
