"""How much of the search benchmark's outcome is the luck of the draw: replay staged ASHA+random
on the curves the exhaustive grid recorded, for many sampler seeds, and count how often it ends
within 0.5 F1 of the grid's best.

    python benchmarks/search.py                    # first: trains the grid into benchmarks/.work/search/grid
    python benchmarks/search_replay.py             # seconds; writes SEARCH-REPLAY-<date>.json/.md

Every trial of the benchmark trains with seed 0, and training is deterministic on CPU, so a
configuration's F1 at step s is the grid's recorded F1 at step s, and a continued screen is the
uninterrupted run. The replay applies spanlab's stage rules to those curves: explore screens
random configurations at the first rung (a repeat costs nothing; five repeats in a row end the
stage) while its share holds another screen; focus narrows the space to the values of the best
`focus_from` screens, trains those first and then random draws from the narrowed space under
ASHA (Optuna's promotion rule), and starts a trial only while its budget holds a whole one. It
runs trials one after another, where the benchmark runs two workers, so it estimates the
benchmark's odds rather than repeating its runs. Verify is left out: it does not change the best F1.

Two more tables bound what any design can reach on this grid. Coverage: with every trial at
seed 0 a method's best F1 is the grid's F1 of the best configuration it trained to the end, so
the target is met only if it trains one of the configurations within 0.5 of the grid's best;
after verify's share, explore and focus hold at most n screens plus one continued screen, and
even a perfect ranking of the screens meets the target only when one of those configurations
is among the n. Signal: how well each rung ranks the configurations (Spearman with their final
F1), by dev F1 at the decoding threshold and by the training loss the Trainer logs there.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_info, write_results
from search import GRID_SIZE, REDUCTION, SHARE, STAGES, STEPS, VALUES

Config = tuple  # one value per key of VALUES, in its order
RUNG = STEPS // 8  # the screens' rung
SCREENS = int(STAGES["explore"] * SHARE * GRID_SIZE * STEPS) // RUNG  # the benchmark's explore share holds this many


@dataclass(frozen=True)
class Design:
    name: str
    explore: float
    focus: float
    reuse: bool  # a focus trial of a screened configuration continues from its screen
    focus_from: int = 3
    rung: int = RUNG
    focus_rung: int = STEPS // 8  # focus's first ASHA rung (then ×REDUCTION)
    rank_by: str = "f1"  # what ranks the screens: dev F1 at the rung, or "loss" (the training loss logged there)


DESIGNS = [
    Design("before checkpoint reuse (SEARCH-2026-11-22)", explore=0.21, focus=0.42, reuse=False),
    Design("checkpoint reuse, same shares", explore=0.21, focus=0.42, reuse=True),
    Design("checkpoint reuse, 11 screens (the benchmark now)", explore=STAGES["explore"], focus=STAGES["focus"],
           reuse=True),
    Design("the same, focus's first rung at 120 steps", explore=STAGES["explore"], focus=STAGES["focus"], reuse=True,
           focus_rung=3 * STEPS // 8),
    Design("the benchmark now, screens ranked by training loss", explore=STAGES["explore"], focus=STAGES["focus"],
           reuse=True, rank_by="loss"),
    # explore's share as large as leaves focus one whole trial: 19 screens, the best one continued
    Design("19 screens, one continued", explore=0.44, focus=0.19, reuse=True),
    Design("19 screens, one continued, ranked by training loss", explore=0.44, focus=0.19, reuse=True, rank_by="loss"),
]


def load_curves(grid_dir: Path) -> tuple[dict[Config, dict[int, float]], dict[Config, dict[int, float]]]:
    """Dev F1 and training loss by step of every trained grid configuration (cached trials left out)."""
    curves, losses = {}, {}
    for trial in sorted((grid_dir / "trials").glob("search-*")):
        if not (trial / "trial.json").is_file():
            continue
        cfg = yaml.safe_load((trial / "config.yaml").read_text(encoding="utf-8"))
        key = tuple(cfg[k.split(".")[0]][k.split(".")[1]] for k in VALUES)
        lines = (trial / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        rows = [json.loads(line) for line in lines]
        curves[key] = {m["step"]: m["eval_f1"] for m in rows if "eval_f1" in m}
        losses[key] = {m["step"]: m["loss"] for m in rows if m.get("kind") == "train" and "loss" in m}
    if len(curves) != GRID_SIZE:
        sys.exit(f"{grid_dir}: {len(curves)} of {GRID_SIZE} grid configurations trained; run benchmarks/search.py first")
    return curves, losses


def promoted(value: float, competing: list[float]) -> bool:
    """Optuna's successive-halving rule: in the top 1/REDUCTION of the values seen at the rung."""
    k = max(len(competing) // REDUCTION, 1)
    return value >= sorted(competing)[-k]


def replay(curves: dict[Config, dict[int, float]], signal: dict[Config, dict[int, float]], d: Design,
           seed: int) -> tuple[float, int]:
    """(best F1 of explore + focus, steps they spent) for one sampler seed; `signal` ranks the screens."""
    rng = random.Random(seed)
    axes = [sorted({c[i] for c in curves}) for i in range(len(VALUES))]
    budget = SHARE * GRID_SIZE * STEPS
    screened: dict[Config, float] = {}
    spent, repeats = 0, 0
    while d.explore * budget - spent >= d.rung and repeats < 5:
        cfg = tuple(rng.choice(a) for a in axes)
        if cfg in screened:
            repeats += 1
            continue
        repeats = 0
        screened[cfg] = signal[cfg][d.rung]
        spent += d.rung
    best_screens = sorted(screened, key=screened.get, reverse=True)[: d.focus_from]
    narrowed = [sorted({c[i] for c in best_screens}) for i in range(len(VALUES))]
    focus_budget = (d.explore + d.focus) * budget - spent
    rungs = [d.focus_rung * REDUCTION**i for i in range(8) if d.focus_rung * REDUCTION**i < STEPS]
    seen: dict[int, list[float]] = {}
    trained: set[Config] = set()
    best, focus_spent, repeats = 0.0, 0, 0
    queue = list(best_screens)
    while focus_budget - focus_spent >= STEPS and repeats < 5:
        cfg = queue.pop(0) if queue else tuple(rng.choice(a) for a in narrowed)
        if cfg in trained:
            repeats += 1
            continue
        repeats = 0
        trained.add(cfg)
        curve = curves[cfg]
        stop = STEPS
        for rung in rungs:
            seen.setdefault(rung, []).append(curve[rung])
            if not promoted(curve[rung], seen[rung]):
                stop = rung
                break
        start = d.rung if d.reuse and cfg in screened else 0
        focus_spent += max(stop - start, 0)
        if stop == STEPS:
            best = max(best, max(curve.values()))
    return best, spent + focus_spent


def p_screened(good: int, n: int) -> float:
    """P(n distinct random configurations of the grid include one of its `good` ones)."""
    return 1 - math.comb(GRID_SIZE - good, n) / math.comb(GRID_SIZE, n)


def coverage_bound(curves: dict[Config, dict[int, float]], grid_best: float) -> dict:
    """P(the screens include a configuration within 0.5 of the best) for distinct random screens."""
    good = sum(100 * (grid_best - max(c.values())) <= 0.5 for c in curves.values())
    budget = int(SHARE * GRID_SIZE * STEPS)
    verify_steps = (len(STAGES["seeds"]) - 1) * STEPS  # seed 0 comes from the cache
    max_screens = (budget - verify_steps - (STEPS - RUNG)) // RUNG
    p = {n: p_screened(good, n) for n in sorted({SCREENS, max_screens})}
    return {"within_0.5": good, "budget": budget, "verify_steps": verify_steps, "max_screens": max_screens,
            "p_perfect_ranking": p}


def rank_signal(curves: dict[Config, dict[int, float]], losses: dict[Config, dict[int, float]]) -> dict[int, dict]:
    """Per rung: Spearman correlation with the final F1 of the dev F1 there and of minus the training loss."""
    from scipy.stats import spearmanr

    keys = sorted(curves)
    final = [max(curves[k].values()) for k in keys]
    return {step: {"dev_f1": float(spearmanr([curves[k][step] for k in keys], final).statistic),
                   "train_loss": float(spearmanr([-losses[k][step] for k in keys], final).statistic)}
            for step in sorted(curves[keys[0]])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", default=str(ROOT / "benchmarks/.work/search/grid"), help="the grid's study folder")
    ap.add_argument("--seeds", type=int, default=2000, help="sampler seeds replayed per design")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args()
    curves, losses = load_curves(Path(args.grid))
    grid_best = max(max(c.values()) for c in curves.values())
    rank_by = {"f1": curves, "loss": {c: {step: -v for step, v in ls.items()} for c, ls in losses.items()}}
    rows = []
    for d in DESIGNS:
        runs = [replay(curves, rank_by[d.rank_by], d, seed) for seed in range(args.seeds)]
        hits = sum(100 * (grid_best - best) <= 0.5 for best, _ in runs)
        rows.append({**asdict(d), "p_within_0.5": hits / args.seeds,
                     "mean_best_f1": 100 * statistics.fmean(b for b, _ in runs),
                     "mean_search_steps": statistics.fmean(s for _, s in runs)})
    bound, signal = coverage_bound(curves, grid_best), rank_signal(curves, losses)
    doc = {**machine_info(), "grid": args.grid, "grid_best_f1": 100 * grid_best, "seeds": args.seeds, "designs": rows,
           "coverage_bound": bound, "rank_signal": signal}
    lines = ["| design | explore / focus shares | P(best within 0.5 of the grid's) | mean best F1 | mean steps, explore + focus |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['explore']} / {r['focus']} | {r['p_within_0.5']:.2f} | {r['mean_best_f1']:.1f} | "
              f"{r['mean_search_steps']:.0f} |" for r in rows]
    table = "\n".join(lines) + (f"\n\nReplayed on the grid's curves (best {100 * grid_best:.1f}), {args.seeds} sampler "
                                "seeds per design, one worker; see the script's docstring for the rules.")
    table += (f"\n\nCoverage: {bound['within_0.5']} of {GRID_SIZE} configurations are within 0.5 of the grid's best. "
              f"Verify holds {bound['verify_steps']} of the {bound['budget']}-step budget, so explore and focus hold at "
              f"most {bound['max_screens']} screens of {RUNG} steps and one continued screen. With a perfect ranking of "
              "the screens, P(target) = P(a within-0.5 configuration is screened): "
              + ", ".join(f"{n} screens {p:.2f}" for n, p in bound["p_perfect_ranking"].items()) + ".")
    table += ("\n\n| rung (steps) | Spearman, dev F1 at the threshold | Spearman, training loss (lower first) |\n"
              "|---|---|---|\n" + "\n".join(f"| {step} | {r['dev_f1']:.2f} | {r['train_loss']:.2f} |"
                                             for step, r in signal.items()))
    write_results(Path(args.out), f"SEARCH-REPLAY-{datetime.date.today().isoformat()}", doc, table)


if __name__ == "__main__":
    main()
