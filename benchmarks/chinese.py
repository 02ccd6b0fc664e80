"""CHINESE-EGP: Efficient GlobalPointer on CLUENER (dev), Resume (test) and Weibo (test) with the
OFFLINE character encoder (a randomly initialised BERT over the training characters, size from
the configs: 4 layers, width 256). No Chinese pretrained weights exist offline, so these figures
are far below published bert-base-chinese ones (CLUENER dev: CRF 79.51, GP 80.03, EGP 80.66) and
are context for the code path, not a comparison.

    python benchmarks/chinese.py                          # all three, configs/globalpointer/*-egp.yaml
    python benchmarks/chinese.py --sets weibo --data ../shared/data

Writes benchmarks/results/CHINESE-EGP-<date><tag>.json and .md (rewritten after each set).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

SETS = {  # name: (config, reported split, {config key: file under data/supervised})
    "cluener": ("cluener-egp.yaml", "dev", {"data.train": "[{d}/cluener/train.json]", "data.test": "{d}/cluener/dev.json"}),
    "resume": ("resume-egp.yaml", "test", {"data.train": "[{d}/resume/train.char.bmes]",
                                           "data.dev": "{d}/resume/dev.char.bmes", "data.test": "{d}/resume/test.char.bmes"}),
    "weibo": ("weibo-egp.yaml", "test", {"data.train": "[{d}/weibo/weiboNER_2nd_conll.train]",
                                         "data.dev": "{d}/weibo/weiboNER_2nd_conll.dev",
                                         "data.test": "{d}/weibo/weiboNER_2nd_conll.test"}),
}


def run(name: str, args) -> dict:
    from spanlab.config import load_config
    from spanlab.training.recipe import train

    config, split, paths = SETS[name]
    out = Path(args.work) / name
    supervised = Path(args.data) / "supervised"
    overrides = [f"{k}={v.format(d=supervised)}" for k, v in paths.items()]
    overrides += [f"train.output_dir={out}", f"train.threads={args.threads}", f"train.seed={args.seed}"]
    cfg = load_config(ROOT / "configs" / "globalpointer" / config, overrides)
    train(cfg)
    result = json.loads((out / "eval" / "test.json").read_text(encoding="utf-8"))
    summary = json.loads((out / "train_summary.json").read_text(encoding="utf-8"))
    enc = cfg.model.char_encoder
    return {"reported_split": split, "f1": result["f1"], "result": result, "steps": summary["steps"],
            "encoder": f"random character BERT, {enc.layers} layers × width {enc.width}, {enc.heads} heads",
            "batch_size": cfg.train.batch_size, "lr_encoder": cfg.train.lr_encoder, "lr_head": cfg.train.lr_others,
            "selection": "best dev checkpoint" if cfg.data.dev else "last checkpoint (no dev set)"}


def table(doc: dict) -> str:
    lines = ["| set | split | F1 | P | R | gold | steps | checkpoint | encoder |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for name, r in doc["sets"].items():
        res = r["result"]
        lines.append(f"| {name} | {r['reported_split']} | **{100 * res['f1']:.2f}** | {100 * res['p']:.2f} | "
                     f"{100 * res['r']:.2f} | {res['tp'] + res['fn']} | {r['steps']} | {r['selection']} | {r['encoder']} |")
    from spanlab.supervised.evaluate import markdown_table

    for name, r in doc["sets"].items():
        lines += ["", markdown_table(r["result"], f"{name} {r['reported_split']}: per type")]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--sets", nargs="+", choices=list(SETS), default=list(SETS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--work", default=str(ROOT / "benchmarks" / ".work" / "chinese"))
    parser.add_argument("--tag", default="", help="suffix of the result file name, e.g. -resume")
    args = parser.parse_args()

    stem = f"CHINESE-EGP-{datetime.date.today().isoformat()}{args.tag}"
    doc = {"protocol": "CHINESE-EGP", **machine_info(threads=args.threads), "seed": args.seed, "sets": {}}
    for name in args.sets:
        doc["sets"][name] = run(name, args)
        doc["f1"] = {n: r["f1"] for n, r in doc["sets"].items()}
        write_results(ROOT / "benchmarks" / "results", stem, doc, table(doc))


if __name__ == "__main__":
    main()
