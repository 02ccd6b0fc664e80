"""Pile-NER-type conversations → GLiNER records: spans at every occurrence, [] answers as negatives."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from spanlab.cli import app
from spanlab.data.pile_ner import convert_pile_ner
from spanlab.data.readers import read_gliner
from spanlab.errors import DataError


def conversation(text: str, qa: list[tuple[str, list[str]]]) -> dict:
    turns = [{"from": "human", "value": f"Text: {text}"}, {"from": "gpt", "value": "I've read this text."}]
    for label, mentions in qa:
        turns.append({"from": "human", "value": f"What describes {label} in the text?"})
        turns.append({"from": "gpt", "value": json.dumps(mentions)})
    return {"conversations": turns, "id": "ner_x"}


ENTRIES = [
    conversation(
        "Ada Lovelace met Charles Babbage in London. Ada wrote notes.",
        [("Person", ["Ada Lovelace", "Charles Babbage", "Ada"]), ("city", ["London"]), ("date", []),
         ("award", ["Turing Award"])],
    ),
    conversation("state-of-the-art GPUs from NVIDIA.", [("company", ["NVIDIA"]), ("person", [])]),
]


def write(tmp_path, entries) -> str:
    path = tmp_path / "pile-ner.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return str(path)


def test_spans_negatives_and_a_readable_output(tmp_path):
    out = tmp_path / "out.jsonl.gz"
    report = convert_pile_ner(write(tmp_path, ENTRIES), out)
    records = [json.loads(line) for line in gzip.open(out, "rt", encoding="utf-8")]
    first, second = records
    words = first["tokenized_text"]
    assert words[:5] == ["Ada", "Lovelace", "met", "Charles", "Babbage"]
    spans = {(s, e, label): " ".join(words[s : e + 1]) for s, e, label in first["ner"]}
    assert spans == {
        (0, 1, "person"): "Ada Lovelace", (3, 4, "person"): "Charles Babbage", (0, 0, "person"): "Ada",
        (8, 8, "person"): "Ada", (6, 6, "city"): "London",
    }
    assert first["negative"] == ["date"]
    assert second["tokenized_text"][0] == "state-of-the-art" and second["negative"] == ["person"]
    assert (report.entries, report.written, report.spans, report.negatives, report.mentions_not_found) == (2, 2, 6, 2, 1)
    examples = list(read_gliner(out))  # spanlab's own reader accepts the output
    assert examples[0].negatives == ["date"] and len(examples[0].spans) == 5


def test_keep_case_through_the_cli(tmp_path):
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["convert", "pile-ner", write(tmp_path, ENTRIES), str(out), "--keep-case"])
    assert result.exit_code == 0, result.output
    first = json.loads(out.read_text().splitlines()[0])
    assert {label for _, _, label in first["ner"]} == {"Person", "city"}


@pytest.mark.parametrize(
    "entry, field",
    [
        ({"conversations": "nope"}, "[1].conversations"),
        (conversation("A text.", [("person", ["x"])]) | {"conversations": [{"from": "gpt", "value": "Text: A"}]}, "[1].conversations"),
        ({"conversations": [{"from": "human", "value": "Passage: A"}, {"from": "gpt", "value": "ok"}]}, "[1].conversations[0].value"),
        ({"conversations": conversation("A b.", [("person", ["A"])])["conversations"][:3] + [{"from": "gpt", "value": "not json"}]}, "[1].conversations[3].value"),
        ({"conversations": conversation("A b.", [("person", ["A"])])["conversations"][:2] + [{"from": "human", "value": "Who?"}, {"from": "gpt", "value": "[]"}]}, "[1].conversations[2].value"),
    ],
)
def test_malformed_entries_name_index_and_field(tmp_path, entry, field):
    src = write(tmp_path, [ENTRIES[0], entry])
    with pytest.raises(DataError) as err:
        convert_pile_ner(src, tmp_path / "out.jsonl")
    assert err.value.where == f"{src}:{field}"
    assert "entry 1:" in str(err.value)
    assert not (tmp_path / "out.jsonl").exists()  # nothing half-written

    report = convert_pile_ner(src, tmp_path / "out.jsonl", skip_invalid=True)
    assert report.written == 1 and sum(report.skipped.values()) == 1


def test_a_file_that_is_not_a_list(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"conversations": []}')
    with pytest.raises(DataError, match="expected a list of entries"):
        convert_pile_ner(path, tmp_path / "out.jsonl")
