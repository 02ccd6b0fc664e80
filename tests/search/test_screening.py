"""Explore screens (every trial stops at the lowest rung), focus starts with the best screened
configurations, stages pass on what they leave unspent and never start a trial they cannot pay
for, and finished trials drop their checkpoints."""

from __future__ import annotations

import json

import optuna
import pytest
from optuna.trial import TrialState

from spanlab.search.optuna_backend import (
    Objective,
    make_pruner,
    open_study,
    run_worker,
    skip_waiting,
    stage_pruner,
)
from spanlab.search.settings import SearchConfig, StagesConfig
from spanlab.search.stages import distinct, load, ranked_trials
from spanlab.search.study_dir import StudyDir
from spanlab.search.tune import prepare, tune


def run_curve(study: optuna.Study, curve: list[float], eval_steps: int = 10) -> None:
    def objective(trial: optuna.Trial) -> float:
        for i, value in enumerate(curve):
            trial.report(value, (i + 1) * eval_steps)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return max(curve)

    study.optimize(objective, n_trials=1)


def test_screening_stops_every_trial_at_the_lowest_rung_even_the_first():
    s = SearchConfig(reduction_factor=3)
    screen = optuna.create_study(direction="maximize", pruner=make_pruner("screen", s, 10, 90))
    asha = optuna.create_study(direction="maximize", pruner=make_pruner("asha", s, 10, 90))
    for study in (screen, asha):
        for curve in ([0.2] * 9, [0.9] * 9, [0.1] * 9):
            run_curve(study, curve)
    assert [t.state for t in screen.trials] == [TrialState.PRUNED] * 3
    assert [max(t.intermediate_values) for t in screen.trials] == [10, 10, 10]
    # ASHA itself always promotes the first trial of a rung: with a small budget it trains few trials to the end.
    assert asha.trials[0].state == TrialState.COMPLETE and asha.trials[1].state == TrialState.COMPLETE


@pytest.mark.parametrize(("stage", "pruner", "screen", "expected"), [
    ("explore", "asha", True, "screen"), ("explore", "hyperband", True, "screen"), ("explore", "asha", False, "asha"),
    ("explore", "none", True, "none"), ("focus", "asha", True, "asha"), ("verify", "asha", True, "none"),
])
def test_which_pruner_each_stage_uses(stage, pruner, screen, expected):
    assert stage_pruner(stage, SearchConfig(pruner=pruner, stages=StagesConfig(screen=screen))) == expected


def test_queued_trials_are_closed_as_skipped_when_the_budget_is_spent():
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial({"a": 1})
    study.enqueue_trial({"a": 2})
    skip_waiting(study)
    assert [t.state for t in study.trials] == [TrialState.PRUNED] * 2
    assert all(t.user_attrs["skipped"] and not t.intermediate_values for t in study.trials)


def test_of_two_trials_started_at_once_only_the_earlier_trains_when_the_budget_holds_one(tmp_path):
    study = optuna.create_study(direction="maximize")
    first, second = study.ask(), study.ask()  # two workers that both found the budget free
    objective = Objective(StudyDir(tmp_path), "focus", [], "f1", limit=("steps", 6.0, 10.0))
    assert objective._fits(first) and not objective._fits(second)


def test_a_screened_configuration_is_not_screened_again(make_base, make_space, tmp_path):
    """Two configurations, a budget for five screens: two are trained, repeats replay their value for 0 steps."""
    space = make_space({"train.lr_others": {"choice": [1e-3, 3e-3]}},
                       {"sampler": "random", "pruner": "asha", "min_resource": 4, "budget": {"steps": 40},
                        "stages": {"explore": 0.5, "focus": 0.25, "verify": 0.25}})
    sd = prepare(make_base(steps=12, eval_steps=4), space, tmp_path / "study")
    params, s = sd.settings()
    sd.save_stage("explore", params, 20)
    open_study(sd, "explore", params, s, create=True)
    run_worker(sd, "explore")
    trials = load(sd, "explore", s).trials
    trained = [t for t in trials if "cached_from" not in t.user_attrs]
    repeats = [t for t in trials if "cached_from" in t.user_attrs]
    assert len(trained) == 2 and {t.user_attrs["steps"] for t in trained} == {4}
    assert repeats and all(t.user_attrs["steps"] == 0 and t.state == TrialState.PRUNED for t in repeats)
    by_config = {t.user_attrs["config_hash"]: t.intermediate_values for t in trained}
    assert all(t.intermediate_values == by_config[t.user_attrs["config_hash"]] for t in repeats)


