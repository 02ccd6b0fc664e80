"""Reading a supervised split in any supported format, as character spans over raw text.

Every reader yields `Example`s with `text` and `word_offsets`; here a span becomes
(char_start, char_end_exclusive, label), the unit the tokenizer-based models and the
scorer work in. Labels outside the fixed label set are reported (count and first
location), never dropped without a word.
"""

from __future__ import annotations

import glob
import logging
from collections import Counter

from spanlab.data.chinese import char_example, read_bmes, read_cluener, read_weibo
from spanlab.data.readers import ReadReport, _json_records, _RecordError, read_gliner
from spanlab.data.schema import Span
from spanlab.data.schema import Example
from spanlab.errors import ConfigError, DataError

log = logging.getLogger(__name__)

CharSpan = tuple[int, int, str]  # (char_start, char_end_exclusive, label)


def read_split(fmt: str, paths: list[str] | str, invalid_tags: str = "repair",
               report: ReadReport | None = None) -> list[Example]:
    """Examples from files or globs in format `fmt` (benchmark, cluener, bmes, weibo, gliner)."""
    report = report if report is not None else ReadReport()
    files = []
    for pattern in [paths] if isinstance(paths, str) else paths:
        found = sorted(glob.glob(pattern)) or [pattern]  # a missing plain path fails in the reader, with its name
        files.extend(found)
    examples: list[Example] = []
    for path in files:
        if fmt == "benchmark":
            examples += read_benchmark_chars(path, report=report)
        elif fmt == "cluener":
            examples += read_cluener(path, report=report)
        elif fmt == "bmes":
            examples += read_bmes(path, invalid_tags=invalid_tags, report=report)
        elif fmt == "weibo":
            examples += read_weibo(path, invalid_tags=invalid_tags, report=report)
        elif fmt == "gliner":
            examples += [with_text(ex) for ex in read_gliner(path, report=report)]
        else:
            raise ConfigError(f"data.format: found {fmt!r}, expected benchmark, cluener, bmes, weibo or gliner")
    return examples


def read_benchmark_chars(path: str, report: ReadReport) -> list[Example]:
    """Benchmark JSON (`sentence` + `entities` with character `pos` [start, end)) at character level.

    Unlike `read_benchmark` (word spans for GLiNER), no entity is lost to word splitting: an
    entity such as "German" in "German-born" stays a gold span, and only the tokenizer decides
    whether a model can represent it (counted in `encoding.alignment_report` otherwise).
    """
    examples = []
    for n, record in _json_records(path):
        if isinstance(record, _RecordError):  # a line that is not JSON
            raise record
        text = record.get("sentence") if isinstance(record, dict) else None
        if not isinstance(text, str):
            raise DataError(f"found {str(record)[:60]!r}; expected an object with a string \"sentence\"",
                            where=f"{path}:{n}:sentence")
        spans = []
        entities = record.get("entities") or []
        if not isinstance(entities, list):
            raise DataError(f"found {entities!r}; expected a list of entities", where=f"{path}:{n}:entities")
        for k, ent in enumerate(entities):
            pos = ent.get("pos") if isinstance(ent, dict) else None
            if not (isinstance(pos, list) and len(pos) == 2 and all(isinstance(x, int) for x in pos)
                    and 0 <= pos[0] < pos[1] <= len(text) and isinstance(ent.get("type"), str)):
                raise DataError(f"found {ent!r}; expected {{\"type\": str, \"pos\": [start, end_exclusive]}} within the sentence",
                                where=f"{path}:{n}:entities[{k}]")
            spans.append(Span(pos[0], pos[1] - 1, ent["type"]))
        examples.append(char_example(list(text), sorted(set(spans), key=lambda s: (s.start, s.end, s.label)), f"{path}:{n}"))
    report.read += len(examples)
    return examples


def with_text(example: Example, sep: str = " ") -> Example:
    """Give a word-only example a text (words joined by `sep`) and word offsets."""
    if example.text is not None:
        return example
    offsets, pos = [], 0
    for word in example.words:
        offsets.append((pos, pos + len(word)))
        pos += len(word) + len(sep)
    example.text = sep.join(example.words)
    example.word_offsets = offsets
    return example


def char_spans(example: Example) -> list[CharSpan]:
    """Gold spans of `example` as character spans of its text."""
    if example.text is None or example.word_offsets is None:
        raise DataError("example has no text or word offsets", where=example.source)
    off = example.word_offsets
    return [(off[s.start][0], off[s.end][1], s.label) for s in example.spans]


def label_set(examples: list[Example]) -> list[str]:
    return sorted({s.label for ex in examples for s in ex.spans})


def report_unknown_labels(examples: list[Example], labels: list[str], split: str) -> Counter:
    """Count gold spans whose label is not in `labels`; warn once with counts and the first location."""
    known = set(labels)
    missing: Counter = Counter()
    first: dict[str, str] = {}
    for ex in examples:
        for s in ex.spans:
            if s.label not in known:
                missing[s.label] += 1
                first.setdefault(s.label, ex.source or "?")
    if missing:
        log.warning(
            "%s: %d gold spans have labels missing from the type list %s: %s — the model cannot predict them "
            "(training ignores them; evaluation counts them as misses)",
            split, sum(missing.values()), labels, ", ".join(f"{k} ×{n} (first at {first[k]})" for k, n in missing.items()),
        )
    return missing
