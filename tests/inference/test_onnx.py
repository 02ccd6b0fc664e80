"""ONNX export: dynamic axes, parity with PyTorch (fp32 exact entities, int8 close), the CLI and load errors."""

from __future__ import annotations

import onnx
import pytest
import torch
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.errors import ModelLoadError
from spanlab.inference.onnx_check import check_onnx
from spanlab.inference.onnx_model import OnnxSpanModel, load_model
from spanlab.model import SpanModel

TEXTS = [
    "Alice met Bob in Paris , France , on a cold Monday morning in 1999 .",
    "Kowalczykowski visited São Paulo !",
    "Hi",
]
LABELS = ["person", "city", "organization", "date", "country"]  # two passes at max_types 3


def test_graph_has_dynamic_batch_and_length_axes(tiny_onnx_dir):
    graph = onnx.load(str(tiny_onnx_dir / "model.onnx")).graph
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim] for i in graph.input}
    assert dims["input_ids"] == ["batch", "tokens"]
    assert dims["word_pos"] == ["batch", "words"]
    assert dims["label_pos"] == ["batch", "labels"]
    out = [d.dim_param or d.dim_value for d in graph.output[0].type.tensor_type.shape.dim]
    assert out[0] == "batch" and out[1] == "words" and out[3] == "labels"


def test_span_widths_run_one_after_another(tiny_model_dir, tiny_onnx_dir):
    """Each width's last MatMul (the one reading the label side, shared by all widths) depends on
    the previous width's: onnxruntime cannot run all widths' hidden layers side by side (memory)."""
    graph = onnx.load(str(tiny_onnx_dir / "model.onnx")).graph
    producer = {out: node for node in graph.node for out in node.output}
    by_label_side: dict[str, list] = {}
    for node in graph.node:
        if node.op_type == "MatMul":
            by_label_side.setdefault(node.input[1], []).append(node)
    widths = max(by_label_side.values(), key=len)  # in graph order
    assert len(widths) == SpanModel.from_pretrained(tiny_model_dir).spec.max_width

    def ancestors(node) -> set[str]:
        seen, stack = set(), list(node.input)
        while stack:
            parent = producer.get(stack.pop())
            if parent is not None and parent.name not in seen:
                seen.add(parent.name)
                stack.extend(parent.input)
        return seen

    for earlier, later in zip(widths, widths[1:]):
        assert earlier.name in ancestors(later)


def test_onnx_predict_matches_pytorch_for_other_batch_sizes_and_lengths(tiny_model_dir, tiny_onnx_dir):
    torch_model = SpanModel.from_pretrained(tiny_model_dir)
    onnx_model = OnnxSpanModel.from_pretrained(tiny_onnx_dir, threads=1)
    for batch_size in (1, 2, 8):
        expected = torch_model.predict(TEXTS, LABELS, threshold=0.3, batch_size=batch_size)
        found = onnx_model.predict(TEXTS, LABELS, threshold=0.3, batch_size=batch_size)
        assert any(expected)
        assert [[(e["start"], e["end"], e["label"]) for e in t] for t in found] == [
            [(e["start"], e["end"], e["label"]) for e in t] for t in expected
        ]
        scores = [e["score"] for t in found for e in t]
        assert scores == pytest.approx([e["score"] for t in expected for e in t], abs=1e-4)


def test_check_reports_tiny_logit_differences(tiny_model_dir, tiny_onnx_dir):
    fp32 = check_onnx(tiny_model_dir, tiny_onnx_dir, texts=TEXTS, labels=LABELS, threshold=0.3)
    assert fp32["same_entities"] and fp32["entities_torch"] > 0
    assert fp32["max_abs_logit_diff"] < 1e-4
    int8 = check_onnx(tiny_model_dir, tiny_onnx_dir, int8=True, texts=TEXTS, labels=LABELS, threshold=0.3)
    assert 0 < int8["max_abs_logit_diff"] < 0.5  # quantised: close, not equal


def test_export_command_writes_and_checks(tiny_model_dir, tmp_path):
    result = CliRunner().invoke(app, ["export", str(tiny_model_dir), "--onnx", str(tmp_path / "out"), "--check"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "model.onnx").is_file() and not (tmp_path / "out" / "model.int8.onnx").exists()
    assert "identical entities" in result.output and "yes" in result.output
    assert isinstance(load_model(tmp_path / "out", "onnx", threads=1), OnnxSpanModel)


def test_missing_int8_graph_says_how_to_make_it(tiny_model_dir, tmp_path):
    CliRunner().invoke(app, ["export", str(tiny_model_dir), "--onnx", str(tmp_path / "out")])
    with pytest.raises(ModelLoadError, match="--int8"):
        OnnxSpanModel.from_pretrained(tmp_path / "out", int8=True)
    with pytest.raises(ModelLoadError, match="backend"):
        load_model(tmp_path / "out", "tensorrt")


def test_mean_label_pooling_exports_with_label_end(tiny_encoder_dir, tmp_path):
    from spanlab.config import ModelConfig
    from spanlab.inference.onnx_export import export_onnx
    from spanlab.inference.onnx_model import OnnxSpanModel
    from spanlab.model import SpanModel

    torch.manual_seed(0)
    model = SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4,
                                               label_pooling="mean")).eval()
    model.save_pretrained(tmp_path / "m")
    export_onnx(tmp_path / "m", tmp_path / "onnx")
    onnx_model = OnnxSpanModel.from_pretrained(tmp_path / "onnx")
    texts, labels = ["Alice met Bob in Paris .", "Rome ."], ["person", "football club"]
    expected = model.predict(texts, labels, threshold=0.0)
    found = onnx_model.predict(texts, labels, threshold=0.0)
    assert [[(e["start"], e["end"], e["label"]) for e in t] for t in found] == \
        [[(e["start"], e["end"], e["label"]) for e in t] for t in expected]


def test_int8_quantises_encoder_weights_per_channel_but_not_ffn_down_or_head(tiny_onnx_dir):
    from spanlab.inference.onnx_export import int8_nodes

    fp32 = onnx.load(str(tiny_onnx_dir / "model.onnx")).graph
    wanted = int8_nodes(fp32)
    attention_products = [n.name for n in fp32.node if n.op_type == "MatMul" and "/attention/self/MatMul" in n.name]
    ffn_down = [n.name for n in fp32.node if n.name.endswith("/output/dense/MatMul") and "/attention/" not in n.name]
    assert wanted and attention_products and ffn_down
    assert all(n.startswith("/encoder/") for n in wanted) and not set(wanted) & set(attention_products + ffn_down)
    int8 = onnx.load(str(tiny_onnx_dir / "model.int8.onnx")).graph
    dims = {i.name: list(i.dims) for i in int8.initializer}
    quantised = [n for n in int8.node if n.op_type == "MatMulInteger"]
    assert sorted(n.name for n in quantised) == sorted(f"{name}_quant" for name in wanted)
    # Per channel: one weight zero point per output column (inputs: A, B, A's zero point, B's zero point).
    assert all(dims[n.input[3]] == [dims[n.input[1]][1]] and dims[n.input[1]][1] > 1 for n in quantised)
    float_matmuls = {n.name for n in int8.node if n.op_type == "MatMul"}
    assert set(ffn_down) <= float_matmuls and any(n.startswith("/head/") for n in float_matmuls)
