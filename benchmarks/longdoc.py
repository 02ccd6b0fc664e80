"""Long documents: F1 of a sentence-level CoNLL-2003 model on whole documents, with HDPE and with
sliding windows, against its per-sentence F1; time and peak memory per document length.

Documents are consecutive CoNLL-2003 test sentences joined until the next one would pass the
target length in encoder sub-tokens (2,048 / 4,096 / 8,192 by default); every test sentence is
in exactly one document of each length, so all rows score the same gold mentions.

- sentence: each sentence on its own (the model's training condition);
- hdpe:     each document in one pass, the position table stretched by HDPE (frozen, added at
            load time: the model never saw a position past 512 in training);
- window:   each document in windows of at most 384 words / 512 tokens, 64 words overlap, merged.

Each (method, length) runs in a fresh process so its peak resident memory is its own.

    python benchmarks/longdoc.py            # trains configs/gliner/conll03-minilm.yaml first if --model is missing

Writes benchmarks/results/LONGDOC-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

CONFIG = "configs/gliner/conll03-minilm.yaml"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared/data/supervised/conll2003"))
    p.add_argument("--model", default=str(ROOT / "runs/conll03-minilm/model"))
    p.add_argument("--lengths", type=int, nargs="+", default=[2048, 4096, 8192], help="document sub-tokens")
    p.add_argument("--overlap", type=int, default=64, help="words shared by neighbouring windows")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--max-sentences", type=int, default=None, help="first N test sentences (quick checks)")
    p.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    p.add_argument("--worker", nargs=2, metavar=("METHOD", "LENGTH"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        print(json.dumps(worker(args, args.worker[0], int(args.worker[1]))))
        return

    if not (Path(args.model) / "model.safetensors").is_file():
        train(args)
    runs = [run_worker(args, "sentence", 0)]
    for length in args.lengths:
        runs += [run_worker(args, "hdpe", length), run_worker(args, "window", length)]
    report(args, runs)


def train(args) -> None:
    out = Path(args.model).parent
    cmd = [sys.executable, "-m", "spanlab", "train", str(ROOT / CONFIG), "--set",
           f"data.train={Path(args.data) / 'train.json'}", "--set", f"train.output_dir={out}"]
    print("training:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT)


def run_worker(args, method: str, length: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, str(length), "--data", args.data, "--model", args.model,
           "--overlap", str(args.overlap), "--threads", str(args.threads)]
    if args.max_sentences:
        cmd += ["--max-sentences", str(args.max_sentences)]
    result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


# --------------------------------------------------------------------------- one measurement


def worker(args, method: str, length: int) -> dict:
    import torch

    from spanlab.config import LongPositionsConfig, WindowConfig
    from spanlab.data.readers import read_benchmark
    from spanlab.inference.windows import subtoken_counts
    from spanlab.metrics.f1 import score
    from spanlab.model import SpanModel

    torch.set_num_threads(args.threads)
    sentences, labels = read_benchmark(Path(args.data) / "test.json")
    sentences = sentences[: args.max_sentences]
    overrides = {"windows": WindowConfig(enabled=True, overlap=args.overlap)}
    if method == "hdpe":  # one pass per document: positions and max_len cover the longest one
        overrides |= {"long_positions": LongPositionsConfig("hdpe", max_positions=length + 64), "max_len": length}
    model = SpanModel.from_pretrained(args.model, **overrides)
    counts = subtoken_counts(model.tokenizer, sentences)
    if method == "sentence":
        docs, batch = sentences, 16
    else:
        docs, batch = build_documents(sentences, counts, length), 8
    doc_tokens = [sum(c) for c in subtoken_counts(model.tokenizer, docs)] if method != "sentence" else []
    base_rss = rss_mb()

    predictions, seconds = [], []
    with torch.inference_mode():
        if method == "sentence":
            t0 = time.perf_counter()
            predictions = model.predict_words(docs, labels, batch_size=batch)
            seconds = [time.perf_counter() - t0]
        else:
            for doc in docs:  # one document at a time, for the time per document
                t0 = time.perf_counter()
                predictions += model.predict_words([doc], labels, batch_size=batch)
                seconds.append(time.perf_counter() - t0)
    gold = [{(s.start, s.end, s.label) for s in d.spans} for d in docs]
    result = score(gold, [{(a, b, label) for a, b, label, _ in p} for p in predictions]).micro
    return {
        "method": method, "length": length, "f1": 100 * result.f1, "p": 100 * result.precision,
        "r": 100 * result.recall, "gold": result.tp + result.fn, "documents": len(docs),
        "doc_tokens": {"min": min(doc_tokens), "mean": sum(doc_tokens) / len(doc_tokens), "max": max(doc_tokens)}
        if doc_tokens else None,
        "seconds_total": sum(seconds), "seconds_per_document": sum(seconds) / len(docs),
        "rss_after_load_mb": base_rss, "peak_rss_mb": rss_mb(),
        "positions": model.max_tokens, "threshold": model.threshold,
    }


def build_documents(sentences, counts, length: int):
    """Consecutive sentences joined while the document stays within `length` sub-tokens."""
    from spanlab.data.schema import Example, Span

    docs, words, spans, tokens = [], [], [], 0

    def flush():
        docs.append(Example(words=list(words), spans=list(spans)))

    for ex, c in zip(sentences, counts):
        if words and tokens + sum(c) > length:
            flush()
            words, spans, tokens = [], [], 0
        spans += [Span(s.start + len(words), s.end + len(words), s.label) for s in ex.spans]
        words += ex.words
        tokens += sum(c)
    if words:
        flush()
    return docs


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- report


def report(args, runs: list[dict]) -> None:
    sentence = runs[0]
    by = {(r["method"], r["length"]): r for r in runs[1:]}
    doc = {
        **machine_info(threads=args.threads),
        "model": args.model,
        "data": args.data,
        "sentence_f1": sentence["f1"],
        "hdpe_f1": {str(n): by["hdpe", n]["f1"] for n in args.lengths},
        "window_f1": {str(n): by["window", n]["f1"] for n in args.lengths},
        "doc_tokens": {str(n): by["window", n]["doc_tokens"] for n in args.lengths},
        "within_1pt": {m: {str(n): abs(by[m, n]["f1"] - sentence["f1"]) <= 1.0 for n in args.lengths}
                       for m in ("hdpe", "window")},
        "window_overlap_words": args.overlap,
        "max_sentences": args.max_sentences,
        "command": " ".join(["python", "benchmarks/longdoc.py", *sys.argv[1:]]),
        "runs": runs,
    }
    rows = [
        "| method | target doc tokens | docs | tokens/doc (min–max) | F1 | Δ vs sentence | s/doc | peak RSS MB (after load) |",
        "|---|---|---|---|---|---|---|---|",
        f"| sentence | – | {sentence['documents']} sentences | – | {sentence['f1']:.2f} | – | "
        f"{sentence['seconds_per_document']:.4f} | {sentence['peak_rss_mb']:.0f} ({sentence['rss_after_load_mb']:.0f}) |",
    ]
    for n in args.lengths:
        for m in ("hdpe", "window"):
            r = by[m, n]
            t = r["doc_tokens"]
            rows.append(
                f"| {m} | {n} | {r['documents']} | {t['min']}–{t['max']} | {r['f1']:.2f} | {r['f1'] - sentence['f1']:+.2f} | "
                f"{r['seconds_per_document']:.2f} | {r['peak_rss_mb']:.0f} ({r['rss_after_load_mb']:.0f}) |"
            )
    note = (
        f"\n\nModel: {args.model} (GLiNER, all-MiniLM-L6-v2, trained on CoNLL-2003 sentences with {CONFIG}); "
        f"labels {json.dumps(json.loads((Path(args.data) / 'labels.json').read_text()))}; gold mentions "
        f"{sentence['gold']} in the first {sentence['documents']} test sentences; threshold {sentence['threshold']}, "
        f"flat decoding. HDPE is frozen and added at load "
        f"time only; windows overlap by {args.overlap} words. Time is wall-clock per document at {args.threads} threads."
    )
    stem = f"LONGDOC-{datetime.date.today().isoformat()}"
    write_results(Path(args.out), stem, doc, "\n".join(rows) + note)


if __name__ == "__main__":
    main()
