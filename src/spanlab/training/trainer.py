"""The Hugging Face Trainer, extended only through its public hooks.

- `create_optimizer`: two learning rates (encoder / everything else), each with a
  weight-decay and a no-decay group;
- `compute_loss`: focal BCE over the valid (span, label) pairs, plus the label-contrast term
  when `train.loss.label_contrast` weighs it in (fixed-label models compute
  their own loss: multilabel categorical cross-entropy or BIO cross-entropy);
- `evaluate`: decode and score the zero-shot suite, so early stopping and
  `load_best_model_at_end` select on entity-level F1, not on a loss.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from transformers import Trainer
from transformers.trainer_pt_utils import LengthGroupedSampler

from spanlab.config import LossConfig
from spanlab.errors import ConfigError
from spanlab.heads.label_contrast import label_contrast
from spanlab.heads.losses import focal_bce


class EpochSeededLengthSampler(LengthGroupedSampler):
    """Length-grouped batches whose order depends only on (seed, epoch), so a resumed run
    reads epoch e in the same order as an uninterrupted one.

    The Trainer calls `set_epoch` on the sampler when it has one, and then no longer on the
    dataset, so this passes the epoch on to the dataset (its draw keys need it).
    """

    def __init__(self, *args, seed: int, dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.seed = seed
        self.epoch_dataset = dataset
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        self.generator.manual_seed(self.seed + epoch)
        if hasattr(self.epoch_dataset, "set_epoch"):
            self.epoch_dataset.set_epoch(epoch)


class SpanTrainer(Trainer):
    def __init__(
        self,
        *args,
        loss: LossConfig,
        lr_encoder: float,
        evaluator: Callable[[torch.nn.Module], dict[str, float]] | None = None,
        train_lengths: list[int] | None = None,
        **kwargs,
    ):
        if loss.label_contrast < 0:
            raise ConfigError(f"found {loss.label_contrast}, expected a weight >= 0 (0 turns the term off)",
                              where="train.loss.label_contrast")
        super().__init__(*args, **kwargs)
        self.loss_cfg = loss
        self.lr_encoder = lr_encoder
        self.evaluator = evaluator
        self.train_lengths = train_lengths  # words per example, for length-bucketed batches

    def create_optimizer(self, model=None):
        if self.optimizer is None:
            model = self.model if model is None else model
            decay = set(self.get_decay_parameter_names(model))
            groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
            for name, p in model.named_parameters():
                if p.requires_grad:
                    groups.setdefault((name.startswith("encoder."), name in decay), []).append(p)
            param_groups = [
                {
                    "params": params,
                    "lr": self.lr_encoder if is_encoder else self.args.learning_rate,
                    "weight_decay": self.args.weight_decay if decays else 0.0,
                }
                for (is_encoder, decays), params in sorted(groups.items())
            ]
            optimizer_cls, optimizer_kwargs = Trainer.get_optimizer_cls_and_kwargs(self.args, model)
            optimizer_kwargs.pop("lr", None)
            self.optimizer = optimizer_cls(param_groups, **optimizer_kwargs)
        return self.optimizer

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if "span_targets" not in inputs:  # fixed-label models (spanlab.supervised) return their own loss
            out = model(**inputs)
            return (out["loss"], out) if return_outputs else out["loss"]
        targets = inputs.pop("span_targets")
        out = model(**inputs)
        cfg = self.loss_cfg
        loss = focal_bce(out["logits"], targets, out["mask"], cfg.alpha, cfg.gamma, cfg.reduction)
        if cfg.label_contrast:
            loss = loss + cfg.label_contrast * label_contrast(out["logits"], targets, out["mask"], cfg.reduction)
        return (loss, out) if return_outputs else loss

    def _get_train_sampler(self, train_dataset=None):
        # Stock `group_by_length` needs dict items with input_ids; ours are Examples with known lengths.
        if self.train_lengths is None:
            return super()._get_train_sampler(train_dataset)
        return EpochSeededLengthSampler(
            self.args.train_batch_size * self.args.gradient_accumulation_steps, lengths=self.train_lengths,
            generator=torch.Generator(), seed=self.args.seed, dataset=train_dataset or self.train_dataset,
        )

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict[str, float]:
        if self.evaluator is None:
            return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)
        metrics = {f"{metric_key_prefix}_{k}": v for k, v in self.evaluator(self.model).items()}
        self.log(metrics)
        self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
        return metrics
