"""Threshold calibration: sweep the decoding threshold on dev, keep the best, say how 0.5 fares.

The chosen threshold maximises the mean F1 over the dev sets (each set's micro F1, as the
suite average does) and is stored in the model's config.json (`SpanModel.threshold`), which
`predict` uses by default. At 0.5 the model is called *too conservative* when a lower
threshold scores better (its scores for true entities sit below 0.5), *too aggressive* when a
higher one does, and *well calibrated* when 0.5 is within `tolerance` F1 of the best.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from spanlab.config import EvalConfig
from spanlab.evaluation.suite import load_suite
from spanlab.evaluation.sweep import threshold_sweep
from spanlab.io import atomic_write_json

THRESHOLDS = tuple(round(0.05 * i, 2) for i in range(1, 20))  # 0.05 … 0.95
DEFAULT = 0.5


def calibrate(model_dir: str | Path, dev: list[str], out: str | Path | None = None, eval_cfg: EvalConfig | None = None,
              thresholds: tuple[float, ...] = THRESHOLDS, tolerance: float = 0.005, save: bool = True) -> dict:
    """Sweep, plot `calibration.png`, write `calibration.json`, store the threshold in the model."""
    from spanlab.model import SpanModel

    model_dir = Path(model_dir)
    out = Path(out) if out else model_dir / "calibration"
    eval_cfg = eval_cfg or EvalConfig(bootstrap=0)
    thresholds = tuple(sorted(set(thresholds) | {DEFAULT}))
    model = SpanModel.from_pretrained(model_dir)
    sets = load_suite(dev, None, eval_cfg.lowercase, eval_cfg.fixed_labels, eval_cfg.max_sentences)
    per_set = {s.name: threshold_sweep(model, s, eval_cfg, thresholds) for s in sets}
    curve = [
        {"threshold": t, **{k: statistics.fmean(rows[i][k] for rows in per_set.values()) for k in ("p", "r", "f1")}}
        for i, t in enumerate(thresholds)
    ]
    best = max(curve, key=lambda row: (row["f1"], -abs(row["threshold"] - DEFAULT)))  # ties: nearest to 0.5
    at_default = next(row for row in curve if row["threshold"] == DEFAULT)
    result = {
        "threshold": best["threshold"], "f1": best["f1"], "f1_at_0.5": at_default["f1"],
        "verdict": verdict(best["threshold"], best["f1"] - at_default["f1"], tolerance),
        "curve": curve, "per_set": per_set,
    }
    out.mkdir(parents=True, exist_ok=True)
    plot(curve, best["threshold"], out / "calibration.png")
    atomic_write_json(out / "calibration.json", result)
    if save:
        model.threshold = best["threshold"]
        model.save_metadata(model_dir)  # config.json only; the weights are untouched
    return result


def verdict(best_threshold: float, gain: float, tolerance: float) -> str:
    if gain <= tolerance:
        return f"well calibrated: 0.5 is within {100 * tolerance:.1f} F1 of the best threshold"
    side = "too conservative" if best_threshold < DEFAULT else "too aggressive"
    why = "true entities score below 0.5" if best_threshold < DEFAULT else "false entities score above 0.5"
    return f"{side} at 0.5 ({why}): threshold {best_threshold} gains {100 * gain:.1f} F1"


def plot(curve: list[dict], chosen: float, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [row["threshold"] for row in curve]
    for key, label in (("p", "precision"), ("r", "recall"), ("f1", "F1")):
        ax.plot(xs, [row[key] for row in curve], marker=".", label=label)
    ax.axvline(chosen, color="gray", linestyle="--", label=f"chosen {chosen}")
    ax.set_xlabel("decoding threshold")
    ax.set_ylabel("mean over dev sets")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
