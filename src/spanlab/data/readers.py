"""Readers: one function per on-disk format, each producing `Example`s.

Formats
- GLiNER training records (`.json` list or JSONL, optionally gzipped): `read_gliner`,
  `read_gliner_files`.
- The zero-shot benchmark (`test.json` + `labels.json`, character offsets): `read_benchmark`.
- CoNLL-style `token tag` columns with BIO / BIOES / BMES tags: `read_bio`.
- Label renaming: `load_label_map`, `apply_label_map`.

Every problem in a file is a `DataError` whose `where` is `path:line:field`. In a JSON
*list* file (one record after another, often all on one physical line) "line" is the
1-based record number. Nothing is dropped silently: skipped records and repaired tags are
counted in a `ReadReport` and summarised in a log warning.
"""

from __future__ import annotations

import gc
import glob
import gzip
import json
import logging
import warnings
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import repeat
from pathlib import Path
from typing import Any

from spanlab.data.schema import Example, Span
from spanlab.data.words import char_to_word_spans, split_words
from spanlab.errors import DataError, location
from spanlab.hub import is_hub_source, resolve_data_source

log = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class ReadReport:
    """What a reader did besides returning examples: records read, skipped and repaired."""

    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> count
    repairs: Counter[str] = field(default_factory=Counter)  # kind -> count
    first_seen: dict[str, str] = field(default_factory=dict)  # reason/kind -> first location

    def skip(self, reason: str, where: str) -> None:
        self.skipped[reason] += 1
        self.first_seen.setdefault(reason, where)

    def repair(self, kind: str, where: str) -> None:
        self.repairs[kind] += 1
        self.first_seen.setdefault(kind, where)

    def summary(self) -> str:
        parts = [f"{self.read} read"]
        for name, counts in (("skipped", self.skipped), ("repaired", self.repairs)):
            for reason, n in counts.most_common():
                parts.append(f"{n} {name} ({reason}; first at {self.first_seen[reason]})")
        return ", ".join(parts)


class _RecordError(DataError):
    """A DataError that also carries a short reason, the key under which skips are counted."""

    def __init__(self, reason: str, message: str, *, where: str, fix: str | None = None):
        super().__init__(message, where=where, fix=fix)
        self.reason = reason


# --------------------------------------------------------------------------- file access


def _lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, line without its LF or CRLF ending) of a UTF-8 text file, gunzipped if needed.

    The gzip magic bytes decide, not the suffix: corpora are often gzipped under `.jsonl`
    or named `.gz` while plain. Lines are decoded one by one (not in 8 KiB chunks) so that
    bad UTF-8 and a truncated gzip are reported at the right line.
    """
    try:
        with open(path, "rb") as f:
            gzipped = f.read(2) == _GZIP_MAGIC
        stream = gzip.open(path, "rb") if gzipped else open(path, "rb")
    except OSError as e:
        raise DataError(
            f"cannot open file ({e.strerror})", where=str(path), fix="check the path and permissions"
        ) from None
    n = 0
    with stream:
        try:
            for n, raw in enumerate(stream, 1):
                yield n, raw.decode("utf-8").rstrip("\r\n")
        except (EOFError, OSError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
            raise _RecordError(
                "unreadable file",
                f"compressed data ends or breaks after line {n}: found {type(e).__name__}: {e}; "
                "expected a complete gzip stream",
                where=location(path, n + 1),
                fix="the file is truncated or corrupt; download or re-create it",
            ) from None
        except UnicodeDecodeError as e:
            raise _RecordError(
                "unreadable file",
                f"found bytes that are not UTF-8 ({e.reason} at byte {e.start}); expected UTF-8 text",
                where=location(path, n),
                fix="re-encode the file as UTF-8 (e.g. `iconv -t utf-8`)",
            ) from None


def text_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of a UTF-8 text file, gunzipped if needed; bad bytes and a truncated
    gzip are `DataError`s naming the line."""
    return _lines(path)


def _read_all(path: str | Path) -> str:
    """Whole file as text, with the same error handling as `_lines`."""
    return "\n".join(line for _, line in _lines(path))


