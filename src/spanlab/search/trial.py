"""One trial: the base config plus sampled overrides, trained in its own run folder.

Backend-neutral: Optuna and Ray both call `run_trial` and pass a `report` function that
receives every intermediate evaluation (and may raise to stop the trial early).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from transformers import TrainerCallback

from spanlab.config import RunConfig, load_config, to_dict
from spanlab.errors import ConfigError
from spanlab.io import atomic_write_json

Report = Callable[[int, float], None]  # (global step, metric value)


@dataclass
class TrialResult:
    value: float  # best evaluation metric of the run
    steps: int  # optimiser steps trained (including steps before a resume)
    device_seconds: float  # wall time on the trial's one device (CPU process or GPU)


class ReportEvaluations(TrainerCallback):
    """Passes every evaluation's metric to `report`; a pruner stops the trial by raising there.

    With `defer`, the stop waits until the checkpoint of that step is saved and complete (the
    next step's start), so a screened trial leaves a checkpoint a later stage can continue."""

    def __init__(self, report: Report, metric: str, defer: bool = False):
        self.report = report
        self.key = f"eval_{metric}"
        self.defer = defer
        self.stop: Exception | None = None

    def on_evaluate(self, args, state, control, metrics=None, **kwargs):
        if metrics and self.key in metrics:
            try:
                self.report(state.global_step, float(metrics[self.key]))
            except Exception as e:
                self.stop = e  # the pruner stopped the trial
                if not self.defer:
                    raise

    def on_step_begin(self, args, state, control, **kwargs):
        if self.stop is not None:
            raise self.stop

    on_train_end = on_step_begin


def trial_config(base: Path, overrides: list[str], trial_dir: Path) -> RunConfig:
    cfg = load_config(base, [*overrides, f"train.output_dir={trial_dir}"])
    if not cfg.eval.suite:
        raise ConfigError("a search needs an evaluation set to score trials", where=str(base),
                          fix="set eval.suite to a held-out dev set (GLiNER-format file or zero-shot folder)")
    return cfg


def config_hash(cfg: RunConfig) -> str:
    """Identity of a trial: the resolved config without its output folder."""
    d = to_dict(cfg)
    d["train"].pop("output_dir")
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:16]


def has_checkpoint(trial_dir: Path) -> bool:
    return trial_dir.is_dir() and any(p.is_dir() for p in trial_dir.glob("checkpoint-*"))


def run_trial(
    cfg: RunConfig, metric: str, report: Report | None = None, resume: bool = False, keep_checkpoint: bool = False
) -> TrialResult:
    """Train `cfg` (resuming from its last checkpoint when asked); the value is the best evaluation.

    Device time is saved at every evaluation (`progress.json`), so a resumed trial adds the
    time its killed attempt had spent up to its last checkpoint. A trial the pruner stops drops
    its checkpoints, unless `keep_checkpoint` (a screen: a later stage may continue it)."""
    from spanlab.training.recipe import train

    run_dir = Path(cfg.train.output_dir)
    progress = run_dir / "progress.json"
    resume = resume and has_checkpoint(run_dir)
    before = json.loads(progress.read_text(encoding="utf-8"))["device_seconds"] if resume and progress.is_file() else 0.0
    start = time.perf_counter()

    def on_evaluation(step: int, value: float) -> None:
        atomic_write_json(progress, {"step": step, "device_seconds": before + time.perf_counter() - start})
        if report:
            report(step, value)

    reporter = ReportEvaluations(on_evaluation, metric, defer=keep_checkpoint)
    try:
        train(cfg, resume=resume, callbacks=[reporter])
    except Exception as e:
        # Stopped by the pruner: it will not resume (a kept screen may be continued by a later
        # stage). Anything else is a crash, and the checkpoints let the trial resume.
        if e is reporter.stop and not keep_checkpoint:
            remove_checkpoints(run_dir)
        raise
    remove_checkpoints(run_dir)
    seconds = before + time.perf_counter() - start
    summary = json.loads((run_dir / "train_summary.json").read_text(encoding="utf-8"))
    evals = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()]
    values = [m[f"eval_{metric}"] for m in evals if f"eval_{metric}" in m]
    if not values:
        raise ConfigError(f"the run logged no eval_{metric}", where=str(run_dir / "metrics.jsonl"),
                          fix="check search.metric and that train.eval_steps <= train.steps")
    result = TrialResult(value=max(values), steps=int(summary["steps"]), device_seconds=seconds)
    atomic_write_json(run_dir / "trial.json", result.__dict__)
    return result


def remove_checkpoints(run_dir: Path) -> None:
    """A finished or pruned trial needs no checkpoints (only a killed one resumes); its final
    model stays in `model/`. Without this a study keeps every trial's weights and optimizer state."""
    for folder in run_dir.glob("checkpoint-*"):
        shutil.rmtree(folder, ignore_errors=True)


def elapsed_seconds(trial_dir: Path) -> float:
    """Device time a trial had spent at its last evaluation (for pruned or killed trials)."""
    progress = trial_dir / "progress.json"
    return json.loads(progress.read_text(encoding="utf-8"))["device_seconds"] if progress.is_file() else 0.0
