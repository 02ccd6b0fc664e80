"""HDPE: the first n positions are the original table, longer inputs run, save/reload keeps the table."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModel, RoFormerConfig, RoFormerModel

from spanlab.config import LongPositionsConfig, ModelConfig
from spanlab.data.schema import Example
from spanlab.encoder.hdpe import HierarchicalPositions, extend_positions
from spanlab.errors import ModelLoadError
from spanlab.inference.windows import subtoken_counts
from spanlab.model import SpanModel


@pytest.fixture
def encoder(tiny_encoder_dir):
    return AutoModel.from_pretrained(str(tiny_encoder_dir)).eval()


def test_first_n_positions_reproduce_the_table(encoder):
    table = encoder.embeddings.position_embeddings.weight.detach().clone()  # (512, 32)
    n = table.shape[0]
    extend_positions(encoder, 4096, alpha=0.4)
    hdpe = encoder.embeddings.position_embeddings
    assert isinstance(hdpe, HierarchicalPositions)
    with torch.no_grad():
        short = hdpe(torch.arange(n))  # only block 0
        mixed = hdpe(torch.arange(3 * n))  # the general formula path
    assert (short - table).abs().max() <= 1e-6
    assert (mixed[:n] - table).abs().max() <= 1e-6
    # Beyond n: t = i·n + j → α u_i + (1 − α) u_j with u = (p − α p_0) / (1 − α).
    u = (table - 0.4 * table[:1]) / 0.6
    i, j = 2, 17
    assert torch.allclose(mixed[i * n + j], 0.4 * u[i] + 0.6 * u[j], atol=1e-6)
    assert not torch.allclose(mixed[n + j], mixed[j])  # a new block is a new position


def test_forward_pass_at_2048_tokens(encoder):
    ids = torch.randint(1000, 2000, (1, 2048))
    with pytest.raises((IndexError, RuntimeError)):  # the plain 512-row buffers and table cannot take it
        encoder(input_ids=ids)
    extend_positions(encoder, 4096)
    assert encoder.config.max_position_embeddings == 4096
    assert encoder.embeddings.position_ids.shape == encoder.embeddings.token_type_ids.shape == (1, 4096)
    with torch.no_grad():
        out = encoder(input_ids=ids, attention_mask=torch.ones_like(ids)).last_hidden_state
    assert out.shape == (1, 2048, 32) and torch.isfinite(out).all()


@pytest.mark.parametrize("trainable", [True, False])
def test_trainable_or_frozen(encoder, trainable):
    extend_positions(encoder, 1024, trainable=trainable)
    assert encoder.embeddings.position_embeddings.weight.requires_grad is trainable


@pytest.mark.parametrize(
    "kwargs, message",
    [({"alpha": 0.5}, "alpha"), ({"alpha": 0.0}, "alpha"), ({"max_positions": 512 * 512 + 1}, "at most 262144"),
     ({"max_positions": 100}, "below")],
)
def test_bad_settings_are_clear_errors(encoder, kwargs, message):
    with pytest.raises(ModelLoadError, match=message):
        extend_positions(encoder, **({"max_positions": 2048} | kwargs))


def test_encoders_without_an_absolute_table_are_refused():
    rotary = RoFormerModel(RoFormerConfig(vocab_size=50, hidden_size=16, embedding_size=16, num_hidden_layers=1,
                                          num_attention_heads=2, intermediate_size=32))
    with pytest.raises(ModelLoadError, match="(?s)no learned absolute position table.*sliding windows"):
        extend_positions(rotary, 2048)


def test_span_model_with_hdpe_saves_and_reloads(tiny_encoder_dir, tmp_path):
    torch.manual_seed(0)
    spec = ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4, max_len=4000,
                       long_positions=LongPositionsConfig("hdpe", alpha=0.3, max_positions=3000, trainable=True))
    model = SpanModel.from_encoder(spec).eval()
    assert model.max_tokens == 3000 and model.tokenizer.model_max_length == 3000
    words = [f"w{i}" for i in range(800)]
    assert 2048 < sum(subtoken_counts(model.tokenizer, [Example(words=words)])[0]) < 2990  # one pass, no window
    text = " ".join(words)
    before = model.predict([text], ["person"], threshold=0.0)[0]
    assert before[-1]["end"] == len(text)
    model.save_pretrained(tmp_path / "m")
    loaded = SpanModel.from_pretrained(tmp_path / "m")
    assert loaded.spec.long_positions == spec.long_positions
    assert loaded.encoder.config.max_position_embeddings == 3000
    assert loaded.encoder.embeddings.position_embeddings.weight.requires_grad
    assert loaded.predict([text], ["person"], threshold=0.0)[0] == before


def test_hdpe_added_at_load_time_keeps_short_inputs_unchanged(tiny_encoder_dir, tmp_path):
    torch.manual_seed(0)
    SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4)).save_pretrained(
        tmp_path / "m"
    )
    plain = SpanModel.from_pretrained(tmp_path / "m")
    stretched = SpanModel.from_pretrained(tmp_path / "m", long_positions=LongPositionsConfig("hdpe", max_positions=2048))
    texts = ["Alice met Bob in Paris .", "Tokyo is big ."]
    assert stretched.predict(texts, ["person", "city"], threshold=0.0) == plain.predict(
        texts, ["person", "city"], threshold=0.0
    )
    with pytest.raises(Exception, match="unknown model field"):
        SpanModel.from_pretrained(tmp_path / "m", max_length=5)
