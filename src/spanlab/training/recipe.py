"""`train(cfg)`: the whole GLiNER training run, top to bottom.

    config → data → model → collator (label sampling) → Trainer + callbacks → best model → report

The run folder gets the resolved config, library versions, `metrics.jsonl` (every log
and evaluation), `checkpoint-N/` folders (each a loadable model) and `model/` (the best
checkpoint when an evaluation suite is configured, else the last).
"""

from __future__ import annotations

import logging
import platform
import random
from collections.abc import Sequence
from pathlib import Path

import torch
from transformers import EarlyStoppingCallback, TrainerCallback, TrainingArguments, set_seed

from spanlab.config import RunConfig, save_config
from spanlab.data.balance import keep_empty, repeat_rare, weigh_files
from spanlab.data.collate import SpanCollator
from spanlab.data.draws import ExampleDataset
from spanlab.data.packing import pack_sentences
from spanlab.data.prompts import LabelSampler, file_label_sets, label_vocabulary
from spanlab.data.readers import ReadReport, apply_label_map, load_label_map, read_gliner_files
from spanlab.errors import ConfigError, DataError
from spanlab.evaluation.suite import load_suite
from spanlab.evaluation.zeroshot import evaluate_suite
from spanlab.io import atomic_write_json
from spanlab.model import SpanModel
from spanlab.training.callbacks import MetricsLog, SaveModelMetadata
from spanlab.training.malloc import keep_large_blocks
from spanlab.training.checkpoints import CheckpointGuard, output_errors, resume_checkpoint
from spanlab.training.trainer import SpanTrainer

logger = logging.getLogger(__name__)


def train(cfg: RunConfig, resume: bool | str = False, callbacks: Sequence[TrainerCallback] = ()) -> Path:
    """Train, evaluate every `eval_steps`, keep the best; returns the final model folder.
    `callbacks` are added to the Trainer's (the search uses one to report and prune)."""
    run_dir = Path(cfg.train.output_dir)
    keep_large_blocks()  # no page faults for the same large blocks every step (spanlab/training/malloc.py)
    if cfg.train.threads:
        torch.set_num_threads(cfg.train.threads)
    set_seed(cfg.train.seed)
    if cfg.model.head != "gliner":  # a fixed label set: (Efficient) GlobalPointer or BIO tagging
        from spanlab.training.supervised import train_fixed_labels

        return train_fixed_labels(cfg, resume, callbacks)

    examples, report = load_training_data(cfg)
    model = SpanModel.from_encoder(cfg.model)
    if cfg.train.compile:
        model.encoder.compile(dynamic=True)  # in place: parameter names and checkpoints are unchanged
    vocabulary = label_vocabulary(examples)
    if not vocabulary:
        raise DataError(
            f"found no entity mention in {len(examples)} training records; expected at least one",
            where=", ".join(cfg.data.train), fix="check data.train (and data.exclude, data.max_records)",
        )
    label_sets = file_label_sets(examples) if cfg.data.negatives.source == "dataset" else None
    sampler = LabelSampler(cfg.data.negatives, cfg.model.max_types, vocabulary, label_sets=label_sets)
    collator = SpanCollator(model.tokenizer, cfg.model.max_width, cfg.model.max_len, sampler, model.max_tokens)
    evaluator, suite = build_evaluator(cfg)

    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = _checkpoint_to_resume(run_dir, resume)
    save_config(cfg, run_dir / "config.yaml")
    atomic_write_json(run_dir / "versions.json", versions() | {"seed": cfg.train.seed, "data": report.summary()})
    metrics_log = MetricsLog(run_dir / "metrics.jsonl", resume_step=_step_of(checkpoint))
    guard = CheckpointGuard(cfg.train.save_total_limit)
    extra_callbacks = list(callbacks)
    callbacks = [metrics_log, SaveModelMetadata(model)]
    if cfg.train.early_stopping_patience and evaluator:
        callbacks.append(EarlyStoppingCallback(cfg.train.early_stopping_patience))
    callbacks.extend(extra_callbacks)
    callbacks.append(guard)  # last: marks a checkpoint complete after every other callback wrote into it

    trainer = SpanTrainer(
        model=model,
        args=training_arguments(cfg, with_eval=evaluator is not None),
        train_dataset=ExampleDataset(examples, cfg.train.seed),
        eval_dataset=suite,
        data_collator=collator,
        processing_class=model.tokenizer,
        callbacks=callbacks,
        loss=cfg.train.loss,
        lr_encoder=cfg.train.lr_encoder,
        evaluator=evaluator,
        train_lengths=[len(ex.words) for ex in examples] if cfg.train.length_buckets else None,
    )
    final = run_dir / "model"
    with output_errors(run_dir, guard, checkpoint):
        trainer.train(resume_from_checkpoint=checkpoint)
        if trainer.is_world_process_zero():
            model.save_pretrained(final)
            atomic_write_json(
                run_dir / "train_summary.json",
                {
                    "steps": trainer.state.global_step,
                    "best_checkpoint": trainer.state.best_model_checkpoint,
                    "best_metric": trainer.state.best_metric,
                    "words_cut": collator.words_cut,
                    "step_seconds": metrics_log.step_seconds,  # wall clock: the one field that differs between runs
                },
            )
    return final


