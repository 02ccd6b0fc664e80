"""Fidelity under protocol ZS-MiniLM: spanlab trained with the paper's recipe beside the gliner library.

    python benchmarks/fidelity.py        # reads benchmarks/results, writes FIDELITY-<date>.json and .md

Inputs, all result files of `benchmarks/zeroshot.py`:
* spanlab under the paper's recipe (`--recipe reference`, one file per seed);
* the gliner library itself (`--system gliner --seed N`), scored with the same evaluator and CIs;
* the anchor: the library's per-set figures at 3,000 steps in ../shared/ANCHOR-RESULTS.md (no CI there).

The issue's criterion is that spanlab lands within the bootstrap 95% CI of the reference's figures;
this script reports it both ways (the anchor inside each spanlab run's CI, each spanlab figure inside
each gliner run's CI), whether the two systems' CIs overlap, and asks the same of the gliner library
against its own anchor, which shows how strict the criterion is when only the seed differs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

from spanlab.evaluation.suite import PAPER_ORDER as SETS  # noqa: E402  (also ANCHOR-RESULTS.md's columns)


def read_anchor(path: Path) -> dict[int, dict[str, float]]:
    """{step: {set: F1, "average": F1}} (percent) from the rows "| 1,000 steps | … |" of ANCHOR-RESULTS.md."""
    rows = {}
    for line in path.read_text().splitlines():
        head = re.match(r"\| ([\d,]+) steps \|", line)
        if not head:
            continue
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")[1:]]
        if len(cells) != len(SETS) + 1:
            raise SystemExit(f"{path}: the row {head.group(0)} has {len(cells)} figures; expected {len(SETS) + 1}")
        rows[int(head.group(1).replace(",", ""))] = dict(zip([*SETS, "average"], map(float, cells), strict=True))
    if 3000 not in rows:
        raise SystemExit(f"{path}: no '| 3,000 steps |' row")
    return rows


def read_run(path: Path) -> dict:
    doc = json.loads(path.read_text())
    missing = [s for s in SETS if s not in doc.get("f1", {})]
    if missing:
        raise SystemExit(f"{path}: no figures for {missing}")
    return {
        "file": path.name,
        "system": doc.get("system", "spanlab"),
        "seed": doc["config"]["train"]["seed"],
        "f1": {s: 100 * doc["f1"][s]["f1"] for s in SETS},
        "ci95": {s: [100 * x for x in doc["f1"][s]["ci95"]] for s in SETS},
        "f1_avg": 100 * doc["f1_avg"],
        "f1_by_step": {k: 100 * v for k, v in doc["f1_by_step"].items()},
    }


def inside(value: float, ci: list[float]) -> bool:
    """`value` (printed to one decimal, as the anchor is) within the CI, both rounded alike."""
    return round(ci[0], 1) <= round(value, 1) <= round(ci[1], 1)


def overlap(a: list[float], b: list[float]) -> bool:
    return round(a[0], 1) <= round(b[1], 1) and round(b[0], 1) <= round(a[1], 1)


def compare(anchor: dict[str, float], spanlab: list[dict], gliner: list[dict]) -> dict:
    checks = {}
    for run in spanlab + gliner:
        checks[f"anchor inside {run['system']} seed {run['seed']}'s CI"] = {
            s: inside(anchor[s], run["ci95"][s]) for s in SETS}
    for ours in spanlab:
        for ref in gliner:
            checks[f"spanlab seed {ours['seed']} inside gliner seed {ref['seed']}'s CI"] = {
                s: inside(ours["f1"][s], ref["ci95"][s]) for s in SETS}
            checks[f"spanlab seed {ours['seed']}'s CI overlaps gliner seed {ref['seed']}'s"] = {
                s: overlap(ours["ci95"][s], ref["ci95"][s]) for s in SETS}
    return checks


def table(by_step: dict[int, dict[str, float]], runs: list[dict], checks: dict) -> str:
    anchor = by_step[3000]
    short = {s: s.replace("CrossNER_", "").replace("mit-", "") for s in SETS}
    out = "F1 at 3,000 steps, threshold 0.5, flat; 95% bootstrap CI (1,000 resamples of sentences) in brackets.\n\n"
    out += "| run | " + " | ".join(short[s] for s in SETS) + " | average | F1 by step (1k / 2k / 3k) |\n"
    out += "|---|" + "---|" * (len(SETS) + 2) + "\n"
    out += ("| gliner seed 0 (ANCHOR-RESULTS.md) | " + " | ".join(f"{anchor[s]:.1f}" for s in SETS)
            + f" | {anchor['average']:.1f} | " + " / ".join(f"{by_step[k]['average']:.1f}" for k in sorted(by_step)) + " |\n")
    for run in runs:
        cells = [f"{run['f1'][s]:.1f} [{run['ci95'][s][0]:.1f}–{run['ci95'][s][1]:.1f}]" for s in SETS]
        steps = " / ".join(f"{v:.1f}" for _, v in sorted(run["f1_by_step"].items(), key=lambda kv: int(kv[0])))
        out += f"| {run['system']} seed {run['seed']} | " + " | ".join(cells) + f" | {run['f1_avg']:.1f} | {steps} |\n"
    out += "\n| check | " + " | ".join(short[s] for s in SETS) + " | sets passing |\n|---|" + "---|" * (len(SETS) + 1) + "\n"
    for name, row in checks.items():
        out += f"| {name} | " + " | ".join("yes" if row[s] else "**no**" for s in SETS) + f" | {sum(row.values())} of {len(SETS)} |\n"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--results", type=Path, default=ROOT / "benchmarks/results")
    p.add_argument("--anchor", type=Path, default=ROOT.parent / "shared/ANCHOR-RESULTS.md")
    p.add_argument("--spanlab", type=Path, nargs="*", help="default: ZS-MiniLM-spanlab-reference-*.json")
    p.add_argument("--gliner", type=Path, nargs="*", help="default: ZS-MiniLM-gliner-reference-*.json")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks/results")
    args = p.parse_args()
    spanlab_files = args.spanlab or sorted(args.results.glob("ZS-MiniLM-spanlab-reference-*.json"))
    gliner_files = args.gliner or sorted(args.results.glob("ZS-MiniLM-gliner-reference-*.json"))
    if not spanlab_files:
        raise SystemExit("no spanlab result under the paper's recipe: python benchmarks/zeroshot.py --recipe reference")
    by_step = read_anchor(args.anchor)
    anchor = by_step[3000]
    spanlab = sorted(map(read_run, spanlab_files), key=lambda r: r["seed"])
    gliner = sorted(map(read_run, gliner_files), key=lambda r: r["seed"])
    checks = compare(anchor, spanlab, gliner)
    doc = {"protocol": "ZS-MiniLM", "anchor_f1_by_step": by_step, "runs": gliner + spanlab,
           "checks": {name: {"inside": row, "count": sum(row.values())} for name, row in checks.items()},
           **machine_info()}
    write_results(args.out, f"FIDELITY-{datetime.date.today()}", doc, table(by_step, gliner + spanlab, checks))


if __name__ == "__main__":
    main()
