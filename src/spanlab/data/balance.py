"""Rebalancing a pooled training mix: per-file weights, repeat-factor sampling of rare labels,
and thinning of passages without any entity.

Per-file weights: a pooled mix is what its files' sizes make it. In the offline mix, the one
source annotated for open-ended types (a 2,215-passage Pile-NER subset with 368 labels) is 0.6%
of the passages, so a 24,000-passage run meets it ~140 times. `weigh_files(…, {glob: w})`
repeats every passage of a file whose name matches `glob` w times (stochastic rounding).

Repeat-factor sampling (Gupta et al., LVIS, 2019): see passages with rare labels more often.

A pooled training mix is dominated by a few labels (person, organization, location, protein),
so a short run sees the rare, fine-grained labels that zero-shot transfer needs only a
handful of times. With threshold t, a label c found in a fraction f_c of the passages gets
the repeat factor r_c = max(1, √(t / f_c)); a passage gets the largest factor of its labels
(1 without mentions) and appears ⌊r⌋ times, plus once more with probability r − ⌊r⌋.
Labels in more than t of the passages are not repeated; nothing is ever dropped.

Thinning: about a quarter of the offline mix's passages annotate no entity. Every (span, label)
pair of such a passage is a negative, so they teach the prior "nothing here", and a short run
learns a score scale on which few test spans clear a 0.5 threshold. `keep_empty(…, share)`
keeps each entity-free passage with probability `share` (GLiNER keeps them all: share 1).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Mapping, Sequence
from fnmatch import fnmatch
from pathlib import Path

from spanlab.data.prompts import source_file
from spanlab.data.schema import Example
from spanlab.errors import ConfigError


def repeat_factors(examples: Sequence[Example], threshold: float) -> list[float]:
    """The repeat factor of every example (≥ 1)."""
    if not examples:
        return []
    passages_with = Counter(label for ex in examples for label in set(ex.positive_labels))
    n = len(examples)
    label_factor = {label: max(1.0, math.sqrt(threshold * n / count)) for label, count in passages_with.items()}
    return [max((label_factor[label] for label in ex.positive_labels), default=1.0) for ex in examples]


def repeat_rare(examples: Sequence[Example], threshold: float, seed: int) -> list[Example]:
    """The examples, each repeated by its factor (stochastic rounding with `seed`), in input order."""
    return _repeat(examples, repeat_factors(examples, threshold), seed)


def _repeat(examples: Sequence[Example], factors: Sequence[float], seed: int) -> list[Example]:
    """Each example ⌊f⌋ times, plus once more with probability f − ⌊f⌋, in input order."""
    rng = random.Random(seed)
    out: list[Example] = []
    for ex, f in zip(examples, factors):
        whole = math.floor(f)
        out.extend([ex] * (whole + (rng.random() < f - whole)))
    return out


def keep_empty(examples: Sequence[Example], share: float, seed: int) -> list[Example]:
    """The examples with each entity-free one kept with probability `share`, in input order."""
    if share >= 1:
        return list(examples)
    rng = random.Random(seed)
    return [ex for ex in examples if ex.spans or rng.random() < share]


def weigh_files(examples: Sequence[Example], weights: Mapping[str, float], seed: int) -> list[Example]:
    """The examples, each repeated by its file's weight (stochastic rounding with `seed`), in input order.

    A key of `weights` is a glob over file names; files that match none keep weight 1. A key
    matching no file, a file matched by two keys, or a negative weight is a ConfigError.
    """
    if not weights:
        return list(examples)
    for pattern, w in weights.items():
        if w < 0:
            raise ConfigError(f"data.weights[{pattern!r}] must be ≥ 0, found {w}")
    files = [source_file(ex) for ex in examples]
    file_weight: dict[str, float] = {}
    matched: set[str] = set()
    for f in dict.fromkeys(files):
        hits = [p for p in weights if fnmatch(Path(f).name, p)]
        if len(hits) > 1:
            raise ConfigError(f"data.weights: {f} matches {hits}", fix="make the globs disjoint")
        file_weight[f] = weights[hits[0]] if hits else 1.0
        matched.update(hits)
    if unused := [p for p in weights if p not in matched]:
        raise ConfigError(f"data.weights: {unused} match no training file name", fix="check the globs")
    return _repeat(examples, [file_weight[f] for f in files], seed)
