"""Trainer callbacks: the run's metrics log, and self-describing checkpoints."""

from __future__ import annotations

import time
from pathlib import Path

from transformers import TrainerCallback

from spanlab.io import append_jsonl


class MetricsLog(TrainerCallback):
    """Appends every log and evaluation to `metrics.jsonl` (one JSON object per line), and
    times every optimiser step from the end of the previous one (data loading and collation
    included, as the reference harness times gliner)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.last_step_end = 0.0
        self.step_seconds: list[float] = []

    def on_train_begin(self, args, state, control, **kwargs):
        self.last_step_end = time.perf_counter()

    def on_step_end(self, args, state, control, **kwargs):
        now = time.perf_counter()
        self.step_seconds.append(now - self.last_step_end)
        self.last_step_end = now

    def on_evaluate(self, args, state, control, **kwargs):
        self.last_step_end = time.perf_counter()  # keep evaluation time out of the next step

    def on_save(self, args, state, control, **kwargs):
        self.last_step_end = time.perf_counter()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if state.is_world_process_zero and logs:
            kind = "eval" if any(k.startswith("eval_") for k in logs) else "train"
            append_jsonl(self.path, {"step": state.global_step, "kind": kind, "time": time.time(), **logs})


class SaveModelMetadata(TrainerCallback):
    """Makes every `checkpoint-N/` a loadable model folder (config + tokenizer beside the weights)."""

    def __init__(self, model):
        self.model = model

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                self.model.save_metadata(folder)
