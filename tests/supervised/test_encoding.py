"""Character spans → token targets; spans that no token span can represent are counted, not dropped."""

from __future__ import annotations

import torch

from spanlab.data.schema import Example, Span
from spanlab.supervised.data import with_text
from spanlab.supervised.encoding import CUT, INSIDE_TOKEN, NESTED, UNKNOWN_LABEL, alignment_report


def example(words, spans):
    return with_text(Example(words=words, spans=[Span(*s) for s in spans]))


def test_pointer_targets_are_sparse_cells_per_type(make_model):
    collator = make_model("egp").collator()
    batch = collator([example(["Alice", "lives", "in", "New", "York"], [(0, 0, "person"), (3, 4, "city"), (4, 4, "city")]),
                      example(["Paris"], [(0, 0, "city")])])
    T = batch["input_ids"].shape[1]
    assert batch["token_mask"][0].tolist() == [False, True, True, True, True, True, False]  # [CLS] … [SEP]
    index = batch["span_index"]  # (B, K, P); labels are [city, person]
    assert sorted(index[0, 0][index[0, 0] >= 0].tolist()) == [4 * T + 5, 5 * T + 5]  # New York, York (nested)
    assert index[0, 1][index[0, 1] >= 0].tolist() == [1 * T + 1]  # Alice
    assert index[1, 0][index[1, 0] >= 0].tolist() == [1 * T + 1] and (index[1, 1] == -1).all()


def test_bio_tags_mark_every_sub_token_and_skip_special_tokens(make_model):
    collator = make_model("tokencls").collator()
    batch = collator([example(["Lovelace", "met", "Bob"], [(0, 0, "person"), (2, 2, "person")])])
    tokens = collator.tokenizer.convert_ids_to_tokens(batch["input_ids"][0])
    assert tokens[1:3] == ["love", "##lace"]
    # O = 0, B-city = 1, I-city = 2, B-person = 3, I-person = 4
    assert batch["tag_ids"][0].tolist() == [-100, 3, 4, 0, 3, -100]


def test_unrepresentable_gold_spans_are_counted_by_reason(make_model):
    collator = make_model("tokencls").collator()
    collator.max_len = 6  # [CLS] + 4 tokens + [SEP]
    ex = Example(words=[], text="Lovelace met Bob in Rome", spans=[])
    ex.word_offsets = [(0, 5), (0, 8), (9, 12), (13, 16), (20, 24), (0, 12)]
    ex.spans = [Span(0, 0, "person"),  # "Lovel": ends inside "##lace"
                Span(4, 4, "city"),  # "Rome": cut by max_len
                Span(2, 2, "animal"),  # not in the label set
                Span(1, 1, "person"), Span(5, 5, "person")]  # "Lovelace" inside "Lovelace met": BIO cannot nest
    problems = alignment_report(collator, [ex])
    assert problems == {INSIDE_TOKEN: 1, CUT: 1, UNKNOWN_LABEL: 1, NESTED: 1}
    batch = collator([ex])
    assert (batch["tag_ids"][0] > 0).sum() == 3  # only "Lovelace met" (3 sub-tokens) was tagged
    assert torch.equal(batch["tag_ids"][0, 1:4], torch.tensor([3, 4, 4]))


def test_benchmark_json_is_read_at_character_level_so_no_entity_is_lost(tmp_path):
    import json

    import pytest

    from spanlab.data.readers import ReadReport
    from spanlab.errors import DataError
    from spanlab.supervised.data import char_spans, read_split

    path = tmp_path / "test.json"
    record = {"sentence": "German-born Anna", "entities": [{"name": "German", "type": "else", "pos": [0, 6]},
                                                            {"name": "Anna", "type": "person", "pos": [12, 16]}]}
    path.write_text(json.dumps([record]), encoding="utf-8")
    (example,) = read_split("benchmark", str(path), report=ReadReport())
    assert char_spans(example) == [(0, 6, "else"), (12, 16, "person")]  # "German" inside the word "German-born" kept
    record["entities"][1]["pos"] = [12, 30]
    path.write_text(json.dumps([record]), encoding="utf-8")
    with pytest.raises(DataError, match=r"test.json:1:entities\[1\]"):
        read_split("benchmark", str(path))
