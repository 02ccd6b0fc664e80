"""Inference speed and F1: spanlab (torch fp32, ONNX fp32, ONNX int8) vs the gliner library, same weights.

    python benchmarks/infer.py --model benchmarks/.work/zeroshot/spanlab/model

Protocol ZS-MiniLM's inference part (shared/BENCHMARK.md): the test sentences of CrossNER_AI and
CrossNER_politics, each set's labels (lower-cased), threshold 0.5, flat decoding, batch 8 and 32,
threads 1 and 2; per configuration one process (so peak RSS is that system's alone), one warm-up
pass over 64 sentences per set, then the median of 3 timed passes over all sentences. The
reference runs in its own venv (`benchmarks/reference/gliner_infer.py`) on the same weights,
copied tensor by tensor from the spanlab checkpoint.

F1: every system's character-offset entities are scored by one scorer (spanlab.metrics) against
the gold `pos` offsets: entity-level micro F1 per set, then the mean of the sets.

Writes benchmarks/results/INFER-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_info, write_results  # noqa: E402

SYSTEMS = {  # name → how to run it
    "gliner 0.2.29": "reference",
    "spanlab torch fp32": "torch",
    "spanlab onnx fp32": "onnx",
    "spanlab onnx int8": "onnx-int8",
}


def load_sets(data: Path, names: list[str]) -> list[tuple[str, list[str], list[str], list[set]]]:
    """(name, sentences, lower-cased labels, gold {(start, end, type)} per sentence) for each set."""
    sets = []
    for name in names:
        records = json.loads((data / name / "test.json").read_text(encoding="utf-8"))
        labels = [label.lower() for label in json.loads((data / name / "labels.json").read_text(encoding="utf-8"))]
        gold = [{(e["pos"][0], e["pos"][1], e["type"].lower()) for e in r["entities"]} for r in records]
        sets.append((name, [r["sentence"] for r in records], list(dict.fromkeys(labels)), gold))
    return sets


def worker(args) -> None:
    """One spanlab configuration in this process; prints the same JSON as gliner_infer.py."""
    import torch

    from spanlab.inference.onnx_model import load_model

    torch.set_num_threads(args.threads)
    path = args.model if args.worker == "torch" else args.onnx_dir
    model = load_model(path, args.worker, threads=args.threads)
    sets = load_sets(args.data, args.sets)

    def run(limit=None):
        return {name: model.predict(texts[:limit], labels, 0.5, True, batch_size=args.batch)
                for name, texts, labels, _ in sets}

    run(64)  # warm-up
    seconds, found = [], None
    for _ in range(args.runs):
        start = time.perf_counter()
        found = run()
        seconds.append(time.perf_counter() - start)
    predictions = {name: [[[e["start"], e["end"], e["label"]] for e in ents] for ents in found[name]]
                   for name, *_ in sets}
    peak_mb = peak_rss_mb()
    json.dump({"seconds": seconds, "median_s": statistics.median(seconds), "peak_rss_mb": peak_mb,
               "predictions": predictions}, sys.stdout)


def run_config(kind: str, batch: int, threads: int, args) -> dict:
    common = ["--data", str(args.data), "--sets", *args.sets, "--batch", str(batch), "--threads", str(threads),
              "--runs", str(args.runs)]
    if kind == "reference":
        cmd = [str(args.gliner_python), str(ROOT / "benchmarks" / "reference" / "gliner_infer.py"),
               "--weights", str(args.model), *common]
    else:
        cmd = [sys.executable, __file__, "--worker", kind, "--model", str(args.model), "--onnx-dir",
               str(args.onnx_dir), *common]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def f1_of(sets, predictions: dict) -> tuple[float, dict]:
    from spanlab.metrics.f1 import score

    per_set = {}
    for name, _, _, gold in sets:
        pred = [{tuple(e) for e in sentence} for sentence in predictions[name]]
        per_set[name] = score(gold, pred).micro.as_dict()
    return statistics.mean(s["f1"] for s in per_set.values()), per_set


def markdown(rows: list[dict], agreement: dict, words: int, sentences: int, runs: int) -> str:
    lines = [
        f"Protocol ZS-MiniLM inference: {sentences:,} sentences ({words:,} words) of CrossNER_AI + CrossNER_politics, "
        f"threshold 0.5, flat; median of {runs} timed passes after a warm-up; one process per row. "
        "All systems run the same weights (the spanlab checkpoint; gliner loads a tensor-by-tensor copy).",
        "",
        "| system | batch | threads | words/s | sentences/s | × gliner | F1 avg | peak RSS MiB | pass spread |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['system']} | {r['batch']} | {r['threads']} | {r['words_per_s']:,.0f} | {r['sentences_per_s']:.1f} "
            f"| {r['speedup_vs_gliner']:.2f} | {100 * r['f1_avg']:.2f} | {r['peak_rss_mb']:,.0f} "
            f"| {(max(r['seconds']) - min(r['seconds'])) / statistics.median(r['seconds']):.0%} |"
        )
    lines += ["", "Entities identical to another system's (all sentences, the first configuration):", ""]
    lines += [f"- {pair}: {'yes' if same else 'no'}" for pair, same in agreement.items()]
    return "\n".join(lines)


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; getrusage's maxrss would carry the parent's over exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", type=Path, required=True, help="a trained spanlab model folder (protocol ZS-MiniLM)")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "zeroshot")
    p.add_argument("--sets", nargs="+", default=["CrossNER_AI", "CrossNER_politics"])
    p.add_argument("--onnx-dir", type=Path, default=ROOT / "benchmarks" / ".work" / "infer-onnx")
    p.add_argument("--configs", nargs="+", default=["8x1", "32x2", "32x1", "8x2"],
                   help="BATCHxTHREADS to run, in this order (the issue's targets first)")
    p.add_argument("--threads", type=int, nargs="+", default=[1], help=argparse.SUPPRESS)  # a worker's threads
    p.add_argument("--systems", nargs="+", default=list(SYSTEMS), choices=list(SYSTEMS))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--gliner-python", type=Path, default=ROOT / "benchmarks" / ".work" / "gliner-venv" / "bin" / "python",
                   help="the reference venv's interpreter (bash benchmarks/reference/setup.sh)")
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    p.add_argument("--tag", default="", help="appended to the result file name (a repeat in the same sitting)")
    p.add_argument("--worker", choices=["torch", "onnx", "onnx-int8"], help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.threads = args.threads[0]
        return worker(args)

    from spanlab.inference.onnx_export import export_onnx
    from spanlab.model import CONFIG_NAME, _read_json, saved_config

    pooling = saved_config(_read_json(args.model / CONFIG_NAME), args.model, {}).label_pooling
    if "gliner 0.2.29" in args.systems and pooling != "ent":
        sys.exit(f"{args.model}: label_pooling is {pooling!r}; gliner reads a label at its <<ENT>> token only, so it "
                 "cannot run these weights. Pick a model trained with label_pooling: ent, or leave gliner out.")
    if any(SYSTEMS[s].startswith("onnx") for s in args.systems):
        export_onnx(args.model, args.onnx_dir, int8=True)
    sets = load_sets(args.data, args.sets)
    sentences = sum(len(texts) for _, texts, _, _ in sets)
    words = sum(len(t.split()) for _, texts, _, _ in sets for t in texts)
    rows, predictions = [], {}
    for config in args.configs:
        batch, threads = (int(x) for x in config.split("x"))
        for system in args.systems:
            out = run_config(SYSTEMS[system], batch, threads, args)
            f1_avg, per_set = f1_of(sets, out["predictions"])
            predictions[(system, batch, threads)] = out["predictions"]
            rows.append({"system": system, "batch": batch, "threads": threads,
                         "words_per_s": words / out["median_s"], "sentences_per_s": sentences / out["median_s"],
                         "f1_avg": f1_avg, "f1": per_set, "peak_rss_mb": out["peak_rss_mb"],
                         "seconds": out["seconds"]})
            print(f"{system:22s} batch {batch:2d} threads {threads}: {rows[-1]['words_per_s']:8.0f} words/s  "
                  f"F1 {100 * f1_avg:.2f}  peak RSS {out['peak_rss_mb']:.0f} MiB", flush=True)
        report(args, rows, predictions, sentences, words)  # after every configuration: a partial run still reports


def report(args, rows: list[dict], predictions: dict, sentences: int, words: int) -> None:
    for r in rows:
        ref = next((x for x in rows if x["system"] == "gliner 0.2.29" and x["batch"] == r["batch"]
                    and x["threads"] == r["threads"]), None)
        r["speedup_vs_gliner"] = r["words_per_s"] / ref["words_per_s"] if ref else float("nan")
    first = (rows[0]["batch"], rows[0]["threads"])
    agreement = {f"{a} vs {b}": predictions[(a, *first)] == predictions[(b, *first)]
                 for a, b in (("spanlab torch fp32", "gliner 0.2.29"), ("spanlab onnx fp32", "spanlab torch fp32"),
                              ("spanlab onnx int8", "spanlab torch fp32"))
                 if (a, *first) in predictions and (b, *first) in predictions}
    info = machine_info(configs=args.configs)
    info["versions"]["onnxruntime"] = __import__("onnxruntime").__version__
    doc = {"protocol": "ZS-MiniLM inference", **info, "model": str(args.model), "sets": args.sets,
           "sentences": sentences, "words": words, "runs": args.runs, "same_entities": agreement, "rows": rows}
    write_results(args.out, f"INFER-{datetime.date.today()}{args.tag}", doc, markdown(rows, agreement, words, sentences, args.runs))


if __name__ == "__main__":
    main()
