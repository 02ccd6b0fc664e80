"""F1 against the decoding threshold, from one prediction pass.

Greedy decoding visits candidates by descending score, so the entities kept at threshold
t are exactly the entities kept at a lower threshold whose score is above t: decode once
at the lowest threshold, then filter. Used to tell a model that finds the spans but scores
them low (too conservative for 0.5) from one that does not find them.
"""

from __future__ import annotations

from collections.abc import Sequence

from spanlab.config import EvalConfig
from spanlab.evaluation.suite import EvalSet
from spanlab.evaluation.zeroshot import score_set

DEFAULT_THRESHOLDS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def threshold_sweep(
    model, s: EvalSet, cfg: EvalConfig, thresholds: Sequence[float] = DEFAULT_THRESHOLDS
) -> list[dict[str, float]]:
    """[{threshold, p, r, f1, span_f1, tp, fp, fn}] for one set."""
    lowest = min(thresholds)
    preds = model.predict_words(
        s.examples, s.labels, lowest, cfg.decoding == "flat", cfg.multi_label, cfg.batch_size
    )
    rows = []
    for t in sorted(thresholds):
        typed, span_only = score_set(s, [{(a, b, label) for a, b, label, p in spans if p > t} for spans in preds])
        rows.append({"threshold": t, **typed.micro.as_dict(), "span_f1": span_only.micro.f1})
    return rows
