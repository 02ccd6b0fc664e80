"""Which early signal ranks the search benchmark's configurations: dev F1 at the decoding
threshold, dev F1 at the best of several thresholds, or the training loss, at the first rungs.

    python benchmarks/search.py            # first: the grid, in benchmarks/.work/search/grid
    python benchmarks/search_signal.py --part 0 --parts 2 & python benchmarks/search_signal.py --part 1 --parts 2; wait
    python benchmarks/search_signal.py     # the report (measures whatever the parts left; resumes)

The two parts side by side took 13 minutes on 2 cores.

Every grid configuration is trained again (same base config, seed and schedule as the grid's
trials, so the same run) to the 80-step rung. At each evaluation the dev set goes through the
model once and is decoded at several logit thresholds (the pointer head keeps cells above 0;
an early model ranks spans well long before its logits cross 0). Each signal is set against
the configuration's final F1 in the grid (Spearman), and the replay's rule for screens is
applied to it: how often the best of n random distinct screens is a configuration within 0.5
of the grid's best. Writes benchmarks/results/SEARCH-SIGNAL-<date>.json/.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_info, write_results
from search import VALUES
from search_replay import SCREENS, load_curves, p_screened

LOGIT_THRESHOLDS = (-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1)
RUNGS = (40, 80)
WIDE = 19  # screens when explore's share leaves focus one whole trial (search_replay's "19 screens" design)


def sweep_predict(model, examples, batch_size: int) -> dict[float, list[set]]:
    """Character spans per example at every threshold in LOGIT_THRESHOLDS, from one prediction
    pass at the lowest (a cell above logit t is one whose score is above sigmoid(t)). Texts are
    cut at the model's max_len (no windows): the same cut for every configuration."""
    found = model.predict_examples(examples, batch_size, windows=False, min_logit=min(LOGIT_THRESHOLDS))
    return {t: [{(a, b, label) for a, b, label, p in spans if p > 1 / (1 + math.exp(-t))} for spans in found]
            for t in LOGIT_THRESHOLDS}


def measure(work: Path, part: int, parts: int) -> None:
    """Train this part's configurations to the last rung; F1 by threshold at each rung, saved per config."""
    import itertools

    from transformers import TrainerCallback

    from spanlab.config import load_config
    from spanlab.data.readers import ReadReport
    from spanlab.io import atomic_write_json
    from spanlab.metrics.f1 import score
    from spanlab.supervised.data import char_spans, read_split
    from spanlab.training.recipe import train

    base = work / "base.yaml"
    dev = read_split("benchmark", str(next(work.glob("conll2003-dev-first*.json"))), "repair", ReadReport())
    gold = [set(char_spans(ex)) for ex in dev]

    class Sweep(TrainerCallback):
        def __init__(self):
            self.rows: dict[int, dict[float, float]] = {}

        def on_evaluate(self, args, state, control, model=None, **kwargs):
            preds = sweep_predict(model, dev, 64)
            self.rows[state.global_step] = {t: score(gold, p).micro.f1 for t, p in preds.items()}
            if state.global_step >= RUNGS[-1]:
                control.should_training_stop = True

    path = work / "signal" / f"part-{part}.json"
    done = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    for config in list(itertools.product(*VALUES.values()))[part::parts]:
        if str(config) in done:
            continue
        overrides = [f"{k}={v}" for k, v in zip(VALUES, config, strict=True)]
        run_dir = work / "signal" / "runs" / "_".join(map(str, config))
        cfg = load_config(base, [*overrides, f"train.output_dir={run_dir}"])
        sweep = Sweep()
        train(cfg, callbacks=[sweep])
        done[str(config)] = sweep.rows
        atomic_write_json(path, done)
        print("measured", config, flush=True)


def load_measured(work: Path) -> dict[str, dict]:
    """Every configuration measured so far, over all parts' files."""
    return {k: v for p in sorted((work / "signal").glob("part-*.json"))
            for k, v in json.loads(p.read_text(encoding="utf-8")).items()}


def p_best_screen_hits(signal: dict, final: dict, n: int, seeds: int = 4000) -> float:
    """P(the best of n random distinct screens, by `signal`, is within 0.5 of the grid's best)."""
    best = max(final.values())
    good = {c for c, f in final.items() if 100 * (best - f) <= 0.5}
    rng = random.Random(0)
    keys = sorted(final)
    return statistics.fmean(max(rng.sample(keys, n), key=signal.get) in good for _ in range(seeds))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", default=str(ROOT / "benchmarks/.work/search"), help="search.py's work folder")
    ap.add_argument("--part", type=int, help="measure only this part (0-based) of --parts; no report")
    ap.add_argument("--parts", type=int, default=1)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args()
    work = Path(args.work)
    curves, losses = load_curves(work / "grid")
    if args.part is not None:
        measure(work, args.part, args.parts)
        return
    if len(load_measured(work)) < len(curves):
        measure(work, 0, 1)  # one process: whatever the parts left
    measured = load_measured(work)
    from scipy.stats import spearmanr

    final = {c: max(curve.values()) for c, curve in curves.items()}
    keys = sorted(final)
    signals: dict[str, dict] = {}
    for rung in RUNGS:
        at = {c: measured[str(c)][str(rung)] for c in keys}
        signals[f"dev F1 at the threshold (logit 0), {rung} steps"] = {c: at[c]["0"] for c in keys}
        signals[f"dev F1 at the best logit threshold, {rung} steps"] = {c: max(at[c].values()) for c in keys}
        signals[f"training loss (lower first), {rung} steps"] = {c: -losses[c][rung] for c in keys}
    counts = (SCREENS, WIDE)
    rows = [{"signal": name, "spearman": float(spearmanr([s[c] for c in keys], [final[c] for c in keys]).statistic),
             **{f"p_best_of_{n}": p_best_screen_hits(s, final, n) for n in counts}} for name, s in signals.items()]
    good = sum(100 * (max(final.values()) - f) <= 0.5 for f in final.values())
    bound = {n: p_screened(good, n) for n in counts}
    doc = {**machine_info(), "thresholds": LOGIT_THRESHOLDS, "rungs": RUNGS, "signals": rows, "coverage_bound": bound,
           "measured": measured}
    lines = ["| signal | Spearman with the final F1 | " + " | ".join(f"P(best of {n} screens within 0.5)" for n in counts)
             + " |", "|---|---|---|---|"]
    lines += [f"| {r['signal']} | {r['spearman']:.2f} | " + " | ".join(f"{r[f'p_best_of_{n}']:.2f}" for n in counts)
              + " |" for r in rows]
    lines += ["| a perfect ranking (coverage alone) | 1.00 | " + " | ".join(f"{bound[n]:.2f}" for n in counts) + " |"]
    note = (f"\n\nThe {len(final)} grid configurations re-trained to {RUNGS[-1]} steps; dev decoded at logit thresholds "
            f"{list(LOGIT_THRESHOLDS)}; {good} configurations are within 0.5 of the grid's best. P: random distinct "
            "screens, 4,000 draws, the best by the signal trained to the end (its grid F1).")
    write_results(Path(args.out), f"SEARCH-SIGNAL-{datetime.date.today().isoformat()}", doc, "\n".join(lines) + note)


if __name__ == "__main__":
    main()
