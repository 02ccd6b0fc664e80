"""Search benchmark: an exhaustive grid once, then ASHA+random and TPE+ASHA (staged, 2 workers)
at 20% of the grid's compute. Target: best F1 within 0.5 of the grid's best.

    python benchmarks/search.py [--data ../shared/data]     # about an hour on 2 cores
    python benchmarks/search.py --work W --sampler-seed 1    # the methods again, other draws (grid read from W)

Task (fixed, CPU-cheap): Efficient GlobalPointer on the default all-MiniLM-L6-v2, trained on the
first 2,000 shuffled CoNLL-2003 train sentences for 320 steps at batch 8 (1.3 epochs, so that a
trial's F1 reflects its configuration rather than how far its schedule got), scored every 40
steps on the first 500 CoNLL-2003 dev sentences (never the test split). A trial's F1 is its
best evaluation. Space: lr_encoder × lr_head × dropout, 3 values each (27 configurations).
ASHA: reduction factor 2, rungs at 40, 80, 160 and 320.
Compute = optimiser steps summed over trials: pruned trials count the steps they ran, trials
answered from the cache count 0, a focus trial that continues its screen's checkpoint counts the
steps after the screen, and a method's steps include its verify stage.
Writes benchmarks/results/SEARCH-<date>.json/.md and SEARCH-<date>-curves.png.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_info, write_results

STEPS = 320  # per trial, evaluated every STEPS / 8: ASHA's rungs (reduction factor 2) at 1/8, 1/4, 1/2 and all of it
REDUCTION = 2
TRAIN_SENTENCES, DEV_SENTENCES, BATCH = 2000, 500, 8
VALUES = {
    "train.lr_encoder": [3.0e-5, 1.0e-4, 3.0e-4],
    "train.lr_others": [1.0e-3, 3.0e-3, 1.0e-2],
    "model.dropout": [0.0, 0.1, 0.3],
}
GRID_SIZE = 27
SHARE = 0.2  # of the grid's steps, verify included
# Shares of the 1,728-step budget: explore 440 holds 11 screens of 40 steps; focus then gets 648,
# enough for two workers to start a whole 320-step trial each (a running trial holds all it may
# spend): the two best screened configurations, continued from their screens (280 steps each).
# Verify gets the other 639 plus what is left: two more runs, seeds 1 and 2 (seed 0 is the search's
# own run, from the cache). Before checkpoint reuse, explore held 9 screens (0.21 / 0.42 / 0.37,
# SEARCH-2026-11-22.md): the 40 steps each continued screen saves pay for two more screens.
STAGES = {"explore": 0.255, "focus": 0.375, "verify": 0.37, "focus_from": 3, "top_k": 1, "seeds": [0, 1, 2]}


def base_config(conll: Path, dev: Path, steps: int, train_sentences: int) -> dict:
    return {
        "model": {"head": "egp", "encoder": "default", "head_size": 64, "dropout": 0.1, "max_len": 64,
                  "labels": ["person", "organization", "location", "else"]},
        "data": {"format": "benchmark", "train": [str(conll / "train.json")], "dev": str(dev),
                 "max_records": train_sentences},
        "train": {"output_dir": "unused", "steps": steps, "batch_size": BATCH, "lr_encoder": 1.0e-4,
                  "lr_others": 1.0e-3, "scheduler": "linear", "warmup_ratio": 0.1, "max_grad_norm": 1.0,
                  "eval_steps": steps // 8, "logging_steps": steps // 8, "save_total_limit": 1, "threads": 1},
        "eval": {"suite": [str(dev)], "batch_size": 64},
    }


def space_file(kind: str, search: dict) -> dict:
    return {"space": {k: {kind: v} for k, v in VALUES.items()}, "search": search}


def curve(summary: dict, stages: tuple[str, ...]) -> list[tuple[int, float]]:
    """Best-so-far F1 against steps spent, trials in the order they finished."""
    rows = [r for r in summary["trials"] if r["stage"] in stages and r["state"] in ("COMPLETE", "PRUNED")]
    rows.sort(key=lambda r: r["finished"])
    out, spent, best = [], 0, 0.0
    for r in rows:
        spent += r["steps"]
        if r["state"] == "COMPLETE":
            best = max(best, r["value"])
        out.append((spent, best))
    return out


def finish_times(study_root: Path, summary: dict) -> None:
    """Add each trial's completion time (from the Optuna storage) to the summary rows."""
    import optuna

    from spanlab.search.study_dir import StudyDir

    sd = StudyDir(study_root)
    for stage in {r["stage"] for r in summary["trials"]}:
        study = optuna.load_study(study_name=sd.study_name(stage), storage=sd.storage_url())
        done = {t.number: t.datetime_complete for t in study.trials}
        for r in summary["trials"]:
            if r["stage"] == stage:
                r["finished"] = (done[r["number"]] or datetime.datetime.max).isoformat()


