"""Spend in each budget unit and cost totals from the trials' recorded steps and device time."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.trial import TrialState, create_trial

from spanlab.search.budget import committed, cost, fits, spent, trial_spend


def trial(state, steps, seconds, cached=False, skipped=False):
    attrs = {"steps": steps, "device_seconds": seconds}
    if cached:
        attrs["cached_from"] = "x-explore#0"
    if skipped:
        attrs["skipped"] = True
    value = 0.5 if state == TrialState.COMPLETE else None
    return create_trial(state=state, value=value, params={"a": 0.1}, distributions={"a": FloatDistribution(0, 1)},
                        user_attrs=attrs, intermediate_values={steps: 0.4} if steps else None)


def test_spend_in_trials_steps_and_device_hours():
    trials = [
        trial(TrialState.COMPLETE, 100, 360.0),
        trial(TrialState.PRUNED, 20, 72.0),  # counts what it ran before the pruner stopped it
        trial(TrialState.COMPLETE, 0, 0.0, cached=True),  # identical config: nothing trained
        trial(TrialState.FAIL, 50, 180.0),  # a killed attempt: its retry carries the steps
        trial(TrialState.PRUNED, 0, 0.0, skipped=True),  # another worker ran the same config: not a trial
    ]
    assert spent(trials, "trials") == 2
    assert spent(trials, "steps") == 120
    assert spent(trials, "device_hours") == pytest.approx(432.0 / 3600)
    assert trial_spend(trials[2], "trials") == 0.0 and trial_spend(trials[4], "trials") == 0.0


def test_cost_is_device_hours_times_price():
    assert cost(1800.0, 3.0) == pytest.approx(1.5)
    assert cost(1800.0, 0.0) == 0.0


def test_running_trials_hold_budget():
    study = optuna.create_study()
    study.add_trial(trial(TrialState.COMPLETE, 10, 1.0))
    running = study.ask()
    running.set_user_attr("steps", 7)
    assert spent(study.get_trials(), "steps") == 17


def test_running_trials_hold_what_they_may_still_spend():
    study = optuna.create_study()
    study.add_trial(trial(TrialState.COMPLETE, 10, 1.0))
    study.add_trial(trial(TrialState.PRUNED, 4, 1.0))
    running = study.ask()
    running.set_user_attr("steps", 7)
    trials = study.get_trials()
    assert committed(trials, "steps", hold=12) == 10 + 4 + 12  # the running one may still reach 12 steps
    assert committed(trials, "steps", hold=5) == 10 + 4 + 7  # it has already run past the hold
    assert committed(trials, "steps", hold=0) == spent(trials, "steps")
    assert fits(trials, "steps", cap=12, budget=40) and not fits(trials, "steps", cap=12, budget=37)
    assert fits(trials, "device_hours", cap=0, budget=1.0)  # a cap not known in advance: fits while budget is left
