"""Readers on tiny fixtures written into tmp_path: good files, and every kind of bad one."""

from __future__ import annotations

import gzip
import json
import logging
from pathlib import Path

import pytest

from spanlab.data.readers import (
    ReadReport,
    apply_label_map,
    load_label_map,
    read_benchmark,
    read_bio,
    read_gliner,
    read_gliner_files,
)
from spanlab.data.schema import Example, Span
from spanlab.errors import DataError

GOOD = {"tokenized_text": ["Ann", "lives", "in", "New", "York"], "ner": [[0, 0, "person"], [3, 4, "city"]]}
NEG = {"tokenized_text": ["Hi"], "ner": [], "negative": ["person"], "dataset": "x"}


def write_jsonl(path: Path, records: list, *, gz: bool = False) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.write_bytes(gzip.compress(text.encode()) if gz else text.encode())
    return path


# --------------------------------------------------------------------------- read_gliner


def test_gliner_jsonl_json_and_gzip_read_the_same(tmp_path):
    files = [
        write_jsonl(tmp_path / "a.jsonl", [GOOD, "", NEG]),  # the blank line is ignored
        write_jsonl(tmp_path / "a.jsonl.gz", [GOOD, NEG], gz=True),
        write_jsonl(tmp_path / "gz_without_suffix.jsonl", [GOOD, NEG], gz=True),  # magic bytes decide
    ]
    (tmp_path / "a.json").write_text(json.dumps([GOOD, NEG], indent=1))
    files.append(tmp_path / "a.json")
    for path in files:
        examples = list(read_gliner(path))
        assert [e.words for e in examples] == [GOOD["tokenized_text"], ["Hi"]], path
        assert examples[0].spans == [Span(0, 0, "person"), Span(3, 4, "city")]
        assert examples[1].negatives == ["person"]
    assert [e.source for e in read_gliner(files[0])] == [f"{files[0]}:1", f"{files[0]}:3"]
    assert list(read_gliner(tmp_path / "a.json"))[1].source == f"{tmp_path / 'a.json'}:2"  # record number


@pytest.mark.parametrize(
    "record, reason, field, words_in_message",
    [
        ({"tokenized_text": "Ann", "ner": []}, "bad tokenized_text", "tokenized_text", ["str"]),
        ({"tokenized_text": [], "ner": []}, "bad tokenized_text", "tokenized_text", ["non-empty"]),
        ({"tokenized_text": ["a", 3], "ner": []}, "bad tokenized_text", "tokenized_text", ["int 3"]),
        ({"tokenized_text": ["a"], "ner": [[0, 0]]}, "bad ner", "ner[0]", ["3-item"]),
        ({"tokenized_text": ["a"], "ner": [["0", 0, "x"]]}, "bad ner", "ner[0]", ["integer"]),
        ({"tokenized_text": ["a"], "ner": [[0, 0, ""]]}, "bad ner", "ner[0][2]", ["non-empty"]),
        ({"tokenized_text": ["a", "b"], "ner": [[1, 0, "x"]]}, "reversed span", "ner[0]", ["1 > end 0"]),
        ({"tokenized_text": ["a", "b"], "ner": [[0, 2, "x"]]}, "span out of range", "ner[0]", ["2 words"]),
        ({"tokenized_text": ["a"], "ner": [[-1, 0, "x"]]}, "span out of range", "ner[0]", ["0 <= start"]),
        ({"tokenized_text": ["a"], "ner": [], "negative": "x"}, "bad negative", "negative", ["str"]),
        ({"tokenized_text": ["a"], "ner": [], "negative": [""]}, "bad negative", "negative", ["non-empty"]),
        ([1, 2], "not an object", None, ["list"]),
    ],
)
def test_gliner_invalid_record(tmp_path, record, reason, field, words_in_message):
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD, record, NEG])
    with pytest.raises(DataError) as info:
        list(read_gliner(path))
    where = f"{path}:2" + (f":{field}" if field else "")
    assert info.value.where == where
    message = str(info.value)
    assert "bad.jsonl:2" in message and "found" in message and "expected" in message and "fix:" in message
    for word in words_in_message:
        assert word in message

    report = ReadReport()
    examples = list(read_gliner(path, skip_invalid=True, report=report))
    assert [e.source for e in examples] == [f"{path}:1", f"{path}:3"]
    assert report.read == 2 and report.skipped == {reason: 1}
    assert f"1 skipped ({reason}; first at {where})" in report.summary()


def test_gliner_bad_json_line(tmp_path, caplog):
    path = write_jsonl(tmp_path / "x.jsonl", [GOOD, '{"tokenized_text": ["a"], ', NEG, "not json"])
    with pytest.raises(DataError, match=r"x\.jsonl:2: found invalid JSON"):
        list(read_gliner(path))
    report = ReadReport()
    with caplog.at_level(logging.WARNING):
        assert len(list(read_gliner(path, skip_invalid=True, report=report))) == 2
    assert report.skipped == {"invalid JSON": 2}
    assert report.first_seen["invalid JSON"] == f"{path}:2"
    assert "skipped 2 invalid records" in caplog.text  # skips are never silent


