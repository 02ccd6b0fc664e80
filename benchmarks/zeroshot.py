"""Protocol ZS-MiniLM (../shared/BENCHMARK.md): train GLiNER on MiniLM for 3,000 steps, score
the 7 zero-shot sets at 1,000 / 2,000 / 3,000 steps, and (with --speed) time training side by
side with the gliner library in the same sitting.

    python benchmarks/zeroshot.py --recipe spanlab            # spanlab's default recipe
    python benchmarks/zeroshot.py --recipe reference          # the paper's recipe (fidelity)
    python benchmarks/zeroshot.py --speed-only                # samples/s, spanlab vs gliner
    python benchmarks/zeroshot.py --system gliner --seed 1    # the gliner library itself, paper's recipe
    python benchmarks/zeroshot.py --set train.loss.alpha=0.9 --tag=-alpha0.9 --work DIR   # a variant

Writes benchmarks/results/ZS-MiniLM-<system>-<recipe>-<date>.json and .md.

`--system gliner` trains the reference library (its venv: bash benchmarks/reference/setup.sh) with
the protocol's recipe, saving its model at 1,000 / 2,000 / 3,000 steps, and scores those models
with spanlab's evaluator, which loads gliner checkpoints and gives the library's own entities
(tests/interop): the reference's figures then carry the same bootstrap CIs as spanlab's.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

CONFIGS = {"spanlab": "configs/gliner/zs-minilm.yaml", "reference": "configs/gliner/zs-minilm-reference.yaml"}
GLINER_PYTHON = ROOT / "benchmarks/.work/gliner-venv/bin/python"
SPEED_STEPS = 320  # the protocol's median is over steps 100–300
EVAL_STEPS = 1000  # the protocol reports F1 at 1,000, 2,000 and 3,000 steps


@dataclass
class Run:
    """A trained run as the scoring below needs it."""

    final: Path  # the model at the last step
    config: "RunConfig"  # noqa: F821 (spanlab.config, imported lazily)
    f1_by_step: dict[str, float]
    span_f1_by_step: dict[str, float]
    step_seconds: list[float]
    training: dict | None = None  # the gliner library's own record of its training (versions, machine, …)
    unscored: dict[int, Path] = field(default_factory=dict)  # models at earlier steps, for main to score


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


def spanlab_run(args) -> Run:
    """spanlab under the chosen recipe (trained once per work folder); F1 by step from its evaluations."""
    from spanlab.config import load_config

    run = Path(args.work) / args.recipe
    if not (run / "train_summary.json").exists():
        spanlab_train(CONFIGS[args.recipe], run, args, args.steps, args.overrides)
    summary = json.loads((run / "train_summary.json").read_text())
    evals = {e["step"]: e for e in map(json.loads, open(run / "metrics.jsonl")) if e["kind"] == "eval"}
    return Run(
        final=run / f"checkpoint-{summary['steps']}",
        config=load_config(run / "config.yaml"),
        f1_by_step={str(k): v["eval_f1"] for k, v in sorted(evals.items())},
        span_f1_by_step={str(k): v["eval_span_f1"] for k, v in sorted(evals.items())},
        step_seconds=summary["step_seconds"],
    )


def gliner_run(args) -> Run:
    """The gliner library under the protocol, trained once per work folder and seed in its own venv;
    its models at the earlier steps are left for main to score."""
    from spanlab.config import load_config

    if not GLINER_PYTHON.exists():
        raise SystemExit("--system gliner: the reference venv is missing; bash benchmarks/reference/setup.sh")
    seed = 0 if args.seed is None else args.seed
    run = Path(args.work) / f"gliner-seed{seed}"
    saved = {step: run / "model" / f"checkpoint-{step}" for step in range(EVAL_STEPS, args.steps, EVAL_STEPS)}
    if not (run / "train.json").exists():
        cmd = [str(GLINER_PYTHON), str(ROOT / "benchmarks/reference/gliner_train.py"),
               "--steps", str(args.steps), "--schedule-steps", str(args.steps), "--threads", str(args.threads),
               "--seed", str(seed), "--data", str(Path(args.data) / "train-mix"),
               "--save", str(run / "model"), "--save-at", ",".join(map(str, saved)),
               "--out", str(run / "train.json"), "--work-dir", str(run / "trainer")]
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    cfg = load_config(ROOT / CONFIGS["reference"])
    cfg.train.seed = cfg.data.shuffle_seed = seed
    training = json.loads((run / "train.json").read_text())
    return Run(final=run / "model", config=cfg, f1_by_step={}, span_f1_by_step={},
               step_seconds=training["step_seconds"], unscored=saved,
               training={k: v for k, v in training.items() if k not in ("step_seconds", "step_compute_seconds")})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--recipe", choices=sorted(CONFIGS), default="spanlab")
    p.add_argument("--system", choices=["spanlab", "gliner"], default="spanlab",
                   help="gliner: train and score the reference library itself (implies --recipe reference)")
    p.add_argument("--seed", type=int, default=None,
                   help="training seed and data-shuffle seed (default: the recipe's, 0)")
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
    if args.system == "gliner":
        if args.overrides:
            p.error("--set applies to spanlab's recipes; the gliner library runs the protocol's values")
        args.recipe = "reference"
    elif args.seed is not None:
        args.overrides += [f"train.seed={args.seed}", f"data.shuffle_seed={args.seed}"]
    today = datetime.date.today()

    doc: dict = {"protocol": "ZS-MiniLM", "system": args.system}
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

    run = gliner_run(args) if args.system == "gliner" else spanlab_run(args)

    # The headline is the checkpoint at the last step (not the best one), scored in full.
    from spanlab.config import EvalConfig, to_dict
    from spanlab.evaluation.report import markdown
    from spanlab.evaluation.suite import load_suite
    from spanlab.evaluation.zeroshot import evaluate_suite
    from spanlab.model import SpanModel

    import torch

    torch.set_num_threads(args.threads)
    cfg = run.config
    eval_cfg = EvalConfig(**{**cfg.eval.__dict__, "max_sentences": None, "bootstrap": 1000})
    model = SpanModel.from_pretrained(run.final)
    sets = load_suite(Path(args.data) / "zeroshot", None, eval_cfg.lowercase, eval_cfg.fixed_labels)
    for step, path in run.unscored.items():  # F1 by step, without CIs
        scored = evaluate_suite(SpanModel.from_pretrained(path), sets, replace(eval_cfg, bootstrap=0), seed=cfg.train.seed)
        run.f1_by_step[str(step)], run.span_f1_by_step[str(step)] = scored.f1_avg, scored.span_f1_avg
        print(f"{args.system}, {step} steps: average F1 {100 * scored.f1_avg:.1f}", flush=True)
    result = evaluate_suite(model, sets, eval_cfg, seed=cfg.train.seed, label_orders=args.label_orders)
    if args.sweep_sentences:
        from spanlab.evaluation.sweep import threshold_sweep

        head = load_suite(Path(args.data) / "zeroshot", None, eval_cfg.lowercase, eval_cfg.fixed_labels,
                          args.sweep_sentences)
        doc["threshold_sweep"] = {s.name: threshold_sweep(model, s, eval_cfg) for s in head}
    steps_s = run.step_seconds
    run.f1_by_step.setdefault(str(len(steps_s)), result.f1_avg)
    run.span_f1_by_step.setdefault(str(len(steps_s)), result.span_f1_avg)
    doc.update(
        {
            "recipe": args.recipe,
            "overrides": args.overrides,
            "config": to_dict(cfg),
            "steps": len(steps_s),
            **result.as_dict(),
            "f1_by_step": run.f1_by_step,
            "span_f1_by_step": run.span_f1_by_step,
            "train_samples_per_s": 8 / median_step(steps_s) if len(steps_s) >= 300 else None,
            "train_wall_s": sum(steps_s),
            **({"gliner_training": run.training} if run.training else {}),
            **machine_info(threads=args.threads),
        }
    )
    by_step = " · ".join(f"{k}: {100 * v:.1f}" for k, v in doc["f1_by_step"].items())
    table = markdown(result) + f"\nAverage F1 by step: {by_step}\n"
    if args.system == "gliner":
        v = run.training["versions"]
        table += (f"\nSystem: gliner {v['gliner']} (transformers {v['transformers']}), the protocol's recipe, seed "
                  f"{cfg.train.seed}, trained by `benchmarks/reference/gliner_train.py`; scored by spanlab's evaluator\n")
    elif args.overrides:
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
    write_results(Path(args.out), f"ZS-MiniLM-{args.system}-{args.recipe}-{today}{args.tag}", doc, table)


if __name__ == "__main__":
    main()
