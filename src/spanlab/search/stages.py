"""A staged study: explore (whole space) → focus (narrowed) → verify (top-k × seeds).

Each stage is its own Optuna study in the shared storage, with its share of the budget. A
finished stage is marked done in `stages/<stage>.json`, so rerunning `spanlab tune` on the
same folder resumes at the first unfinished stage (and, inside it, re-queues the trials
of dead workers). Verify re-runs each of the best configurations once per seed; the run
with the original seed is found in the cache, and the winner is chosen on the mean.
"""

from __future__ import annotations

import math
import statistics
import subprocess
import sys
import time
from dataclasses import replace

import optuna
from optuna.trial import FrozenTrial, TrialState

from spanlab.io import atomic_write_json
from spanlab.search.budget import cost, spent, trial_spend
from spanlab.search.optuna_backend import open_study, run_worker
from spanlab.search.reuse import drop_checkpoints, in_space
from spanlab.search.settings import SearchConfig
from spanlab.search.space import Param
from spanlab.search.study_dir import StudyDir


def stage_plan(s: SearchConfig) -> list[tuple[str, float]]:
    if not s.stages.enabled:
        return [("search", 1.0)]
    return [("explore", s.stages.explore), ("focus", s.stages.focus), ("verify", s.stages.verify)]


def run_study(study_dir: StudyDir, workers: int = 1) -> dict:
    """Run (or resume) every stage, then write and return `summary.json`."""
    params, s = study_dir.settings()
    share_so_far, spent_before = 0.0, 0.0
    for stage, share in stage_plan(s):
        # A stage may spend its share plus what earlier stages left unspent (less what they overshot).
        share_so_far += share
        budget = share_so_far * s.budget.amount - spent_before
        if study_dir.stage_file(stage).is_file() and study_dir.load_stage(stage)[2]:
            spent_before += spent(load(study_dir, stage, s).get_trials(deepcopy=False), s.budget.unit)
            continue  # finished before an interruption
        if not study_dir.stage_file(stage).is_file():
            explored = ranked_trials(study_dir, s, "explore") if stage == "focus" else []
            stage_params = narrow(params, explored, s.stages.focus_from) if stage == "focus" else params
            study_dir.save_stage(stage, stage_params, budget)
            study = open_study(study_dir, stage, stage_params, s, create=True)
            if stage == "focus":
                drop_screen_checkpoints(study_dir, s, outside=stage_params)  # focus cannot draw those
            if stage == "focus" and budget > 0:
                enqueue_focus(study, explored, s.stages.focus_from)
            if stage == "verify":
                enqueue_verify(study, study_dir, s, budget)
        run_workers(study_dir, stage, workers)
        while unfinished(load(study_dir, stage, s)):
            # Trials still RUNNING: workers elsewhere, or workers killed before this run. Wait
            # a heartbeat; dead ones go stale, are re-queued and resumed by the next worker.
            time.sleep(s.heartbeat_seconds)
            run_workers(study_dir, stage, workers)
        if stage == "focus":
            drop_screen_checkpoints(study_dir, s)  # verify starts every run from scratch
        study_dir.save_stage(stage, study_dir.load_stage(stage)[0], budget, done=True)
        spent_before += spent(load(study_dir, stage, s).get_trials(deepcopy=False), s.budget.unit)
    summary = summarize(study_dir, s)
    atomic_write_json(study_dir.root / "summary.json", summary)
    return summary


def unfinished(study: optuna.Study) -> bool:
    return any(t.state in (TrialState.RUNNING, TrialState.WAITING) for t in study.get_trials(deepcopy=False))


