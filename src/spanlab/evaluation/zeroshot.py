"""Score a model on evaluation sets: typed and span-only F1 with bootstrap CIs, label-order check."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spanlab.config import EvalConfig
from spanlab.evaluation.suite import EvalSet
from spanlab.metrics.bootstrap import bootstrap_f1_ci, spread
from spanlab.metrics.f1 import Score, score, untyped


@dataclass
class SetResult:
    name: str
    typed: Score
    span_only: Score  # boundaries right, label ignored
    ci: tuple[float, float]  # bootstrap 95% CI of typed F1 (resampling sentences)
    sentences: int

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.typed.micro.as_dict(),
            "ci95": list(self.ci),
            "span_only": self.span_only.micro.as_dict(),
            "per_label": {k: v.as_dict() for k, v in self.typed.per_label.items()},
            "sentences": self.sentences,
        }


@dataclass
class SuiteResult:
    sets: list[SetResult]
    protocol: dict[str, Any]
    label_order: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def f1_avg(self) -> float:
        return sum(s.typed.micro.f1 for s in self.sets) / max(len(self.sets), 1)

    @property
    def span_f1_avg(self) -> float:
        return sum(s.span_only.micro.f1 for s in self.sets) / max(len(self.sets), 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "protocol": self.protocol,
            "f1": {s.name: s.as_dict() for s in self.sets},
            "f1_avg": self.f1_avg,
            "span_f1_avg": self.span_f1_avg,
            **({"label_order": self.label_order} if self.label_order else {}),
        }


def evaluate_set(
    model, s: EvalSet, cfg: EvalConfig, labels: Sequence[str] | None = None, seed: int = 0
) -> SetResult:
    """Predict the set with its labels (or `labels`, e.g. reordered) and score it."""
    preds = model.predict_words(
        s.examples, list(labels or s.labels), cfg.threshold, cfg.decoding == "flat", cfg.multi_label, cfg.batch_size
    )
    typed, span_only = score_set(s, [{(a, b, label) for a, b, label, _ in p} for p in preds])
    ci = bootstrap_f1_ci(typed.per_sentence, cfg.bootstrap, seed) if cfg.bootstrap else (typed.micro.f1,) * 2
    return SetResult(s.name, typed, span_only, ci, len(s.examples))


def score_set(s: EvalSet, pred: Sequence[set[tuple[int, int, str]]]) -> tuple[Score, Score]:
    """Typed and span-only scores of word-level predictions (start, end, label) against the set's gold."""
    gold = [{(sp.start, sp.end, sp.label) for sp in ex.spans} for ex in s.examples]
    typed = score(gold, pred)
    if s.unaligned:  # gold entities the word grid cannot express still count as misses
        typed.per_sentence[:, 2] += s.unaligned
        typed.micro.fn += sum(s.unaligned)
    return typed, score([untyped(g) for g in gold], [untyped(p) for p in pred])


def evaluate_suite(
    model,
    sets: Sequence[EvalSet],
    cfg: EvalConfig,
    seed: int = 0,
    label_orders: int = 0,
    on_set: Callable[[SetResult], None] | None = None,
) -> SuiteResult:
    """All sets; with `label_orders` > 0 also the label-order check on each set."""
    results, orders = [], {}
    for s in sets:
        r = evaluate_set(model, s, cfg, seed=seed)
        results.append(r)
        if label_orders:
            orders[s.name] = label_order_check(model, s, cfg, label_orders, seed)
        if on_set:
            on_set(r)
    protocol = {
        "name": "zero-shot (GLiNER protocol)" + (", fixed labels" if cfg.fixed_labels else ""),
        "threshold": cfg.threshold,
        "decoding": cfg.decoding,
        "multi_label": cfg.multi_label,
        "lowercase": cfg.lowercase,
        "fixed_labels": cfg.fixed_labels,
        "bootstrap_resamples": cfg.bootstrap,
        "seed": seed,
    }
    return SuiteResult(results, protocol, orders)


def label_order_check(model, s: EvalSet, cfg: EvalConfig, orders: int = 3, seed: int = 0) -> dict[str, Any]:
    """F1 under `orders` random shuffles of the prompt labels: a model that reads labels
    by position instead of meaning shows a wide spread."""
    rng = random.Random(seed)
    no_ci = dataclasses.replace(cfg, bootstrap=0)
    f1s = []
    for _ in range(orders):
        labels = list(s.labels)
        rng.shuffle(labels)
        f1s.append(evaluate_set(model, s, no_ci, labels).typed.micro.f1)
    return {"f1": f1s, **spread(f1s)}
