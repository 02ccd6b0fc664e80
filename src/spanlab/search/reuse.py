"""Checkpoint reuse: a later stage continues a screened configuration where its screen stopped.

An explore screen trains a configuration under its full schedule and stops it at the lowest
rung, keeping that checkpoint (weights, optimizer, scheduler, RNG). When focus trains the same
configuration, it copies the checkpoint into its own trial folder and resumes: the run is the
one an uninterrupted trial would have made, and only the steps after the rung are spent again.
Any schedule continues exactly, because the screen ran the full-length one; to continue with a
longer `train.steps` than the screen had, use `train.scheduler: warmup_stable_decay`, whose rate
until the final decay does not depend on the run's length.

Screened checkpoints cost disk: when focus starts, those outside its narrowed space are
deleted (focus can never draw them), and the rest when focus ends.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from spanlab.io import atomic_write_json
from spanlab.search.space import Param
from spanlab.training.checkpoints import checkpoints, last_complete

CONTINUED = "continued.json"  # in a trial folder: {"from": screened folder, "step": its checkpoint's step}


def copy_screen(screened: Path, trial_dir: Path) -> int | None:
    """Copy the screened trial's last complete checkpoint and its metrics into `trial_dir`, so that
    resuming there continues the screen; returns the checkpoint's step (None: nothing to continue)."""
    checkpoint = last_complete(screened)
    if checkpoint is None:
        return None
    step = int(checkpoint.name.rpartition("-")[2])
    trial_dir.mkdir(parents=True, exist_ok=True)
    target = trial_dir / checkpoint.name
    shutil.copytree(checkpoint, target, dirs_exist_ok=True)
    # The Trainer remembers its best checkpoint by path: point it at the copy.
    state_file = target / "trainer_state.json"
    state = json.loads(state_file.read_text(encoding="utf-8"))
    if state.get("best_model_checkpoint"):
        state["best_model_checkpoint"] = str(trial_dir / Path(state["best_model_checkpoint"]).name)
    atomic_write_json(state_file, state)
    if (screened / "metrics.jsonl").is_file():
        shutil.copyfile(screened / "metrics.jsonl", trial_dir / "metrics.jsonl")
    atomic_write_json(trial_dir / CONTINUED, {"from": str(screened), "step": step})
    return step


def continued_step(trial_dir: Path) -> int:
    """The step a trial continued from (0: it started from scratch); its spend excludes those steps."""
    path = trial_dir / CONTINUED
    return int(json.loads(path.read_text(encoding="utf-8"))["step"]) if path.is_file() else 0


def in_space(overrides: dict, params: list[Param]) -> bool:
    """Whether a configuration can be drawn from `params` (a narrowed space)."""
    for p in params:
        if p.key not in overrides:
            continue
        value = overrides[p.key]
        if p.categorical:
            if value not in p.values:
                return False
        elif not p.low <= value <= p.high:
            return False
    return True


def drop_checkpoints(trial_dirs: list[Path]) -> None:
    for trial_dir in trial_dirs:
        for _, folder, _ in checkpoints(trial_dir):
            shutil.rmtree(folder, ignore_errors=True)
