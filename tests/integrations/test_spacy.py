"""The spaCy component: doc.ents (flat) or doc.spans (nested), character → token alignment, config errors."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import torch

spacy = pytest.importorskip("spacy")

from spanlab.config import ModelConfig  # noqa: E402
from spanlab.errors import SpanlabError  # noqa: E402
from spanlab.integrations import spacy as component  # noqa: E402  (registers the "spanlab" factory)
from spanlab.model import SpanModel  # noqa: E402

TEXT = "Ada Lovelace met Charles Babbage in London. Later, Ada wrote the first program."
LABELS = ["person", "city"]


@pytest.fixture(scope="module")
def model_dir(tiny_encoder_dir, tmp_path_factory) -> Path:
    torch.manual_seed(0)
    model = SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=16, max_width=4))
    folder = tmp_path_factory.mktemp("spacy-model")
    model.save_pretrained(folder)
    return folder


def pipeline(model_dir, **config):
    nlp = spacy.blank("en")
    nlp.add_pipe("spanlab", config={"model": str(model_dir), "labels": LABELS, "threshold": 0.0, **config})
    return nlp


def test_flat_entities_are_doc_ents_with_the_models_offsets_and_scores(model_dir):
    nlp = pipeline(model_dir)
    doc = nlp(TEXT)
    expected = SpanModel.from_pretrained(model_dir).predict([TEXT], LABELS, threshold=0.0)[0]
    assert doc.ents  # threshold 0: the random model finds something everywhere
    by_chars = {(e["start"], e["end"], e["label"]): e["score"] for e in expected}
    for ent in doc.ents:
        # The model's words are spaCy tokens here, so every entity maps exactly.
        assert by_chars[(ent.start_char, ent.end_char, ent.label_)] == ent._.spanlab_score
    assert len(doc.ents) == len(expected)


def test_nested_entities_go_to_the_span_group_with_scores(model_dir):
    nlp = pipeline(model_dir, nested=True, spans_key="ner")
    doc = nlp(TEXT)
    expected = SpanModel.from_pretrained(model_dir).predict([TEXT], LABELS, threshold=0.0, flat=False)[0]
    group = doc.spans["ner"]
    assert not doc.ents
    assert [(s.start_char, s.end_char, s.label_) for s in group] == [(e["start"], e["end"], e["label"]) for e in expected]
    assert group.attrs["scores"] == [e["score"] for e in expected]
    assert any(a.start <= b.start and b.end <= a.end and a != b for a in group for b in group)  # really nested


def test_alignment_modes_expand_and_contract(model_dir):
    """The model's words and spaCy's tokens differ here; entities are widened or narrowed to tokens."""
    text = "U.S.A-based Ada"
    tokens = [(0, 5), (5, 6), (6, 11), (12, 15)]  # spaCy: "U.S.A" "-" "based" "Ada"; model: U . S . A-based Ada
    assert [(t.idx, t.idx + len(t)) for t in spacy.blank("en")(text)] == tokens

    def expand(a, b):
        touched = [t for t in tokens if t[0] < b and a < t[1]]
        return (touched[0][0], touched[-1][1])

    def contract(a, b):
        inside = [t for t in tokens if a <= t[0] and t[1] <= b]
        return (inside[0][0], inside[-1][1]) if inside else (None, None)  # dropped

    found = SpanModel.from_pretrained(model_dir).predict([text], LABELS, threshold=0.0, flat=False)[0]
    assert any(e["start"] in (1, 2, 3, 4) or e["end"] in (1, 2, 3, 4) for e in found)  # some entity cuts a token
    for mode, reference in (("expand", expand), ("contract", contract)):
        doc = pipeline(model_dir, alignment_mode=mode, nested=True)(text)
        wanted = [reference(e["start"], e["end"]) + (e["label"],) for e in found]
        assert [(s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]] == [w for w in wanted if w[0] is not None]


def test_pipe_batches_many_docs(model_dir):
    nlp = pipeline(model_dir, batch_size=2)
    texts = [TEXT, "Rome .", "", "Bob visited Berlin ."]
    docs = list(nlp.pipe(texts))
    one_by_one = [nlp(t) for t in texts]
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in docs] == [
        [(e.start, e.end, e.label_) for e in d.ents] for d in one_by_one
    ]


@pytest.mark.parametrize(
    "config, message",
    [({"labels": []}, "no labels"), ({"alignment_mode": "nearest"}, "alignment_mode"), ({"model": None}, "no model")],
)
def test_bad_config_is_a_clear_error(model_dir, config, message):
    nlp = spacy.blank("en")
    with pytest.raises(SpanlabError, match=message):
        nlp.add_pipe("spanlab", config={"model": str(model_dir), "labels": LABELS, **config})


def test_the_factory_is_declared_as_a_spacy_entry_point():
    pyproject = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    target = pyproject["project"]["entry-points"]["spacy_factories"]["spanlab"]
    module, _, attr = target.partition(":")
    assert getattr(component, attr) is component.make_spanlab and module == component.__name__
    assert "spacy" in " ".join(pyproject["project"]["optional-dependencies"]["test"])