def _load_json(text: str, path: str | Path, line: int | None = None) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        # A whole-file JSON error has its own line; a JSONL error is on the given line.
        where = location(path, line if line is not None else e.lineno)
        raise _RecordError(
            "invalid JSON",
            f"found invalid JSON ({e.msg} at column {e.colno}); expected one JSON value",
            where=where,
            fix="fix or remove this line (pass skip_invalid=True to skip and count such lines)",
        ) from None


def _json_records(path: str | Path) -> Iterator[tuple[int, Any]]:
    """(line number, record) from a JSON list file or a JSONL file; blank JSONL lines ignored.

    The format is sniffed, not taken from the suffix: a file whose first non-blank
    character is `[` is one JSON list, anything else is JSONL. A JSONL line that is not
    valid JSON is yielded as a `_RecordError` value rather than raised, so that a caller
    skipping bad records can go on with the next line.
    """

    def parse(text: str, line: int | None) -> Any:
        try:
            return _load_json(text, path, line)
        except _RecordError as e:
            return e

    lines = _lines(path)
    for n, line in lines:
        if not line.strip():
            continue
        if line.lstrip().startswith("["):
            # The "\n" * (n - 1) keeps JSON error line numbers right after leading blank lines.
            records = parse("\n" * (n - 1) + "\n".join([line, *(rest for _, rest in lines)]), None)
            if isinstance(records, _RecordError):
                yield 0, records  # the error carries its own location
            else:
                yield from enumerate(records, 1)  # "line" = record number, see module docstring
            return
        yield n, parse(line, n)
        break
    for n, line in lines:
        if line.strip():
            yield n, parse(line, n)


# --------------------------------------------------------------------------- GLiNER records


def read_gliner(
    path: str | Path, *, skip_invalid: bool = False, report: ReadReport | None = None
) -> Iterator[Example]:
    """GLiNER training records from `.json` (a list), `.jsonl`, or either gzipped.

    A record is `{"tokenized_text": [words], "ner": [[start, end_inclusive, label], ...],
    "negative": [labels]}` (`negative` optional; other keys ignored). With
    `skip_invalid=True` a bad record is skipped whole and counted in `report` instead of
    raising: dropping only its bad span would teach the model that the mention is not an
    entity. A truncated gzip then ends the file (nothing after it can be read).
    """
    report = report if report is not None else ReadReport()
    skipped_before = sum(report.skipped.values())
    try:
        for line, record in _json_records(path):
            try:
                if isinstance(record, _RecordError):
                    raise record
                example = _gliner_example(record, path, line)
            except _RecordError as e:
                if not skip_invalid:
                    raise
                report.skip(e.reason, e.where or str(path))
                continue
            report.read += 1
            yield example
    except _RecordError as e:  # the file cannot be read on: truncated gzip, bad UTF-8
        if not skip_invalid:
            raise
        report.skip(e.reason, e.where or str(path))
    skipped = sum(report.skipped.values()) - skipped_before
    if skipped:
        log.warning("%s: skipped %d invalid records; so far %s", path, skipped, report.summary())


def _gliner_example(record: Any, path: str | Path, line: int) -> Example:
    def fail(reason: str, field_name: str | None, found: str, expected: str) -> _RecordError:
        return _RecordError(
            reason,
            f"found {found}; expected {expected}",
            where=location(path, line, field_name),
            fix="correct the record (pass skip_invalid=True to skip and count such records)",
        )

    if not isinstance(record, dict):
        raise fail("not an object", None, type(record).__name__, "a JSON object per record")
    words = record.get("tokenized_text")
    if not isinstance(words, list) or not words:
        raise fail("bad tokenized_text", "tokenized_text", _show(words), "a non-empty list of strings")
    if not all(map(isinstance, words, repeat(str))):  # map: 3x faster than a generator here
        bad = next(w for w in words if not isinstance(w, str))
        raise fail("bad tokenized_text", "tokenized_text", f"a word {_show(bad)}", "every word a string")
    ner = record.get("ner", [])
    if not isinstance(ner, list):
        raise fail("bad ner", "ner", _show(ner), "a list of [start, end_inclusive, label]")
    spans = []
    for k, item in enumerate(ner):
        name = f"ner[{k}]"
        if not isinstance(item, list) or len(item) != 3:
            raise fail("bad ner", name, _show(item), "a 3-item list [start, end_inclusive, label]")
        start, end, label = item
        if type(start) is not int or type(end) is not int:  # `type is` so that true/false are rejected
            raise fail("bad ner", name, f"start={_show(start)}, end={_show(end)}", "integer word indices")
        if not isinstance(label, str) or not label:
            raise fail("bad ner", f"{name}[2]", f"label {_show(label)}", "a non-empty string")
        if start > end:
            raise fail("reversed span", name, f"start {start} > end {end}", "start <= end (end is inclusive)")
        if start < 0 or end >= len(words):
            raise fail(
                "span out of range", name, f"span [{start}, {end}] over {len(words)} words",
                f"0 <= start <= end < {len(words)}",
            )
        spans.append(Span(start, end, label))
    negatives = record.get("negative")
    negatives = [] if negatives is None else negatives
    if not isinstance(negatives, list) or not all(isinstance(x, str) and x for x in negatives):
        raise fail("bad negative", "negative", _show(negatives), "a list of non-empty label strings")
    return Example(words=words, spans=spans, negatives=negatives, source=location(path, line))