@pytest.mark.parametrize("reuse", [True, False])
def test_staged_egp_study_screens_focuses_and_accounts_every_step(tiny_encoder_dir, tiny_corpus, make_space, tmp_path,
                                                                  reuse):
    data = tiny_corpus.suite / "tiny" / "test.json"
    base = tmp_path / "egp.yaml"
    base.write_text(json.dumps({
        "model": {"head": "egp", "encoder": str(tiny_encoder_dir), "head_size": 8, "dropout": 0.0, "max_len": 32},
        "data": {"format": "benchmark", "train": [str(data)], "dev": str(data)},
        "train": {"output_dir": "unused", "steps": 6, "batch_size": 8, "eval_steps": 2, "logging_steps": 2,
                  "scheduler": "constant_with_warmup", "warmup_ratio": 0, "threads": 1, "save_total_limit": None},
        "eval": {"suite": [str(data)]},
    }))
    space = make_space(
        {"train.lr_others": {"choice": [1e-4, 3e-3]}, "train.lr_encoder": {"choice": [1e-4, 3e-3]}},
        {"sampler": "random", "pruner": "asha", "min_resource": 2, "budget": {"steps": 24},
         "stages": {"explore": 0.25, "focus": 0.5, "verify": 0.25, "focus_from": 2, "top_k": 1, "seeds": [0, 1],
                    "reuse_checkpoints": reuse}},
    )
    summary = tune(base, space, tmp_path / "study")
    sd = StudyDir(tmp_path / "study")
    _, s = sd.settings()
    explore = [r for r in summary["trials"] if r["stage"] == "explore"]
    # The evaluations of an EGP run reach the pruner: every screen stops at the lowest rung (2 of 6 steps).
    assert explore and all(r["state"] == "PRUNED" and list(r["curve"]) == [2] for r in explore)
    assert {r["steps"] for r in explore if not r["cached"]} == {2}
    explore_steps = sum(r["steps"] for r in explore)
    # A trial starts only while the stage budget holds all it may spend: 3 screens of 2 steps fill explore's 6.
    assert explore_steps == 6
    # Focus gets its share plus what explore left, and first trains the two best screened configurations.
    focus_budget = json.loads(sd.stage_file("focus").read_text())["budget"]
    assert focus_budget == pytest.approx(0.75 * 24 - explore_steps)
    assert summary["stages"]["focus"]["steps"] <= focus_budget
    best = [t.user_attrs["overrides"] for t in distinct(ranked_trials(sd, s, "explore"))[:2]]
    focus = sorted((t for t in load(sd, "focus", s).trials if not t.user_attrs.get("skipped")), key=lambda t: t.number)
    assert [t.user_attrs["overrides"] for t in focus[:2]] == best[: len(focus[:2])]
    # With stages.reuse_checkpoints it continues the screen's checkpoint: the 2 screened steps are explore's.
    assert focus[0].state == TrialState.COMPLETE and focus[0].user_attrs["steps"] == (6 - 2 if reuse else 6)
    continued = focus[0].user_attrs.get("continued_from")
    assert continued.startswith("trials/explore-") if reuse else continued is None
    # Steps are those the trials ran; finished trials keep their model, not their checkpoints.
    assert summary["total"]["steps"] == sum(r["steps"] for r in summary["trials"])
    assert not list((tmp_path / "study" / "trials").rglob("checkpoint-*"))
    assert (tmp_path / "study" / focus[0].user_attrs["trial_dir"] / "model").is_dir()


def test_parallel_workers_draw_different_configurations(make_base, make_space, tmp_path):
    space = make_space({"train.lr_others": {"choice": [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]},
                        "model.dropout": {"choice": [0.0, 0.1, 0.2, 0.3]}},
                       {"sampler": "random", "budget": {"trials": 4}})
    sd = prepare(make_base(steps=4, eval_steps=4), space, tmp_path / "study")
    params, s = sd.settings()
    sd.save_stage("search", params, 4)
    open_study(sd, "search", params, s, create=True)

    def draws(worker: int) -> list[dict]:
        study = open_study(sd, "search", params, s, create=False, worker=worker)
        out = []
        for _ in range(6):
            trial = study.ask()
            out.append({p.key: trial.suggest_categorical(p.key, list(p.values)) for p in params})
            study.tell(trial, state=TrialState.FAIL)
        return out

    assert draws(0) != draws(1)  # one shared seed made both workers train the same configurations


def test_parallel_grid_workers_cover_every_point_once(make_base, make_space, tmp_path):
    """The grid sampler's seed shuffles the grid: workers with their own seeds disagreed on which
    point a grid id is, trained some points twice and never reached others."""
    space = make_space({"train.lr_others": {"grid": [1e-4, 1e-3, 1e-2]}, "model.dropout": {"grid": [0.0, 0.1, 0.3]}},
                       {"sampler": "grid", "pruner": "none", "budget": {"trials": 9}, "stages": {"enabled": False}})
    sd = prepare(make_base(steps=4, eval_steps=4), space, tmp_path / "study")
    params, s = sd.settings()
    sd.save_stage("search", params, 9)
    open_study(sd, "search", params, s, create=True)
    workers = [open_study(sd, "search", params, s, create=False, worker=w) for w in range(3)]
    drawn = []

    def objective(trial: optuna.Trial) -> float:
        drawn.append(tuple(trial.suggest_categorical(p.key, list(p.values)) for p in params))
        return 0.0

    for i in range(9):  # the workers take turns
        workers[i % 3].optimize(objective, n_trials=1)
    assert len(set(drawn)) == 9


def test_a_configuration_another_worker_is_running_is_skipped(tmp_path):
    study = optuna.create_study(direction="maximize")
    first, second = study.ask(), study.ask()  # two workers that drew the same configuration
    for trial in (first, second):
        trial.set_user_attr("config_hash", "abc")
    objective = Objective(StudyDir(tmp_path), "explore", [], "f1")
    assert objective._running_twin(second, "abc")  # the later one gives way
    assert not objective._running_twin(first, "abc")  # the earlier one trains
