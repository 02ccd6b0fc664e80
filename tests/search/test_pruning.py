"""ASHA and Hyperband prune on the F1 the Trainer reports at each evaluation (fake curves)."""

from __future__ import annotations

import optuna
import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from spanlab.search.optuna_backend import make_pruner
from spanlab.search.settings import SearchConfig
from spanlab.search.trial import ReportEvaluations

STEPS, EVAL_STEPS = 40, 10


def fake_training(trial: optuna.Trial, curve: list[float]) -> float:
    """Drive ReportEvaluations as the Trainer would: one on_evaluate per evaluation."""

    def report(step: int, value: float) -> None:
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned()

    callback = ReportEvaluations(report, "f1")
    state, args = TrainerState(), TrainingArguments(output_dir="unused", report_to="none")
    for i, f1 in enumerate(curve):
        state.global_step = (i + 1) * EVAL_STEPS
        callback.on_evaluate(args, state, TrainerControl(), metrics={"eval_f1": f1, "eval_loss": 1.0})
    return max(curve)


@pytest.mark.parametrize("kind", ["asha", "hyperband"])
def test_a_bad_curve_is_pruned_and_good_ones_finish(kind):
    pruner = make_pruner(kind, SearchConfig(reduction_factor=2), EVAL_STEPS, STEPS)
    study = optuna.create_study(direction="maximize", pruner=pruner, sampler=optuna.samplers.RandomSampler(0))
    good = [0.30, 0.50, 0.60, 0.65]
    for shift in (0.0, 0.01, 0.02, 0.03):  # fill the first rungs with good curves
        study.optimize(lambda t: fake_training(t, [v + shift for v in good]), n_trials=1)
    study.optimize(lambda t: fake_training(t, [0.01, 0.02, 0.03, 0.04]), n_trials=1)
    states = [t.state for t in study.trials]
    assert states[-1] == optuna.trial.TrialState.PRUNED
    bad = study.trials[-1]
    assert max(bad.intermediate_values) < STEPS  # stopped before the end
    assert states[0] == optuna.trial.TrialState.COMPLETE


def test_no_pruner_never_prunes():
    study = optuna.create_study(direction="maximize", pruner=make_pruner("none", SearchConfig(), EVAL_STEPS, STEPS))
    study.optimize(lambda t: fake_training(t, [0.9, 0.9]), n_trials=1)
    study.optimize(lambda t: fake_training(t, [0.0, 0.0]), n_trials=1)
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)


def test_report_ignores_evaluations_without_the_metric():
    seen = []
    callback = ReportEvaluations(lambda step, v: seen.append((step, v)), "f1")
    state = TrainerState(global_step=5)
    callback.on_evaluate(None, state, None, metrics={"eval_loss": 1.0})
    callback.on_evaluate(None, state, None, metrics={"eval_f1": 0.5})
    assert seen == [(5, 0.5)]
