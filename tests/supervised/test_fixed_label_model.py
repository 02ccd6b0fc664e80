"""Decoding: every (type, i, j) with logit > 0, nested spans, character offsets; BIO decoding; save/load."""

from __future__ import annotations

import pytest
import torch

from spanlab.data.schema import Example, Span
from spanlab.errors import ModelLoadError
from spanlab.supervised.data import with_text
from spanlab.supervised.evaluate import evaluate
from spanlab.supervised.model import FixedLabelModel, _bio_spans


def fake_logits(model, cells, T):
    """A forward pass whose pointer logits are -1 everywhere but +2 at `cells` (b, k, i, j)."""

    def forward(input_ids, attention_mask, token_mask, **_):
        logits = torch.full((input_ids.shape[0], len(model.labels), T, T), -1.0)
        for cell in cells:
            logits[cell] = 2.0
        return {"logits": logits}

    return forward


def test_pointer_decoding_returns_nested_spans_with_character_offsets(make_model):
    model = make_model("egp")
    text = "I saw New York City hall"  # [CLS] i saw new york city hall [SEP]
    model.forward = fake_logits(model, [(0, 0, 3, 5), (0, 0, 3, 4), (0, 1, 4, 4)], T=8)  # labels [city, person]
    found = model.predict([text])[0]
    assert found == [
        {"start": 6, "end": 14, "text": "New York", "label": "city", "score": pytest.approx(0.8808, abs=1e-4)},
        {"start": 6, "end": 19, "text": "New York City", "label": "city", "score": pytest.approx(0.8808, abs=1e-4)},
        {"start": 10, "end": 14, "text": "York", "label": "person", "score": pytest.approx(0.8808, abs=1e-4)},
    ]


def test_masked_cells_are_never_decoded(make_model):
    model = make_model("egp")
    logits = torch.full((1, 2, 4, 4), torch.finfo(torch.float32).min)
    logits[0, 1, 1, 2] = 0.5
    logits[0, 0, 2, 2] = -0.1  # below 0: not an entity
    assert model.decode(logits, torch.ones(1, 4, dtype=torch.bool)) == [[(1, 2, 1, pytest.approx(0.6225, abs=1e-4))]]


def test_a_lower_min_logit_also_keeps_cells_under_zero_but_never_masked_ones(make_model):
    model = make_model("egp")
    logits = torch.full((1, 2, 4, 4), torch.finfo(torch.float32).min)
    logits[0, 1, 1, 2] = 0.5
    logits[0, 0, 2, 2] = -0.1
    mask = torch.ones(1, 4, dtype=torch.bool)
    kept = model.decode(logits, mask, min_logit=-6.0)[0]
    assert sorted(kept) == [(1, 2, 1, pytest.approx(0.6225, abs=1e-4)), (2, 2, 0, pytest.approx(0.4750, abs=1e-4))]


def test_predict_examples_at_a_lower_min_logit_keeps_the_default_spans_and_more(make_model):
    model = make_model("egp")
    model.forward = fake_logits(model, [(0, 0, 3, 4)], T=8)  # every other cell at -1
    examples = [Example(words=[], text="I saw New York City hall")]
    default = model.predict_examples(examples, windows=False)[0]
    swept = model.predict_examples(examples, windows=False, min_logit=-2.0)[0]
    assert default == [(6, 14, "city", pytest.approx(0.8808, abs=1e-4))]
    assert set(default) < set(swept)
    assert {round(p, 4) for *_, p in swept} == {0.8808, 0.2689}


def test_bio_decoding_repairs_a_stray_inside_tag():
    # tags over 6 tokens: [CLS] B-person I-person O I-city [SEP]  (O=0, B-city=1, I-city=2, B-person=3, I-person=4)
    tags = [0, 3, 4, 0, 2, 0]
    probs = torch.nn.functional.one_hot(torch.tensor(tags), 5).float()
    mask = torch.tensor([False, True, True, True, True, False])
    assert _bio_spans(probs, mask) == [(1, 2, 1, 1.0), (4, 4, 0, 1.0)]


def test_gold_spans_inside_sub_tokens_count_as_misses(make_model):
    model = make_model("egp")
    model.forward = fake_logits(model, [(0, 1, 1, 2)], T=5)  # "Lovelace" = love ##lace as person
    ex = Example(words=["Lovel", "Lovelace"], text="Lovelace", word_offsets=[(0, 5), (0, 8)],
                 spans=[Span(1, 1, "person"), Span(0, 0, "person")])
    result = evaluate(model, [ex])
    assert (result["tp"], result["fp"], result["fn"]) == (1, 0, 1)
    assert result["unreachable_gold"] == {"boundary inside a sub-token": 1}
    assert result["per_type"]["person"]["gold"] == 2


@pytest.mark.parametrize("head", ["egp", "gp", "tokencls"])
def test_save_and_load_round_trip(make_model, tmp_path, head):
    model = make_model(head)
    model.save_pretrained(tmp_path / "m")
    loaded = FixedLabelModel.from_pretrained(tmp_path / "m")
    assert loaded.labels == model.labels and loaded.spec == model.spec
    for name, tensor in model.state_dict().items():
        torch.testing.assert_close(loaded.state_dict()[name], tensor, atol=0, rtol=0)
    ex = [with_text(Example(words=["Alice", "in", "Paris"]))]
    assert loaded.predict_examples(ex) == model.eval().predict_examples(ex)


def test_loading_a_folder_of_another_architecture_is_a_clear_error(make_model, tmp_path):
    make_model("egp").save_pretrained(tmp_path / "m")
    cfg = tmp_path / "m" / "config.json"
    cfg.write_text(cfg.read_text().replace('"architecture": "egp"', '"architecture": "gliner"'))
    with pytest.raises(ModelLoadError, match="expected egp, gp or tokencls"):
        FixedLabelModel.from_pretrained(tmp_path / "m")
