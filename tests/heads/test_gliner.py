"""GlinerHead: the fused span scorer equals the plain markerV0 form; the span mask."""

from __future__ import annotations

import pytest
import torch

from spanlab.heads.gliner import GlinerHead, span_mask


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
    torch.testing.assert_close(logits, reference, atol=1e-5, rtol=1e-5)


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
