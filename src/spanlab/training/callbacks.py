"""Trainer callbacks: the run's metrics log, and self-describing checkpoints."""

from __future__ import annotations

import json
import time
from pathlib import Path

from transformers import TrainerCallback

from spanlab.io import append_jsonl, atomic_write_text

# Fields of a Trainer log that measure one `train()` call rather than the run: wall-clock
# speed, and the summary the Trainer logs when `train()` returns (after `--resume`, its
# `train_loss` averages the resumed steps only). They go to `timings.jsonl`.
TIMING_FIELDS = ("train_runtime", "train_samples_per_second", "train_steps_per_second", "train_loss", "total_flos")


class MetricsLog(TrainerCallback):
    """Appends every log and evaluation to `metrics.jsonl` (one JSON object per line), and
    times every optimiser step from the end of the previous one (data loading and collation
    included, as the reference harness times gliner).

    `metrics.jsonl` holds only values that the config and seed determine, so two runs (or a
    run and its killed-and-resumed twin) write identical files; wall-clock times and the
    per-`train()` summary go to `timings.jsonl` beside it.
    """

    def __init__(self, path: str | Path, resume_step: int | None = None):
        self.path = Path(path)
        self.timings = self.path.with_name("timings.jsonl")
        self.last_step_end = 0.0
        self.step_seconds: list[float] = []
        if resume_step is not None:
            self._truncate(resume_step)

    def _truncate(self, step: int) -> None:
        """Drop what was logged after the checkpoint a run resumes from (and a line cut by a kill)."""
        if not self.path.is_file():
            return
        kept = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("step", 0) <= step:
                kept.append(line + "\n")
        atomic_write_text(self.path, "".join(kept))

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
        if not (state.is_world_process_zero and logs):
            return
        step = state.global_step
        timings = {k: v for k, v in logs.items() if k in TIMING_FIELDS}
        metrics = {k: v for k, v in logs.items() if k not in TIMING_FIELDS}
        if timings:
            append_jsonl(self.timings, {"step": step, "time": time.time(), **timings})
        if set(metrics) - {"epoch"}:
            kind = "eval" if any(k.startswith("eval_") for k in metrics) else "train"
            append_jsonl(self.path, {"step": step, "kind": kind, **metrics})


class SaveModelMetadata(TrainerCallback):
    """Makes every `checkpoint-N/` a loadable model folder (config + tokenizer beside the weights)."""

    def __init__(self, model):
        self.model = model

    def on_save(self, args, state, control, **kwargs):
        if state.is_world_process_zero:
            folder = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if folder.is_dir():
                self.model.save_metadata(folder)
