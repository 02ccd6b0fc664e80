"""OnnxSpanModel: a SpanModel's predict API, with the network run by onnxruntime.

    model = OnnxSpanModel.from_pretrained("runs/x/onnx", int8=True, threads=2)
    model.predict(["Ada Lovelace was born in London."], ["person", "city"])

Everything around the network is SpanModel's own code: `predict` and `predict_words` are
borrowed unchanged (word splitting, length-sorted batches, label passes beyond max_types,
decoding); only `span_probs`, the network call, differs. So the two backends cannot drift.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch
from transformers import AutoTokenizer

from spanlab.config import ModelConfig, model_config_from_dict
from spanlab.errors import ModelLoadError
from spanlab.heads.gliner import span_mask
from spanlab.inference.onnx_export import INT8_NAME, ONNX_NAME
from spanlab.model import CONFIG_NAME, SpanModel, _read_json


class OnnxSpanModel:
    """An exported model folder (see `export_onnx`) behind SpanModel's predict API."""

    training = False  # read by SpanModel.predict_words, which puts a torch model in eval mode

    def __init__(self, session, spec: ModelConfig, tokenizer, threshold: float):
        self.session = session
        self.spec = spec
        self.tokenizer = tokenizer
        self.threshold = threshold

    @classmethod
    def from_pretrained(cls, path: str | Path, int8: bool = False, threads: int | None = None) -> OnnxSpanModel:
        """Load `model.onnx` (or `model.int8.onnx`); `threads`: onnxruntime's intra-op threads (default torch's)."""
        import onnxruntime as ort

        path = Path(path)
        meta = _read_json(path / CONFIG_NAME)
        graph = path / (INT8_NAME if int8 else ONNX_NAME)
        if not graph.is_file():
            flag = " --int8" if int8 else ""
            raise ModelLoadError(f"{graph}: not found", fix=f"spanlab export MODEL_DIR --onnx {path}{flag}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        session = ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])
        fields = {f.name for f in dataclasses.fields(ModelConfig)}
        spec = model_config_from_dict({k: v for k, v in meta["model"].items() if k in fields}, str(path))
        tokenizer = AutoTokenizer.from_pretrained(str(path))
        return cls(session, spec, tokenizer, float(meta.get("threshold", 0.5)))

    predict = SpanModel.predict
    predict_words = SpanModel.predict_words
    _predict_fitting = SpanModel._predict_fitting
    max_tokens = SpanModel.max_tokens

    def logits(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Raw (B, L, W, C) logits from onnxruntime, for collated inputs."""
        # The exporter drops inputs the graph does not read (label_end under "ent" label pooling).
        names = [i.name for i in self.session.get_inputs()]
        feed = {name: inputs[name].numpy().astype(np.int64) for name in names}
        return torch.from_numpy(self.session.run(["logits"], feed)[0])

    def span_probs(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, L, W, C) probabilities, 0 where the span or label is padding (as SpanModel.span_probs)."""
        logits = self.logits(inputs)
        B, L, W, C = logits.shape
        label_ok = torch.arange(C)[None] < inputs["label_count"][:, None]  # (B, C)
        mask = span_mask(inputs["word_count"], L, W)[..., None] & label_ok[:, None, None, :]  # (B, L, W, C)
        return torch.sigmoid(logits).masked_fill(~mask, 0.0)

    def eval(self) -> OnnxSpanModel:
        return self

    def train(self, mode: bool = True) -> OnnxSpanModel:
        return self


def load_model(path: str | Path, backend: str = "torch", threads: int | None = None):
    """A model for inference: backend "torch" (SpanModel), "onnx" or "onnx-int8" (OnnxSpanModel)."""
    if backend == "torch":
        if threads:
            torch.set_num_threads(threads)
        return SpanModel.from_pretrained(path)
    if backend in ("onnx", "onnx-int8"):
        return OnnxSpanModel.from_pretrained(path, int8=backend == "onnx-int8", threads=threads)
    raise ModelLoadError(f"found backend {backend!r}; expected torch, onnx or onnx-int8")

