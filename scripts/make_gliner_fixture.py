"""Build the gliner-checkpoint test fixture with the gliner library itself.

Run with the gliner virtual environment's python (gliner pins its own transformers):

    benchmarks/.work/gliner-venv/bin/python scripts/make_gliner_fixture.py \
        --out tests/fixtures/gliner --spanlab-python python

For each span mode (markerV0 on a tiny BERT with a projection, marker on a tiny DeBERTa-v2
without one) it writes a gliner-format checkpoint built from a randomly initialised encoder
and a WordPiece tokenizer trained here on the fixture texts (nothing comes from a hub),
then records in `expected.json`:
- `entities`: what `GLiNER.inference` returns for the inputs (flat and nested decoding);
- `probs`: the sigmoid score of every valid (start, width, label) triple, from gliner's forward;
- `export_roundtrip`: the checkpoint is imported into spanlab and exported back
  (`spanlab convert to-gliner`, run with --spanlab-python), gliner loads the export and
  the largest score difference from the original is recorded.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from importlib.metadata import version
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertTokenizerFast

from gliner import GLiNER
from gliner.config import UniEncoderSpanConfig
from gliner.model import UniEncoderSpanGLiNER

TEXTS = [
    "Ada Lovelace was born in London in 1815 and worked with Charles Babbage.",
    "The Apollo 11 mission landed on the Moon on July 20, 1969.",
    "state-of-the-art models from Google DeepMind beat Go champion Lee Sedol in Seoul.",
    "Marie Curie won the Nobel Prize in Physics.",
]
LABELS = ["person", "city", "date", "organization"]
THRESHOLD = 0.5

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


def make_tokenizer() -> BertTokenizerFast:
    """A lower-casing WordPiece tokenizer trained on the fixture texts and labels."""
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok.train_from_iterator(TEXTS + LABELS, trainers.WordPieceTrainer(vocab_size=160, special_tokens=special))
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", tok.token_to_id("[CLS]")), ("[SEP]", tok.token_to_id("[SEP]"))],
    )
    return BertTokenizerFast(tokenizer_object=tok, model_max_length=512)


def build(span_mode: str, encoder: dict, hidden: int, rnn: int, tokenizer) -> GLiNER:
    """A gliner model as `GLiNER.load_from_config` builds one, minus the hub."""
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


def all_probs(model: GLiNER) -> list[list[list[list[float]]]]:
    """probs[text][start][width][label] for every span inside the text (gliner's forward + sigmoid)."""
    prepared = model.prepare_batch(TEXTS, LABELS)
    batch = model.collate_batch(prepared["input_x"], prepared["entity_types"])
    probs = torch.sigmoid(model.run_batch(batch).logits)  # (B, L, K, C)
    out = []
    for b, words in enumerate(prepared["tokens"]):
        n = len(words)
        out.append([[probs[b, i, w].tolist() for w in range(min(12, n - i))] for i in range(n)])
    return out


def predictions(model: GLiNER) -> dict:
    return {
        mode: model.inference(TEXTS, LABELS, flat_ner=(mode == "flat"), threshold=THRESHOLD)
        for mode in ("flat", "nested")
    }


def roundtrip(folder: Path, spanlab_python: str, original: list) -> dict:
    """spanlab imports the checkpoint, exports it; gliner loads the export; compare scores."""
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export"
        cmd = [spanlab_python, "-m", "spanlab", "convert", "to-gliner", str(folder), str(export)]
        subprocess.run(cmd, check=True)
        files = sorted(p.name for p in export.iterdir())
        reloaded = GLiNER.from_pretrained(str(export), local_files_only=True).eval()
        again = all_probs(reloaded)
    diff = max(
        abs(a - b)
        for t1, t2 in zip(original, again) for s1, s2 in zip(t1, t2) for w1, w2 in zip(s1, s2) for a, b in zip(w1, w2)
    )
    return {"command": "spanlab convert to-gliner", "files": files, "gliner_loads": True, "max_abs_diff": diff}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="tests/fixtures/gliner")
    parser.add_argument("--spanlab-python", default=None, help="python with spanlab installed (for the export check)")
    args = parser.parse_args()
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
    (out / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    print("wrote", out)


if __name__ == "__main__":
    main()