def _show(value: Any, limit: int = 60) -> str:
    text = f"{type(value).__name__} {json.dumps(value, ensure_ascii=False, default=str)}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def read_gliner_files(paths_or_globs: list[str], exclude: list[str] = (), **kw: Any) -> list[Example]:
    """All records of all files matched by the paths or globs, each pattern expanded in sorted order.

    Keyword arguments go to `read_gliner`. A pattern that matches nothing is an error,
    because a typo in a data path would otherwise train on less data without a word.
    `hf://owner/name[/file]` sources are fetched from the Hugging Face hub (`spanlab.hub`).
    """
    paths: list[str] = []
    for pattern in paths_or_globs:
        if is_hub_source(pattern):
            paths.extend(resolve_data_source(pattern))
            continue
        matched = sorted(glob.glob(pattern))
        if not matched:
            raise DataError(
                "found no file matching this path or glob; expected at least one",
                where=pattern,
                fix="check the path (globs use *, ?, [..]; ** needs the full path)",
            )
        paths.extend(matched)
    excluded = {str(Path(p)) for pattern in exclude for p in glob.glob(pattern)}
    paths = [p for p in paths if str(Path(p)) not in excluded]
    # The records hold no reference cycles, but the cyclic GC keeps rescanning the growing
    # heap of lists while they load: pausing it halves the time for a 400k-record corpus.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return [example for path in paths for example in _read_training_file(path, **kw)]
    finally:
        if gc_was_enabled:
            gc.enable()


def _read_training_file(path: str, *, report: ReadReport | None = None, **kw: Any) -> Iterable[Example]:
    """GLiNER records, or a benchmark-format file (`sentence` + character `entities`, e.g. CoNLL-2003's
    train.json beside its labels.json), so supervised sets in that format train without conversion."""
    first = next(iter(_json_records(path)), (0, None))[1]
    if isinstance(first, dict) and "sentence" in first and "tokenized_text" not in first:
        return read_benchmark(path, report=report)[0]
    return read_gliner(path, report=report, **kw)


# --------------------------------------------------------------------------- benchmark


