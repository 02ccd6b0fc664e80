"""The `search:` section of a space file: sampler, pruner, budget, stages and price.

    search:
      sampler: tpe            # grid | random | tpe
      pruner: asha            # asha | hyperband | none
      budget: {trials: 40}    # or {steps: 20000} or {device_hours: 2.5}
      stages: {explore: 0.2, focus: 0.5, verify: 0.3, top_k: 3, seeds: [0, 1, 2], screen: true,
               reuse_checkpoints: true}
      price_per_hour: 2.0     # per device-hour; the report prices every trial, stage and the study
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from spanlab.config import build_section
from spanlab.errors import ConfigError


@dataclass
class BudgetConfig:
    """Exactly one of the three: how much the whole study may spend."""

    trials: int | None = None
    steps: int | None = None  # training steps summed over trials (pruned trials count the steps they ran)
    device_hours: float | None = None

    @property
    def unit(self) -> str:
        return next(k for k in ("trials", "steps", "device_hours") if getattr(self, k) is not None)

    @property
    def amount(self) -> float:
        return float(getattr(self, self.unit))


@dataclass
class StagesConfig:
    enabled: bool = True  # false: one stage ("search") spends the whole budget
    # A stage spends its share plus what earlier stages left (or minus what they overshot).
    explore: float = 0.2  # share of the budget: the whole space
    focus: float = 0.5  # the space narrowed around the best `top_k` trials of explore
    verify: float = 0.3  # the best `top_k` configurations re-run with every seed
    focus_from: int = 3  # the focus space spans the values of this many best explore trials
    top_k: int = 3
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    # With a pruner, explore screens: every trial stops at the lowest rung (min_resource steps) and
    # is ranked there, so its share tries share / min_resource configurations instead of the few
    # that ASHA would run to the end (it always promotes the first trials of a rung). Focus then
    # starts with the best screened configurations. false: explore runs the pruner like focus.
    screen: bool = True
    # Screens keep their checkpoint and focus continues a screened configuration from it instead of
    # training it again from step 0 (spanlab/search/reuse.py). false: no screen checkpoints kept.
    reuse_checkpoints: bool = True


@dataclass
class SearchConfig:
    sampler: Literal["grid", "random", "tpe"] = "tpe"
    pruner: Literal["asha", "hyperband", "none"] = "asha"
    reduction_factor: int = 3  # ASHA / Hyperband: keep 1 in reduction_factor at each rung
    min_resource: int | None = None  # steps before the first rung; None = train.eval_steps
    metric: str = "f1"  # an evaluation metric (eval_<metric>); maximised
    seed: int = 0  # sampler seed
    budget: BudgetConfig = field(default_factory=lambda: BudgetConfig(trials=20))
    stages: StagesConfig = field(default_factory=StagesConfig)
    price_per_hour: float = 0.0
    heartbeat_seconds: int = 10  # a trial whose worker stops beating for grace_seconds is re-queued
    grace_seconds: int = 30
    max_retry: int = 2


def parse_search(raw: Any, where: str) -> SearchConfig:
    cfg: SearchConfig = build_section(SearchConfig, raw, where)
    b = cfg.budget
    set_units = [k for k in ("trials", "steps", "device_hours") if getattr(b, k) is not None]
    problems = []
    if len(set_units) != 1:
        problems.append(f"search.budget: give exactly one of trials, steps, device_hours; found {set_units or 'none'}")
    elif b.amount <= 0:
        problems.append(f"search.budget.{b.unit}: must be > 0, found {b.amount}")
    s = cfg.stages
    shares = (s.explore, s.focus, s.verify)
    if s.enabled and (min(shares) < 0 or abs(sum(shares) - 1.0) > 1e-6):
        problems.append(f"search.stages: explore + focus + verify must be shares summing to 1, found {shares}")
    if s.enabled and (s.top_k < 1 or s.focus_from < 1 or not s.seeds):
        problems.append("search.stages: top_k and focus_from must be >= 1, seeds non-empty")
    if cfg.reduction_factor < 2:
        problems.append(f"search.reduction_factor: must be >= 2, found {cfg.reduction_factor}")
    if cfg.price_per_hour < 0:
        problems.append(f"search.price_per_hour: must be >= 0, found {cfg.price_per_hour}")
    if problems:
        raise ConfigError("invalid search settings:\n  " + "\n  ".join(problems), where=where)
    return cfg
