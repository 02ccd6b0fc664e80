"""Compare an exported ONNX graph with the PyTorch model it came from.

    check_onnx("runs/x/model", "runs/x/onnx")  → {"max_abs_logit_diff": 2e-06, "same_entities": True, ...}

Logits are compared over real (span, label) cells only (padding cells hold no meaning);
entities are compared after the full predict path of each backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from spanlab.data.collate import SpanCollator
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.inference.onnx_export import INPUT_NAMES, LogitsGraph
from spanlab.inference.onnx_model import OnnxSpanModel
from spanlab.model import SpanModel

CHECK_TEXTS = [
    "Ada Lovelace was born in London in 1815 .",
    "The European Union and Microsoft signed an agreement in Brussels on Monday .",
    "Geoffrey Hinton , Yann LeCun and Yoshua Bengio received the Turing Award for deep learning .",
    "Paris .",
    "In 2019 , the Labour Party lost the general election to Boris Johnson 's Conservatives , who won 365 seats "
    "in the House of Commons , their largest majority since 1987 under Margaret Thatcher .",
]
CHECK_LABELS = ["person", "organization", "location", "date", "award", "field", "political party", "event"]


def check_onnx(
    model_dir: str | Path,
    onnx_dir: str | Path,
    int8: bool = False,
    texts: Sequence[str] = CHECK_TEXTS,
    labels: Sequence[str] = CHECK_LABELS,
    threshold: float | None = None,
) -> dict:
    """Max |logit difference| over real cells, and whether both backends return identical entities."""
    torch_model = SpanModel.from_pretrained(model_dir)
    onnx_model = OnnxSpanModel.from_pretrained(onnx_dir, int8=int8)
    labels = list(labels)[: torch_model.spec.max_types]
    examples = [Example(words=split_words(t)[0]) for t in texts]
    collator = SpanCollator(torch_model.tokenizer, torch_model.spec.max_width, torch_model.spec.max_len)
    inputs = collator.encode(examples, [labels] * len(examples))
    with torch.inference_mode():
        expected = LogitsGraph(torch_model)(*(inputs[k] for k in INPUT_NAMES))
        mask = torch_model(**inputs)["mask"]
    found = onnx_model.logits(inputs)
    diff = (found - expected).abs().masked_fill(~mask, 0.0)
    ents_torch = torch_model.predict(texts, labels, threshold)
    ents_onnx = onnx_model.predict(texts, labels, threshold)
    return {
        "graph": "int8" if int8 else "fp32",
        "texts": len(texts),
        "max_abs_logit_diff": float(diff.max()),
        "entities_torch": sum(map(len, ents_torch)),
        "entities_onnx": sum(map(len, ents_onnx)),
        "same_entities": [[(e["start"], e["end"], e["label"]) for e in t] for t in ents_torch]
        == [[(e["start"], e["end"], e["label"]) for e in t] for t in ents_onnx],
    }
