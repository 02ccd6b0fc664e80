"""Convert Universal-NER's Pile-NER-type conversations into spanlab training records.

Input (the format of Pile-NER-type `train.json`): a JSON list of entries, each

    {"conversations": [
        {"from": "human", "value": "Text: <passage>"},
        {"from": "gpt",   "value": "I've read this text."},
        {"from": "human", "value": "What describes <type> in the text?"},
        {"from": "gpt",   "value": "[\\"mention 1\\", \\"mention 2\\"]"},
        ... more question / answer pairs ...]}

Output: one GLiNER record per entry, `{"tokenized_text", "ner", "negative"}`. The passage is
split with spanlab's word splitter; every occurrence of a mention's words in the passage
becomes a span of the question's type; types answered with `[]` go to `negative` (the
explicit negatives Pile-NER provides). Mentions whose words do not occur in the passage are
counted, not guessed. A malformed entry stops the conversion with its index and field,
or is skipped and counted with `skip_invalid=True`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spanlab.data.words import split_words
from spanlab.errors import DataError, location
from spanlab.io import atomic_open

QUESTION = re.compile(r"^What describes (.+) in the text\?$", re.S)
TEXT_PREFIX = "Text: "


class EntryError(DataError):
    """A malformed entry; `field_name` (without the entry index) is the key skips are counted under."""

    def __init__(self, message: str, *, where: str, field_name: str, fix: str):
        super().__init__(message, where=where, fix=fix)
        self.field_name = field_name


@dataclass
class PileNerReport:
    entries: int = 0
    written: int = 0
    spans: int = 0
    negatives: int = 0
    mentions_not_found: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # field → count

    def summary(self) -> str:
        text = (
            f"{self.entries} entries, {self.written} records written, {self.spans} spans, "
            f"{self.negatives} negative types, {self.mentions_not_found} mentions not found in their text"
        )
        if self.skipped:
            text += ", skipped: " + ", ".join(f"{n} ({f})" for f, n in self.skipped.most_common())
        return text


def convert_pile_ner(
    src: str | Path, dst: str | Path, *, lowercase: bool = True, skip_invalid: bool = False
) -> PileNerReport:
    """Read `src` (Pile-NER JSON), write `dst` (JSONL, gzipped when it ends in .gz) atomically."""
    report = PileNerReport()
    records = list(pile_ner_records(src, report, lowercase=lowercase, skip_invalid=skip_invalid))
    _write_jsonl(Path(dst), records)
    report.written = len(records)
    return report


def pile_ner_records(
    src: str | Path, report: PileNerReport, *, lowercase: bool = True, skip_invalid: bool = False
) -> Iterator[dict[str, Any]]:
    try:
        data = Path(src).read_bytes()
        entries = json.loads(data.decode("utf-8"))
    except OSError as e:
        raise DataError(f"cannot read file ({e.strerror})", where=str(src)) from None
    except json.JSONDecodeError as e:
        raise DataError(f"invalid JSON ({e.msg})", where=location(src, e.lineno)) from None
    except UnicodeDecodeError as e:
        raise DataError("found bytes that are not UTF-8; expected UTF-8 JSON",
                        where=location(src, data.count(b"\n", 0, e.start) + 1)) from None
    if not isinstance(entries, list):
        raise DataError(f"found a JSON {type(entries).__name__}; expected a list of entries", where=str(src))
    for index, entry in enumerate(entries):
        report.entries += 1
        try:
            record = _convert(entry, src, index, report, lowercase)
        except EntryError as e:
            if not skip_invalid:
                raise
            report.skipped[re.sub(r"\[\d+\]", "[]", e.field_name)] += 1
            continue
        yield record


def _convert(entry: Any, src: str | Path, index: int, report: PileNerReport, lowercase: bool) -> dict[str, Any]:
    """One entry → one record. `index` is the 0-based position of the entry in the list."""

    def fail(field_name: str, found: str, expected: str) -> EntryError:
        return EntryError(
            f"entry {index}: found {found}; expected {expected}",
            where=location(src, None, f"[{index}].{field_name}"),
            field_name=field_name,
            fix="correct the entry, or pass --skip-invalid to skip and count such entries",
        )

    turns = entry.get("conversations") if isinstance(entry, dict) else None
    if not isinstance(turns, list) or len(turns) < 2:
        raise fail("conversations", _short(turns), "a list of turns starting with the text")
    values = []
    for k, turn in enumerate(turns):
        if not isinstance(turn, dict) or not isinstance(turn.get("value"), str) or turn.get("from") not in ("human", "gpt"):
            raise fail(f"conversations[{k}]", _short(turn), 'an object {"from": "human"|"gpt", "value": str}')
        expected_speaker = "human" if k % 2 == 0 else "gpt"
        if turn["from"] != expected_speaker:
            raise fail(f"conversations[{k}].from", repr(turn["from"]), f"{expected_speaker!r} (turns alternate)")
        values.append(turn["value"])
    if not values[0].startswith(TEXT_PREFIX):
        raise fail("conversations[0].value", _short(values[0]), f"the passage after {TEXT_PREFIX!r}")
    if len(values) % 2:
        raise fail("conversations", f"{len(values)} turns", "an even number (every question answered)")
    words, _ = split_words(values[0][len(TEXT_PREFIX) :])
    spans: set[tuple[int, int, str]] = set()
    positive: set[str] = set()
    negative: list[str] = []
    for k in range(2, len(values), 2):
        match = QUESTION.match(values[k].strip())
        if not match:
            raise fail(f"conversations[{k}].value", _short(values[k]), "'What describes <type> in the text?'")
        label = match.group(1).strip()
        label = label.lower() if lowercase else label
        try:
            mentions = json.loads(values[k + 1])
        except json.JSONDecodeError:
            mentions = None
        if not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions):
            raise fail(f"conversations[{k + 1}].value", _short(values[k + 1]), "a JSON list of mention strings")
        if not mentions:
            negative.append(label)
            continue
        positive.add(label)
        for mention in mentions:
            found = _occurrences(words, split_words(mention)[0])
            if not found:
                report.mentions_not_found += 1
            spans.update((s, e, label) for s, e in found)
    negative = [n for n in dict.fromkeys(negative) if n not in positive]
    report.spans += len(spans)
    report.negatives += len(negative)
    return {"tokenized_text": words, "ner": [list(s) for s in sorted(spans)], "negative": negative}


def _occurrences(words: list[str], mention: list[str]) -> list[tuple[int, int]]:
    """(start, end_inclusive) of every place where `mention`'s words occur in `words`."""
    n = len(mention)
    if not n:
        return []
    return [(i, i + n - 1) for i in range(len(words) - n + 1) if words[i : i + n] == mention]


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    """JSON lines (gzipped for .gz), written atomically."""
    with atomic_open(path, "wb") as raw:
        stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if path.suffix == ".gz" else raw
        for record in records:
            stream.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
        if stream is not raw:
            stream.close()
