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
"""

from __future__ import annotations

import argparse
import datetime
import json
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


@dataclass(frozen=True)
class Design:
    name: str
    explore: float
    focus: float
    reuse: bool  # a focus trial of a screened configuration continues from its screen
    focus_from: int = 3
    rung: int = STEPS // 8  # the screens' rung
    focus_rung: int = STEPS // 8  # focus's first ASHA rung (then ×REDUCTION)


DESIGNS = [
    Design("before checkpoint reuse (SEARCH-2026-11-22)", explore=0.21, focus=0.42, reuse=False),
    Design("checkpoint reuse, same shares", explore=0.21, focus=0.42, reuse=True),
    Design("checkpoint reuse, 11 screens (the benchmark now)", explore=STAGES["explore"], focus=STAGES["focus"],
           reuse=True),
    Design("the same, focus's first rung at 120 steps", explore=STAGES["explore"], focus=STAGES["focus"], reuse=True,
           focus_rung=3 * STEPS // 8),
]


def load_curves(grid_dir: Path) -> dict[Config, dict[int, float]]:
    """F1 by step of every trained grid configuration (trials answered from the cache left out)."""
    curves = {}
    for trial in sorted((grid_dir / "trials").glob("search-*")):
        if not (trial / "trial.json").is_file():
            continue
        cfg = yaml.safe_load((trial / "config.yaml").read_text(encoding="utf-8"))
        key = tuple(cfg[k.split(".")[0]][k.split(".")[1]] for k in VALUES)
        lines = (trial / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        curves[key] = {m["step"]: m["eval_f1"] for m in map(json.loads, lines) if "eval_f1" in m}
    if len(curves) != GRID_SIZE:
        sys.exit(f"{grid_dir}: {len(curves)} of {GRID_SIZE} grid configurations trained; run benchmarks/search.py first")
    return curves


def promoted(value: float, competing: list[float]) -> bool:
    """Optuna's successive-halving rule: in the top 1/REDUCTION of the values seen at the rung."""
    k = max(len(competing) // REDUCTION, 1)
    return value >= sorted(competing)[-k]


def replay(curves: dict[Config, dict[int, float]], d: Design, seed: int) -> tuple[float, int]:
    """(best F1 of explore + focus, steps they spent) for one sampler seed."""
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
        screened[cfg] = curves[cfg][d.rung]
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", default=str(ROOT / "benchmarks/.work/search/grid"), help="the grid's study folder")
    ap.add_argument("--seeds", type=int, default=2000, help="sampler seeds replayed per design")
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = ap.parse_args()
    curves = load_curves(Path(args.grid))
    grid_best = max(max(c.values()) for c in curves.values())
    rows = []
    for d in DESIGNS:
        runs = [replay(curves, d, seed) for seed in range(args.seeds)]
        hits = sum(100 * (grid_best - best) <= 0.5 for best, _ in runs)
        rows.append({**asdict(d), "p_within_0.5": hits / args.seeds,
                     "mean_best_f1": 100 * statistics.fmean(b for b, _ in runs),
                     "mean_search_steps": statistics.fmean(s for _, s in runs)})
    doc = {**machine_info(), "grid": args.grid, "grid_best_f1": 100 * grid_best, "seeds": args.seeds, "designs": rows}
    lines = ["| design | explore / focus shares | P(best within 0.5 of the grid's) | mean best F1 | mean steps, explore + focus |",
             "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['explore']} / {r['focus']} | {r['p_within_0.5']:.2f} | {r['mean_best_f1']:.1f} | "
              f"{r['mean_search_steps']:.0f} |" for r in rows]
    table = "\n".join(lines) + (f"\n\nReplayed on the grid's curves (best {100 * grid_best:.1f}), {args.seeds} sampler "
                                "seeds per design, one worker; see the script's docstring for the rules.")
    write_results(Path(args.out), f"SEARCH-REPLAY-{datetime.date.today().isoformat()}", doc, table)


if __name__ == "__main__":
    main()
