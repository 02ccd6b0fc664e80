"""Build the gliner-checkpoint test fixture with the gliner library itself.

Run with the gliner virtual environment's python (gliner pins its own transformers):

    benchmarks/.work/gliner-venv/bin/python scripts/make_gliner_fixture.py \
        --out tests/fixtures/gliner --spanlab-python python

For each span mode (markerV0 on a tiny BERT with a projection, marker on a tiny DeBERTa-v2
without one) it writes a gliner-format checkpoint built from a randomly initialised encoder
and a WordPiece tokenizer built here from the fixture texts (nothing comes from a hub),
then records in `expected.json`:
- `entities`: what `GLiNER.inference` returns for the inputs (flat and nested decoding);
- `probs`: the sigmoid score of every valid (start, width, label) triple, from gliner's forward;
- `export_roundtrip`: the checkpoint is imported into spanlab and exported back
  (`spanlab convert to-gliner`, run with --spanlab-python), gliner loads the export and
  the largest score difference from the original is recorded;
- `native_export`: a model built by spanlab itself (random tiny BERT, MiniLM tokenizer) is
  exported by spanlab (this script re-run with --spanlab-native under --spanlab-python),
  gliner loads it, and the largest difference from spanlab's own scores is recorded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import torch

TEXTS = [
    "Ada Lovelace was born in London in 1815 and worked with Charles Babbage.",
    "The Apollo 11 mission landed on the Moon on July 20, 1969.",
    "state-of-the-art models from Google DeepMind beat Go champion Lee Sedol in Seoul.",
    "Marie Curie won the Nobel Prize in Physics.",
]
LABELS = ["person", "city", "date", "organization"]
THRESHOLD = 0.45  # random heads score most pairs between 0.4 and 0.6

MODES = {
    # name: (span_mode, encoder config, gliner hidden_size, LSTM layers, weights file)
    "markerV0-bert": (
        "markerV0",
        {"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 64, "max_position_embeddings": 512},
        24, 1, "pytorch_model.bin",
    ),
    "marker-deberta": (
        "marker",
        {"model_type": "deberta-v2", "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2,
         "intermediate_size": 64, "max_position_embeddings": 512, "relative_attention": True,
         "position_buckets": 32, "pos_att_type": ["p2c", "c2p"], "type_vocab_size": 0},
        32, 1, "model.safetensors",
    ),
}


def make_tokenizer():
    """A lower-casing WordPiece tokenizer whose vocabulary is built from the fixture texts (deterministic)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import BertTokenizerFast

    pieces = pre_tokenizers.BertPreTokenizer().pre_tokenize_str(" ".join(TEXTS + LABELS).lower())
    words = sorted({w for w, _ in pieces})
    chars = sorted({c for w in words for c in w})
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars, *(f"##{c}" for c in chars), *words]
    tok = Tokenizer(models.WordPiece({t: i for i, t in enumerate(dict.fromkeys(tokens))}, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    return BertTokenizerFast(tokenizer_object=tok, model_max_length=512)


def build(span_mode: str, encoder: dict, hidden: int, rnn: int, tokenizer):
    """A gliner model as `GLiNER.load_from_config` builds one, minus the hub."""
    from gliner.config import UniEncoderSpanConfig
    from gliner.model import UniEncoderSpanGLiNER

    config = UniEncoderSpanConfig(
        model_name="tiny-local-encoder", span_mode=span_mode, encoder_config=dict(encoder, vocab_size=len(tokenizer)),
        hidden_size=hidden, num_rnn_layers=rnn, max_width=12, dropout=0.4, words_splitter_type="whitespace",
    )
    model = UniEncoderSpanGLiNER(config, tokenizer=tokenizer, backbone_from_pretrained=False)
    type(model)._resize_token_embeddings(model, config, tokenizer, True)
    # Random heads give scores all near 0.5; a larger label projection spreads them out,
    # so greedy decoding does not hinge on near-ties.
    with torch.no_grad():
        model.model.prompt_rep_layer[3].weight.mul_(8.0)
    return model.eval()


def all_probs(model) -> list[list[list[list[float]]]]:
    """probs[text][start][width][label] for every span inside the text (gliner's forward + sigmoid)."""
    prepared = model.prepare_batch(TEXTS, LABELS)
    batch = model.collate_batch(prepared["input_x"], prepared["entity_types"])
    probs = torch.sigmoid(model.run_batch(batch).logits)  # (B, L, K, C)
    out = []
    for b, words in enumerate(prepared["tokens"]):
        n = len(words)
        out.append([[probs[b, i, w].tolist() for w in range(min(12, n - i))] for i in range(n)])
    return out


def max_diff(a: list, b: list) -> float:
    """Largest |a - b| over two nested lists of scores of the same shape."""
    if isinstance(a, list):
        return max((max_diff(x, y) for x, y in zip(a, b, strict=True)), default=0.0)
    return abs(a - b)


def predictions(model) -> dict:
    return {
        mode: model.inference(TEXTS, LABELS, flat_ner=(mode == "flat"), threshold=THRESHOLD)
        for mode in ("flat", "nested")
    }


def roundtrip(folder: Path, spanlab_python: str, original: list) -> dict:
    """spanlab imports the checkpoint, exports it; gliner loads the export; compare scores."""
    from gliner import GLiNER

    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export"
        cmd = [spanlab_python, "-m", "spanlab", "convert", "to-gliner", str(folder), str(export)]
        subprocess.run(cmd, check=True)
        files = sorted(p.name for p in export.iterdir())
        reloaded = GLiNER.from_pretrained(str(export), local_files_only=True).eval()
        again = all_probs(reloaded)
    return {"command": "spanlab convert to-gliner", "files": files, "gliner_loads": True,
            "max_abs_diff": max_diff(original, again)}


def spanlab_native(folder: Path) -> None:
    """(Run under spanlab's python.) Build tiny spanlab models, export them, record spanlab's scores."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    from spanlab.config import ModelConfig
    from spanlab.data.collate import SpanCollator
    from spanlab.data.schema import Example
    from spanlab.data.words import split_words
    from spanlab.encoder.load import default_encoder_path
    from spanlab.interop.gliner_checkpoint import save_gliner_checkpoint
    from spanlab.model import SpanModel

    tokenizer = AutoTokenizer.from_pretrained(str(default_encoder_path()))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64)
    BertModel(config).save_pretrained(str(folder / "encoder"))
    tokenizer.save_pretrained(str(folder / "encoder"))
    scores = {}
    for span_mode in ("markerV0", "marker"):
        model = SpanModel.from_encoder(ModelConfig(encoder=str(folder / "encoder"), hidden_size=16, span_mode=span_mode))
        model.eval()
        save_gliner_checkpoint(model, folder / span_mode)
        examples = [Example(words=split_words(t)[0]) for t in TEXTS]
        inputs = SpanCollator(model.tokenizer, model.spec.max_width, model.spec.max_len).encode(examples, [LABELS] * len(examples))
        with torch.no_grad():
            probs = torch.sigmoid(model(**inputs)["logits"])
        scores[span_mode] = [
            [[probs[b, i, w].tolist() for w in range(min(12, len(ex.words) - i))] for i in range(len(ex.words))]
            for b, ex in enumerate(examples)
        ]
    (folder / "spanlab_scores.json").write_text(json.dumps(scores))


def native_export(spanlab_python: str) -> dict:
    """gliner loads models that spanlab built and exported; compare with spanlab's own scores."""
    from gliner import GLiNER

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([spanlab_python, __file__, "--spanlab-native", tmp], check=True)
        scores = json.loads((Path(tmp) / "spanlab_scores.json").read_text())
        result = {}
        for span_mode, ours in scores.items():
            model = GLiNER.from_pretrained(str(Path(tmp) / span_mode), local_files_only=True).eval()
            result[span_mode] = {"gliner_class": type(model).__name__, "max_abs_diff": max_diff(ours, all_probs(model))}
    return result


def main() -> None:
    from importlib.metadata import version

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="tests/fixtures/gliner")
    parser.add_argument("--spanlab-python", default=None, help="python with spanlab installed (for the export check)")
    parser.add_argument("--spanlab-native", default=None, help=argparse.SUPPRESS)  # internal: the spanlab side
    args = parser.parse_args()
    if args.spanlab_native:
        spanlab_native(Path(args.spanlab_native))
        return
    out = Path(args.out)
    torch.manual_seed(0)
    tokenizer = make_tokenizer()
    expected = {
        "gliner_version": version("gliner"), "transformers_version": version("transformers"),
        "texts": TEXTS, "labels": LABELS, "threshold": THRESHOLD, "checkpoints": {},
    }
    for name, (span_mode, encoder, hidden, rnn, weights) in MODES.items():
        model = build(span_mode, encoder, hidden, rnn, tokenizer)
        folder = out / name
        model.save_pretrained(folder, safe_serialization=weights.endswith(".safetensors"))
        probs = all_probs(model)
        record = {"span_mode": span_mode, "weights": weights, "entities": predictions(model), "probs": probs}
        if args.spanlab_python:
            record["export_roundtrip"] = roundtrip(folder, args.spanlab_python, probs)
            print(name, record["export_roundtrip"])
        expected["checkpoints"][name] = record
    if args.spanlab_python:
        expected["native_export"] = native_export(args.spanlab_python)
        print("native", expected["native_export"])
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    print("wrote", out)


if __name__ == "__main__":
    main()