def test_gliner_bad_json_list_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[\n{"tokenized_text": ["a"]},\n{oops}\n]')
    with pytest.raises(DataError, match=r"x\.json:3: found invalid JSON"):
        list(read_gliner(path))


def test_gliner_truncated_gzip(tmp_path):
    full = gzip.compress("".join(json.dumps(GOOD) + "\n" for _ in range(2000)).encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(DataError) as info:
        list(read_gliner(path))
    assert "cut.jsonl.gz:" in str(info.value) and "truncated" in str(info.value)
    line = int(info.value.where.rsplit(":", 1)[1])
    assert 1 < line < 2000

    report = ReadReport()
    examples = list(read_gliner(path, skip_invalid=True, report=report))
    assert report.skipped == {"unreadable file": 1}
    assert report.read == len(examples) == line - 1  # everything before the break was kept


def test_gliner_not_utf8(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b'\n{"tokenized_text": ["caf\xe9"]}\n')
    with pytest.raises(DataError, match=r"latin1\.jsonl:2: found bytes that are not UTF-8"):
        list(read_gliner(path))


def test_gliner_missing_file(tmp_path):
    with pytest.raises(DataError, match="nope.jsonl: cannot open file"):
        list(read_gliner(tmp_path / "nope.jsonl"))


def test_gliner_files_glob_order_and_no_match(tmp_path):
    write_jsonl(tmp_path / "b.jsonl", [NEG])
    write_jsonl(tmp_path / "a.jsonl.gz", [GOOD], gz=True)
    examples = read_gliner_files([str(tmp_path / "*.jsonl*")])
    assert [e.source for e in examples] == [f"{tmp_path}/a.jsonl.gz:1", f"{tmp_path}/b.jsonl:1"]
    with pytest.raises(DataError, match=r"missing\*\.jsonl: found no file matching"):
        read_gliner_files([str(tmp_path / "*.jsonl"), str(tmp_path / "missing*.jsonl")])


# --------------------------------------------------------------------------- read_benchmark


def write_benchmark(folder: Path, records: list, labels: list) -> Path:
    folder.mkdir()
    (folder / "test.json").write_text(json.dumps(records))
    (folder / "labels.json").write_text(json.dumps(labels))
    return folder


def test_benchmark_aligns_entities_and_warns_on_misaligned(tmp_path):
    sentence = "watch a rated R movie with Tom Hanks"
    records = [
        {"sentence": sentence, "entities": [
            {"name": "R", "type": "Rating", "pos": [14, 15]},
            {"name": "Tom Hanks", "type": "actor", "pos": [27, 36]},
            {"name": "a", "type": "actor", "pos": [2, 3]},  # the "a" inside "watch": misaligned
        ]},
        {"sentence": "no entities here", "entities": []},
    ]
    folder = write_benchmark(tmp_path / "movie", records, ["Rating", "actor"])
    report = ReadReport()
    warning = r"1 entities do not start and end on word boundaries.*test\.json:1:entities\[2\]"
    with pytest.warns(UserWarning, match=warning):
        examples, labels = read_benchmark(folder, report=report)
    assert labels == ["Rating", "actor"]  # kept as written: lower-casing is the evaluator's job
    first = examples[0]
    assert first.spans == [Span(3, 3, "Rating"), Span(6, 7, "actor")]
    assert first.text == sentence and first.labels == labels
    assert [sentence[s:e] for s, e in first.word_offsets] == first.words
    assert first.source == f"{folder / 'test.json'}:1"
    assert report.read == 2 and report.skipped == {"entity not aligned to words": 1}
    # The JSON file itself also works, with labels.json beside it.
    with pytest.warns(UserWarning):
        assert read_benchmark(folder / "test.json")[0][1].words == ["no", "entities", "here"]


@pytest.mark.parametrize(
    "entity, field",
    [({"type": "x", "pos": [0, 99]}, "entities[0].pos"), ({"type": 3, "pos": [0, 2]}, "entities[0].type")],
)
def test_benchmark_bad_entity(tmp_path, entity, field):
    folder = write_benchmark(tmp_path / "b", [{"sentence": "hi there", "entities": [entity]}], ["x"])
    with pytest.raises(DataError) as info:
        read_benchmark(folder)
    assert info.value.where == f"{folder / 'test.json'}:1:{field}"


def test_benchmark_missing_labels(tmp_path):
    (tmp_path / "test.json").write_text("[]")
    with pytest.raises(DataError, match=r"labels\.json: found no file; expected a non-empty JSON list"):
        read_benchmark(tmp_path)


# --------------------------------------------------------------------------- read_bio


def test_bio_with_docstart_and_repaired_i_start(tmp_path):
    path = tmp_path / "x.conll"
    path.write_text(
        "-DOCSTART- -X- O\n\n"
        "Ann B-PER\nSmith I-PER\nvisited O\nNew I-LOC\nYork I-LOC\n\n"  # I-LOC after O: repaired
        "EU I-ORG\nand O\nUN I-ORG\nPeter I-PER\n"  # I- after another type too; no final blank line
    )
    report = ReadReport()
    first, second = read_bio(path, report=report)
    assert first.words == ["Ann", "Smith", "visited", "New", "York"]
    assert first.spans == [Span(0, 1, "PER"), Span(3, 4, "LOC")]
    assert second.spans == [Span(0, 0, "ORG"), Span(2, 2, "ORG"), Span(3, 3, "PER")]
    assert first.source == f"{path}:3" and second.source == f"{path}:9"
    assert report.repairs == {"I- starts a span": 4}
    assert report.first_seen["I- starts a span"] == f"{path}:6:tag"
    assert "4 repaired (I- starts a span" in report.summary()


def test_bioes_and_bmes_tags(tmp_path):
    path = tmp_path / "x.bmes"
    path.write_text(
        "A B-ORG\nB M-ORG\nC E-ORG\nd O\nE S-PER\nF B-LOC\nG E-LOC\n\n"
        "北 B-LOC\n京 E-LOC\n人 S-PER\nX E-ORG\n"  # E- with no open span: a one-word span, counted
    )
    report = ReadReport()
    first, second = read_bio(path, report=report)
    assert first.spans == [Span(0, 2, "ORG"), Span(4, 4, "PER"), Span(5, 6, "LOC")]
    assert second.spans == [Span(0, 1, "LOC"), Span(2, 2, "PER"), Span(3, 3, "ORG")]
    assert report.repairs == {"E- without B-": 1}


def test_bio_crlf_tabs_and_columns(tmp_path):
    path = tmp_path / "x.bio"
    path.write_bytes(b"B-GENRE\tromantic\r\nI-GENRE\tcomedies\r\n\r\nO\tok\r\n")
    first, second = read_bio(path, token_col=1, tag_col=0, sep="\t")
    assert first.words == ["romantic", "comedies"] and first.spans == [Span(0, 1, "GENRE")]
    assert second.words == ["ok"] and second.spans == []


def test_bio_missing_column_and_bad_tag(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("Ann B-PER\nSmith\n")
    with pytest.raises(DataError) as info:
        read_bio(path)
    assert info.value.where == f"{path}:2:columns"
    assert "found 1 column(s)" in str(info.value)
    path.write_text("Ann B-PER\n\nSmith PER\n")
    with pytest.raises(DataError, match=r"x\.txt:3:tag: found tag 'PER'"):
        read_bio(path)


# --------------------------------------------------------------------------- label maps


def test_label_map_json_and_tsv(tmp_path):
    (tmp_path / "m.json").write_text('{"PER": "person", "LOC": "location"}')
    (tmp_path / "m.tsv").write_text("# comment\nPER\tperson\n\nLOC\tlocation\n")
    assert load_label_map(tmp_path / "m.json") == load_label_map(tmp_path / "m.tsv") == {
        "PER": "person", "LOC": "location",
    }
    (tmp_path / "bad.tsv").write_text("PER\tperson\nLOC location\n")
    with pytest.raises(DataError, match=r"bad\.tsv:2: found 1 tab-separated column"):
        load_label_map(tmp_path / "bad.tsv")
    (tmp_path / "twice.tsv").write_text("PER\tperson\nPER\thuman\n")
    with pytest.raises(DataError, match=r"twice\.tsv:2: found 'PER' mapped to both"):
        load_label_map(tmp_path / "twice.tsv")


def test_apply_label_map_renames_and_keeps_unknown():
    example = Example(
        words=["a", "b"], spans=[Span(0, 0, "PER"), Span(1, 1, "MISC")],
        negatives=["LOC"], labels=["PER", "person", "MISC"],
    )
    (renamed,) = apply_label_map([example], {"PER": "person", "LOC": "location"})
    assert renamed.spans == [Span(0, 0, "person"), Span(1, 1, "MISC")]
    assert renamed.negatives == ["location"]
    assert renamed.labels == ["person", "MISC"]  # de-duplicated
    assert example.spans[0].label == "PER"  # the input is not modified


def test_read_gliner_files_takes_benchmark_format_training_files(tmp_path):
    # e.g. CoNLL-2003's train.json: sentence + character entities, with labels.json beside it
    records = [{"sentence": "Ada met Bob .", "entities": [{"name": "Bob", "type": "person", "pos": [8, 11]}]}]
    (tmp_path / "train.json").write_text(json.dumps(records), encoding="utf-8")
    (tmp_path / "labels.json").write_text(json.dumps(["person"]), encoding="utf-8")
    (ex,) = read_gliner_files([str(tmp_path / "train.json")])
    assert ex.words == ["Ada", "met", "Bob", "."] and ex.spans == [Span(2, 2, "person")]
