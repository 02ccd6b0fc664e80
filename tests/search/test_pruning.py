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
    # A fixed name: Hyperband assigns trials to brackets by hashing it with the trial number.
    study = optuna.create_study(study_name="fake-curves", direction="maximize", pruner=pruner)
    good = [0.30, 0.50, 0.60, 0.65]
    for shift in (0.0, 0.01, 0.02, 0.03, 0.04, 0.05):  # fill the first rungs with good curves
        study.optimize(lambda t: fake_training(t, [v + shift for v in good]), n_trials=1)
    for _ in range(3):
        study.optimize(lambda t: fake_training(t, [0.01, 0.02, 0.03, 0.04]), n_trials=1)
    assert study.trials[0].state == optuna.trial.TrialState.COMPLETE
    bad = [t for t in study.trials[6:] if t.state == optuna.trial.TrialState.PRUNED]
    assert any(max(t.intermediate_values) < STEPS for t in bad)  # stopped before the end
    if kind == "asha":  # one bracket: every bad curve is stopped at the first rung
        assert [max(t.intermediate_values) for t in bad] == [EVAL_STEPS] * 3


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