def read_benchmark(path: str | Path, *, report: ReadReport | None = None) -> tuple[list[Example], list[str]]:
    """A zero-shot benchmark set: a folder with `test.json` + `labels.json`, or the JSON file itself.

    Records are `{"sentence", "entities": [{"name", "type", "pos": [char_start, char_end)}]}`.
    Sentences are split with `split_words`; an entity whose characters do not start and
    end on word boundaries cannot be a word span: it is left out, counted in `report`,
    and one warning says how many (they still count as gold misses for a caller that
    compares against the raw file). Labels and types are kept as written.
    """
    path = Path(path)
    data_path = path / "test.json" if path.is_dir() else path
    labels_path = data_path.parent / "labels.json"
    report = report if report is not None else ReadReport()

    labels = _load_json(_read_all(labels_path), labels_path) if labels_path.exists() else None
    if not isinstance(labels, list) or not labels or not all(isinstance(x, str) and x for x in labels):
        raise DataError(
            f"found {_show(labels) if labels_path.exists() else 'no file'}; "
            "expected a non-empty JSON list of label strings",
            where=str(labels_path),
            fix="put the list of labels to prompt with in labels.json beside the test file",
        )

    records = _load_json(_read_all(data_path), data_path)
    if not isinstance(records, list):
        raise DataError(f"found {_show(records)}; expected a JSON list of records", where=str(data_path))
    misaligned = report.skipped["entity not aligned to words"]
    examples = [_benchmark_example(r, data_path, n, labels, report) for n, r in enumerate(records, 1)]
    report.read += len(examples)
    misaligned = report.skipped["entity not aligned to words"] - misaligned
    if misaligned:
        warnings.warn(
            f"{data_path}: {misaligned} entities do not start and end on word boundaries and were left "
            f"out (first at {report.first_seen['entity not aligned to words']})",
            stacklevel=2,
        )
    return examples, labels


def _benchmark_example(record: Any, path: Path, n: int, labels: list[str], report: ReadReport) -> Example:
    def fail(field_name: str | None, found: Any, expected: str) -> DataError:
        return DataError(f"found {_show(found)}; expected {expected}", where=location(path, n, field_name))

    if not isinstance(record, dict):
        raise fail(None, record, 'an object with a "sentence" string')
    if not isinstance(record.get("sentence"), str):
        raise fail("sentence", record.get("sentence"), "a string")
    text = record["sentence"]
    words, offsets = split_words(text)
    if not words:
        raise fail("sentence", text, "a sentence with at least one word")
    spans = []
    entities = record.get("entities", [])
    if not isinstance(entities, list):
        raise fail("entities", entities, "a list of entities")
    for k, ent in enumerate(entities):
        name = f"entities[{k}]"
        pos = ent.get("pos") if isinstance(ent, dict) else None
        if (
            not isinstance(pos, list) or len(pos) != 2 or not all(type(p) is int for p in pos)
            or not 0 <= pos[0] < pos[1] <= len(text)
        ):
            expected = f"[char_start, char_end_exclusive] with 0 <= start < end <= {len(text)}"
            raise fail(f"{name}.pos", pos, expected)
        if not isinstance(ent.get("type"), str) or not ent["type"]:
            raise fail(f"{name}.type", ent.get("type"), "a non-empty type string")
        word_span = char_to_word_spans(offsets, pos[0], pos[1])
        if word_span is None:
            report.skip("entity not aligned to words", location(path, n, name))
            continue
        spans.append(Span(word_span[0], word_span[1], ent["type"]))
    return Example(
        words=words, spans=spans, labels=list(labels), text=text, word_offsets=offsets,
        source=location(path, n),
    )


# --------------------------------------------------------------------------- CoNLL / BIO


def read_bio(
    path: str | Path,
    *,
    token_col: int = 0,
    tag_col: int = -1,
    sep: str | None = None,
    report: ReadReport | None = None,
) -> list[Example]:
    """CoNLL-style sentences: one `token tag` line per word, a blank line between sentences.

    `sep=None` splits on any whitespace (so tabs and spaces both work). `-DOCSTART-` lines
    are skipped. Tags are `O` or `P-TYPE` with P in B, I, M (inside), E (end), S (single).
    Repair (counted in `report` as "I- starts a span"): an `I-X`/`M-X` after `O` or after
    another type starts a new span, as in IOB1 files; an `E-X` with no open `X` span
    becomes a one-word span ("E- without B-").
    """
    report = report if report is not None else ReadReport()
    repairs_before = sum(report.repairs.values())
    need = max(_columns_needed(token_col), _columns_needed(tag_col), 2)
    examples: list[Example] = []
    words: list[str] = []
    tags: list[tuple[str, str, int]] = []  # (prefix, type, line)
    first_line = 0

    def flush() -> None:
        if words:
            spans = _decode_tags(tags, path, report)
            examples.append(Example(words=list(words), spans=spans, source=location(path, first_line)))
            words.clear()
            tags.clear()

    for n, line in _lines(path):
        cols = [c.strip() for c in line.split(sep)]  # strip: stray spaces around tabs
        if not line.strip():
            flush()
            continue
        if cols[0].startswith("-DOCSTART-"):
            flush()
            continue
        if len(cols) < need:
            raise DataError(
                f"found {len(cols)} column(s) in {line.rstrip()!r}; expected at least {need} "
                f"(token in column {token_col}, tag in column {tag_col})",
                where=location(path, n, "columns"),
                fix="add the missing token or tag, or pass token_col/tag_col/sep for this layout",
            )
        if not words:
            first_line = n
        words.append(cols[token_col])
        tags.append((*_split_tag(cols[tag_col], path, n), n))
    flush()
    report.read += len(examples)
    repaired = sum(report.repairs.values()) - repairs_before
    if repaired:
        log.info("%s: repaired %d tags; so far %s", path, repaired, report.summary())
    return examples


