"""Bad-input cases for the readers and commands that came after the first corpus.

Chinese character-level files (CLUENER JSON lines, BMES, Weibo BIO), Pile-NER conversations
(`spanlab convert pile-ner`), search space files (`spanlab tune --space`) and fixed-label
benchmark JSON with character `pos` (`read_split("benchmark", ...)`). `write_newer_cases`
adds them to the list `write_corpus` builds; the `Case` fields mean the same there.

Formats: "cluener", "bmes", "weibo", "pilener", "space", "charbench". Invalid tag sequences
are "repair" cases: the default readers repair and count them, the `invalid_tags="refuse"`
readers refuse them at `where`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

CLUE_GOOD = {"text": "安妮住在北京。", "label": {"person": {"安妮": [[0, 1]]}, "city": {"北京": [[4, 5]]}}}
CHAR_GOOD = {"sentence": "Ann lives in Oslo .", "entities": [{"name": "Ann", "type": "person", "pos": [0, 3]}]}
PILE_GOOD = {"conversations": [
    {"from": "human", "value": "Text: Ann lives in Oslo."},
    {"from": "gpt", "value": "I've read this text."},
    {"from": "human", "value": "What describes city in the text?"},
    {"from": "gpt", "value": "[\"Oslo\"]"},
]}
SPACE_GOOD = "space:\n  train.lr_encoder: {loguniform: [1.0e-5, 1.0e-3]}\n"


def _lines(*records) -> bytes:
    return "".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in records).encode()


def _pile(*entries) -> bytes:
    return json.dumps(list(entries), ensure_ascii=False, indent=1).encode()


def _turns(*values: str) -> dict:
    return {"conversations": [{"from": "human" if k % 2 == 0 else "gpt", "value": v} for k, v in enumerate(values)]}


def write_newer_cases(folder: Path, add: Callable[..., None]) -> None:
    """`add(name, fmt, data, outcome, line, field, words, suffix)` as in `write_corpus`."""
    # ------------------------------------------------------------------ CLUENER JSON lines
    def clue(name: str, *records, outcome: str = "error", line: int | None = 2, fld: str | None = None,
             words: tuple[str, ...] = (), raw: bytes | None = None) -> None:
        add(name, "cluener", raw if raw is not None else _lines(CLUE_GOOD, *records), outcome, line, fld, words,
            suffix=".json")

    clue("cluener-malformed-json", '{"text": "北京", "label": {', words=("invalid JSON",))
    clue("cluener-text-not-a-string", {"text": ["北", "京"]}, fld="text", words=("string",))
    clue("cluener-label-not-an-object", {"text": "北京", "label": ["city"]}, fld="label", words=("['city']",))
    clue("cluener-mentions-not-an-object", {"text": "北京", "label": {"city": [[0, 1]]}}, fld="label.city",
         words=("[[0, 1]]", "{mention: [[start, end_inclusive]]}"))
    clue("cluener-positions-not-a-list", {"text": "北京", "label": {"city": {"北京": 0}}}, fld="label.city",
         words=("0",))
    clue("cluener-position-is-a-string", {"text": "北京", "label": {"city": {"北京": [["0", 1]]}}},
         fld="label.city", words=("['0', 1]",))
    clue("cluener-span-out-of-range", {"text": "北京", "label": {"city": {"北京": [[0, 9]]}}}, fld="label.city",
         words=("[0, 9]", "inclusive"))
    clue("cluener-span-reversed", {"text": "北京", "label": {"city": {"北京": [[1, 0]]}}}, fld="label.city",
         words=("[1, 0]",))
    clue("cluener-exclusive-end", {"text": "北京", "label": {"city": {"北京": [[0, 2]]}}}, fld="label.city",
         words=("inclusive",))
    clue("cluener-invalid-utf8", raw=_lines(CLUE_GOOD) + b'{"text": "caf\xe9"}\n', words=("UTF-8",))
    clue("cluener-crlf", outcome="ok", line=None, raw=_lines(CLUE_GOOD, CLUE_GOOD).replace(b"\n", b"\r\n"))
    clue("cluener-empty-lines", outcome="ok", line=None, raw=b"\n\n" + _lines(CLUE_GOOD) + b"\n\n" + _lines(CLUE_GOOD))
    # Labels missing from the type list (person, city): read, counted per label by the type-list check.
    clue("cluener-label-not-in-types", {"text": "北京大学", "label": {"school": {"北京大学": [[0, 3]]}}},
         outcome="repair", line=None, words=("school ×1",))

    # ------------------------------------------------------------------ BMES (Resume) and Weibo BIO
    def tagged(name: str, fmt: str, data: bytes, outcome: str = "error", line: int | None = None,
               fld: str | None = None, words: tuple[str, ...] = ()) -> None:
        add(name, fmt, data, outcome, line, fld, words, suffix=".char.bmes" if fmt == "bmes" else ".char.bio")

    tagged("bmes-M-without-B", "bmes", "安 B-NAME\n妮 E-NAME\n\n北 M-LOC\n京 E-LOC\n".encode(), "repair", 4, "tag",
           ("M- continues no open LOC span",))
    tagged("bmes-B-never-closed", "bmes", "安 B-NAME\n妮 M-NAME\n住 O\n".encode(), "repair", 3, "tag",
           ("NAME span not closed by E-",))
    tagged("bmes-bad-tag", "bmes", "安 B-NAME\n妮 I-NAME\n".encode(), "error", 2, "tag", ("'I-NAME'",))
    tagged("bmes-missing-column", "bmes", "安 B-NAME\n妮\n".encode(), "error", 2, "columns", ("a character and a tag",))
    tagged("bmes-invalid-utf8", "bmes", "安 S-NAME\n".encode() + b"\xe5\xae O\n", "error", 2, None, ("UTF-8",))
    tagged("bmes-crlf-empty-lines", "bmes", "安 B-NAME\r\n妮 E-NAME\r\n\r\n\r\n\r\n北 S-LOC\r\n".encode(), "ok")
    tagged("weibo-starts-with-I", "weibo", "安0\tI-PER.NAM\n妮0\tI-PER.NAM\n住0\tO\n".encode(), "repair", 1, "tag",
           ("I- continues no open PER.NAM span",))
    tagged("weibo-no-digits", "weibo", "安0\tB-PER.NAM\n妮\tI-PER.NAM\n".encode(), "error", 2, "char", ("'妮'",))
    tagged("weibo-bad-tag", "weibo", "安0\tB-PER.NAM\n妮0\tE-PER.NAM\n".encode(), "error", 2, "tag", ("'E-PER.NAM'",))
    tagged("weibo-invalid-utf8", "weibo", "安0\tO\n".encode() + b"\xff0\tO\n", "error", 2, None, ("UTF-8",))
    tagged("weibo-crlf-empty-lines", "weibo", "安0\tB-PER.NAM\r\n妮0\tI-PER.NAM\r\n\r\n\r\n北0\tB-GPE.NAM\r\n".encode(),
           "ok")

    # ------------------------------------------------------------------ Pile-NER conversations (record index)
    def pile(name: str, data: bytes, outcome: str = "error", line: int | None = None, fld: str | None = None,
             words: tuple[str, ...] = ()) -> None:
        add(name, "pilener", data, outcome, line, fld, words, suffix=".json")

    pile("pile-invalid-json", b'[\n{"conversations": [\n]', "error", 3, None, ("invalid JSON",))
    pile("pile-invalid-utf8", b'[\n{"conversations": []},\n{"x": "caf\xe9"}\n]', "error", 3, None, ("UTF-8",))
    pile("pile-not-a-list", b'{"conversations": []}', words=("expected a list of entries",))
    pile("pile-no-conversations", _pile(PILE_GOOD, {"turns": []}), fld="[1].conversations", words=("entry 1",))
    pile("pile-turn-not-an-object", _pile(PILE_GOOD, {"conversations": ["Text: a", "ok"]}),
         fld="[1].conversations[0]", words=('"Text: a"',))
    pile("pile-value-not-a-string", _pile({"conversations": [{"from": "human", "value": 7},
                                                           {"from": "gpt", "value": "ok"}]}),
         fld="[0].conversations[0]", words=("value",))
    pile("pile-answer-not-a-list", _pile(_turns("Text: Ann .", "ok", "What describes person in the text?", "Ann")),
         fld="[0].conversations[3].value", words=("a JSON list of mention strings",))
    pile("pile-bad-question", _pile(_turns("Text: Ann .", "ok", "Who is there?", "[]")),
         fld="[0].conversations[2].value", words=("What describes",))
    pile("pile-unanswered", _pile(_turns("Text: Ann .", "ok", "What describes person in the text?")),
         fld="[0].conversations", words=("3 turns",))
    pile("pile-crlf-unicode", _pile(PILE_GOOD, _turns("Text: 安妮住在 北京 。", "ok", "What describes city in the text?",
                                                      "[\"北京\"]")).replace(b"\n", b"\r\n"), "ok")

    # ------------------------------------------------------------------ search space files
    def space(name: str, text: bytes, outcome: str = "error", line: int | None = None,
              words: tuple[str, ...] = ()) -> None:
        add(name, "space", text, outcome, line, None, words, suffix=".yaml")

    space("space-malformed-yaml", b"space:\n  train.lr_encoder: {loguniform: [1.0e-5, 1.0e-3]\n  x: [\n", "error",
          words=("invalid YAML",))
    space("space-unknown-key", b"space:\n  train.lr_encodr: {loguniform: [1.0e-5, 1.0e-3]}\n",
          words=("train.lr_encodr: unknown config key", "did you mean 'train.lr_encoder'"))
    space("space-unknown-kind", b"space:\n  model.dropout: {uniformly: [0.0, 0.5]}\n",
          words=("model.dropout: unknown kind 'uniformly'",))
    space("space-reversed-range", b"space:\n  model.dropout: {uniform: [0.5, 0.1]}\n",
          words=("model.dropout.uniform: low must be below high",))
    space("space-range-not-numbers", b"space:\n  model.dropout: {uniform: [low, 0.5]}\n",
          words=("model.dropout.uniform: expected [low, high]",))
    space("space-int-on-float", b"space:\n  model.dropout: {int: [0, 2]}\n", words=("model.dropout.int",))
    space("space-empty-choice", b"space:\n  train.batch_size: {choice: []}\n",
          words=("train.batch_size.choice: expected a non-empty list",))
    space("space-unknown-top-level", SPACE_GOOD.encode() + b"serch: {}\n", words=("unknown top-level key", "serch"))
    space("space-no-space", b"search: {}\n", words=("`space:`",))
    space("space-invalid-utf8", SPACE_GOOD.encode() + b"# caf\xe9\n", "error", 3, ("UTF-8",))
    space("space-crlf", SPACE_GOOD.replace("\n", "\r\n").encode(), "ok")

    # ------------------------------------------------------------------ fixed-label benchmark JSON (character pos)
    def charbench(name: str, *records, outcome: str = "error", line: int | None = 2, fld: str | None = None,
                  words: tuple[str, ...] = (), raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps([CHAR_GOOD, *records], ensure_ascii=False).encode()
        add(name, "charbench", data, outcome, line, fld, words, suffix=".json")

    charbench("charbench-malformed-json", raw=_lines(CHAR_GOOD, '{"sentence": "Ann", "entities": ['),
              words=("invalid JSON",))
    charbench("charbench-sentence-not-a-string", {"sentence": 42, "entities": []}, fld="sentence", words=("42",))
    charbench("charbench-entities-not-a-list", {"sentence": "Ann .", "entities": 5}, fld="entities",
              words=("5", "list"))
    charbench("charbench-pos-out-of-range", {"sentence": "Ann .", "entities": [
        {"type": "person", "pos": [0, 30]}]}, fld="entities[0]", words=("[0, 30]",))
    charbench("charbench-pos-reversed", {"sentence": "Ann .", "entities": [
        {"type": "person", "pos": [3, 0]}]}, fld="entities[0]", words=("[3, 0]",))
    charbench("charbench-pos-not-integers", {"sentence": "Ann .", "entities": [
        {"type": "person", "pos": ["0", 3]}]}, fld="entities[0]", words=("'0'",))
    charbench("charbench-invalid-utf8", raw=_lines(CHAR_GOOD) + b'{"sentence": "caf\xe9", "entities": []}\n',
              words=("UTF-8",))
    charbench("charbench-crlf-unicode", outcome="ok", line=None, raw=_lines(CHAR_GOOD, {"sentence": "安妮住在北京。", "entities": [
                  {"type": "city", "pos": [4, 6]}]}).replace(b"\n", b"\r\n"))
