"""UniformMaskDropout: nn.Dropout's distribution from a cheaper mask draw."""

from __future__ import annotations

import torch
from torch import nn

from spanlab.encoder.dropout import UniformMaskDropout, use_uniform_mask_dropout


def test_same_distribution_as_nn_dropout():
    torch.manual_seed(0)
    x = torch.full((400, 1000), 2.0)
    for p in (0.1, 0.4):
        out = UniformMaskDropout(p).train()(x)
        kept = out != 0
        assert abs(kept.float().mean().item() - (1 - p)) < 0.005  # Bernoulli(1 − p) keep mask
        torch.testing.assert_close(out[kept], torch.full_like(out[kept], 2.0 / (1 - p)))  # scaled as nn.Dropout
        assert abs(out.mean().item() - 2.0) < 0.02  # unbiased


def test_identity_in_eval_and_edge_probabilities():
    x = torch.randn(8, 16)
    assert torch.equal(UniformMaskDropout(0.4).eval()(x), x)
    assert torch.equal(UniformMaskDropout(0.0).train()(x), x)
    assert torch.equal(UniformMaskDropout(1.0).train()(x), torch.zeros_like(x))


def test_gradient_flows_through_kept_elements_only():
    x = torch.ones(50, 50, requires_grad=True)
    out = UniformMaskDropout(0.5).train()(x)
    out.sum().backward()
    torch.testing.assert_close(x.grad, (out != 0).float() * 2.0)


def test_swap_keeps_p_and_weights():
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.3), nn.Sequential(nn.ReLU(), nn.Dropout(0.1)), nn.Linear(8, 2))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    assert use_uniform_mask_dropout(model) == 2
    assert [type(m) for m in model.modules()].count(UniformMaskDropout) == 2
    assert model[1].p == 0.3 and model[2][1].p == 0.1
    assert state.keys() == model.state_dict().keys()
    assert use_uniform_mask_dropout(model) == 0  # already swapped


def test_span_model_uses_it_everywhere(tiny_encoder_dir):
    from spanlab.config import ModelConfig
    from spanlab.model import SpanModel

    model = SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32))
    assert not any(type(m) is nn.Dropout for m in model.modules())
    assert any(isinstance(m, UniformMaskDropout) for m in model.encoder.modules())
