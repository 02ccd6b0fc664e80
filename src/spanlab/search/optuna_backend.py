"""Optuna backend: storage with heartbeats, samplers, pruners, the objective and a worker loop.

Workers are processes sharing one storage (SQLite in the study folder by default, any RDB
URL with `--storage`). Each trial beats a heartbeat; when a worker dies, the next worker to
start a trial marks the silent one failed and `RetryHeartbeatStaleTrialCallback` re-queues it with
the same parameters. The retry keeps the original trial's number in its folder name, so it
finds that trial's checkpoints and resumes training from the last one.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path
from typing import Any

import optuna
import sqlalchemy
from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from spanlab.config import RunConfig, load_config
from spanlab.errors import ConfigError
from spanlab.search.budget import fits
from spanlab.search.reuse import continued_step, copy_screen
from spanlab.search.settings import SearchConfig
from spanlab.search.space import Param, overrides_from
from spanlab.search.study_dir import StudyDir
from spanlab.search.trial import config_hash, elapsed_seconds, has_checkpoint, run_trial, trial_config
from spanlab.training.checkpoints import last_complete

# Heartbeats and retries are marked experimental in Optuna; they are what this module is built on.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def make_storage(url: str, s: SearchConfig) -> RDBStorage:
    sqlite = url.startswith("sqlite")
    # parallel SQLite writers wait; pysqlite's own transaction handling is turned off (see below)
    engine = {"connect_args": {"timeout": 120, "isolation_level": None}} if sqlite else None
    storage = RDBStorage(
        url, engine_kwargs=engine, heartbeat_interval=s.heartbeat_seconds, grace_period=s.grace_seconds,
        heartbeat_stale_trial_callback=RetryHeartbeatStaleTrialCallback(max_retry=s.max_retry),
    )
    if sqlite:
        begin_immediate(storage.engine)
    return storage


def begin_immediate(engine: sqlalchemy.engine.Engine) -> None:
    """Open every SQLite transaction with BEGIN IMMEDIATE (the write lock first).

    Optuna takes a queued trial by reading it, then marking it RUNNING, guarded by SELECT … FOR
    UPDATE, which SQLite ignores: two workers reading at the same moment both mark it, both train
    it, and the later one crashes on `tell` ("Cannot tell a COMPLETE trial"). Holding the lock
    from the read on makes the second worker see RUNNING and take another trial. PostgreSQL and
    MySQL honour FOR UPDATE and are left alone.
    """

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin(connection: sqlalchemy.engine.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_sampler(kind: str, params: list[Param], seed: int) -> optuna.samplers.BaseSampler:
    if kind == "grid":
        continuous = [p.key for p in params if not p.categorical]
        if continuous:
            raise ConfigError(f"the grid sampler needs `grid` or `choice` values; continuous: {continuous}",
                              fix="give those keys as {grid: [...]} or use sampler: random / tpe")
        return optuna.samplers.GridSampler({p.key: list(p.values) for p in params}, seed=seed)
    if kind == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # constant_liar: parallel workers do not all sample next to the same running trial.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True, n_startup_trials=5)


def make_pruner(kind: str, s: SearchConfig, eval_steps: int, max_steps: int) -> optuna.pruners.BasePruner:
    min_resource = s.min_resource or eval_steps
    if kind == "screen":
        # ASHA that never promotes: a rung must hold more trials than any study before its best
        # go on, so every trial stops at the lowest rung, its value there recorded for ranking.
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=s.reduction_factor,
                                                      bootstrap_count=sys.maxsize)
    if kind == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=min_resource, reduction_factor=s.reduction_factor)
    if kind == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=min_resource, max_resource=max_steps,
                                              reduction_factor=s.reduction_factor)
    return optuna.pruners.NopPruner()


def stage_pruner(stage: str, s: SearchConfig) -> str:
    """Verify trains its enqueued runs to the end; explore screens when `stages.screen` is on."""
    if stage == "verify":
        return "none"
    if stage == "explore" and s.stages.screen and s.pruner != "none":
        return "screen"
    return s.pruner


def suggest(trial: optuna.Trial, params: list[Param]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in params:
        if p.categorical:
            out[p.key] = trial.suggest_categorical(p.key, list(p.values))
        elif p.kind == "int":
            out[p.key] = trial.suggest_int(p.key, int(p.low), int(p.high))
        else:
            out[p.key] = trial.suggest_float(p.key, p.low, p.high, log=p.kind == "loguniform")
    return out


class Objective:
    """Sample (or take the enqueued `fixed` values), train in the trial's folder, return the metric."""

    def __init__(self, study_dir: StudyDir, stage: str, params: list[Param], metric: str, screen: bool = False,
                 limit: tuple[str, float, float] | None = None, reuse: bool = False):
        self.study_dir, self.stage, self.params, self.metric = study_dir, stage, params, metric
        self.screen = screen  # every trial stops at the lowest rung: a repeated configuration is not re-run
        self.limit = limit  # (unit, cap, budget): train only when the trial fits beside the earlier ones
        # stages.reuse_checkpoints: screens keep their checkpoint, focus continues from it (search/reuse.py)
        self.reuse = reuse

    def __call__(self, trial: optuna.Trial) -> float:
        values = trial.user_attrs.get("fixed") or suggest(trial, self.params)
        # A retried trial keeps the first attempt's number, hence its folder and checkpoints.
        frozen = trial.study.get_trials(deepcopy=False)[trial.number]
        number = RetryHeartbeatStaleTrialCallback.retried_trial_number(frozen)
        trial_dir = self.study_dir.trial_dir(self.stage, trial.number if number is None else number)
        cfg = trial_config(self.study_dir.base, overrides_from(values), trial_dir)
        key = config_hash(cfg)
        trial.set_user_attr("config_hash", key)
        trial.set_user_attr("trial_dir", str(trial_dir.relative_to(self.study_dir.root)))
        trial.set_user_attr("overrides", values)
        cached = self._completed_twin(trial, key)
        if cached is not None:
            trial.set_user_attr("cached_from", cached[0])
            trial.set_user_attr("steps", 0)
            trial.set_user_attr("device_seconds", 0.0)
            return cached[1]
        if self._running_twin(trial, key):
            # another worker is training this configuration right now: its result will serve
            trial.set_user_attr("skipped", True)
            trial.set_user_attr("steps", 0)
            raise optuna.TrialPruned("another worker is running the same configuration")
        screened = self._screened_twin(trial, key) if self.screen else None
        if screened is not None:
            trial.set_user_attr("cached_from", f"{trial.study.study_name}#{screened.number}")
            trial.set_user_attr("steps", 0)
            trial.set_user_attr("device_seconds", 0.0)
            for step, value in screened.intermediate_values.items():
                trial.report(value, step)
            raise optuna.TrialPruned(f"screened before as trial {screened.number}")
        if self.limit and number is None and not self._fits(trial):
            # workers that checked the budget at the same moment: the later trial gives way
            trial.set_user_attr("skipped", True)
            trial.set_user_attr("steps", 0)
            raise optuna.TrialPruned("the stage budget cannot hold this trial beside the earlier ones")

        if self.reuse and not self.screen and not has_checkpoint(trial_dir):
            self._continue_screen(trial, key, trial_dir)
        offset = continued_step(trial_dir)  # steps its screen spent already, in explore's account

        def report(step: int, value: float) -> None:
            trial.report(value, step)
            trial.set_user_attr("steps", step - offset)
            trial.set_user_attr("device_seconds", elapsed_seconds(trial_dir))
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {step} ({self.metric}={value:.4f})")

        result = run_trial(cfg, self.metric, report=report, resume=has_checkpoint(trial_dir),
                           keep_checkpoint=self.screen and self.reuse)
        trial.set_user_attr("steps", result.steps - offset)
        trial.set_user_attr("device_seconds", result.device_seconds)
        return result.value

    def _continue_screen(self, trial: optuna.Trial, key: str, trial_dir: Path) -> None:
        """Start from the checkpoint the explore screen of this configuration left, if any: its
        evaluations are this trial's first ones (the pruner may stop it there, for 0 steps)."""
        try:
            explore = optuna.load_study(study_name=self.study_dir.study_name("explore"), storage=trial.study._storage)
        except KeyError:  # no explore stage (stages disabled, or not started)
            return
        for t in explore.get_trials(deepcopy=False, states=(TrialState.PRUNED,)):
            if t.user_attrs.get("config_hash") != key or t.user_attrs.get("cached_from") or t.user_attrs.get("skipped"):
                continue
            screened = self.study_dir.root / t.user_attrs["trial_dir"]
            if last_complete(screened) is None:
                continue
            for at, value in sorted(t.intermediate_values.items()):
                trial.report(value, at)
            if trial.should_prune():
                trial.set_user_attr("steps", 0)
                raise optuna.TrialPruned(f"stopped at the rung of its screen, {t.user_attrs['trial_dir']}")
            copy_screen(screened, trial_dir)
            trial.set_user_attr("continued_from", t.user_attrs["trial_dir"])
            return

    def _fits(self, trial: optuna.Trial) -> bool:
        unit, cap, budget = self.limit  # type: ignore[misc]
        earlier = [t for t in trial.study.get_trials(deepcopy=False) if t.number < trial.number]
        return fits(earlier, unit, cap, budget)

    def _running_twin(self, trial: optuna.Trial, key: str) -> bool:
        """Whether an earlier trial of this stage is training the same config right now (of two
        workers that drew it at the same moment, the later one gives way)."""
        return any(t.number < trial.number and t.user_attrs.get("config_hash") == key
                   for t in trial.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)))

    def _screened_twin(self, trial: optuna.Trial, key: str) -> optuna.trial.FrozenTrial | None:
        """A trial of this (screening) stage that already ran the same config to the lowest rung."""
        for t in trial.study.get_trials(deepcopy=False, states=(TrialState.PRUNED,)):
            if t.user_attrs.get("config_hash") == key and t.user_attrs.get("cached_from") is None:
                return t
        return None

    def _completed_twin(self, trial: optuna.Trial, key: str) -> tuple[str, float] | None:
        """(name, value) of a completed trial with the same config, in any stage of this study."""
        storage = trial.study._storage
        prefix = self.study_dir.meta()["name"] + "-"
        for summary in optuna.get_all_study_summaries(storage, include_best_trial=False):
            if not summary.study_name.startswith(prefix):
                continue
            study = optuna.load_study(study_name=summary.study_name, storage=storage)
            for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
                if t.user_attrs.get("config_hash") == key and t.user_attrs.get("cached_from") is None:
                    return f"{summary.study_name}#{t.number}", float(t.value)  # type: ignore[arg-type]
        return None


