"""The whole bad-input corpus through every reader and CLI command: clear messages, no tracebacks."""

from __future__ import annotations

from collections import Counter

import pytest
from badinput_run import run_corpus

from spanlab.config import ModelConfig
from spanlab.model import SpanModel


@pytest.mark.slow  # ~25 s: six one-step training runs among ~200 checks
def test_every_reader_and_command_meets_the_corpus(tiny_encoder_dir, tmp_path):
    model_dir = tmp_path / "model"
    SpanModel.from_encoder(ModelConfig(encoder=str(tiny_encoder_dir), hidden_size=32, max_width=4, max_len=32)) \
        .save_pretrained(model_dir)

    results = run_corpus(tmp_path, model_dir, tiny_encoder_dir)

    crashed = [r for r in results if r.happened == "crashed"]
    assert not crashed, "\n".join(f"{r.case} × {r.consumer}: {r.message}" for r in crashed)
    wrong = [r for r in results if not r.expected]
    assert not wrong, "\n".join(f"{r.case} × {r.consumer}: {r.happened}: {r.message}" for r in wrong)
    # The corpus covers every consumer, and both refusals and files read as they are.
    assert Counter(r.happened for r in results).keys() == {"read", "refused"}
    assert {r.consumer for r in results} == {
        "read_gliner", "read_gliner(skip_invalid)", "read_benchmark", "read_bio", "read_inputs", "load_label_map",
        "spanlab train", "spanlab evaluate", "spanlab predict",
        "read_split(cluener) + type list", "read_bmes", "read_bmes(refuse)", "read_weibo", "read_weibo(refuse)",
        "convert_pile_ner", "spanlab convert pile-ner", "read_space_file", "spanlab tune", "read_split(benchmark)",
    }
    by_case = {(r.case, r.consumer): r for r in results}
    # Spot checks of the messages themselves: file, line and field, found and expected.
    refused = by_case["gliner-span-reversed", "spanlab train"].message
    assert "gliner-span-reversed.jsonl:2:ner[0]: found start 1 > end 0; expected start <= end" in refused
    skipped = by_case["gliner-invalid-utf8", "read_gliner(skip_invalid)"].message
    assert skipped.startswith("1 read, 1 skipped (unreadable file; first at ") and skipped.endswith(".jsonl:2)")
    repaired = by_case["bio-starts-with-I", "read_bio"].message
    assert "2 repaired (I- starts a span; first at" in repaired and "bio-starts-with-I.conll:1:tag" in repaired
    # Invalid tag sequences: repaired and counted by default, refused at file:line with invalid_tags="refuse".
    repaired = by_case["bmes-M-without-B", "read_bmes"].message
    assert "1 repaired (M- continues no open LOC span (starts one); first at" in repaired
    assert by_case["bmes-M-without-B", "read_bmes(refuse)"].message.split(": invalid BMES sequence")[0] \
        .endswith("bmes-M-without-B.char.bmes:4:tag")
    assert by_case["cluener-label-not-in-types", "read_split(cluener) + type list"].message == "school ×1"
    refused = by_case["pile-answer-not-a-list", "spanlab convert pile-ner"].message
    assert 'pile-answer-not-a-list.json:[0].conversations[3].value: entry 0: found "Ann"' in refused
    assert "did you mean 'train.lr_encoder'" in by_case["space-unknown-key", "spanlab tune"].message
