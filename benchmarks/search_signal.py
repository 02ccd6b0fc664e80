"""Which early signal ranks the search benchmark's configurations: dev F1 at the decoding
threshold, dev F1 at the best of several thresholds, or the training loss, at the first rungs.

    python benchmarks/search.py            # first: the grid, in benchmarks/.work/search/grid
    python benchmarks/search_signal.py     # about 35 minutes on 2 cores; resumes where it stopped

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
from search_replay import load_curves

LOGIT_THRESHOLDS = (-6, -4, -3, -2, -1.5, -1, -0.5, 0, 0.5, 1)
RUNGS = (40, 80)


def sweep_predict(model, examples, batch_size: int) -> dict[float, list[set]]:
    """Character spans per example at every threshold in LOGIT_THRESHOLDS, from one forward pass.
    Texts are cut at the model's max_len (no windows): the same cut for every configuration."""
    import torch

    was_training = model.training
    model.eval()
    collator = model.collator()
    out: dict[float, list[set]] = {t: [set() for _ in examples] for t in LOGIT_THRESHOLDS}
    with torch.inference_mode():
        for k in range(0, len(examples), batch_size):
            idx = range(k, min(k + batch_size, len(examples)))
            enc = collator.tokenize([examples[i].text or "" for i in idx])
            offsets = enc.pop("offset_mapping").tolist()
            logits = model(**enc)["logits"]
            for t in LOGIT_THRESHOLDS:
                for i, off, spans in zip(idx, offsets, model.decode(logits - t, enc["token_mask"]), strict=True):
                    out[t][i] = {(off[a][0], off[b][1], model.labels[c]) for a, b, c, _ in spans}
    model.train(was_training)
    return out


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
    parts = sorted((work / "signal").glob("part-*.json"))
    measured = {k: v for p in parts for k, v in json.loads(p.read_text(encoding="utf-8")).items()}
    if len(measured) < len(curves):
        measure(work, 0, 1)  # one process: whatever the parts left
        measured = {k: v for p in sorted((work / "signal").glob("part-*.json"))
                    for k, v in json.loads(p.read_text(encoding="utf-8")).items()}
    from scipy.stats import spearmanr

    final = {c: max(curve.values()) for c, curve in curves.items()}
    keys = sorted(final)
    signals: dict[str, dict] = {}
    for rung in RUNGS:
        at = {c: measured[str(c)][str(rung)] for c in keys}
        signals[f"dev F1 at the threshold (logit 0), {rung} steps"] = {c: at[c]["0"] for c in keys}
        signals[f"dev F1 at the best logit threshold, {rung} steps"] = {c: max(at[c].values()) for c in keys}
        signals[f"training loss (lower first), {rung} steps"] = {c: -losses[c][rung] for c in keys}
    n_now = 11
    rows = [{"signal": name, "spearman": float(spearmanr([s[c] for c in keys], [final[c] for c in keys]).statistic),
             "p_best_of_11": p_best_screen_hits(s, final, n_now), "p_best_of_19": p_best_screen_hits(s, final, 19)}
            for name, s in signals.items()]
    good = sum(100 * (max(final.values()) - f) <= 0.5 for f in final.values())
    bound = {n: 1 - math.comb(len(final) - good, n) / math.comb(len(final), n) for n in (n_now, 19)}
    doc = {**machine_info(), "thresholds": LOGIT_THRESHOLDS, "rungs": RUNGS, "signals": rows, "coverage_bound": bound,
           "measured": measured}
    lines = ["| signal | Spearman with the final F1 | P(best of 11 screens within 0.5) | P(best of 19 screens within 0.5) |",
             "|---|---|---|---|"]
    lines += [f"| {r['signal']} | {r['spearman']:.2f} | {r['p_best_of_11']:.2f} | {r['p_best_of_19']:.2f} |" for r in rows]
    lines += [f"| a perfect ranking (coverage alone) | 1.00 | {bound[n_now]:.2f} | {bound[19]:.2f} |"]
    note = (f"\n\nThe {len(final)} grid configurations re-trained to {RUNGS[-1]} steps; dev decoded at logit thresholds "
            f"{list(LOGIT_THRESHOLDS)}; {good} configurations are within 0.5 of the grid's best. P: random distinct "
            "screens, 4,000 draws, the best by the signal trained to the end (its grid F1).")
    write_results(Path(args.out), f"SEARCH-SIGNAL-{datetime.date.today().isoformat()}", doc, "\n".join(lines) + note)


if __name__ == "__main__":
    main()
