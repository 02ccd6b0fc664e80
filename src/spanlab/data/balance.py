"""Rebalancing a pooled training mix: repeat-factor sampling of rare labels, and thinning of
passages without any entity.

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
from collections.abc import Sequence

from spanlab.data.schema import Example


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
    rng = random.Random(seed)
    out: list[Example] = []
    for ex, r in zip(examples, repeat_factors(examples, threshold)):
        whole = math.floor(r)
        out.extend([ex] * (whole + (rng.random() < r - whole)))
    return out


def keep_empty(examples: Sequence[Example], share: float, seed: int) -> list[Example]:
    """The examples with each entity-free one kept with probability `share`, in input order."""
    if share >= 1:
        return list(examples)
    rng = random.Random(seed)
    return [ex for ex in examples if ex.spans or rng.random() < share]
