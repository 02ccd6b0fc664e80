"""Length-sorted batching gives each text the same entities, in input order, as predicting it alone."""

from __future__ import annotations

import pytest

from spanlab.model import SpanModel

# Lengths deliberately out of order, so sorting moves every text.
TEXTS = [
    "Alice met Bob in Paris , France , on a cold Monday morning in 1999 .",
    "Hi",
    "",
    "Kowalczykowski visited São Paulo !",
    "The committee of the European Parliament in Brussels approved the plan drafted by Ursula von der Leyen .",
    "Tokyo .",
]
LABELS = ["person", "city", "organization", "date"]  # more than max_types (3): two label passes


@pytest.fixture(scope="module")
def model(tiny_model_dir) -> SpanModel:
    return SpanModel.from_pretrained(tiny_model_dir)


@pytest.mark.parametrize("batch_size", [1, 2, 4, 32])
def test_batched_results_come_back_in_input_order(model, batch_size):
    alone = [model.predict([t], LABELS, threshold=0.3)[0] for t in TEXTS]
    together = model.predict(TEXTS, LABELS, threshold=0.3, batch_size=batch_size)
    assert len(together) == len(TEXTS)
    assert any(alone), "the random model finds something at threshold 0.3, so the comparison means something"
    for text, a, b in zip(TEXTS, alone, together):
        assert [(e["start"], e["end"], e["label"]) for e in b] == [(e["start"], e["end"], e["label"]) for e in a]
        assert [e["score"] for e in b] == pytest.approx([e["score"] for e in a], abs=1e-3)
        assert all(text[e["start"] : e["end"]] == e["text"] for e in b)
