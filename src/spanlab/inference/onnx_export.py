"""Export a SpanModel to ONNX (dynamic batch and length axes), optionally quantised to int8.

    export_onnx("runs/x/model", "runs/x/onnx", int8=True)

The output folder is a model folder for `OnnxSpanModel`: spanlab's `config.json`, the
tokenizer files and `model.onnx` (plus `model.int8.onnx` with `int8=True`). The graph takes
the collator's tensors and returns the raw (span, label) logits; masking, sigmoid, the
label passes and decoding stay in Python, shared with the PyTorch path.

Exporter: the TorchScript-based `torch.onnx.export(dynamo=False)`. It turns the BiLSTM's
packed sequence into ONNX's LSTM with `sequence_lens`, so padding never reaches the
backward direction, exactly as in PyTorch; the dynamo exporter cannot export packed sequences.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from spanlab.model import SpanModel, _gather

ONNX_NAME = "model.onnx"
INT8_NAME = "model.int8.onnx"
INPUT_NAMES = ["input_ids", "attention_mask", "word_pos", "word_count", "label_pos", "label_end"]
# Each input's axes that vary between calls; everything else is fixed by the model.
DYNAMIC_AXES = {
    "input_ids": {0: "batch", 1: "tokens"},
    "attention_mask": {0: "batch", 1: "tokens"},
    "word_pos": {0: "batch", 1: "words"},
    "word_count": {0: "batch"},
    "label_pos": {0: "batch", 1: "labels"},
    "label_end": {0: "batch", 1: "labels"},
    "logits": {0: "batch", 1: "words", 3: "labels"},
}
OPSET = 17


class LogitsGraph(nn.Module):
    """SpanModel.forward without the mask and without length groups: one encoder call, logits out."""

    def __init__(self, model: SpanModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, word_pos, word_count, label_pos, label_end) -> torch.Tensor:
        tokens = self.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (B, T, H)
        words = _gather(tokens, word_pos)  # (B, L, H)
        labels = self.model.label_vectors(tokens, label_pos, label_end)  # (B, C, H)
        return self.model.head(words, word_count, labels)  # (B, L, W, C)


def sample_inputs(model: SpanModel) -> dict[str, torch.Tensor]:
    """Two texts of different lengths and two labels: padding on every dynamic axis is exercised."""
    from spanlab.data.collate import SpanCollator
    from spanlab.data.schema import Example
    from spanlab.data.words import split_words

    texts = ["Ada Lovelace was born in London in 1815 and wrote the first program .", "Paris ."]
    examples = [Example(words=split_words(t)[0]) for t in texts]
    collator = SpanCollator(model.tokenizer, model.spec.max_width, model.spec.max_len)
    inputs = collator.encode(examples, [["person", "city"], ["person", "city"]])
    return {name: inputs[name] for name in INPUT_NAMES}


def export_onnx(model_dir: str | Path, out_dir: str | Path, int8: bool = False) -> list[Path]:
    """Write `out_dir` (config, tokenizer, model.onnx[, model.int8.onnx]); returns the graph files written."""
    model_dir, out_dir = Path(model_dir), Path(out_dir)
    model = SpanModel.from_pretrained(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_metadata(out_dir)  # config.json (threshold included) and tokenizer, as in a torch model folder
    inputs = sample_inputs(model)
    tmp = out_dir / f".{ONNX_NAME}.tmp"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about python ints in shapes: the axes are declared below
        torch.onnx.export(
            LogitsGraph(model).eval(), tuple(inputs.values()), str(tmp), input_names=INPUT_NAMES,
            output_names=["logits"], dynamic_axes=DYNAMIC_AXES, opset_version=OPSET, dynamo=False,
        )
    tmp.replace(out_dir / ONNX_NAME)
    written = [out_dir / ONNX_NAME]
    if int8:
        written.append(quantize_int8(out_dir / ONNX_NAME, out_dir / INT8_NAME))
    return written


def quantize_int8(src: Path, dst: Path) -> Path:
    """Dynamic int8 quantisation of the encoder's weight matrices, one scale per output column.

    Quantised: the encoder's query/key/value, attention-output and FFN-up MatMuls, two thirds
    of its weight FLOPs. Kept in float: the FFN-down MatMuls, whose input (the GELU output)
    has a few very large values that one per-tensor activation scale rounds the rest of the
    row away for, and the whole span/label head (MLPs, BiLSTM, span x label products), whose
    outputs are the logits the threshold cuts. Weights are scaled per column (`per_channel`).
    On protocol ZS-MiniLM's inference sets this keeps F1 at fp32's; quantising every weight
    MatMul per tensor cost 0.7 to 1.1 F1 there.
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dst.with_name(f".{dst.name}.tmp")
    quantize_dynamic(
        str(src), str(tmp), weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"],
        nodes_to_quantize=int8_nodes(onnx.load(str(src), load_external_data=False).graph),
        per_channel=True,
    )
    tmp.replace(dst)
    return dst


def int8_nodes(graph) -> list[str]:
    """Names of the encoder's MatMul/Gemm nodes to quantise: those multiplying by a constant
    (a weight matrix), except the FFN-down projections.

    The exporter names nodes by module path: the encoder's all start with "/encoder/", and a
    BERT-style layer's FFN-down projection is ".../output/dense" (".../attention/output/dense"
    is the attention output). Products of two activations (attention scores, context) have no
    constant input.
    """
    constants = {i.name for i in graph.initializer} | {o for n in graph.node if n.op_type == "Constant" for o in n.output}
    return [
        n.name for n in graph.node
        if n.op_type in ("MatMul", "Gemm") and n.name.startswith("/encoder/") and any(i in constants for i in n.input)
        and not ("/output/dense/" in n.name and "/attention/" not in n.name)
    ]
