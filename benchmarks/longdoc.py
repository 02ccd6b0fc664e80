"""Long documents: F1 of a CoNLL-2003 model on whole documents, with sliding windows and with
HDPE, against its own per-sentence F1; time and peak memory per document length.

Documents are consecutive CoNLL-2003 test sentences (dev with --split dev; both keep the order of
their news articles) joined with a space until the next one would pass the target length in encoder
sub-tokens (2,048 / 4,096 / 8,192 by default); every test sentence is in exactly one document
of each length, so all rows score the same gold mentions. Scoring is entity-level exact match
on character spans.

- sentence: each sentence on its own (how the model was trained and is usually scored);
- window:   each document in overlapping windows of whole words that fit the model's `max_len`
            (or --window-tokens), merged (spanlab.inference.windows);
- hdpe:     each document in one pass, the encoder's 512-row position table stretched by HDPE
            (frozen). Added at load time, it gives the model positions it never saw; a model
            trained with `long_positions: {method: hdpe, train_skip: true}` has seen them all.
            --alpha sets HDPE's alpha at load time (choose it on --split dev, not on test).

The default model is the Efficient GlobalPointer that `python benchmarks/egp_conll03.py --steps 600`
trains (all-MiniLM-L6-v2, CoNLL-2003 sentences); any spanlab model folder works (--model), a
GLiNER one prompted with the CoNLL labels. Each (method, length) runs in a fresh process so its
peak resident memory is its own.

    python benchmarks/longdoc.py [--model runs/x/model] [--max-sentences 1500]
    python benchmarks/longdoc.py --split dev --alpha 0.1 --lengths 2048 --tag=-dev-a0.1 --out /tmp/ld

Writes benchmarks/results/LONGDOC-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine_info, write_results  # noqa: E402

DEFAULT_MODEL = ROOT / "benchmarks/.work/egp-conll03/egp-seed0/model"  # written by benchmarks/egp_conll03.py


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=str(ROOT.parent / "shared/data/supervised/conll2003"))
    p.add_argument("--model", default=str(DEFAULT_MODEL))
    p.add_argument("--lengths", type=int, nargs="+", default=[2048, 4096, 8192], help="document sub-tokens")
    p.add_argument("--overlap", type=int, default=32, help="words shared by neighbouring windows")
    p.add_argument("--window-tokens", type=int, default=None, help="window size in sub-tokens (default: max_len)")
    p.add_argument("--max-span-tokens", type=int, default=None,
                   help="egp/gp: longest entity decoded, in sub-tokens (default: the longest in train.json; 0: any)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tag", default="", help="appended to the result file name (another model, same day)")
    p.add_argument("--max-sentences", type=int, default=None, help="first N sentences (quick checks)")
    p.add_argument("--split", default="test", choices=["test", "dev"],
                   help="sentences the documents are built from (dev: for choosing settings such as --alpha)")
    p.add_argument("--alpha", type=float, default=None,
                   help="HDPE alpha at load time (default: the model's own long_positions.alpha)")
    p.add_argument("--out", default=str(ROOT / "benchmarks/results"))
    p.add_argument("--worker", nargs=2, metavar=("METHOD", "LENGTH"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if not (Path(args.model) / "model.safetensors").is_file():
        sys.exit(f"{args.model}: no model; train one with `python benchmarks/egp_conll03.py --steps 600` "
                 "or pass --model")
    if args.worker:
        print(json.dumps(worker(args, args.worker[0], int(args.worker[1]))))
        return
    load = os.getloadavg()[0]
    if args.max_span_tokens is None:
        args.max_span_tokens = longest_train_entity(args)
    runs = [run_worker(args, "sentence", 0)]
    for length in args.lengths:
        runs += [run_worker(args, "window", length), run_worker(args, "hdpe", length)]
    report(args, runs, load)


def run_worker(args, method: str, length: int) -> dict:
    cmd = [sys.executable, __file__, "--worker", method, str(length), "--data", args.data, "--model", args.model,
           "--overlap", str(args.overlap), "--threads", str(args.threads), "--max-span-tokens", str(args.max_span_tokens)]
    cmd += ["--max-sentences", str(args.max_sentences)] if args.max_sentences else []
    cmd += ["--window-tokens", str(args.window_tokens)] if args.window_tokens else []
    cmd += ["--split", args.split] + (["--alpha", str(args.alpha)] if args.alpha is not None else [])
    result = json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


# --------------------------------------------------------------------------- one measurement


def worker(args, method: str, length: int) -> dict:
    import torch

    from spanlab.config import WindowConfig
    from spanlab.data.readers import ReadReport
    from spanlab.metrics.f1 import score
    from spanlab.supervised.data import char_spans, read_benchmark_chars

    torch.set_num_threads(args.threads)
    sentences = read_benchmark_chars(str(Path(args.data) / f"{args.split}.json"), ReadReport())[: args.max_sentences]
    texts = [ex.text for ex in sentences]
    gold_spans = [char_spans(ex) for ex in sentences]
    overrides = {"windows": WindowConfig(enabled=method != "hdpe", overlap=args.overlap)}
    if method == "window" and args.window_tokens:
        overrides["max_len"] = args.window_tokens
    if json.loads((Path(args.model) / "config.json").read_text(encoding="utf-8"))["architecture"] in ("egp", "gp"):
        overrides["max_span_tokens"] = args.max_span_tokens
    model, predict, tokens_of = load_model(args.model, Path(args.data), method, length, overrides, args.alpha)
    if method == "sentence":
        docs, gold, batch = texts, gold_spans, 16
    else:
        docs, gold = build_documents(texts, gold_spans, tokens_of, length)
        batch = 1
    doc_tokens = [tokens_of(d) for d in docs] if method != "sentence" else []
    base_rss = rss_mb()

    predictions, seconds = [], []
    with torch.inference_mode():
        if method == "sentence":
            t0 = time.perf_counter()
            predictions = predict(docs, batch)
            seconds = [time.perf_counter() - t0]
        else:
            for doc in docs:  # one document at a time, for the time per document
                t0 = time.perf_counter()
                predictions += predict([doc], batch)
                seconds.append(time.perf_counter() - t0)
    result = score([set(g) for g in gold], [set(p) for p in predictions]).micro
    return {
        "method": method, "length": length, "f1": 100 * result.f1, "p": 100 * result.precision,
        "r": 100 * result.recall, "gold": result.tp + result.fn, "documents": len(docs),
        "doc_tokens": {"min": min(doc_tokens), "mean": sum(doc_tokens) / len(doc_tokens), "max": max(doc_tokens)}
        if doc_tokens else None,
        "seconds_total": sum(seconds), "seconds_per_document": sum(seconds) / len(docs),
        "rss_after_load_mb": base_rss, "peak_rss_mb": rss_mb(), "max_len": model.spec.max_len,
        "hdpe_alpha": model.spec.long_positions.alpha if method == "hdpe" else None,
    }


def load_model(path: str, data: Path, method: str, length: int, overrides: dict, alpha: float | None = None):
    """(model, predict(texts, batch) → character spans per text, tokens(text) → sub-tokens)."""
    from spanlab.config import LongPositionsConfig
    from spanlab.data.schema import Example

    meta = json.loads((Path(path) / "config.json").read_text(encoding="utf-8"))
    arch = meta["architecture"]
    # HDPE over the document's length; the rest of the model's own long_positions (its
    # attention band, say) stays as trained.
    own = meta["model"].get("long_positions", {})
    stretched = LongPositionsConfig(**{**own, "method": "hdpe", "max_positions": length + 64,
                                       "alpha": own.get("alpha", 0.4) if alpha is None else alpha})
    if arch == "gliner":
        from spanlab.model import SpanModel

        if method == "hdpe":  # one pass per document: positions and max_len (words) cover the longest one
            overrides |= {"long_positions": stretched, "max_len": length}
        model = SpanModel.from_pretrained(path, **overrides)
        labels = json.loads((data / "labels.json").read_text(encoding="utf-8"))

        def predict(texts, batch):
            return [[(e["start"], e["end"], e["label"]) for e in ents] for ents in model.predict(texts, labels, batch_size=batch)]
    else:
        from spanlab.supervised.model import FixedLabelModel

        if method == "hdpe":  # max_len counts [CLS] and [SEP]
            overrides |= {"long_positions": stretched, "max_len": length + 64}
        model = FixedLabelModel.from_pretrained(path, **overrides)

        def predict(texts, batch):
            found = model.predict_examples([Example(words=[], text=t) for t in texts], batch)
            return [[(a, b, label) for a, b, label, _ in spans] for spans in found]

    def tokens(text: str) -> int:
        return len(model.tokenizer(text, add_special_tokens=False).input_ids)

    return model, predict, tokens


def longest_train_entity(args) -> int:
    """Sub-tokens of the longest gold entity in the training split: the model never saw a longer one."""
    from spanlab.data.readers import ReadReport
    from spanlab.supervised.data import char_spans, read_benchmark_chars
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    train = read_benchmark_chars(str(Path(args.data) / "train.json"), ReadReport())
    names = [ex.text[a:b] for ex in train for a, b, _ in char_spans(ex)]
    return max(len(ids) for ids in tokenizer(names, add_special_tokens=False).input_ids)


def build_documents(texts, gold, tokens_of, length: int):
    """Consecutive sentences joined by a space while the document stays within `length` sub-tokens;
    gold character spans shifted into the document."""
    docs, doc_gold = [], []
    text, spans, tokens = None, [], 0
    for sentence, sentence_gold in zip(texts, gold):
        n = tokens_of(sentence)
        if text is not None and tokens + n > length:
            docs.append(text)
            doc_gold.append(spans)
            text, spans, tokens = None, [], 0
        shift = 0 if text is None else len(text) + 1
        text = sentence if text is None else f"{text} {sentence}"
        spans = spans + [(a + shift, b + shift, label) for a, b, label in sentence_gold]
        tokens += n
    if text is not None:
        docs.append(text)
        doc_gold.append(spans)
    return docs, doc_gold


def rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- report


def model_note(path: Path) -> str:
    """What the model is and how it was trained, from its folder and its run folder."""
    meta = json.loads((path / "config.json").read_text(encoding="utf-8"))
    spec = meta["model"]
    unit = "words" if meta["architecture"] == "gliner" else "sub-tokens"
    note = (f"{meta['architecture']} head over encoder {spec['encoder']!r} (\"default\" = all-MiniLM-L6-v2), "
            f"max_len {spec['max_len']} {unit}")
    from spanlab.config import load_config

    summary = path.parent / "train_summary.json"
    if summary.is_file():
        s = json.loads(summary.read_text(encoding="utf-8"))
        note += f"; trained {s['steps']} steps on CoNLL-2003 train sentences"
        run_config = path.parent / "config.yaml"
        cfg = load_config(run_config) if run_config.is_file() else None
        if cfg and cfg.data.pack_sentences > 1:
            note += f", packed 1–{cfg.data.pack_sentences} consecutive sentences per example (data.pack_sentences)"
        positions = cfg.model.long_positions if cfg else None
        if positions and positions.method == "hdpe":
            note += (f", with HDPE over {positions.max_positions} positions "
                     f"({'trainable' if positions.trainable else 'frozen'} table)")
        if positions and positions.train_skip:
            note += ", position ids skipped at random up to that limit (long_positions.train_skip)"
        if positions and positions.attention_band:
            note += (f", attention banded to ±{positions.attention_band} tokens "
                     "(long_positions.attention_band; also in every row below)")
        if s.get("best_checkpoint"):
            note += f", best dev checkpoint {Path(s['best_checkpoint']).name}"
    return note


def report(args, runs: list[dict], load: float) -> None:
    sentence = runs[0]
    by = {(r["method"], r["length"]): r for r in runs[1:]}
    doc = {
        **machine_info(threads=args.threads),
        "model": args.model,
        "model_note": model_note(Path(args.model)),
        "data": args.data,
        "split": args.split,
        "sentence_f1": sentence["f1"],
        "hdpe_f1": {str(n): by["hdpe", n]["f1"] for n in args.lengths},
        "window_f1": {str(n): by["window", n]["f1"] for n in args.lengths},
        "doc_tokens": {str(n): by["window", n]["doc_tokens"] for n in args.lengths},
        "within_1pt": {m: {str(n): abs(by[m, n]["f1"] - sentence["f1"]) <= 1.0 for n in args.lengths}
                       for m in ("window", "hdpe")},
        "window_overlap_words": args.overlap,
        "max_span_tokens": args.max_span_tokens,
        "max_sentences": args.max_sentences,
        "load_average_at_start": load,
        "command": " ".join(["python", "benchmarks/longdoc.py", *sys.argv[1:]]),
        "runs": runs,
    }
    rows = [
        "| method | target doc tokens | docs | tokens/doc (min–max) | P | R | F1 | Δ vs sentence | s/doc | peak RSS MB (after load) |",
        "|---|---|---|---|---|---|---|---|---|---|",
        f"| sentence | – | {sentence['documents']} sentences | – | {sentence['p']:.2f} | {sentence['r']:.2f} | "
        f"{sentence['f1']:.2f} | – | {sentence['seconds_per_document']:.3f} | "
        f"{sentence['peak_rss_mb']:.0f} ({sentence['rss_after_load_mb']:.0f}) |",
    ]
    for n in args.lengths:
        for m in ("window", "hdpe"):
            r = by[m, n]
            t = r["doc_tokens"]
            rows.append(
                f"| {m} | {n} | {r['documents']} | {t['min']}–{t['max']} | {r['p']:.2f} | {r['r']:.2f} | {r['f1']:.2f} | "
                f"{r['f1'] - sentence['f1']:+.2f} | {r['seconds_per_document']:.2f} | "
                f"{r['peak_rss_mb']:.0f} ({r['rss_after_load_mb']:.0f}) |"
            )
    window = by["window", args.lengths[0]]["max_len"]
    note = (
        f"\n\nModel: {args.model}: {doc['model_note']}. Gold: {sentence['gold']} mentions in the first "
        f"{sentence['documents']} {args.split} sentences, scored as exact character spans. Windows: at most {window} "
        f"sub-tokens each, {args.overlap} words shared by neighbours, each window keeping the spans that start in "
        f"its half of an overlap. Longest entity decoded (egp/gp): {args.max_span_tokens} sub-tokens, the longest "
        f"gold entity in train.json (0: any length). HDPE: frozen, added at load time (alpha {by['hdpe', args.lengths[0]]['hdpe_alpha']}), one pass per document. The "
        f"sentence row's s/doc is per sentence. Time is wall-clock per document at {args.threads} threads; load "
        f"average {load:.2f} at the start."
    )
    stem = f"LONGDOC-{datetime.date.today().isoformat()}{args.tag}"
    write_results(Path(args.out), stem, doc, "\n".join(rows) + note)


if __name__ == "__main__":
    main()
