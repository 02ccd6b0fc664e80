"""`train_fixed_labels(cfg)`: an (Efficient) GlobalPointer or BIO token-classification run, top to bottom.

    config → data (train / dev / test, any format) → label set → [character encoder] → model
    → collator → the same SpanTrainer + callbacks as GLiNER runs → best model → dev/test report

`training.recipe.train` hands over here when `model.head` is egp, gp or tokencls. The run
folder is laid out as for GLiNER runs, plus `eval/test.json|md` (per-type P/R/F1 with gold
counts; `eval/dev.*` when there is no test split) for the final model.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from collections.abc import Sequence
from pathlib import Path

from transformers import EarlyStoppingCallback, TrainerCallback

from spanlab.config import RunConfig, save_config
from spanlab.data.packing import pack_sentences
from spanlab.data.readers import ReadReport
from spanlab.errors import ConfigError
from spanlab.io import atomic_write_json, atomic_write_text
from spanlab.supervised.data import label_set, read_split, report_unknown_labels
from spanlab.supervised.encoding import alignment_report
from spanlab.supervised.evaluate import evaluate, markdown_table
from spanlab.supervised.model import FixedLabelModel
from spanlab.training.callbacks import MetricsLog, SaveModelMetadata
from spanlab.training.checkpoints import CheckpointGuard
from spanlab.training.trainer import SpanTrainer

logger = logging.getLogger(__name__)


def train_fixed_labels(cfg: RunConfig, resume: bool | str = False, callbacks: Sequence[TrainerCallback] = ()) -> Path:
    """`callbacks` are added to the Trainer's (the search reports evaluations and prunes through one)."""
    from spanlab.training.recipe import ExampleDataset, _checkpoint_to_resume, training_arguments, versions

    run_dir = Path(cfg.train.output_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    train_set, dev_set, test_set, report = load_splits(cfg)
    labels = cfg.model.labels or label_set(train_set)
    for name, split in (("train", train_set), ("dev", dev_set), ("test", test_set)):
        report_unknown_labels(split, labels, name)

    if cfg.model.char_encoder is not None:
        from spanlab.encoder.chars import build_char_encoder

        folder = build_char_encoder([ex.text for ex in train_set], run_dir / "char-encoder", cfg.model.char_encoder,
                                    seed=cfg.train.seed)
        cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, encoder=str(folder)))
    model = FixedLabelModel.from_encoder(cfg.model, labels)
    collator = model.collator()
    unreachable = alignment_report(collator, train_set)
    if unreachable:
        logger.warning("training gold spans left out of the targets: %s", dict(unreachable))

    save_config(cfg, run_dir / "config.yaml")
    atomic_write_json(run_dir / "versions.json", versions() | {
        "seed": cfg.train.seed, "data": report.summary(), "labels": labels, "train_spans_left_out": dict(unreachable),
    })
    dev_eval = dev_set[: cfg.eval.max_sentences] if cfg.eval.max_sentences else dev_set

    def evaluator(m) -> dict[str, float]:
        r = evaluate(m, dev_eval, cfg.eval.batch_size)
        return {"f1": r["f1"], "p": r["p"], "r": r["r"]}

    metrics_log = MetricsLog(run_dir / "metrics.jsonl")
    extra_callbacks = list(callbacks)
    callbacks = [metrics_log, SaveModelMetadata(model)]
    if cfg.train.early_stopping_patience and dev_set:
        callbacks.append(EarlyStoppingCallback(cfg.train.early_stopping_patience))
    callbacks.extend(extra_callbacks)
    callbacks.append(CheckpointGuard(cfg.train.save_total_limit))  # last: marks complete checkpoints, rotates old ones
    trainer = SpanTrainer(
        model=model,
        args=training_arguments(cfg, with_eval=bool(dev_set)),
        train_dataset=ExampleDataset(train_set),
        eval_dataset=dev_eval or None,
        data_collator=collator,
        processing_class=model.tokenizer,
        callbacks=callbacks,
        loss=cfg.train.loss,
        lr_encoder=cfg.train.lr_encoder,
        evaluator=evaluator if dev_set else None,
        train_lengths=[len(ex.text) for ex in train_set] if cfg.train.length_buckets else None,
    )
    trainer.train(resume_from_checkpoint=_checkpoint_to_resume(run_dir, resume))

    final = run_dir / "model"
    if trainer.is_world_process_zero():
        model.save_pretrained(final)
        summary = {
            "steps": trainer.state.global_step,
            "best_checkpoint": trainer.state.best_model_checkpoint,
            "best_metric": trainer.state.best_metric,
            "step_seconds": metrics_log.step_seconds,
        }
        # the final model on the test split (on dev when there is no test split)
        for name, split in [("test", test_set)] if test_set else [("dev", dev_set)]:
            if split:
                result = evaluate(model, split, cfg.eval.batch_size)
                atomic_write_json(run_dir / "eval" / f"{name}.json", result)
                table = markdown_table(result, f"{name} · {cfg.model.head} · {len(split)} sentences")
                atomic_write_text(run_dir / "eval" / f"{name}.md", table)
                logger.info("final model on %s:\n%s", name, table)
                summary[f"{name}_f1"] = result["f1"]
        atomic_write_json(run_dir / "train_summary.json", summary)
    return final


def load_splits(cfg: RunConfig):
    """Train (shuffled with data.shuffle_seed, cut to data.max_records), dev and test examples, and the read report."""
    if not cfg.data.train:
        raise ConfigError("data.train is empty", fix="list the training files under data.train")
    if not cfg.data.dev:
        logger.info("no data.dev: training without evaluation; the last checkpoint is the model")
    report = ReadReport()
    fmt, invalid = cfg.data.format, cfg.data.invalid_tags
    train_set = read_split(fmt, cfg.data.train, invalid, report)
    train_set = pack_sentences(train_set, cfg.data.pack_sentences, cfg.data.shuffle_seed)  # in file order
    random.Random(cfg.data.shuffle_seed).shuffle(train_set)
    if cfg.data.max_records is not None:
        train_set = train_set[: cfg.data.max_records]
    dev_set = read_split(fmt, cfg.data.dev, invalid, report) if cfg.data.dev else []
    test_set = read_split(fmt, cfg.data.test, invalid, report) if cfg.data.test else []
    logger.info("data: %s", report.summary())
    return train_set, dev_set, test_set, report
