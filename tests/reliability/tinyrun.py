"""Tiny training runs for the crash, resume and determinism checks (tests and benchmarks/reliability.py).

A run is `python -m spanlab train run.yaml` on a 2-layer random encoder and eight
sentences: 60 steps with dropout, label sampling from the vocabulary, an evaluation and a
checkpoint every 15 steps and the best checkpoint restored at the end — every source of
randomness a real run has, in a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

SENTENCES = [
    ("Alice lives in Paris .", [(0, 0, "person"), (3, 3, "city")]),
    ("Bob visited Berlin yesterday .", [(0, 0, "person"), (2, 2, "city")]),
    ("Carol Smith moved to Rome .", [(0, 1, "person"), (4, 4, "city")]),
    ("In Madrid , David met Erin .", [(1, 1, "city"), (3, 3, "person"), (5, 5, "person")]),
    ("Frank works for Acme in Oslo .", [(0, 0, "person"), (3, 3, "company"), (5, 5, "city")]),
    ("Grace loves Vienna .", [(0, 0, "person"), (2, 2, "city")]),
    ("Tokyo is big .", [(0, 0, "city")]),
    ("Heidi joined Globex .", [(0, 0, "person"), (2, 2, "company")]),
]
STEPS, SAVE_STEPS = 60, 15


def write_encoder(folder: Path) -> Path:
    """A 2-layer, 32-wide random BERT (dropout on) with the embedded MiniLM tokenizer."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from spanlab.encoder.load import default_encoder_path

    tokenizer = AutoTokenizer.from_pretrained(str(default_encoder_path()))
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    return folder


def write_config(folder: Path, encoder: Path, out: Path, **train: object) -> Path:
    """Training data, a one-set evaluation suite and the run config, all under `folder`."""
    data = folder / "train.jsonl"
    data.write_text("".join(json.dumps({"tokenized_text": s.split(" "), "ner": [list(e) for e in ents]}) + "\n"
                            for s, ents in SENTENCES), encoding="utf-8")
    settings = {
        "model": {"encoder": str(encoder), "hidden_size": 32, "max_width": 4, "max_types": 4, "max_len": 32,
                  "dropout": 0.3},
        "data": {"train": [str(data)], "negatives": {"source": "vocabulary", "count": "fill"}},
        "train": {"output_dir": str(out), "steps": STEPS, "batch_size": 3, "lr_encoder": 1e-3, "lr_others": 2e-3,
                  "eval_steps": SAVE_STEPS, "save_total_limit": 2, "logging_steps": 1, "threads": 1, "seed": 7}
        | train,
        "eval": {"suite": [str(data)], "bootstrap": 0},
    }
    path = folder / f"{out.name}.yaml"
    path.write_text(json.dumps(settings, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def spanlab(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = os.environ | {"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    return subprocess.run([sys.executable, "-m", "spanlab", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def kill_at(config: Path, out: Path, step: int, timeout: float = 300) -> int:
    """Start `spanlab train`, SIGKILL it once the metrics log reaches `step`; returns the last step logged."""
    env = os.environ | {"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "spanlab", "train", str(config)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    log, deadline, last = out / "metrics.jsonl", time.monotonic() + timeout, 0
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if log.is_file():
                lines = log.read_text(encoding="utf-8").splitlines()
                last = json.loads(lines[-1])["step"] if lines and lines[-1].endswith("}") else last
                if last >= step:
                    break
            time.sleep(0.002)
        if proc.poll() is not None:
            raise RuntimeError(f"the run ended (exit {proc.returncode}) before step {step}")
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return last


def differences(a: Path, b: Path) -> list[str]:
    """What differs between two finished runs, leaving out wall-clock fields; [] when identical."""
    found = []
    if (a / "metrics.jsonl").read_bytes() != (b / "metrics.jsonl").read_bytes():
        found.append("metrics.jsonl")
    summaries = [json.loads((run / "train_summary.json").read_text()) for run in (a, b)]
    for summary in summaries:
        summary.pop("step_seconds")
        summary["best_checkpoint"] = Path(summary["best_checkpoint"] or "").name
    if summaries[0] != summaries[1]:
        found.append(f"train_summary.json: {summaries[0]} != {summaries[1]}")
    weights = [load_file(str(run / "model" / "model.safetensors")) for run in (a, b)]
    found += [f"model/{name}" for name in weights[0] if not torch.equal(weights[0][name], weights[1][name])]
    return found