def _columns_needed(col: int) -> int:
    return col + 1 if col >= 0 else -col


def _split_tag(tag: str, path: str | Path, line: int) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefix, dash, label = tag.partition("-")
    if not dash or prefix not in ("B", "I", "M", "E", "S") or not label:
        raise DataError(
            f"found tag {tag!r}; expected O or B-/I-/M-/E-/S- followed by a type",
            where=location(path, line, "tag"),
            fix="convert the file to BIO or BIOES tags, or check tag_col",
        )
    return prefix, label


def _decode_tags(tags: list[tuple[str, str, int]], path: str | Path, report: ReadReport) -> list[Span]:
    spans: list[Span] = []
    open_start, open_type = -1, ""  # the span being built; open_start == -1 when none

    def close(end: int) -> None:
        nonlocal open_start
        if open_start >= 0:
            spans.append(Span(open_start, end, open_type))
            open_start = -1

    for i, (prefix, label, line) in enumerate(tags):
        continues = open_start >= 0 and open_type == label
        if prefix in ("I", "M", "E") and continues:
            if prefix == "E":
                close(i)
            continue
        close(i - 1)
        if prefix == "O":
            continue
        if prefix in ("I", "M"):
            report.repair("I- starts a span", location(path, line, "tag"))
        elif prefix == "E":
            report.repair("E- without B-", location(path, line, "tag"))
        open_start, open_type = i, label
        if prefix in ("S", "E"):
            close(i)
    close(len(tags) - 1)
    return spans


# --------------------------------------------------------------------------- label maps


def load_label_map(path: str | Path) -> dict[str, str]:
    """A label renaming from a JSON object `{old: new}` or a two-column TSV `old<TAB>new`.

    In the TSV, blank lines and lines starting with `#` are ignored; a label given twice
    with different targets is an error.
    """
    text = _read_all(path)
    if text.lstrip().startswith("{"):
        mapping = _load_json(text, path)
        if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in mapping.items()):
            raise DataError(
                "found a non-string or empty value; expected an object of label -> new label strings",
                where=str(path),
            )
        return mapping
    mapping = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 2 or not cols[0].strip() or not cols[1].strip():
            raise DataError(
                f"found {len(cols)} tab-separated column(s) in {line!r}; expected `old<TAB>new`",
                where=location(path, n),
                fix="write one `old<TAB>new` pair per line, or use a JSON object",
            )
        old, new = cols[0].strip(), cols[1].strip()
        if mapping.get(old, new) != new:
            raise DataError(
                f"found {old!r} mapped to both {mapping[old]!r} and {new!r}; expected one target",
                where=location(path, n),
                fix="keep one of the two lines",
            )
        mapping[old] = new
    return mapping


def apply_label_map(examples: Iterable[Example], mapping: dict[str, str]) -> list[Example]:
    """Copies of `examples` with span labels, `labels` and `negatives` renamed; unknown labels kept.

    When two labels map to one name the label lists are de-duplicated (first occurrence kept).
    """

    def rename(labels: list[str]) -> list[str]:
        return list(dict.fromkeys(mapping.get(x, x) for x in labels))

    return [
        replace(
            ex,
            spans=[replace(s, label=mapping.get(s.label, s.label)) for s in ex.spans],
            negatives=rename(ex.negatives),
            labels=rename(ex.labels) if ex.labels is not None else None,
        )
        for ex in examples
    ]
