"""What each change to the GLiNER recipe buys, measured on held-out data (not the test sets).

Variants named `default…` start from spanlab's shipped recipe (configs/gliner/zs-minilm.yaml)
as it stood before Pile-NER was weighted (2026-12-03: `data.weights` is reset to {} unless the
variant names it, so the rows of earlier result files still mean what they meant; the recipe
shipped now is `default+pile30`), the others from the paper's (configs/gliner/zs-minilm-reference.yaml).

Five whole datasets are held out of the training mix (every split): WNUT-16 (tweets),
re3d (defence), BioNLP13CG (biomedical), SEC filings (finance) and MultiCoNER 2 (33
fine-grained types: artist, software, musical work, …, the kind of label zero-shot sets ask for). Each variant trains
on the rest of the mix for the same steps, then is scored on the held-out test splits
with the zero-shot protocol (threshold 0.5, flat). The zero-shot benchmark's test sets
are never looked at here.

    python benchmarks/recipe_ablation.py --steps 1000 --parallel 2
    python benchmarks/recipe_ablation.py --steps 1500 --eval-steps 500 --dev-sentences 500 --tag=-1500 \
        --variants default@lr1e-4,default+lr2x,default@lr1e-4+keep-empty0,default+lr2x+keep-empty0
    python benchmarks/recipe_ablation.py --steps 1500 --eval-steps 500 --dev-sentences 500 --tag=-1500-pile \
        --variants default@lr1e-4+keep-empty0,default+pile10,default+pile30
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

HELD_OUT = ["WNUT16", "juand-r__re3d", "MTL__BioNLP13CG-IOB", "juand-r__SEC-filings", "MultiCoNER2_en"]
DEV = ["WNUT16__test", "juand-r__re3d__test", "MTL__BioNLP13CG-IOB__test", "juand-r__SEC-filings__test",
       "MultiCoNER2_en__dev"]


def rates(encoder: str, head: str) -> list[str]:
    return [f"train.lr_encoder={encoder}", f"train.lr_others={head}"]


SPANLAB_NEGATIVES = ["data.negatives.source=vocabulary", "data.negatives.count=fill", "data.negatives.explicit=true"]
HIGHER_LR = rates("5e-5", "5e-4")
LR_1E4 = rates("1e-4", "1e-3")
# configs/gliner/zs-minilm.yaml as of the 2026-11-22 quality run
SPANLAB = SPANLAB_NEGATIVES + LR_1E4 + ["model.label_pooling=mean"]
LR_2E4 = rates("2e-4", "2e-3")
KEEP_EMPTY0 = ["data.keep_empty=0"]
SHIPPED = LR_1E4 + KEEP_EMPTY0  # configs/gliner/zs-minilm.yaml with its rates named
SEED1 = ["train.seed=1", "data.shuffle_seed=1"]
BIO_FILES = ("MTL__*", "GNER__AnatEM__*", "GNER__bc2gm__*", "GNER__bc5cdr__*", "GNER__ncbi__*")  # biomedical
VARIANTS = {
    "reference": [],
    "negatives": SPANLAB_NEGATIVES,
    "lr": HIGHER_LR,
    "negatives+lr": SPANLAB_NEGATIVES + HIGHER_LR,
    "negatives+lr+mean": SPANLAB_NEGATIVES + HIGHER_LR + ["train.loss.reduction=mean"],
    "negatives+lr+buckets": SPANLAB_NEGATIVES + HIGHER_LR + ["train.length_buckets=true"],
    "spanlab": SPANLAB,
    "spanlab+repeat0.03": SPANLAB + ["data.repeat_threshold=0.03"],
    "spanlab+repeat0.3": SPANLAB + ["data.repeat_threshold=0.3"],
    "spanlab+dataset-negatives": SPANLAB + ["data.negatives.source=dataset"],
    "spanlab+lr3e-5": SPANLAB + ["train.lr_encoder=3e-5"],
    "spanlab+dataset-negatives+gamma2": SPANLAB + ["data.negatives.source=dataset", "train.loss.gamma=2"],
    "spanlab+dataset-negatives+alpha0.9": SPANLAB + ["data.negatives.source=dataset", "train.loss.alpha=0.9"],
    "spanlab+dataset-negatives+dropout0.1": SPANLAB + ["data.negatives.source=dataset", "model.dropout=0.1"],
    # on top of configs/gliner/zs-minilm.yaml, learning rates always named (the shipped ones change)
    "default@lr1e-4": LR_1E4,
    "default+lr2x": LR_2E4,
    "default@lr1e-4+keep-empty0": SHIPPED,
    "default+lr2x+keep-empty0": LR_2E4 + KEEP_EMPTY0,
    "default+pile10": SHIPPED + ['data.weights={"PileNER_*": 10}'],
    "default+pile30": SHIPPED + ['data.weights={"PileNER_*": 30}'],
    "default+bio0.25": SHIPPED + [f"data.weights={json.dumps(dict.fromkeys(BIO_FILES, 0.25))}"],
    "default+wsd0.2": SHIPPED + ["train.scheduler=warmup_stable_decay", "train.decay_ratio=0.2"],
    "default+min-negatives5": SHIPPED + ["data.negatives.min_count=5"],
    "default+min-negatives0": SHIPPED + ["data.negatives.min_count=0"],
    "default+head-lr3e-3": rates("1e-4", "3e-3") + KEEP_EMPTY0,
    "default+head-lr5e-4": rates("1e-4", "5e-4") + KEEP_EMPTY0,
    "default+encoder-lr5e-5": rates("5e-5", "1e-3") + KEEP_EMPTY0,
    "default+lr-half": rates("5e-5", "5e-4") + KEEP_EMPTY0,
    "default+lr-half+seed1": rates("5e-5", "5e-4") + KEEP_EMPTY0 + SEED1,
    "default+head-lr5e-4+seed1": rates("1e-4", "5e-4") + KEEP_EMPTY0 + SEED1,
    "default+seed1": SHIPPED + SEED1,
    "default+dropout0.1": SHIPPED + ["model.dropout=0.1"],
    "default+alpha0.9": SHIPPED + ["train.loss.alpha=0.9"],
    "default+contrast0.5": SHIPPED + ["train.loss.label_contrast=0.5"],
    "default+contrast1": SHIPPED + ["train.loss.label_contrast=1"],
}


def base_config(name: str) -> Path:
    return ROOT / "configs/gliner" / ("zs-minilm.yaml" if name.startswith("default") else "zs-minilm-reference.yaml")


def variant_command(name: str, args) -> list[str]:
    mix = Path(args.data) / "train-mix"
    out = Path(args.work) / name
    overrides = [
        f"data.train=[{mix}/*.jsonl.gz]",
        "data.exclude=[" + ",".join(f"{mix}/{h}__*.jsonl.gz" for h in HELD_OUT) + "]",
        f"eval.suite=[{','.join(str(mix / (d + '.jsonl.gz')) for d in DEV)}]",
        f"eval.max_sentences={args.dev_sentences}",
        f"train.steps={args.steps}",
        f"train.eval_steps={args.eval_steps or args.steps}",
        f"train.threads={args.threads}",
        f"train.output_dir={out}",
        "train.save_total_limit=1",
        *(["data.weights={}"] if name.startswith("default") else []),  # see the module docstring
        *VARIANTS[name],
    ]
    cmd = [sys.executable, "-m", "spanlab", "train", str(base_config(name))]
    return cmd + [x for o in overrides for x in ("--set", o)]


def read_result(name: str, args) -> dict:
    run = Path(args.work) / name
    evals = [json.loads(line) for line in open(run / "metrics.jsonl") if '"eval"' in line]
    last = evals[-1]
    summary = json.loads((run / "train_summary.json").read_text())
    steps = summary["step_seconds"]
    return {
        "overrides": VARIANTS[name],
        "dev_f1_avg": last["eval_f1"],
        "dev_f1_by_step": {str(e["step"]): e["eval_f1"] for e in evals},
        "dev_span_f1_avg": last["eval_span_f1"],
        "dev_f1": {d: last[f"eval_{d}_f1"] for d in DEV},
        "median_step_s": sorted(steps)[len(steps) // 2],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variants", default="reference,negatives+lr,negatives,lr")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--eval-steps", type=int, default=0, help="also score dev every N steps (0 = at the end)")
    p.add_argument("--parallel", type=int, default=2, help="variants trained at once")
    p.add_argument("--threads", type=int, default=1, help="torch threads per variant")
    p.add_argument("--dev-sentences", type=int, default=300)
    p.add_argument("--tag", default="", help="suffix of the result file's name")
    p.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    p.add_argument("--work", default=str(ROOT / "benchmarks/.work/ablation"))
    p.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = p.parse_args()
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        sys.exit(f"unknown variant(s) {unknown}; choose from {list(VARIANTS)}")

    started = time.time()
    pending, running = list(names), {}
    while pending or running:
        while pending and len(running) < args.parallel:
            name = pending.pop(0)
            if (Path(args.work) / name / "train_summary.json").exists():
                print(f"{name}: already trained, reusing", flush=True)
                continue
            Path(args.work).mkdir(parents=True, exist_ok=True)
            log = open(Path(args.work) / f"{name}.log", "w")
            running[name] = subprocess.Popen(variant_command(name, args), stdout=log, stderr=subprocess.STDOUT)
            print(f"{name}: started", flush=True)
        for name, proc in list(running.items()):
            if proc.poll() is not None:
                print(f"{name}: exit {proc.returncode}", flush=True)
                if proc.returncode:
                    sys.exit(f"{name} failed; see {args.work}/{name}.log")
                del running[name]
        time.sleep(5)

    results = {name: read_result(name, args) for name in names}
    doc = {
        "protocol": "recipe ablation on held-out datasets",
        "held_out": HELD_OUT,
        "dev_sets": DEV,
        "dev_sentences_per_set": args.dev_sentences,
        "steps": args.steps,
        "eval_steps": args.eval_steps or args.steps,
        "batch_size": 8,
        "threshold": 0.5,
        "variants": results,
        "wall_s": time.time() - started,
        **machine_info(threads=args.threads, parallel=args.parallel),
    }
    header = ("| variant | changes | dev F1 avg | span-only F1 | " + " | ".join(DEV)
              + " | dev F1 by step | median s/step |")
    rows = [header, "|" + "---|" * (6 + len(DEV))]
    for name, r in results.items():
        rows.append(
            f"| {name} | {' '.join(r['overrides']) or '(' + base_config(name).name + ' as shipped)'} | {100 * r['dev_f1_avg']:.1f} | "
            f"{100 * r['dev_span_f1_avg']:.1f} | " + " | ".join(f"{100 * r['dev_f1'][d]:.1f}" for d in DEV)
            + " | " + " · ".join(f"{k}: {100 * v:.1f}" for k, v in r["dev_f1_by_step"].items())
            + f" | {r['median_step_s']:.3f} |"
        )
    write_results(Path(args.out), f"ABLATION-{datetime.date.today()}{args.tag}", doc, "\n".join(rows))


if __name__ == "__main__":
    main()