def run_workers(study_dir: StudyDir, stage: str, workers: int) -> None:
    """One worker in this process, or N worker processes sharing the storage."""
    if workers <= 1:
        run_worker(study_dir, stage)
        return
    cmd = [sys.executable, "-m", "spanlab.search.worker", str(study_dir.root), stage]
    procs = [subprocess.Popen([*cmd, str(i)]) for i in range(workers)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise RuntimeError(f"search workers for stage {stage} exited with {codes}")


def ranked_trials(study_dir: StudyDir, s: SearchConfig, *stages: str) -> list[FrozenTrial]:
    """Trials of the given stages, best first: completed by value, then pruned by their last report."""
    trials: list[FrozenTrial] = []
    for stage in stages:
        if study_dir.stage_file(stage).is_file():
            trials += load(study_dir, stage, s).get_trials(deepcopy=False)

    def score(t: FrozenTrial) -> tuple[int, float]:
        if t.state == TrialState.COMPLETE:
            return (1, float(t.value))  # type: ignore[arg-type]
        if t.state == TrialState.PRUNED and t.intermediate_values:
            return (0, t.intermediate_values[max(t.intermediate_values)])
        return (-1, 0.0)

    return sorted((t for t in trials if score(t)[0] >= 0), key=score, reverse=True)


def distinct(ranked: list[FrozenTrial]) -> list[FrozenTrial]:
    """The first (best) trial of each configuration; repeats (cached twins) are left out."""
    seen: set[str | None] = set()
    out = []
    for t in ranked:
        key = t.user_attrs.get("config_hash")
        if key is None or key not in seen:
            seen.add(key)
            out.append(t)
    return out


def load(study_dir: StudyDir, stage: str, s: SearchConfig) -> optuna.Study:
    return open_study(study_dir, stage, study_dir.load_stage(stage)[0], s, create=False)


def narrow(params: list[Param], ranked: list[FrozenTrial], top_k: int) -> list[Param]:
    """The space around the best trials: numeric ranges span their values (+25% each side,
    in log space for log-uniform), categorical values keep those the best trials used."""
    best = [t.user_attrs.get("overrides", t.params) for t in distinct(ranked)[:top_k]]
    if not best:
        return params
    out = []
    for p in params:
        seen = [b[p.key] for b in best if p.key in b]
        if not seen:
            out.append(p)
        elif p.categorical:
            out.append(replace(p, values=tuple(v for v in p.values if v in seen)))
        else:
            log = p.kind == "loguniform"
            f = math.log if log else (lambda x: x)
            g = math.exp if log else (lambda x: x)
            lo, hi = f(min(seen)), f(max(seen))
            pad = max(0.25 * (hi - lo), 0.05 * (f(p.high) - f(p.low)))
            low, high = max(f(p.low), lo - pad), min(f(p.high), hi + pad)
            low, high = g(low), g(high)
            if p.kind == "int":
                low, high = math.floor(low), math.ceil(high)
                if low == high:
                    out.append(replace(p, kind="choice", values=(int(low),)))
                    continue
            out.append(replace(p, low=low, high=high))
    return out


def drop_screen_checkpoints(study_dir: StudyDir, s: SearchConfig, outside: list[Param] | None = None) -> None:
    """Delete the checkpoints explore's screens kept: of configurations outside `outside` (a
    narrowed space), or all of them."""
    trials = load(study_dir, "explore", s).get_trials(deepcopy=False)
    drop_checkpoints([
        study_dir.root / t.user_attrs["trial_dir"] for t in trials
        if "trial_dir" in t.user_attrs and (outside is None or not in_space(t.user_attrs.get("overrides", {}), outside))
    ])


def enqueue_focus(study: optuna.Study, explored: list[FrozenTrial], n: int) -> None:
    """Focus first trains the best `n` distinct explore configurations (the narrowed space spans
    them), so the trials its pruner promotes first are the most promising ones."""
    for t in distinct(explored)[:n]:
        study.enqueue_trial(t.user_attrs.get("overrides", t.params))


def enqueue_verify(study: optuna.Study, study_dir: StudyDir, s: SearchConfig, budget: float) -> None:
    """Queue the best distinct configurations × seeds, as many configurations as the budget holds (≥ 1)."""
    unit = s.budget.unit
    chosen, seen, used = [], set(), 0.0
    for t in ranked_trials(study_dir, s, "explore", "focus", "search"):
        if t.state != TrialState.COMPLETE or t.user_attrs["config_hash"] in seen:
            continue
        original = t if t.user_attrs.get("cached_from") is None else None
        per_run = trial_spend(original, unit) if original else 1.0 if unit == "trials" else 0.0
        need = per_run * (len(s.stages.seeds) - 1)  # the trial's own seed comes from the cache
        if chosen and (len(chosen) >= s.stages.top_k or used + need > budget):
            break
        chosen.append(t)
        seen.add(t.user_attrs["config_hash"])
        used += need
    for rank, t in enumerate(chosen):
        for seed in s.stages.seeds:
            fixed = {**t.user_attrs["overrides"], "train.seed": seed}
            study.enqueue_trial({}, user_attrs={"fixed": fixed, "rank": rank, "source": t.user_attrs["trial_dir"]})


def summarize(study_dir: StudyDir, s: SearchConfig) -> dict:
    stages = {}
    every: list[dict] = []
    for stage, _ in stage_plan(s):
        trials = load(study_dir, stage, s).get_trials(deepcopy=False)
        rows = [trial_row(t, stage, s) for t in trials if not t.user_attrs.get("skipped")]
        every += rows
        stages[stage] = {
            "trials": len(rows),
            "complete": sum(r["state"] == "COMPLETE" for r in rows),
            "pruned": sum(r["state"] == "PRUNED" for r in rows),
            "cached": sum(r["cached"] for r in rows),
            "steps": sum(r["steps"] for r in rows),
            "device_seconds": sum(r["device_seconds"] for r in rows),
            "cost": sum(r["cost"] for r in rows),
            "best_value": max((r["value"] for r in rows if r["value"] is not None), default=None),
        }
    summary = {
        "budget": {"unit": s.budget.unit, "amount": s.budget.amount},
        "price_per_hour": s.price_per_hour,
        "stages": stages,
        "total": {k: sum(st[k] for st in stages.values()) for k in ("trials", "steps", "device_seconds", "cost")},
        "trials": every,
    }
    done = [r for r in every if r["state"] == "COMPLETE"]
    if "verify" in stages:
        summary["verify"] = verify_table(load(study_dir, "verify", s).get_trials(deepcopy=False))
        summary["winner"] = summary["verify"][0] if summary["verify"] else None
    elif done:
        best = max(done, key=lambda r: r["value"])
        summary["winner"] = {"overrides": best["overrides"], "mean": best["value"], "std": 0.0, "n": 1}
    return summary


def trial_row(t: FrozenTrial, stage: str, s: SearchConfig) -> dict:
    # A killed attempt's steps and time up to its last checkpoint are counted by its retry, which
    # resumed them; what it ran after that checkpoint is lost and not counted.
    failed = t.state == TrialState.FAIL
    seconds = 0.0 if failed else float(t.user_attrs.get("device_seconds", 0.0))
    return {
        "stage": stage, "number": t.number, "state": t.state.name, "value": t.value,
        "overrides": t.user_attrs.get("overrides", t.params), "steps": 0 if failed else int(t.user_attrs.get("steps", 0)),
        "device_seconds": seconds, "cost": cost(seconds, s.price_per_hour),
        "cached": t.user_attrs.get("cached_from") is not None, "trial_dir": t.user_attrs.get("trial_dir"),
        "continued_from": t.user_attrs.get("continued_from"),
        "curve": {int(k): v for k, v in t.intermediate_values.items()},
    }


def verify_table(trials: list[FrozenTrial]) -> list[dict]:
    """Per verified configuration: seed values, mean ± std (sample std); best mean first."""
    groups: dict[int, list[FrozenTrial]] = {}
    for t in trials:
        if t.state == TrialState.COMPLETE:
            groups.setdefault(t.user_attrs["rank"], []).append(t)
    rows = []
    for rank, ts in groups.items():
        values = [float(t.value) for t in ts]  # type: ignore[arg-type]
        config = {k: v for k, v in ts[0].user_attrs["fixed"].items() if k != "train.seed"}
        rows.append({
            "rank_after_search": rank, "overrides": config, "source": ts[0].user_attrs["source"],
            "seeds": [t.user_attrs["fixed"]["train.seed"] for t in ts], "values": values,
            "mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else 0.0, "n": len(values),
        })
    return sorted(rows, key=lambda r: r["mean"], reverse=True)
