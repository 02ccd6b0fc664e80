"""A worker killed mid-trial (SIGKILL): the rerun re-queues its trial, which resumes from its last checkpoint."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from spanlab.search.tune import tune

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # a fresh Python process imports torch: ~10 s on an idle 2-core machine
def test_killed_trial_is_retried_from_its_checkpoint(tmp_path, make_base, make_space):
    base = make_base(steps=40, eval_steps=4)
    space = make_space(
        {"train.lr_others": {"choice": [1e-3, 2e-3]}},
        {"sampler": "grid", "pruner": "none", "budget": {"trials": 2}, "stages": {"enabled": False},
         "heartbeat_seconds": 1, "grace_seconds": 2},
    )
    out = tmp_path / "study"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "spanlab", "tune", str(base), "--space", str(space), "--out", str(out)]
    log = tmp_path / "worker.log"
    proc = subprocess.Popen(cmd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    first = out / "trials" / "search-0000"
    deadline = time.time() + 120
    while not (first / "checkpoint-8" / "trainer_state.json").is_file():
        assert proc.poll() is None and time.time() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = max(json.loads(line)["step"] for line in (first / "metrics.jsonl").read_text().splitlines())
    assert killed_at < 40

    summary = tune(base, space, out)  # resume: the same command again

    study = optuna.load_study(study_name="study-search", storage=f"sqlite:///{out / 'study.db'}")
    states = [t.state for t in study.trials]
    assert states.count(TrialState.FAIL) == 1  # the killed attempt, marked failed through its stale heartbeat
    assert states.count(TrialState.COMPLETE) == 2
    retry = next(t for t in study.trials if t.system_attrs.get("failed_trial") is not None)
    failed = study.trials[retry.system_attrs["failed_trial"]]
    assert retry.params == failed.params and retry.user_attrs["trial_dir"] == "trials/search-0000"
    # The retry continued the first attempt's run: no step up to the resumed checkpoint was trained twice.
    steps = [json.loads(line)["step"] for line in (first / "metrics.jsonl").read_text().splitlines()
             if "loss" in json.loads(line)]
    assert len(steps) == len(set(steps)) and max(steps) == 40
    assert json.loads((first / "train_summary.json").read_text())["steps"] == 40
    assert summary["total"]["steps"] == 80
