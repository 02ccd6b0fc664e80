"""Which labels each training example is prompted with.

GLiNER builds a prompt per example from its gold labels plus negative labels: labels
that do not occur in the example, so the model learns to score them low. The choice of
negatives decides what a model can learn.

- count="ratio" is GLiNER's rule: the labels of the whole batch are
  shuffled once, and each example takes the first r × (its mentions) of them, r ~ U{0..max_ratio},
  merged with its own labels (so a drawn label may be a positive, and count once).
  With r = 0 half of the time, a single-type example is often prompted with its gold label
  alone, in the first slot — a small encoder learns "first slot = entity"
  (../shared/ANCHOR-RESULTS.md).
- count="fill" draws the number of negatives uniformly in [min_count, max_types − positives],
  so almost every prompt mixes positives and negatives at random positions; with
  source="vocabulary", half of them come from the whole label vocabulary of the training
  data (easy, diverse negatives) and half from the batch (in-domain ones).
- source="dataset" draws negatives only from the labels of the example's own training file.
  In a pooled mix, a label from another dataset is not a safe negative: a CoNLL passage
  prompted with "politician" says a politician tagged `person` is not a politician, which
  teaches the model to refuse fine-grained labels. Labels that the example's own annotators
  used elsewhere, and did not use here, are true negatives. A file with too few labels is
  topped up from the vocabulary to `min_count` negatives.
A record's explicit negatives (`negative` field) are always added when `explicit` is on.
An example left with no label at all is prompted with one empty label, as GLiNER does,
so its spans still learn to score low.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from spanlab.config import NegativesConfig
from spanlab.data.schema import Example


class LabelSampler:
    """Draws the prompt labels of every example in a batch."""

    def __init__(
        self,
        cfg: NegativesConfig,
        max_types: int,
        vocabulary: Sequence[str] = (),
        rng: random.Random | None = None,
        label_sets: Mapping[str, Sequence[str]] | None = None,
    ):
        if cfg.source != "batch" and not vocabulary:
            raise ValueError(f"negatives.source={cfg.source!r} needs the label vocabulary of the training data")
        if cfg.source == "dataset" and label_sets is None:
            raise ValueError("negatives.source='dataset' needs the label set of every training file")
        self.cfg = cfg
        self.max_types = max_types
        self.vocabulary = list(vocabulary)
        self.label_sets = label_sets or {}
        self.rng = rng or random  # used when a call passes no RNG of its own

    def __call__(self, batch: Sequence[Example], rng: random.Random | None = None) -> list[list[str]]:
        """Prompt labels per example. Training passes an `rng` seeded from the batch's draw key
        (`spanlab.data.draws`), so a resumed run draws the same prompts as an uninterrupted one."""
        rng = rng or self.rng
        batch_labels = list(dict.fromkeys(label for ex in batch for label in ex.positive_labels))
        rng.shuffle(batch_labels)
        return [self._prompt(ex, batch_labels, rng) for ex in batch]

    def _prompt(self, ex: Example, batch_labels: list[str], rng: random.Random) -> list[str]:
        positives = ex.positive_labels
        explicit = list(ex.negatives) if self.cfg.explicit else []
        if self.cfg.count == "ratio":
            drawn = batch_labels[: len(ex.spans) * rng.randint(0, self.cfg.max_ratio)]
        else:
            own = self.label_sets.get(source_file(ex), ()) if self.cfg.source == "dataset" else None
            drawn = self._fill(set(positives) | set(explicit), batch_labels, len(positives), rng, own)
        negatives = [label for label in dict.fromkeys(explicit + drawn) if label not in positives]
        # Cut negatives, not gold labels, to fit max_types. (GLiNER shuffles and then cuts,
        # which can drop a gold label and train its spans as negatives; the two differ only
        # for prompts longer than max_types.)
        labels = positives + negatives[: max(self.max_types - len(positives), 0)]
        rng.shuffle(labels)
        return labels[: self.max_types] or [""]

    def _fill(
        self, taken: set[str], batch_labels: list[str], n_pos: int, rng: random.Random, own: Sequence[str] | None
    ) -> list[str]:
        room = max(self.max_types - n_pos, 0)
        n = rng.randint(min(self.cfg.min_count, room), room)
        if own is not None:  # source "dataset"
            drawn = [label for label in own if label not in taken]
            rng.shuffle(drawn)
            drawn = drawn[:n]
            short = min(self.cfg.min_count, room) - len(drawn)
            if short > 0:
                seen = taken | set(drawn)
                extra = rng.sample(self.vocabulary, min(len(self.vocabulary), short + len(seen)))
                drawn += [label for label in extra if label not in seen][:short]
            return drawn
        drawn = [label for label in batch_labels if label not in taken]
        if self.cfg.source == "vocabulary":
            drawn = drawn[: (n + 1) // 2]
            extra = rng.sample(self.vocabulary, min(len(self.vocabulary), n + len(taken) + len(drawn)))
            seen = taken | set(drawn)
            drawn += [label for label in extra if label not in seen]
        return drawn[:n]


def source_file(ex: Example) -> str:
    """The file an example was read from (its `source` is "path:line")."""
    return (ex.source or "").rpartition(":")[0] or (ex.source or "")


def file_label_sets(examples: Sequence[Example]) -> dict[str, list[str]]:
    """Every training file's distinct gold labels, in first-seen order."""
    sets: dict[str, dict[str, None]] = {}
    for ex in examples:
        sets.setdefault(source_file(ex), {}).update(dict.fromkeys(s.label for s in ex.spans))
    return {path: list(labels) for path, labels in sets.items()}


def label_vocabulary(examples: Sequence[Example]) -> list[str]:
    """Every distinct gold label, in first-seen order."""
    return list(dict.fromkeys(s.label for ex in examples for s in ex.spans))
