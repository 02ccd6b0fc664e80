"""Checkpoint reuse: a screen keeps its rung checkpoint, and a later trial of the same
configuration continues it to the very run an uninterrupted trial makes, spending only the
steps after the rung."""

from __future__ import annotations

import json
import math

import optuna
import pytest

from spanlab.search.reuse import CONTINUED, continued_step, copy_screen, in_space
from spanlab.search.space import Param
from spanlab.search.trial import has_checkpoint, run_trial, trial_config
from spanlab.training.checkpoints import last_complete


def evaluations(run_dir) -> list[tuple[int, float]]:
    lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [(m["step"], m["eval_f1"]) for m in map(json.loads, lines) if "eval_f1" in m]


def stop_at(rung: int):
    def report(step: int, value: float) -> None:
        if step >= rung:
            raise optuna.TrialPruned(f"screened at {step}")

    return report


def test_a_continued_screen_is_the_uninterrupted_run(make_base, tmp_path):
    base = make_base(steps=12, eval_steps=4)
    whole = run_trial(trial_config(base, [], tmp_path / "whole"), "f1")

    screen = tmp_path / "screen"
    with pytest.raises(optuna.TrialPruned):
        run_trial(trial_config(base, [], screen), "f1", report=stop_at(4), keep_checkpoint=True)
    kept = last_complete(screen)
    assert kept is not None and kept.name == "checkpoint-4"  # saved and complete before the stop

    later = tmp_path / "focus-0000"
    assert copy_screen(screen, later) == 4 and continued_step(later) == 4
    state = json.loads((later / "checkpoint-4" / "trainer_state.json").read_text(encoding="utf-8"))
    assert state["best_model_checkpoint"] in (None, str(later / "checkpoint-4"))
    result = run_trial(trial_config(base, [], later), "f1", resume=True)
    assert result.steps == whole.steps == 12
    assert math.isclose(result.value, whole.value, rel_tol=0, abs_tol=1e-9)
    # Every logged loss, grad norm, rate and evaluation, step by step: the same run.
    assert (later / "metrics.jsonl").read_text(encoding="utf-8") == (tmp_path / "whole" / "metrics.jsonl").read_text(
        encoding="utf-8")
    assert [step for step, _ in evaluations(later)] == [4, 8, 12]


def test_a_pruned_trial_that_is_not_a_screen_drops_its_checkpoints(make_base, tmp_path):
    run_dir = tmp_path / "pruned"
    with pytest.raises(optuna.TrialPruned):
        run_trial(trial_config(make_base(steps=12, eval_steps=4), [], run_dir), "f1", report=stop_at(4))
    assert not has_checkpoint(run_dir) and not (run_dir / CONTINUED).exists()


def test_a_screen_without_a_complete_checkpoint_gives_nothing_to_continue(tmp_path):
    (tmp_path / "screen" / "checkpoint-4").mkdir(parents=True)  # a save cut short: no completion marker
    assert copy_screen(tmp_path / "screen", tmp_path / "later") is None
    assert continued_step(tmp_path / "later") == 0


def test_in_space_checks_choices_and_ranges():
    params = [Param(key="model.dropout", kind="choice", values=(0.0, 0.1)),
              Param(key="train.lr_others", kind="loguniform", low=1e-4, high=1e-2)]
    assert in_space({"model.dropout": 0.1, "train.lr_others": 1e-3}, params)
    assert not in_space({"model.dropout": 0.3, "train.lr_others": 1e-3}, params)
    assert not in_space({"model.dropout": 0.0, "train.lr_others": 3e-2}, params)
    assert in_space({"train.other": 1}, params)  # keys the space does not vary are free