def rank_agreement(grid: dict) -> dict[int, float]:
    """Per evaluation step: Spearman correlation, over the grid's configurations, of the F1 there
    with the trial's F1 (how well a rung at that step ranks configurations)."""
    from scipy.stats import spearmanr

    rows = [r for r in grid["trials"] if r["state"] == "COMPLETE" and not r["cached"]]
    out = {}
    for step in sorted({s for r in rows for s in r["curve"]}):
        have = [r for r in rows if step in r["curve"]]
        if len(have) >= len(rows) // 2:
            out[step] = float(spearmanr([r["curve"][step] for r in have], [r["value"] for r in have]).statistic)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"), help="the shared data folder")
    ap.add_argument("--work", default=str(ROOT / "benchmarks/.work/search"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    # smaller values make a quick check of the whole pipeline (not a result)
    ap.add_argument("--steps", type=int, default=STEPS, help="steps per trial (a multiple of 8)")
    ap.add_argument("--train-sentences", type=int, default=TRAIN_SENTENCES)
    ap.add_argument("--dev-sentences", type=int, default=DEV_SENTENCES)
    ap.add_argument("--sampler-seed", type=int, default=0,
                    help="seed of the methods' samplers; another seed repeats the methods (not the grid, which "
                         "is read from --work) to show how much their outcome varies")
    args = ap.parse_args()
    steps, eval_steps = args.steps, args.steps // 8

    from spanlab.search.tune import tune

    conll = Path(args.data) / "supervised" / "conll2003"
    if not (conll / "train.json").is_file() or not (conll / "dev.json").is_file():
        sys.exit(f"{conll}: no CoNLL-2003 train.json/dev.json here; pass --data /path/to/shared/data")
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    dev = work / f"conll2003-dev-first{args.dev_sentences}.json"  # a working copy, never committed
    dev.write_text(json.dumps(json.loads((conll / "dev.json").read_text(encoding="utf-8"))[: args.dev_sentences]))
    base = work / "base.yaml"
    base.write_text(yaml.safe_dump(base_config(conll, dev, steps, args.train_sentences), sort_keys=False))
    budget = int(SHARE * GRID_SIZE * steps)
    staged = {"pruner": "asha", "reduction_factor": REDUCTION, "min_resource": eval_steps, "budget": {"steps": budget},
              "stages": STAGES, "seed": args.sampler_seed}
    suffix = f"-sampler-seed{args.sampler_seed}" if args.sampler_seed else ""
    runs = {
        "grid": space_file("grid", {"sampler": "grid", "pruner": "none", "budget": {"trials": GRID_SIZE},
                                    "stages": {"enabled": False}}),
        "asha_random": space_file("choice", {"sampler": "random", **staged}),
        "tpe_asha": space_file("choice", {"sampler": "tpe", **staged}),
    }
    summaries, seconds = {}, {}
    for name, doc in runs.items():
        folder = name if name == "grid" else name + suffix
        space = work / f"{folder}.yaml"
        space.write_text(yaml.safe_dump(doc, sort_keys=False))
        start = time.perf_counter()
        summaries[name] = tune(base, space, work / folder, workers=args.workers)
        seconds[name] = time.perf_counter() - start
        finish_times(work / folder, summaries[name])
        print(name, json.dumps(summaries[name]["total"]), flush=True)
        trained = {json.dumps(r["overrides"], sort_keys=True) for r in summaries[name]["trials"]
                   if r["state"] == "COMPLETE" and not r["cached"]}
        if name == "grid" and len(trained) != GRID_SIZE:
            sys.exit(f"{work / 'grid'}: {len(trained)} of the {GRID_SIZE} grid configurations trained")

    grid = summaries["grid"]
    # Each configuration once: a repeat answered from the cache is not another grid point.
    done = sorted((r for r in grid["trials"] if r["state"] == "COMPLETE" and not r["cached"]),
                  key=lambda r: r["value"], reverse=True)
    grid_best = done[0]["value"]
    replicate = replicate_grid_best(done[0], base, work)
    methods = {name: method_result(summaries[name], grid, grid_best, seconds[name]) for name in ("asha_random", "tpe_asha")}
    doc = {
        **machine_info(workers=args.workers, threads_per_worker=1),
        "task": {"head": "egp", "encoder": "all-MiniLM-L6-v2",
                 "train": f"CoNLL-2003 train, first {args.train_sentences} shuffled",
                 "dev": f"CoNLL-2003 dev, first {args.dev_sentences} sentences", "steps_per_trial": steps,
                 "eval_steps": eval_steps, "batch_size": BATCH, "space": VALUES},
        "budget": {"steps": budget, "share_of_grid": SHARE, "stages": STAGES, "verify_counted": True},
        "sampler_seed": args.sampler_seed,
        "grid_best_f1": 100 * grid_best, "grid_steps": grid["total"]["steps"], "grid_wall_seconds": seconds["grid"],
        "grid_top5": [{"overrides": r["overrides"], "f1": 100 * r["value"]} for r in done[:5]],
        "grid_within_0.5": sum(100 * (grid_best - r["value"]) <= 0.5 for r in done),
        "grid_rung_spearman": rank_agreement(grid),
        "grid_curve": curve(grid, ("search",)), "methods": methods,
        "grid_best_seeds": replicate,
    }
    stem = f"SEARCH-{datetime.date.today().isoformat()}{suffix}"
    out = Path(args.out)
    plot(doc, out / f"{stem}-curves.png")
    write_results(out, stem, doc, table(doc, f"{stem}-curves.png"))


def replicate_grid_best(best: dict, base: Path, work: Path) -> dict:
    """The grid's best configuration trained again with verify's other seeds, outside every
    method's budget. The grid's best F1 is the top of 27 single-seed runs, so noise flatters it;
    a method's verified mean is compared with this mean as well as with that single run."""
    cfg = yaml.safe_load(base.read_text())
    for key, value in best["overrides"].items():
        section, name = key.split(".")
        cfg[section][name] = value
    seeds = [s for s in STAGES["seeds"] if s != 0]
    (work / "grid_best.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    space = work / "grid_best_seeds.yaml"
    space.write_text(yaml.safe_dump({"space": {"train.seed": {"grid": seeds}}, "search": {
        "sampler": "grid", "pruner": "none", "budget": {"trials": len(seeds)}, "stages": {"enabled": False}}}))
    from spanlab.search.tune import tune

    # One worker (as measured): two workers starting together draw the same grid point; the
    # later one is skipped as a running twin, which no longer costs a trial of the budget.
    summary = tune(work / "grid_best.yaml", space, work / "grid_best_seeds", workers=1)
    by_seed = {r["overrides"]["train.seed"]: r["value"] for r in summary["trials"] if r["state"] == "COMPLETE"}
    values = [100 * best["value"]] + [100 * by_seed[s] for s in seeds]
    return {"overrides": best["overrides"], "seeds": [0, *seeds], "values": values,
            "mean": statistics.fmean(values), "std": statistics.stdev(values), "steps": summary["total"]["steps"]}


def method_result(s: dict, grid: dict, grid_best: float, wall: float) -> dict:
    search_rows = [r for r in s["trials"] if r["stage"] in ("explore", "focus")]
    best = max((r["value"] for r in search_rows if r["state"] == "COMPLETE"), default=0.0)
    steps = s["total"]["steps"]
    within = 100 * (grid_best - best) <= 0.5
    return {
        "best_f1": 100 * best, "steps": steps,  # steps: every stage, verify included
        "stage_steps": {k: v["steps"] for k, v in s["stages"].items()},
        "search_steps": sum(r["steps"] for r in search_rows), "trials": s["total"]["trials"],
        "configurations_trained": len({json.dumps(r["overrides"], sort_keys=True) for r in search_rows if not r["cached"]}),
        "fraction_of_grid_steps": steps / grid["total"]["steps"],
        "within_0.5_of_grid": within, "target_met": within and steps <= SHARE * grid["total"]["steps"],
        "verify": [{**v, "mean": 100 * v["mean"], "std": 100 * v["std"], "values": [100 * x for x in v["values"]]}
                   for v in s["verify"]],
        "wall_seconds": wall,
        "curve": curve(s, ("explore", "focus")) + [(steps, best)],  # the last point adds verify's steps
    }


def plot(doc: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, pts in [("grid", doc["grid_curve"])] + [(n, m["curve"]) for n, m in doc["methods"].items()]:
        if pts:
            xs, ys = zip(*pts)
            ax.step(xs, [100 * y for y in ys], where="post", label=name, marker=".")
    ax.axhline(doc["grid_best_f1"] - 0.5, color="gray", linestyle=":", label="grid best − 0.5")
    ax.axvline(0.2 * doc["grid_steps"], color="gray", linestyle="--", label="20% of grid steps")
    ax.set_xscale("log")
    ax.set_xlabel("training steps spent (summed over trials; methods end with verify)")
    ax.set_ylabel("best dev F1 so far")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def table(doc: dict, png: str) -> str:
    lines = [
        ("| method | best F1 (explore+focus) | Δ to grid best | steps, verify included (search only) | share of grid steps "
         "| configurations trained | target met | verify: mean ± std over seeds |"),
        "|---|---|---|---|---|---|---|---|",
        f"| exhaustive grid ({GRID_SIZE}) | {doc['grid_best_f1']:.1f} | 0.0 | {doc['grid_steps']} | 100% | {GRID_SIZE} | – | – |",
    ]
    g = doc["grid_best_seeds"]
    for name, m in doc["methods"].items():
        v = m["verify"][0] if m["verify"] else None
        spread = f"{v['mean']:.1f} ± {v['std']:.1f} ({', '.join(f'{x:.1f}' for x in v['values'])})" if v else "–"
        lines.append(f"| {name} | {m['best_f1']:.1f} | {m['best_f1'] - doc['grid_best_f1']:+.1f} | {m['steps']} "
                     f"({m['search_steps']}) | {100 * m['fraction_of_grid_steps']:.1f}% | {m['configurations_trained']} | "
                     f"{'yes' if m['target_met'] else 'no'} | {spread} |")
    t, b = doc["task"], doc["budget"]
    top = "; ".join(f"{r['f1']:.1f} {json.dumps(r['overrides'])}" for r in doc["grid_top5"][:3])
    notes = [
        (f"Task: Efficient GlobalPointer on {t['encoder']}, {t['train']}, {t['steps_per_trial']} steps per trial at "
         f"batch {t['batch_size']}, dev F1 on {t['dev']} every {t['eval_steps']} steps (a trial's F1 = its best "
         f"evaluation); space {json.dumps(t['space'])}."),
        (f"Budget: {b['steps']} steps = {b['share_of_grid']:.0%} of the grid's, for all three stages together "
         f"(verify's steps are counted): explore {STAGES['explore']:.0%} screens configurations at the lowest ASHA "
         f"rung ({t['eval_steps']} steps), focus {STAGES['focus']:.0%} runs ASHA (reduction factor {REDUCTION}) in the space "
         f"narrowed to the best {STAGES['focus_from']} screened configurations and trains those first, "
         "continuing their screens' checkpoints (stages.reuse_checkpoints), verify "
         f"{STAGES['verify']:.0%} re-runs the best configuration with seeds {STAGES['seeds']} (seed 0 from the "
         "cache). A stage also gets what earlier stages left, and starts a trial only while its budget holds "
         f"all that trial may spend ({t['eval_steps']} steps for a screen, {t['steps_per_trial']} otherwise), so no stage "
         f"overshoots. 2 workers; the methods' samplers drawn with seed {doc['sampler_seed']}."),
        (f"Seed noise: the grid's best configuration re-trained with seeds {g['seeds'][1:]} (outside every budget, "
         f"{g['steps']} steps) scores {', '.join(f'{x:.1f}' for x in g['values'])}: mean {g['mean']:.1f} ± "
         f"{g['std']:.1f}. Verified means against it: "
         + "; ".join(f"{n} {m['verify'][0]['mean']:.1f} ({m['verify'][0]['mean'] - g['mean']:+.1f})"
                     for n, m in doc["methods"].items() if m["verify"]) + "."),
        (f"Grid: best 3 {top}; {doc['grid_within_0.5']} of {GRID_SIZE} configurations within 0.5 of the best; "
         "Spearman correlation of F1 at a step with the trial's F1: "
         + ", ".join(f"{step}: {rho:.2f}" for step, rho in doc["grid_rung_spearman"].items()) + "."),
    ]
    return "\n".join(lines) + f"\n\n![best-so-far F1 against steps]({png})\n\n" + "\n\n".join(notes)


if __name__ == "__main__":
    main()
