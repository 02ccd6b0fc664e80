"""A run killed with SIGKILL at a random step and resumed with --resume ends exactly like an uninterrupted run."""

from __future__ import annotations

import json
import random

import pytest
from tinyrun import SAVE_STEPS, STEPS, differences, kill_at, spanlab, write_config, write_encoder

from spanlab.training.checkpoints import MARKER, checkpoints, resume_checkpoint


@pytest.mark.slow  # three subprocess runs: ~30 s on a loaded 2-core machine
def test_sigkill_and_resume_give_the_uninterrupted_result(tmp_path):
    encoder = write_encoder(tmp_path / "encoder")
    straight, killed = tmp_path / "straight", tmp_path / "killed"
    done = spanlab("train", str(write_config(tmp_path, encoder, straight)))
    assert done.returncode == 0, done.stderr[-3000:]

    config = write_config(tmp_path, encoder, killed)
    step = random.randrange(SAVE_STEPS + 2, STEPS - 8)  # random on purpose: any step must do
    last = kill_at(config, killed, step)
    assert not (killed / "model").exists() and last < STEPS
    resumed = spanlab("train", str(config), "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]

    assert differences(straight, killed) == [], f"killed after step {last}"
    evals = [json.loads(line) for line in (killed / "metrics.jsonl").read_text().splitlines() if '"eval"' in line]
    assert [e["step"] for e in evals] == list(range(SAVE_STEPS, STEPS + 1, SAVE_STEPS))


def test_resume_skips_and_removes_an_incomplete_checkpoint(tmp_path, caplog):
    for step, complete in ((10, True), (20, True), (30, False)):  # a kill while checkpoint-30 was being written
        folder = tmp_path / f"checkpoint-{step}"
        folder.mkdir()
        (folder / "model.safetensors").write_bytes(b"")
        if complete:
            (folder / MARKER).write_text("{}")
    assert resume_checkpoint(tmp_path) == tmp_path / "checkpoint-20"
    assert [(s, ok) for s, _, ok in checkpoints(tmp_path)] == [(10, True), (20, True)]
    assert "checkpoint-30: incomplete checkpoint" in caplog.text
