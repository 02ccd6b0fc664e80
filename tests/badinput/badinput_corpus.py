"""The bad-input corpus: every kind of broken or awkward file spanlab's readers and CLI meet.

`write_corpus(folder)` writes the files (generated, so that invalid UTF-8 and truncated
gzip need no binary fixtures in git) and returns one `Case` per file. A case says which
format it is in, whether spanlab must refuse it or read it (possibly with a counted
repair), and what the message must name: the file, the line and, where there is one, the
field. Used by tests/badinput/test_badinput.py and benchmarks/reliability.py.

Formats and the consumers that meet them:
- "gliner": GLiNER JSONL records — `read_gliner`, `spanlab train`, `spanlab evaluate --suite FILE`;
- "benchmark": a zero-shot set folder (test.json + labels.json) — `read_benchmark`, `spanlab evaluate`;
- "bio": CoNLL token/tag columns — `read_bio`;
- "texts": `spanlab predict --input` files (JSONL with "text", or plain lines);
- "labelmap": label renamings (JSON object or `old<TAB>new` TSV) — `load_label_map`,
  `spanlab train --set data.label_map=FILE` (on `good.jsonl`, written beside the cases);
- "cluener", "bmes", "weibo", "pilener", "space", "charbench": see badinput_newer.py.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from pathlib import Path

from badinput_newer import write_newer_cases

GOOD = {"tokenized_text": ["Ann", "lives", "in", "Oslo", "."], "ner": [[0, 0, "person"], [3, 3, "city"]]}
GOOD_SENTENCE = {"sentence": "Ann lives in Oslo .", "entities": [{"name": "Ann", "type": "person", "pos": [0, 3]}]}
# Emoji (with a zero-width joiner), CJK, right-to-left Arabic and Hebrew, combining accents.
UNICODE_WORDS = ["👩‍💻", "Zoë", "Cafe\u0301", "北京", "大学", "القاهرة", "ירושלים", "🇳🇴", "x\u0308\u0301"]
LONG_TEXT = "word " * 19_999 + "Oslo."  # 100,000 characters, 20,000 words
assert len(LONG_TEXT) == 100_000


@dataclass
class Case:
    name: str
    format: str  # "gliner" | "benchmark" | "bio" | "texts" | "labelmap" | the formats of badinput_newer.py
    path: Path  # the file (or, for "benchmark", the set folder)
    outcome: str  # "error" (refused with a message) | "ok" (read as it is) | "repair" (read, repairs counted)
    where: str = ""  # the location the message must contain: "path:line[:field]"
    words: list[str] = field(default_factory=list)  # further words the message must contain
    # Where the CLI commands judge the file differently from the readers (e.g. readable
    # records with nothing to train on): their outcome, location and words.
    cli_outcome: str | None = None
    cli_where: str = ""
    cli_words: list[str] = field(default_factory=list)


def _jsonl(records: list) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode()


def write_corpus(folder: Path) -> list[Case]:
    folder.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []

    def add(name: str, fmt: str, data: bytes, outcome: str, line: int | None = None, fld: str | None = None,
            words: tuple[str, ...] = (), suffix: str = ".jsonl") -> None:
        path = folder / f"{name}{suffix}"
        path.write_bytes(data)
        where = "" if line is None else f"{path}:{line}" + (f":{fld}" if fld else "")
        cases.append(Case(name, fmt, path, outcome, where, list(words)))

    # ------------------------------------------------------------------ GLiNER records
    add("gliner-malformed-json", "gliner", _jsonl([GOOD, '{"tokenized_text": ["a"], "ner": [', GOOD]),
        "error", 2, None, ("invalid JSON",))
    whole = gzip.compress(_jsonl([GOOD] * 3000))
    add("gliner-truncated-gzip", "gliner", whole[: len(whole) // 2], "error", None, None, ("truncated",),
        suffix=".jsonl.gz")
    add("gliner-text-not-a-list", "gliner", _jsonl([GOOD, {"tokenized_text": "Ann lives", "ner": []}]),
        "error", 2, "tokenized_text", ("str",))
    add("gliner-ner-not-a-list", "gliner", _jsonl([GOOD, {"tokenized_text": ["a"], "ner": {"0": "x"}}]),
        "error", 2, "ner", ("dict",))
    add("gliner-index-is-a-string", "gliner", _jsonl([GOOD, {"tokenized_text": ["a", "b"], "ner": [["0", 1, "x"]]}]),
        "error", 2, "ner[0]", ("integer",))
    add("gliner-label-not-a-string", "gliner", _jsonl([GOOD, {"tokenized_text": ["a"], "ner": [[0, 0, 7]]}]),
        "error", 2, "ner[0][2]", ("label",))
    add("gliner-span-out-of-range", "gliner", _jsonl([GOOD, GOOD, {"tokenized_text": ["a", "b"], "ner": [[1, 5, "x"]]}]),
        "error", 3, "ner[0]", ("2 words",))
    add("gliner-span-reversed", "gliner", _jsonl([GOOD, {"tokenized_text": ["a", "b"], "ner": [[1, 0, "x"]]}]),
        "error", 2, "ner[0]", ("start 1 > end 0",))
    add("gliner-empty-text", "gliner", _jsonl([GOOD, {"tokenized_text": [], "ner": []}]),
        "error", 2, "tokenized_text", ("non-empty",))
    add("gliner-empty-label", "gliner", _jsonl([GOOD, {"tokenized_text": ["a"], "ner": [[0, 0, ""]]}]),
        "error", 2, "ner[0][2]", ("non-empty",))
    add("gliner-invalid-utf8", "gliner", _jsonl([GOOD]) + b'{"tokenized_text": ["caf\xe9"], "ner": []}\n',
        "error", 2, None, ("UTF-8",))
    add("gliner-empty-label-lists", "gliner", _jsonl([GOOD, {"tokenized_text": ["Hi", "."], "ner": [], "negative": []}]),
        "ok")
    many = {"tokenized_text": [f"w{i}" for i in range(200)], "ner": [[i, i, f"type {i}"] for i in range(200)]}
    add("gliner-200-labels", "gliner", _jsonl([GOOD, many]), "ok")
    add("gliner-100k-characters", "gliner", _jsonl([GOOD, {"tokenized_text": LONG_TEXT.split(" "),
                                                         "ner": [[19_999, 19_999, "city"]]}]), "ok")
    unicode_record = {"tokenized_text": UNICODE_WORDS, "ner": [[i, i, "thing"] for i in range(len(UNICODE_WORDS))]}
    add("gliner-unicode", "gliner", _jsonl([GOOD, unicode_record]), "ok")
    add("gliner-no-entities", "gliner", _jsonl([{"tokenized_text": ["Hi", "."], "ner": []}] * 2), "ok")
    cases[-1].cli_outcome, cases[-1].cli_where, cases[-1].cli_words = "error", str(cases[-1].path), ["no entity"]
    add("gliner-crlf", "gliner", _jsonl([GOOD, GOOD]).replace(b"\n", b"\r\n"), "ok")
    add("gliner-crlf-bad-record", "gliner", _jsonl([GOOD, {"tokenized_text": ["a"], "ner": [[0, 1, "x"]]}])
        .replace(b"\n", b"\r\n"), "error", 2, "ner[0]", ("1 words",))

    # ------------------------------------------------------------------ zero-shot benchmark sets
    def bench(name: str, records: bytes, labels: bytes, outcome: str, line: int | None = None,
              fld: str | None = None, words: tuple[str, ...] = (), in_labels: bool = False) -> None:
        set_dir = folder / name
        set_dir.mkdir(exist_ok=True)
        (set_dir / "test.json").write_bytes(records)
        (set_dir / "labels.json").write_bytes(labels)
        target = set_dir / ("labels.json" if in_labels else "test.json")
        where = str(target) if in_labels else ("" if line is None else f"{target}:{line}" + (f":{fld}" if fld else ""))
        cases.append(Case(name, "benchmark", set_dir, outcome, where, list(words)))

    labels = json.dumps(["person", "city"]).encode()

    def sentences(*records) -> bytes:
        return json.dumps(list(records), ensure_ascii=False, indent=1).encode()

    bench("bench-malformed-json", b'[\n{"sentence": "Ann ."},\n{"sentence": \n]', labels, "error", 4, None,
          ("invalid JSON",))
    bench("bench-sentence-not-a-string", sentences(GOOD_SENTENCE, {"sentence": 42, "entities": []}), labels,
          "error", 2, "sentence", ("int 42",))
    bench("bench-pos-out-of-range", sentences(GOOD_SENTENCE, {"sentence": "Ann .", "entities": [
        {"name": "Ann", "type": "person", "pos": [0, 30]}]}), labels, "error", 2, "entities[0].pos", ("<= 5",))
    bench("bench-pos-reversed", sentences({"sentence": "Ann .", "entities": [
        {"name": "Ann", "type": "person", "pos": [3, 0]}]}), labels, "error", 1, "entities[0].pos", ("start < end",))
    bench("bench-empty-sentence", sentences(GOOD_SENTENCE, {"sentence": "  ", "entities": []}), labels,
          "error", 2, "sentence", ("at least one word",))
    bench("bench-empty-labels", sentences(GOOD_SENTENCE), b"[]", "error", words=("non-empty",), in_labels=True)
    bench("bench-invalid-utf8", b'[{"sentence": "caf\xe9", "entities": []}]', labels, "error", 1, None, ("UTF-8",))
    bench("bench-200-labels", sentences(GOOD_SENTENCE), json.dumps([f"type {i}" for i in range(200)]).encode(), "ok")
    bench("bench-100k-characters", sentences({"sentence": LONG_TEXT, "entities": [
        {"name": "Oslo", "type": "city", "pos": [99_995, 99_999]}]}), labels, "ok")
    text = " ".join(UNICODE_WORDS)
    bench("bench-unicode", sentences({"sentence": text, "entities": [
        {"name": "北京", "type": "city", "pos": [text.index("北京"), text.index("北京") + 2]}]}), labels, "ok")
    bench("bench-crlf", sentences(GOOD_SENTENCE, GOOD_SENTENCE).replace(b"\n", b"\r\n"), labels, "ok")

    # ------------------------------------------------------------------ CoNLL BIO
    add("bio-starts-with-I", "bio", b"Ann I-person\nlives O\nin O\nNew I-city\nYork I-city\n\n", "repair",
        words=("I- starts a span",), suffix=".conll")
    add("bio-crlf", "bio", b"Ann B-person\r\nlives O\r\n\r\nOslo B-city\r\n", "ok", suffix=".conll")
    add("bio-bad-tag", "bio", b"Ann B-person\nlives X-thing\n", "error", 2, "tag", ("X-thing",), suffix=".conll")
    add("bio-missing-column", "bio", b"Ann B-person\nlives\n", "error", 2, "columns", ("1 column",), suffix=".conll")
    add("bio-invalid-utf8", "bio", b"Ann B-person\ncaf\xe9 O\n", "error", 2, None, ("UTF-8",), suffix=".conll")
    add("bio-unicode", "bio", "".join(f"{w} B-thing\n" for w in UNICODE_WORDS).encode(), "ok", suffix=".conll")

    # ------------------------------------------------------------------ predict inputs
    def texts(*records) -> bytes:
        return _jsonl([{"text": r} if isinstance(r, str) else r for r in records])

    add("texts-malformed-json", "texts", _jsonl([{"text": "Ann lives in Oslo."}, '{"text": "x"']), "error", 2, None,
        ("invalid JSON",))
    add("texts-not-a-string", "texts", texts("Ann lives in Oslo.", {"text": 42}), "error", 2, "text", ("42",))
    add("texts-invalid-utf8", "texts", texts("Ann.") + b'{"text": "caf\xe9"}\n', "error", 2, None, ("UTF-8",))
    whole = gzip.compress(texts(*["Ann lives in Oslo."] * 3000))
    add("texts-truncated-gzip", "texts", whole[: len(whole) // 2], "error", None, None, ("truncated",),
        suffix=".jsonl.gz")
    add("texts-empty-text", "texts", texts("", "Ann lives in Oslo."), "ok")
    add("texts-100k-characters", "texts", texts(LONG_TEXT), "ok")
    add("texts-unicode", "texts", texts(" ".join(UNICODE_WORDS), "مرحبا بالعالم", "東京に住む"), "ok")
    add("texts-crlf-plain", "texts", b"Ann lives in Oslo.\r\nBob too.\r\n", "ok", suffix=".txt")

    # ------------------------------------------------------------------ label maps
    (folder / "good.jsonl").write_bytes(_jsonl([GOOD, GOOD]))
    add("labelmap-bad-columns", "labelmap", b"person\tPER\ncity LOC\n", "error", 2, None, ("1 tab-separated",),
        suffix=".tsv")
    add("labelmap-conflict", "labelmap", b"# renames\nperson\tPER\nperson\tPERSON\n", "error", 3, None,
        ("both",), suffix=".tsv")
    add("labelmap-invalid-utf8", "labelmap", b"caf\xe9\tplace\n", "error", 1, None, ("UTF-8",), suffix=".tsv")
    add("labelmap-not-strings", "labelmap", b'{"person": 1}', "error", None, None, ("non-string",), suffix=".json")
    cases[-1].where = str(cases[-1].path)
    add("labelmap-crlf", "labelmap", b"person\tPER\r\ncity\tLOC\r\n", "ok", suffix=".tsv")

    write_newer_cases(folder, add)
    return cases
