"""Why long documents lose recall: the same test sentences, read alone and k at a time.

    python benchmarks/context_recall.py [--model M] [--sentences 600] [--group 2 4 8]

The LONGDOC windows hold several consecutive sentences each. Here the first N CoNLL-2003 test
sentences are predicted alone, then joined k at a time (a space between, as LONGDOC builds its
documents); each sentence's entities are scored in its own slot of the joined text. If recall
falls in the first slot too, the loss comes from the extra context, not from positions far
from the start. Writes benchmarks/results/CONTEXT-RECALL-<date>.json and .md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_info, write_results  # noqa: E402

DEFAULT_MODEL = ROOT / "benchmarks/.work/egp-conll03/egp-seed0/model"


def recall(found: list[set], gold: list[set]) -> float:
    return sum(len(f & g) for f, g in zip(found, gold)) / max(1, sum(len(g) for g in gold))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="an EGP/GP model trained on CoNLL-2003")
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/supervised/conll2003")
    p.add_argument("--sentences", type=int, default=600, help="first N test sentences")
    p.add_argument("--group", type=int, nargs="+", default=[2, 4, 8], help="sentences per joined text")
    p.add_argument("--max-span-tokens", type=int, default=13, help="as LONGDOC: the longest train entity")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=ROOT / "benchmarks/results")
    p.add_argument("--tag", default="", help="appended to the result file name (another model, same day)")
    args = p.parse_args()

    import torch
    from longdoc import load_model

    from spanlab.data.readers import ReadReport
    from spanlab.supervised.data import char_spans, read_benchmark_chars

    torch.set_num_threads(args.threads)
    sentences = read_benchmark_chars(str(args.data / "test.json"), ReadReport())[: args.sentences]
    texts = [s.text for s in sentences]
    gold = [set(char_spans(s)) for s in sentences]
    _, predict_batch, _ = load_model(str(args.model), args.data, "sentence", 0, {"max_span_tokens": args.max_span_tokens})

    def predict(batch_texts: list[str]) -> list[set]:
        with torch.inference_mode():
            return [set(spans) for spans in predict_batch(batch_texts, 16)]

    alone = predict(texts)
    rows = [{"group": 1, "recall": recall(alone, gold), "recall_by_slot": [recall(alone, gold)]}]
    for k in args.group:
        groups = [list(range(i, min(i + k, len(texts)))) for i in range(0, len(texts), k)]
        joined = predict([" ".join(texts[j] for j in g) for g in groups])
        found_by_slot: list[list[set]] = [[] for _ in range(k)]
        gold_by_slot: list[list[set]] = [[] for _ in range(k)]
        for members, found in zip(groups, joined):
            shift = 0
            for slot, j in enumerate(members):
                end = shift + len(texts[j])
                found_by_slot[slot].append({(a - shift, b - shift, lab) for a, b, lab in found if shift <= a < end})
                gold_by_slot[slot].append(gold[j])
                shift = end + 1
        everything = [f for slot in found_by_slot for f in slot], [g for slot in gold_by_slot for g in slot]
        rows.append({"group": k, "recall": recall(*everything),
                     "recall_by_slot": [recall(f, g) for f, g in zip(found_by_slot, gold_by_slot)]})
        print(f"{k} sentences per text: recall {100 * rows[-1]['recall']:.1f}", flush=True)

    lines = [
        (f"EGP model `{args.model}`; first {len(texts)} CoNLL-2003 test sentences, predicted alone and joined k at "
         "a time; recall of exact character spans, per slot of the joined text."),
        "",
        "| sentences per text | recall | recall by slot (1st, 2nd, …) |",
        "|---|---|---|",
    ]
    lines += [f"| {r['group']} | {100 * r['recall']:.1f} | {' · '.join(f'{100 * x:.1f}' for x in r['recall_by_slot'])} |"
              for r in rows]
    doc = {"protocol": "context recall (LONGDOC diagnostic)", "model": str(args.model), "sentences": len(texts),
           "rows": rows, **machine_info(threads=args.threads)}
    write_results(args.out, f"CONTEXT-RECALL-{datetime.date.today()}{args.tag}", doc, "\n".join(lines))


if __name__ == "__main__":
    main()