def load_training_data(cfg: RunConfig):
    if not cfg.data.train:
        raise ConfigError("data.train is empty", fix="list GLiNER-format files or globs under data.train")
    report = ReadReport()
    examples = read_gliner_files(
        cfg.data.train, exclude=cfg.data.exclude, skip_invalid=cfg.data.skip_invalid, report=report
    )
    if cfg.data.label_map:
        examples = apply_label_map(examples, load_label_map(cfg.data.label_map))
    examples = pack_sentences(examples, cfg.data.pack_sentences, cfg.data.shuffle_seed)  # in file order
    if cfg.data.repeat_threshold < 0:
        raise ConfigError(f"data.repeat_threshold must be ≥ 0, found {cfg.data.repeat_threshold}")
    if not 0 <= cfg.data.keep_empty <= 1:
        raise ConfigError(f"data.keep_empty must be in [0, 1], found {cfg.data.keep_empty}")
    examples = keep_empty(examples, cfg.data.keep_empty, cfg.data.shuffle_seed)
    if cfg.data.weights:
        examples = weigh_files(examples, cfg.data.weights, cfg.data.shuffle_seed)
        logger.info("per-file weights: %d passages after weighting", len(examples))
    if cfg.data.repeat_threshold:
        examples = repeat_rare(examples, cfg.data.repeat_threshold, cfg.data.shuffle_seed)
        logger.info("repeat-factor sampling: %d passages after repeats", len(examples))
    random.Random(cfg.data.shuffle_seed).shuffle(examples)
    if cfg.data.max_records is not None:
        examples = examples[: cfg.data.max_records]
    logger.info("training data: %s", report.summary())
    return examples, report


def build_evaluator(cfg: RunConfig):
    """A function model → {"f1": …, "<set>_f1": …} over the configured suite, or (None, None)."""
    if not cfg.eval.suite:
        return None, None
    sets = load_suite(cfg.eval.suite, cfg.eval.sets, cfg.eval.lowercase, cfg.eval.fixed_labels, cfg.eval.max_sentences)
    eval_cfg = cfg.eval

    def evaluator(model) -> dict[str, float]:
        result = evaluate_suite(model, sets, eval_cfg, seed=cfg.train.seed)
        metrics = {"f1": result.f1_avg, "span_f1": result.span_f1_avg}
        metrics.update({f"{s.name}_f1": s.typed.micro.f1 for s in result.sets})
        return metrics

    return evaluator, sets


def training_arguments(cfg: RunConfig, with_eval: bool) -> TrainingArguments:
    t = cfg.train
    return TrainingArguments(
        output_dir=t.output_dir,
        max_steps=t.steps,
        per_device_train_batch_size=t.batch_size,
        gradient_accumulation_steps=t.grad_accum,
        learning_rate=t.lr_others,
        weight_decay=t.weight_decay,
        lr_scheduler_type=t.scheduler,
        lr_scheduler_kwargs=_scheduler_kwargs(t),
        warmup_steps=t.warmup_ratio,
        max_grad_norm=t.max_grad_norm,
        seed=t.seed,
        logging_steps=t.logging_steps,
        eval_strategy="steps" if with_eval else "no",
        eval_steps=t.eval_steps,
        save_strategy="steps",
        save_steps=t.eval_steps,
        save_total_limit=None,  # CheckpointGuard rotates, once the new checkpoint is complete
        load_best_model_at_end=with_eval,
        metric_for_best_model="f1" if with_eval else None,
        greater_is_better=True,
        report_to=t.report_to or "none",
        optim="adamw_torch_fused",  # one fused kernel for all parameters (CPU and CUDA)
        remove_unused_columns=False,
        dataloader_num_workers=0,
        use_cpu=not torch.cuda.is_available(),  # without it, torchrun on CPU runs N independent copies
        # The data were shuffled once with data.shuffle_seed; read them in that order (as the
        # reference harness does), so both systems see the same batches.
        train_sampling_strategy="sequential",
        disable_tqdm=False,
        # Deterministic kernels (torch.use_deterministic_algorithms, CUBLAS_WORKSPACE_CONFIG,
        # cuDNN flags) through the Trainer's own switch; CPU runs are deterministic without it.
        full_determinism=t.deterministic,
    )


def _scheduler_kwargs(t) -> dict:
    if t.scheduler != "warmup_stable_decay":
        return {}
    return {"num_decay_steps": max(1, round(t.decay_ratio * t.steps))}


def _checkpoint_to_resume(run_dir: Path, resume: bool | str) -> str | None:
    if not resume:
        return None
    if isinstance(resume, str):
        return resume
    last = resume_checkpoint(run_dir)
    if last is None:
        logger.warning("--resume: no complete checkpoint in %s; starting from scratch", run_dir)
        return None
    return str(last)


def _step_of(checkpoint: str | None) -> int | None:
    """The step a checkpoint folder was saved at (`checkpoint-N`), or None when not resuming."""
    name = Path(checkpoint).name if checkpoint else ""
    return int(name.rpartition("-")[2]) if name.rpartition("-")[2].isdigit() else None


def versions() -> dict[str, str]:
    import transformers

    import spanlab

    return {
        "spanlab": getattr(spanlab, "__version__", "0"),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