def open_study(
    study_dir: StudyDir, stage: str, params: list[Param], s: SearchConfig, create: bool, worker: int = 0
) -> optuna.Study:
    """The stage's study; `worker` (0, 1, …) offsets the sampler's seed, so parallel workers do
    not all draw the same configurations in the same order. Not the grid's: its seed shuffles the
    grid, and workers must agree on which point a grid id is, or they train some points twice and
    others never."""
    base = load_config(study_dir.base)
    sampler_kind = "random" if stage == "verify" else s.sampler  # verify runs enqueued trials only
    seed = s.seed if sampler_kind == "grid" else s.seed + worker
    kwargs = dict(
        study_name=study_dir.study_name(stage), storage=make_storage(study_dir.storage_url(), s),
        sampler=make_sampler(sampler_kind, params, seed),
        pruner=make_pruner(stage_pruner(stage, s), s, base.train.eval_steps, base.train.steps),
    )
    if create:
        return optuna.create_study(direction="maximize", load_if_exists=True, **kwargs)
    return optuna.load_study(**kwargs)


def run_worker(study_dir: StudyDir, stage: str, worker: int = 0) -> None:
    """Run trials of `stage` until its budget is spent, its grid is done or its queue is empty."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    _, s = study_dir.settings()
    stage_params, budget, _ = study_dir.load_stage(stage)
    study = open_study(study_dir, stage, stage_params, s, create=False, worker=worker)
    unit = s.budget.unit
    cap = trial_cap(stage, s, load_config(study_dir.base))
    limit = None if stage == "verify" else (unit, cap, budget)
    objective = Objective(study_dir, stage, stage_params, s.metric, screen=stage_pruner(stage, s) == "screen",
                          limit=limit, reuse=s.stages.reuse_checkpoints)
    while True:
        optuna.storages.fail_stale_trials(study)  # re-queue trials of dead workers now, not at the next trial
        trials = study.get_trials(deepcopy=False)
        waiting = any(t.state == TrialState.WAITING for t in trials)
        if stage == "verify" and not waiting:
            return
        over = limit is not None and not fits(trials, *limit)
        # a killed worker's re-queued trial is finished even then: it holds part of the budget already
        if over and not any(t.state == TrialState.WAITING and is_retry(t) for t in trials):
            skip_waiting(study)
            return
        sampler = study.sampler
        if isinstance(sampler, optuna.samplers.GridSampler) and sampler.is_exhausted(study) and not waiting:
            return
        if not waiting and saturated(trials):
            return
        study.optimize(objective, n_trials=1, catch=())


def trial_cap(stage: str, s: SearchConfig, base: RunConfig) -> float:
    """The most one trial of `stage` can spend, in the budget's unit (0: not known in advance)."""
    if s.budget.unit == "trials":
        return 1.0
    if s.budget.unit == "steps":
        return float(s.min_resource or base.train.eval_steps) if stage_pruner(stage, s) == "screen" else float(base.train.steps)
    return 0.0  # device-hours: known only once spent


def is_retry(t: optuna.trial.FrozenTrial) -> bool:
    return RetryHeartbeatStaleTrialCallback.retried_trial_number(t) is not None


def skip_waiting(study: optuna.Study) -> None:
    """The budget is spent: queued trials that never started (focus's best explore configurations)
    are closed as skipped, trained nothing and left out of the summary."""
    while any(t.state == TrialState.WAITING for t in study.get_trials(deepcopy=False)):
        trial = study.ask()  # pops a queued trial (another worker may pop the others)
        trial.set_user_attr("skipped", True)
        study.tell(trial, state=TrialState.PRUNED)


SATURATION = 5


def saturated(trials: list[optuna.trial.FrozenTrial]) -> bool:
    """The last SATURATION trials all repeated trained configurations: a small (or narrowed)
    categorical space is used up, and cached trials would spend nothing, forever."""
    done = [t for t in trials if t.state == TrialState.COMPLETE or t.state == TrialState.PRUNED]
    return len(done) >= SATURATION and all(t.user_attrs.get("cached_from") for t in done[-SATURATION:])


def worker_main(root: str, stage: str, worker: int = 0) -> None:
    run_worker(StudyDir(Path(root)), stage, worker)
