"""Ray Tune backend (`--backend ray`, extra `spanlab[ray]`): the same space file, one stage.

Trials run as Ray function trainables with `ASHAScheduler` on the reported step, the
resources asked for per trial (e.g. {"gpu": 1}), on a local Ray or an existing cluster
(`address`). Every evaluation is reported with the trial's latest checkpoint folder as a Ray
checkpoint; an interrupted experiment is picked up with `Tuner.restore`, and a restored
trial copies its Ray checkpoint back into its folder and resumes training from it.
Budget: `trials` only (Ray samples a fixed number of configurations).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from spanlab.errors import ConfigError
from spanlab.io import atomic_write_json
from spanlab.search.budget import cost
from spanlab.search.space import Param, overrides_from
from spanlab.search.study_dir import StudyDir
from spanlab.search.trial import elapsed_seconds, has_checkpoint, run_trial, trial_config


def param_space(params: list[Param]) -> dict[str, Any]:
    from ray import tune

    out: dict[str, Any] = {}
    for p in params:
        if p.kind == "grid":
            out[p.key] = tune.grid_search(list(p.values))
        elif p.kind == "choice":
            out[p.key] = tune.choice(list(p.values))
        elif p.kind == "int":
            out[p.key] = tune.randint(int(p.low), int(p.high) + 1)  # randint's upper bound is exclusive
        elif p.kind == "loguniform":
            out[p.key] = tune.loguniform(p.low, p.high)
        else:
            out[p.key] = tune.uniform(p.low, p.high)
    return out


def make_trainable(root: str, metric: str):
    """A function trainable closed over the study folder (plain strings, so Ray can ship it)."""

    def trainable(config: dict[str, Any]) -> None:
        from ray import tune

        sd = StudyDir(Path(root))
        trial_dir = sd.root / "trials" / f"ray-{tune.get_context().get_trial_id()}"
        restore = tune.get_checkpoint()
        if restore is not None and not has_checkpoint(trial_dir):
            with restore.as_directory() as d:  # e.g. restored on another node
                step = json.loads((Path(d) / "trainer_state.json").read_text())["global_step"]
                shutil.copytree(d, trial_dir / f"checkpoint-{step}")
        cfg = trial_config(sd.base, overrides_from(config), trial_dir)
        reported: set[Path] = set()

        def report(step: int, value: float) -> None:
            # The Trainer saves right after evaluating, so the newest folder is the previous evaluation's.
            folders = sorted(trial_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1]))
            new = folders[-1] if folders and folders[-1] not in reported else None
            if new:
                reported.add(new)
            metrics = {"step": step, metric: value, "device_seconds": elapsed_seconds(trial_dir)}
            tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(str(new)) if new else None)

        run_trial(cfg, metric, report=report, resume=has_checkpoint(trial_dir))

    return trainable


def run_ray(sd: StudyDir, workers: int = 1, address: str | None = None, resources: dict[str, float] | None = None) -> dict:
    try:
        import ray
        from ray import tune
        from ray.tune.schedulers import ASHAScheduler
    except ImportError:
        raise ConfigError("--backend ray needs Ray Tune", fix='pip install "spanlab[ray]"') from None
    from spanlab.config import load_config

    params, s = sd.settings()
    if s.budget.unit != "trials":
        raise ConfigError(f"the Ray backend takes a budget in trials, found {s.budget.unit}", where=str(sd.space_file))
    base = load_config(sd.base)
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}})
    grid = any(p.kind == "grid" for p in params)
    trainable = tune.with_resources(make_trainable(str(sd.root.resolve()), s.metric), resources or {"cpu": 1})
    storage = str((sd.root / "ray").resolve())
    path = os.path.join(storage, "study")
    if tune.Tuner.can_restore(path):
        tuner = tune.Tuner.restore(path, trainable=trainable, resume_errored=True, param_space=param_space(params))
    else:
        scheduler = None if s.pruner == "none" else ASHAScheduler(
            time_attr="step", max_t=base.train.steps, grace_period=s.min_resource or base.train.eval_steps,
            reduction_factor=s.reduction_factor,
        )
        tuner = tune.Tuner(
            trainable, param_space=param_space(params),
            tune_config=tune.TuneConfig(metric=s.metric, mode="max", scheduler=scheduler, max_concurrent_trials=workers,
                                        num_samples=1 if grid else int(s.budget.amount)),
            run_config=tune.RunConfig(name="study", storage_path=storage, verbose=0,
                                      checkpoint_config=tune.CheckpointConfig(num_to_keep=1)),
        )
    results = tuner.fit()
    summary = summarize_ray(results, s, base.train.steps)
    atomic_write_json(sd.root / "summary.json", summary)
    return summary


def summarize_ray(results, s, max_steps: int) -> dict:
    rows = []
    for i, r in enumerate(results):
        df = r.metrics_dataframe
        curve = {} if df is None or s.metric not in df else {int(a): float(b) for a, b in zip(df["step"], df[s.metric])}
        seconds = float(df["device_seconds"].max()) if curve else 0.0
        steps = max(curve, default=0)
        rows.append({
            "stage": "search", "number": i, "state": "COMPLETE" if steps >= max_steps else "PRUNED",
            "value": max(curve.values()) if curve else None, "overrides": {k: v for k, v in r.config.items()},
            "steps": steps, "device_seconds": seconds, "cost": cost(seconds, s.price_per_hour), "cached": False,
            "trial_dir": None, "curve": curve,
        })
    stage = {
        "trials": len(rows), "complete": sum(r["state"] == "COMPLETE" for r in rows),
        "pruned": sum(r["state"] == "PRUNED" for r in rows), "cached": 0, "steps": sum(r["steps"] for r in rows),
        "device_seconds": sum(r["device_seconds"] for r in rows), "cost": sum(r["cost"] for r in rows),
        "best_value": max((r["value"] for r in rows if r["value"] is not None), default=None),
    }
    best = max((r for r in rows if r["value"] is not None), key=lambda r: r["value"], default=None)
    return {
        "backend": "ray", "budget": {"unit": "trials", "amount": s.budget.amount}, "price_per_hour": s.price_per_hour,
        "stages": {"search": stage}, "total": {k: stage[k] for k in ("trials", "steps", "device_seconds", "cost")},
        "trials": rows,
        "winner": {"overrides": best["overrides"], "mean": best["value"], "std": 0.0, "n": 1} if best else None,
    }
