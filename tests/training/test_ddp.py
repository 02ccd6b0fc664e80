"""`torchrun --nproc_per_node 2 -m spanlab train …` on CPU (gloo): two ranks train and rank 0 writes the model."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch.distributed

from spanlab.model import SpanModel


@pytest.mark.skipif(not torch.distributed.is_available(), reason="this torch build has no torch.distributed")
def test_two_process_cpu_training(tiny_encoder_dir, tiny_corpus, tmp_path):
    run = tmp_path / "run"
    config = tmp_path / "ddp.yaml"
    config.write_text(
        f"model:\n  encoder: {tiny_encoder_dir}\n  hidden_size: 32\n  max_width: 4\n  max_len: 32\n"
        f"data:\n  train: [{tiny_corpus.train}]\n  negatives:\n    source: batch\n    count: ratio\n"
        f"train:\n  output_dir: {run}\n  batch_size: 2\n  logging_steps: 2\n",
        encoding="utf-8",
    )
    env = os.environ | {"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        "-m", "spanlab", "train", str(config),
        "--set", "train.steps=6", "--set", "train.eval_steps=6", "--set", "train.threads=1",
        "--set", f"eval.suite={tiny_corpus.suite}", "--set", "eval.bootstrap=0",
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]

    summary = json.loads((run / "train_summary.json").read_text())
    assert summary["steps"] == 6
    metrics = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    # Really data-parallel: 2 ranks × 2 examples per step go through the 8 examples in 2 steps.
    assert metrics[-1]["epoch"] == 3.0, "each rank trained alone (world size 1)"
    assert [m["step"] for m in metrics if m["kind"] == "eval"] == [6]  # rank 0 alone writes the log
    assert (run / "checkpoint-6" / "config.json").is_file()
    SpanModel.from_pretrained(run / "model")
