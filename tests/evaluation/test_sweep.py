"""The one-pass threshold sweep equals decoding separately at each threshold."""

from __future__ import annotations

import torch

from spanlab.config import EvalConfig, ModelConfig
from spanlab.evaluation.suite import load_suite
from spanlab.evaluation.sweep import threshold_sweep
from spanlab.evaluation.zeroshot import evaluate_set
from spanlab.model import SpanModel


def test_sweep_matches_separate_decoding(tiny_encoder_dir, tiny_corpus):
    torch.manual_seed(0)
    cfg = ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4, dropout=0.0)
    model = SpanModel.from_encoder(cfg).eval()
    (s,) = load_suite(tiny_corpus.suite)
    # An untrained model scores everything near 0.5: thresholds around it keep different subsets.
    thresholds = (0.45, 0.48, 0.5, 0.52, 0.55)
    for decoding in ("flat", "nested"):
        eval_cfg = EvalConfig(decoding=decoding, bootstrap=0)
        rows = threshold_sweep(model, s, eval_cfg, thresholds)
        assert [r["threshold"] for r in rows] == sorted(thresholds)
        assert len({r["tp"] + r["fp"] for r in rows}) > 1, "thresholds should keep different subsets"
        for row in rows:
            direct = evaluate_set(model, s, EvalConfig(decoding=decoding, bootstrap=0, threshold=row["threshold"]))
            m = direct.typed.micro
            assert (row["tp"], row["fp"], row["fn"]) == (m.tp, m.fp, m.fn)
            assert row["span_f1"] == direct.span_only.micro.f1
