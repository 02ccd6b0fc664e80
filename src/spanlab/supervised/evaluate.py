"""Entity-level scoring of a fixed-label model on a labelled split, in character spans.

Gold is every span of the data (those the tokenizer cannot represent included: they are
misses), prediction is the model's decoding; a match needs start, end and label equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from spanlab.data.schema import Example
from spanlab.metrics.f1 import score
from spanlab.supervised.data import char_spans
from spanlab.supervised.encoding import TokenCollator, alignment_report


def evaluate(model, examples: Sequence[Example], batch_size: int = 16) -> dict[str, Any]:
    """{"p", "r", "f1", "tp", "fp", "fn", "per_type": {label: {..., "gold"}}, "unreachable_gold": {reason: n}}."""
    pred = model.predict_examples(examples, batch_size)
    gold = [set(char_spans(ex)) for ex in examples]
    result = score(gold, [{(a, b, label) for a, b, label, _ in spans} for spans in pred])
    per_type = {
        label: c.as_dict() | {"gold": c.tp + c.fn}
        for label, c in result.per_label.items()
    }
    # With windows on, the whole text is read: only spans no sub-token boundary fits stay out of reach.
    reach = TokenCollator(model.tokenizer, model.labels, None, model.spec.head) if model.spec.windows.enabled \
        else model.collator()
    return result.micro.as_dict() | {
        "sentences": len(examples),
        "per_type": per_type,
        "unreachable_gold": dict(alignment_report(reach, examples, batch_size)),
    }


def markdown_table(result: dict[str, Any], title: str) -> str:
    """Per-type P/R/F1 (in %) with gold counts, then the micro average."""
    lines = [f"### {title}", "", "| type | gold | P | R | F1 |", "|---|---:|---:|---:|---:|"]
    for label, c in result["per_type"].items():
        lines.append(f"| {label} | {c['gold']} | {100 * c['p']:.2f} | {100 * c['r']:.2f} | {100 * c['f1']:.2f} |")
    gold = result["tp"] + result["fn"]
    lines.append(f"| **micro** | {gold} | {100 * result['p']:.2f} | {100 * result['r']:.2f} | **{100 * result['f1']:.2f}** |")
    if result["unreachable_gold"]:
        lines += ["", "Gold spans no token span can represent (counted as misses): "
                  + ", ".join(f"{n} {reason}" for reason, n in result["unreachable_gold"].items())]
    return "\n".join(lines) + "\n"
