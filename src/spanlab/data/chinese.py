"""Character-level readers for Chinese NER: CLUENER JSON lines, BMES files (Resume), Weibo BIO.

Each reader returns `Example`s whose words are single characters, with `text` (the
characters joined) and `word_offsets` (character i ↔ text[i:i+1]) filled in, so a span
over characters is also a character span of `text` and any tokenizer's offset mapping
applies. Empty lines separate sentences; several empty lines in a row are one separator.

Invalid tag sequences (an I-/M-/E- that continues no open span of its type, a B-/M- span
that a BMES file never closes with E-) are repaired and counted in the `ReadReport`, with
the first file:line, or refused with a `DataError` naming file:line when
`invalid_tags="refuse"`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from spanlab.data.readers import ReadReport, _json_records, _lines, _RecordError
from spanlab.data.schema import Example, Span
from spanlab.errors import DataError, location

log = logging.getLogger(__name__)

InvalidTags = Literal["repair", "refuse"]


def char_example(chars: list[str], spans: list[Span], source: str) -> Example:
    return Example(
        words=list(chars), spans=spans, text="".join(chars),
        word_offsets=[(i, i + 1) for i in range(len(chars))], source=source,
    )


# --------------------------------------------------------------------------- CLUENER


def read_cluener(path: str | Path, *, report: ReadReport | None = None) -> list[Example]:
    """`{"text": str, "label": {type: {mention: [[start, end_inclusive], ...]}}}` per line.

    The test split has no "label": its examples have no spans. A position whose characters
    differ from the mention is an error (file:line:label.type), never a silent shift.
    """
    report = report if report is not None else ReadReport()
    examples = []
    for n, record in _json_records(path):
        if isinstance(record, _RecordError):  # a line that is not JSON
            raise record
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            raise DataError(f"found {str(record)[:60]!r}; expected an object with a string \"text\"",
                            where=location(path, n, "text"))
        text = record["text"]
        labels = record.get("label") or {}
        if not isinstance(labels, dict):
            raise DataError(f"found {labels!r}; expected {{type: {{mention: [[start, end]]}}}}",
                            where=location(path, n, "label"))
        spans = []
        for label, mentions in labels.items():
            where = location(path, n, f"label.{label}")
            if not isinstance(mentions or {}, dict):
                raise DataError(f"found {mentions!r}; expected {{mention: [[start, end_inclusive]]}}", where=where)
            for mention, positions in (mentions or {}).items():
                if not isinstance(positions, list):
                    raise DataError(f"found positions {positions!r} for {mention!r}; expected a list of "
                                    "[start, end_inclusive]", where=where)
                for pos in positions:
                    if not (isinstance(pos, list) and len(pos) == 2 and all(isinstance(x, int) for x in pos)):
                        raise DataError(f"found position {pos!r}; expected [start, end_inclusive]", where=where)
                    start, end = pos
                    if not 0 <= start <= end < len(text) or text[start : end + 1] != mention:
                        raise DataError(
                            f"found {mention!r} at [{start}, {end}] but the text there is "
                            f"{text[start:end + 1]!r}; expected the end index to be inclusive",
                            where=where,
                        )
                    spans.append(Span(start, end, label))
        examples.append(char_example(list(text), sorted(set(spans), key=lambda s: (s.start, s.end, s.label)),
                                     location(path, n)))
    report.read += len(examples)
    return examples


# --------------------------------------------------------------------------- tagged characters


def read_bmes(path: str | Path, *, invalid_tags: InvalidTags = "repair", report: ReadReport | None = None) -> list[Example]:
    """Resume NER: `char TAG` per line (space or tab), tags O / B- / M- / E- / S-."""
    return _read_tagged(path, "bmes", _plain_char, invalid_tags, report)


def read_weibo(path: str | Path, *, invalid_tags: InvalidTags = "repair", report: ReadReport | None = None) -> list[Example]:
    """Weibo NER: `char<digits>\\tTAG` per line (the digits are a word-position index), BIO tags."""
    return _read_tagged(path, "bio", _weibo_char, invalid_tags, report)


def _plain_char(token: str, where: str, report: ReadReport) -> str:
    return token


def _weibo_char(token: str, where: str, report: ReadReport) -> str:
    """The first character of `char<digits>`; extra characters before the digits (broken
    surrogate pairs, "\ufffd\ufffd0") are dropped and counted."""
    rest = token[1:]
    if not rest or not rest[-1].isdigit():
        raise DataError(f"found token {token!r}; expected one character followed by its position digits",
                        where=where, fix="Weibo lines look like `中0\tB-PER.NAM`")
    if rest.rstrip("0123456789"):
        report.repair("token longer than one character (first kept)", where)
    return token[0]


def _read_tagged(
    path: str | Path,
    scheme: Literal["bio", "bmes"],
    char_of: Callable[[str, str, ReadReport], str],
    invalid_tags: InvalidTags,
    report: ReadReport | None,
) -> list[Example]:
    report = report if report is not None else ReadReport()
    repairs_before = sum(report.repairs.values())
    examples: list[Example] = []
    chars: list[str] = []
    tags: list[tuple[str, str, str]] = []  # (prefix, type, where)

    def flush() -> None:
        if chars:
            spans = _decode(tags, scheme, invalid_tags, report)
            examples.append(char_example(chars, spans, tags[0][2].rsplit(":", 1)[0]))
            chars.clear()
            tags.clear()

    for n, line in _lines(path):
        if not line.strip():
            flush()
            continue
        cols = line.split()
        if len(cols) != 2:
            raise DataError(f"found {line!r}; expected a character and a tag", where=location(path, n, "columns"))
        where = location(path, n, "tag")
        chars.append(char_of(cols[0], location(path, n, "char"), report))
        tags.append((*_split(cols[1], scheme, where), where))
    flush()
    report.read += len(examples)
    repaired = sum(report.repairs.values()) - repairs_before
    if repaired:
        log.warning("%s: repaired %d tags or tokens; %s", path, repaired, report.summary())
    return examples


def _split(tag: str, scheme: str, where: str) -> tuple[str, str]:
    if tag == "O":
        return "O", ""
    prefixes = ("B", "I") if scheme == "bio" else ("B", "M", "E", "S")
    prefix, dash, label = tag.partition("-")
    if not dash or prefix not in prefixes or not label:
        raise DataError(f"found tag {tag!r}; expected O or {'/'.join(p + '-' for p in prefixes)} followed by a type",
                        where=where)
    return prefix, label


def _decode(tags: list[tuple[str, str, str]], scheme: str, invalid_tags: InvalidTags, report: ReadReport) -> list[Span]:
    """Spans of one sentence. BIO: B starts, I continues. BMES: B starts, M continues, E ends, S is single."""
    spans: list[Span] = []
    start, label = -1, ""  # the open span; start == -1 when none

    def invalid(kind: str, where: str) -> None:
        if invalid_tags == "refuse":
            raise DataError(f"invalid {scheme.upper()} sequence: {kind}", where=where,
                            fix="fix the tags, or set data.invalid_tags: repair to repair and count them")
        report.repair(kind, where)

    for i, (prefix, typ, where) in enumerate(tags):
        continues = start >= 0 and typ == label and prefix in ("I", "M", "E")
        if continues:
            if prefix == "E":
                spans.append(Span(start, i, label))
                start = -1
            continue
        if start >= 0:  # the open span ends before this tag
            if scheme == "bmes":
                invalid(f"{label} span not closed by E- (closed before)", where)
            spans.append(Span(start, i - 1, label))
            start = -1
        if prefix == "O":
            continue
        if prefix in ("I", "M", "E"):
            invalid(f"{prefix}- continues no open {typ} span (starts one)", where)
        if prefix in ("S", "E"):
            spans.append(Span(i, i, typ))
        else:
            start, label = i, typ
    if start >= 0:
        if scheme == "bmes":
            invalid(f"{label} span not closed by E- (closed at the end)", tags[-1][2])
        spans.append(Span(start, len(tags) - 1, label))
    return spans
