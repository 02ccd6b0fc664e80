"""Protocol ZS-MiniLM (../shared/BENCHMARK.md): train GLiNER on MiniLM for 3,000 steps, score
the 7 zero-shot sets at 1,000 / 2,000 / 3,000 steps, and (with --speed) time training side by
side with the gliner library in the same sitting.

    python benchmarks/zeroshot.py --recipe spanlab            # spanlab's default recipe
    python benchmarks/zeroshot.py --recipe reference          # the paper's recipe (fidelity)
    python benchmarks/zeroshot.py --speed-only                # samples/s, spanlab vs gliner
    python benchmarks/zeroshot.py --set train.loss.alpha=0.9 --tag=-alpha0.9 --work DIR   # a variant

Writes benchmarks/results/ZS-MiniLM-spanlab-<recipe>-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

CONFIGS = {"spanlab": "configs/gliner/zs-minilm.yaml", "reference": "configs/gliner/zs-minilm-reference.yaml"}
GLINER_PYTHON = ROOT / "benchmarks/.work/gliner-venv/bin/python"
SPEED_STEPS = 320  # the protocol's median is over steps 100–300


def spanlab_train(config: str, out: Path, args, steps: int, extra: list[str] = ()) -> Path:
    overrides = [
        f"data.train=[{Path(args.data) / 'train-mix'}/*.jsonl.gz]",
        f"eval.suite=[{Path(args.data) / 'zeroshot'}]",
        f"train.output_dir={out}",
        f"train.steps={steps}",
        f"train.threads={args.threads}",
        *extra,
    ]
    cmd = [sys.executable, "-m", "spanlab", "train", str(ROOT / config)] + [x for o in overrides for x in ("--set", o)]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    return out


def median_step(step_seconds: list[float]) -> float:
    """Median seconds per optimiser step over steps 100–300 (1-based, inclusive)."""
    return median(step_seconds[99:300])


def speed(args) -> dict:
    """Training throughput under the protocol's recipe: spanlab (eager, and compiled with --compile)
    and then gliner, one after the other in the same sitting."""
    work = Path(args.work)
    variants = {"spanlab": []} | ({"spanlab+compile": ["train.compile=true"]} if args.compile else {})
    result = {}
    for name, extra in variants.items():
        run = spanlab_train(CONFIGS["reference"], work / f"speed-{name}", args, SPEED_STEPS,
                            ["eval.suite=[]", "train.save_total_limit=1", f"train.eval_steps={SPEED_STEPS}", *extra])
        ours = median_step(json.loads((run / "train_summary.json").read_text())["step_seconds"])
        result[name] = {"median_step_s": ours, "train_samples_per_s": 8 / ours}
    if GLINER_PYTHON.exists():
        ref_json = work / "speed-gliner.json"
        cmd = [str(GLINER_PYTHON), str(ROOT / "benchmarks/reference/gliner_train.py"), "--steps", str(SPEED_STEPS),
               "--threads", str(args.threads), "--out", str(ref_json), "--data", str(Path(args.data) / "train-mix")]
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
        ref = json.loads(ref_json.read_text())
        theirs = median_step(ref["step_seconds"])
        result["gliner"] = {"median_step_s": theirs, "train_samples_per_s": 8 / theirs, "version": ref.get("version"),
                            "versions": ref.get("versions"), "params": ref.get("params")}
        result["speedup"] = {name: theirs / result[name]["median_step_s"] for name in variants}
    else:
        result["gliner"] = "not run: bash benchmarks/reference/setup.sh creates its environment"
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", choices=sorted(CONFIGS), default="spanlab")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--speed", action="store_true", help="also time training side by side with gliner")
    p.add_argument("--speed-only", action="store_true")
    p.add_argument("--compile", action="store_true", help="also time spanlab with train.compile=true")
    p.add_argument("--label-orders", type=int, default=3, help="label-order check shuffles (0 = off)")
    p.add_argument("--sweep-sentences", type=int, default=300,
                   help="threshold sweep (diagnostic) on the first N sentences of each set (0 = off)")
    p.add_argument("--tag", default="", help="suffix of the result file's name")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="config override on top of the recipe's file (repeatable; recorded in the result)")
    p.add_argument("--data", default=str(ROOT.parent / "shared/data"))
    p.add_argument("--work", default=str(ROOT / "benchmarks/.work/zeroshot"))
    p.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    args = p.parse_args()
    today = datetime.date.today()

    doc: dict = {"protocol": "ZS-MiniLM", "system": "spanlab"}
    if args.speed or args.speed_only:
        doc["speed"] = speed(args)
    if args.speed_only:
        s = doc["speed"]
        table = "| system | median s/step (steps 100–300) | samples/s |\n|---|---|---|\n"
        for name in ("spanlab", "spanlab+compile", "gliner"):
            if isinstance(s.get(name), dict):
                table += f"| {name} | {s[name]['median_step_s']:.3f} | {s[name]['train_samples_per_s']:.2f} |\n"
        for name, ratio in s.get("speedup", {}).items():
            table += f"\n{name} / gliner samples/s: **{ratio:.2f}×** (same machine, same sitting, batch 8, fp32)\n"
        doc.update(machine_info(threads=args.threads))
        write_results(Path(args.out), f"ZS-MiniLM-speed{'-compile' if args.compile else ''}-{today}", doc, table)
        return

    run = Path(args.work) / args.recipe
    if not (run / "train_summary.json").exists():
        spanlab_train(CONFIGS[args.recipe], run, args, args.steps, args.overrides)
    summary = json.loads((run / "train_summary.json").read_text())
    evals = {e["step"]: e for e in map(json.loads, open(run / "metrics.jsonl")) if e["kind"] == "eval"}

    # The headline is the checkpoint at the last step (not the best one), scored in full.
    from spanlab.config import EvalConfig, load_config, to_dict
    from spanlab.evaluation.report import markdown
    from spanlab.evaluation.suite import load_suite
    from spanlab.evaluation.zeroshot import evaluate_suite
    from spanlab.model import SpanModel

    import torch

    torch.set_num_threads(args.threads)
    cfg = load_config(run / "config.yaml")
    eval_cfg = EvalConfig(**{**cfg.eval.__dict__, "max_sentences": None, "bootstrap": 1000})
    model = SpanModel.from_pretrained(run / f"checkpoint-{summary['steps']}")
    sets = load_suite(Path(args.data) / "zeroshot", None, eval_cfg.lowercase, eval_cfg.fixed_labels)
    result = evaluate_suite(model, sets, eval_cfg, seed=cfg.train.seed, label_orders=args.label_orders)
    if args.sweep_sentences:
        from spanlab.evaluation.sweep import threshold_sweep

        head = load_suite(Path(args.data) / "zeroshot", None, eval_cfg.lowercase, eval_cfg.fixed_labels,
                          args.sweep_sentences)
        doc["threshold_sweep"] = {s.name: threshold_sweep(model, s, eval_cfg) for s in head}
    steps_s = summary["step_seconds"]
    doc.update(
        {
            "recipe": args.recipe,
            "overrides": args.overrides,
            "config": to_dict(cfg),
            "steps": summary["steps"],
            **result.as_dict(),
            "f1_by_step": {str(k): v["eval_f1"] for k, v in sorted(evals.items())},
            "span_f1_by_step": {str(k): v["eval_span_f1"] for k, v in sorted(evals.items())},
            "train_samples_per_s": 8 / median_step(steps_s) if len(steps_s) >= 300 else None,
            "train_wall_s": sum(steps_s),
            **machine_info(threads=args.threads),
        }
    )
    by_step = " · ".join(f"{k}: {100 * v:.1f}" for k, v in doc["f1_by_step"].items())
    table = markdown(result) + f"\nAverage F1 by step: {by_step}\n"
    if args.overrides:
        table += f"\nRecipe: `{CONFIGS[args.recipe]}` with `{' '.join(args.overrides)}`\n"
    if "threshold_sweep" in doc:
        sweep = doc["threshold_sweep"]
        thresholds = [row["threshold"] for row in next(iter(sweep.values()))]
        table += (f"\nDiagnostic: average F1 (and span-only F1) against the threshold, first "
                  f"{args.sweep_sentences} sentences of each set\n\n| threshold | "
                  + " | ".join(f"{t:g}" for t in thresholds) + " |\n|---|" + "---|" * len(thresholds) + "\n| F1 |")
        for i in range(len(thresholds)):
            table += f" {100 * sum(rows[i]['f1'] for rows in sweep.values()) / len(sweep):.1f} |"
        table += "\n| span-only F1 |"
        for i in range(len(thresholds)):
            table += f" {100 * sum(rows[i]['span_f1'] for rows in sweep.values()) / len(sweep):.1f} |"
        table += "\n"
    write_results(Path(args.out), f"ZS-MiniLM-spanlab-{args.recipe}-{today}{args.tag}", doc, table)


if __name__ == "__main__":
    main()
