"""Entity-level precision / recall / F1 as pure functions over counts.

An entity is any hashable tuple whose last element is its label, e.g. (start, end, label).
A prediction is a true positive only on an exact match of the whole tuple (CoNLL-style
strict matching). Counts are kept per sentence as well as summed, because the bootstrap
(metrics/bootstrap.py) resamples sentences, not entities. No torch here: metrics must
be checkable without a model.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from spanlab.errors import SpanlabError


@dataclass
class Counts:
    """True positives, false positives and false negatives; P/R/F1 derive from them."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        """tp / (tp + fp); 0.0 when nothing was predicted."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        """tp / (tp + fn); 0.0 when there is no gold entity."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        """2tp / (2tp + fp + fn), the harmonic mean of P and R; 0.0 when all counts are 0."""
        denom = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / denom if denom else 0.0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def as_dict(self) -> dict[str, float | int]:
        """{"p", "r", "f1"} as fractions in 0..1, plus the raw {"tp", "fp", "fn"}."""
        return {"p": self.precision, "r": self.recall, "f1": self.f1, "tp": self.tp, "fp": self.fp, "fn": self.fn}


@dataclass
class Score:
    """Corpus-level result of `score`."""

    micro: Counts
    per_label: dict[str, Counts]  # sorted by label
    per_sentence: np.ndarray = field(repr=False)  # (n, 3) int64: tp, fp, fn of each sentence


def sentence_counts(gold: Iterable[Hashable], pred: Iterable[Hashable]) -> Counts:
    """Exact-match counts for one sentence. Duplicates collapse: inputs are treated as sets."""
    gold, pred = set(gold), set(pred)
    tp = len(gold & pred)
    return Counts(tp=tp, fp=len(pred) - tp, fn=len(gold) - tp)


def score(gold: Sequence[Iterable[tuple]], pred: Sequence[Iterable[tuple]]) -> Score:
    """Micro, per-label and per-sentence counts over aligned lists of gold and predicted sets.

    The label of an entity is its last element. A label seen only in predictions gets a
    per-label entry too (all fp), so hallucinated types are visible in reports.
    """
    if len(gold) != len(pred):
        raise SpanlabError(
            f"found {len(gold)} gold sentences and {len(pred)} predicted ones; expected equal lengths",
            fix="pass one prediction set per gold sentence, in the same order (an empty set for no entities)",
        )
    per_sentence = np.zeros((len(gold), 3), dtype=np.int64)  # (n, 3)
    per_label: dict = {}
    for k, (g, p) in enumerate(zip(gold, pred)):
        g, p = set(g), set(p)
        c = sentence_counts(g, p)
        per_sentence[k] = (c.tp, c.fp, c.fn)
        for items, kind in ((g & p, "tp"), (p - g, "fp"), (g - p, "fn")):
            for item in items:
                counts = per_label.setdefault(item[-1], Counts())
                setattr(counts, kind, getattr(counts, kind) + 1)
    tp, fp, fn = (int(x) for x in per_sentence.sum(axis=0))
    per_label = {label: per_label[label] for label in sorted(per_label, key=str)}
    return Score(micro=Counts(tp, fp, fn), per_label=per_label, per_sentence=per_sentence)


def untyped(items: Iterable[tuple]) -> set[tuple]:
    """Drop the label (last element): span-only matching, where boundaries must be right but
    the type is ignored. A span predicted with two labels becomes one item, so counts once."""
    return {tuple(item[:-1]) for item in items}
