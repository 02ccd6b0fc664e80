"""Reliability: the bad-input corpus, SIGKILL + --resume, and run-to-run determinism, in one command.

    python benchmarks/reliability.py [--kills 3] [--seed 0]

1. Every case of the bad-input corpus (tests/badinput) through every reader and CLI
   command that reads its format: how many were refused with a message naming the
   location, read as they are or with a counted repair, and how many crashed.
2. A tiny run (tests/reliability/tinyrun.py: dropout, vocabulary label sampling, an
   evaluation and checkpoint every 15 steps) trained without interruption, then `--kills`
   times killed with SIGKILL at a random step and resumed with `spanlab train --resume`;
   each resumed run is compared with the uninterrupted one (metrics.jsonl byte for byte,
   train_summary.json without its wall-clock field, the final weights tensor by tensor).
3. The uninterrupted run once more: the same comparison shows run-to-run determinism.

Writes benchmarks/results/RELIABILITY-<date>.json and .md. Everything runs on CPU with one
thread per process, on a 2-layer random encoder: a few minutes in all.
"""

from __future__ import annotations

import argparse
import datetime
import random
import shutil
import sys
import time
from collections import Counter
from pathlib import Path

from common import ROOT, machine_info, write_results

sys.path[:0] = [str(ROOT / "tests" / "badinput"), str(ROOT / "tests" / "reliability")]

from badinput_run import run_corpus  # noqa: E402
from tinyrun import SAVE_STEPS, STEPS, differences, kill_at, spanlab, write_config, write_encoder  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=3, help="kill-and-resume trials")
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill steps")
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".work" / "reliability")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    args = parser.parse_args()

    import torch

    from spanlab.config import ModelConfig
    from spanlab.model import SpanModel

    torch.set_num_threads(1)
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    encoder = write_encoder(args.work / "encoder")
    started = time.perf_counter()

    # 1. the corpus
    model_dir = args.work / "model"
    SpanModel.from_encoder(ModelConfig(encoder=str(encoder), hidden_size=32, max_width=4, max_len=32)) \
        .save_pretrained(model_dir)
    results = run_corpus(args.work, model_dir, encoder)
    cases = sorted({r.case for r in results})
    happened = Counter(r.happened for r in results)
    unexpected = [r.as_dict() for r in results if not r.expected]
    print(f"corpus: {len(cases)} cases, {len(results)} checks, {dict(happened)}, {len(unexpected)} unexpected")

    # 2. kill and resume
    straight = args.work / "straight"
    _train(write_config(args.work, encoder, straight))
    rng = random.Random(args.seed)
    trials = []
    for k in range(args.kills):
        run = args.work / f"killed-{k}"
        config = write_config(args.work, encoder, run)
        target = rng.randrange(SAVE_STEPS + 2, STEPS - 8)
        last = kill_at(config, run, target)
        _train(config, "--resume")
        diff = differences(straight, run)
        trials.append({"kill_at_step": target, "last_step_logged": last, "identical": not diff, "differences": diff})
        print(f"kill after step {last}: resumed run {'identical' if not diff else 'DIFFERS: ' + str(diff[:3])}")

    # 3. determinism
    again = args.work / "again"
    _train(write_config(args.work, encoder, again))
    determinism = differences(straight, again)
    print(f"second uninterrupted run: {'identical' if not determinism else 'DIFFERS: ' + str(determinism[:3])}")

    doc = {
        "benchmark": "reliability",
        "cases": len(cases),
        "checks": len(results),
        "crashes": happened.get("crashed", 0),
        "refused_with_location": sum(r.happened == "refused" and r.expected for r in results),
        "read": happened.get("read", 0),
        "unexpected": unexpected,
        "resume_identical": all(t["identical"] for t in trials),
        "resume_trials": trials,
        "deterministic": not determinism,
        "determinism_differences": determinism,
        "run": {"steps": STEPS, "checkpoint_every": SAVE_STEPS, "encoder": "2-layer 32-wide random BERT"},
        "seconds": round(time.perf_counter() - started, 1),
        **machine_info(threads_per_process=1),
    }
    write_results(args.out, f"RELIABILITY-{datetime.date.today().isoformat()}", doc, _table(doc, results))


def _train(config: Path, *extra: str) -> None:
    proc = spanlab("train", str(config), *extra)
    if proc.returncode != 0:
        raise SystemExit(f"spanlab train {config} {' '.join(extra)} failed:\n{proc.stderr[-3000:]}")


def _table(doc: dict, results) -> str:
    by_consumer: dict[str, Counter] = {}
    for r in results:
        by_consumer.setdefault(r.consumer, Counter())[r.happened if r.expected else "unexpected"] += 1
    lines = [
        "| check | result |", "|---|---|",
        f"| bad-input cases | {doc['cases']} ({doc['checks']} case × reader/command checks) |",
        f"| crashes (tracebacks) | {doc['crashes']} |",
        f"| refused, message names file:line:field | {doc['refused_with_location']} |",
        f"| read (as is, or repair counted) | {doc['read']} |",
        f"| not as the case expects | {len(doc['unexpected'])} |",
        f"| SIGKILL + --resume identical to uninterrupted | {doc['resume_identical']} "
        f"({sum(t['identical'] for t in doc['resume_trials'])}/{len(doc['resume_trials'])}; killed after steps "
        f"{', '.join(str(t['last_step_logged']) for t in doc['resume_trials'])} of {doc['run']['steps']}) |",
        f"| same config + seed twice: identical metrics.jsonl and weights | {doc['deterministic']} |",
        "", "| reader / command | refused | read | unexpected |", "|---|---|---|---|",
    ]
    for consumer, counts in by_consumer.items():
        lines.append(f"| {consumer} | {counts['refused']} | {counts['read']} | {counts['unexpected']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
