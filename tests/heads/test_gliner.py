"""GlinerHead: the fused span scorer equals the plain markerV0 form; the span mask."""

from __future__ import annotations

import pytest
import torch

from spanlab.heads.gliner import GlinerHead, relu_dropout, span_mask


@pytest.mark.parametrize("encoder_width, lstm_layers", [(24, 1), (16, 0), (16, 2)])
def test_fused_logits_equal_the_plain_form(encoder_width, lstm_layers):
    torch.manual_seed(0)
    D, W = 16, 4
    head = GlinerHead(encoder_width, D, max_width=W, lstm_layers=lstm_layers, dropout=0.4).eval()
    if encoder_width == D:
        assert isinstance(head.projection, torch.nn.Identity)
    else:
        assert isinstance(head.projection, torch.nn.Linear)
    words = torch.randn(3, 6, encoder_width)  # (B, L, D_enc)
    word_count = torch.tensor([6, 2, 4])
    labels = torch.randn(3, 5, encoder_width)  # (B, C, D_enc)

    logits = head(words, word_count, labels)  # (B, L, W, C)
    spans = head.span_vectors(words, word_count)  # (B, L, W, D)
    q = head.label_mlp(head.projection(labels))  # (B, C, D)
    reference = torch.einsum("blwd,bcd->blwc", spans, q)

    assert logits.shape == (3, 6, W, 5)
    valid = span_mask(word_count, 6, W)[..., None].expand_as(logits)
    torch.testing.assert_close(logits[valid], reference[valid], atol=1e-5, rtol=1e-5)
    assert torch.all(logits[~valid] == 0)  # spans past the end are not computed


def test_logits_do_not_depend_on_padding():
    torch.manual_seed(0)
    head = GlinerHead(16, 16, max_width=3, lstm_layers=1, dropout=0.4).eval()
    words, labels = torch.randn(2, 7, 16), torch.randn(2, 3, 16)
    batch = head(words, torch.tensor([7, 4]), labels)
    alone = head(words[1:, :4], torch.tensor([4]), labels[1:])
    torch.testing.assert_close(batch[1, :4], alone[0], atol=1e-6, rtol=1e-5)


def test_relu_dropout_matches_dropout_of_relu_in_distribution():
    torch.manual_seed(0)
    x = torch.randn(200_000)
    y = relu_dropout(x, 0.4, training=True)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / 0.6)  # survivors are scaled by 1 / (1 − p)
    assert abs(kept.float().mean().item() - 0.5 * 0.6) < 0.005  # ReLU keeps half, dropout 60% of those
    assert abs(y.mean().item() - x.relu().mean().item()) < 0.01  # expectation preserved
    assert torch.equal(relu_dropout(x.clone(), 0.4, training=False), x.relu())
    x.requires_grad_(True)
    y = relu_dropout(x, 0.4, training=True)
    y.sum().backward()
    torch.testing.assert_close(x.grad, (y != 0).float() / 0.6)  # gradient flows through kept units only


def test_dropout_is_active_only_in_training():
    torch.manual_seed(0)
    head = GlinerHead(8, 8, max_width=2, lstm_layers=0, dropout=0.5)
    words, count, labels = torch.randn(1, 3, 8), torch.tensor([3]), torch.randn(1, 2, 8)
    head.train()
    assert not torch.equal(head(words, count, labels), head(words, count, labels))
    head.eval()
    assert torch.equal(head(words, count, labels), head(words, count, labels))


def test_odd_hidden_size_is_refused():
    with pytest.raises(ValueError, match="even"):
        GlinerHead(8, 7, max_width=2, lstm_layers=1, dropout=0.0)


def test_span_mask_by_hand():
    mask = span_mask(torch.tensor([3, 1, 0]), L=3, W=2)  # (B, L, W): span (i, i + w) inside the words
    expected = torch.tensor(
        [
            [[True, True], [True, True], [True, False]],  # 3 words: (2, 3) runs past the end
            [[True, False], [False, False], [False, False]],  # 1 word: only (0, 0)
            [[False, False], [False, False], [False, False]],  # no words
        ]
    )
    assert mask.dtype == torch.bool
    assert torch.equal(mask, expected)


@pytest.mark.parametrize("lstm_layers", [0, 1])
def test_marker_mode_folded_logits_equal_the_plain_form(lstm_layers):
    torch.manual_seed(0)
    head = GlinerHead(24, 16, max_width=4, lstm_layers=lstm_layers, dropout=0.4, span_mode="marker").eval()
    assert isinstance(head.span_mlp, torch.nn.Linear)  # gliner's `marker`: one Linear 2D → D
    assert head.start_mlp[0].out_features == 32  # start / end MLPs expand 2×, not 4×
    words, count, labels = torch.randn(2, 5, 24), torch.tensor([5, 3]), torch.randn(2, 3, 24)
    q = head.label_mlp(head.projection(labels))
    reference = torch.einsum("blwd,bcd->blwc", head.span_vectors(words, count), q)
    mask = span_mask(count, 5, 4)[..., None].expand_as(reference)
    torch.testing.assert_close(head(words, count, labels)[mask], reference[mask], atol=1e-5, rtol=1e-5)


def test_unknown_span_mode_is_refused():
    with pytest.raises(ValueError, match="span_mode"):
        GlinerHead(8, 8, max_width=2, lstm_layers=0, dropout=0.0, span_mode="query")


def test_export_grid_path_equals_the_packed_path(monkeypatch):
    torch.manual_seed(0)
    head = GlinerHead(16, 16, max_width=3, lstm_layers=1, dropout=0.4).eval()
    words, count, labels = torch.randn(2, 5, 16), torch.tensor([5, 2]), torch.randn(2, 4, 16)
    packed = head(words, count, labels)
    monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)
    torch.testing.assert_close(head(words, count, labels), packed, atol=1e-5, rtol=1e-5)
