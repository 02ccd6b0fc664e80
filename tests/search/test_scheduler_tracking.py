"""train.scheduler=warmup_stable_decay with train.decay_ratio, and train.report_to=tensorboard."""

from __future__ import annotations

import pytest
import torch
from transformers import get_scheduler

from spanlab.config import load_config
from spanlab.training.recipe import train, training_arguments


def test_warmup_stable_decay_keeps_the_rate_flat_until_the_decay():
    cfg = load_config(None, ["train.scheduler=warmup_stable_decay", "train.steps=100", "train.warmup_ratio=0.1",
                             "train.decay_ratio=0.2"])
    args = training_arguments(cfg, with_eval=False)
    assert args.lr_scheduler_type.value == "warmup_stable_decay"
    assert args.lr_scheduler_kwargs == {"num_decay_steps": 20}
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = get_scheduler(args.lr_scheduler_type, opt, num_warmup_steps=args.get_warmup_steps(100),
                          num_training_steps=100, scheduler_specific_kwargs=args.lr_scheduler_kwargs)
    lrs = []
    for _ in range(100):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    assert lrs[0] == 0.0 and lrs[10] == 1.0 and lrs[79] == 1.0  # warmup 10, stable to step 80
    assert lrs[90] < 1.0 and lrs[99] < 0.05  # then 20 steps of decay


def test_report_to_tensorboard_writes_events(tiny_base, tmp_path):
    pytest.importorskip("tensorboard")
    cfg = load_config(tiny_base, [f"train.output_dir={tmp_path / 'run'}", "train.steps=4", "train.report_to=[tensorboard]"])
    train(cfg)
    assert list((tmp_path / "run").rglob("events.out.tfevents.*"))
