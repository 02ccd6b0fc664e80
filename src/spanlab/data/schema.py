"""The one record type every reader produces and every model consumes.

Spans are word-level, end-inclusive (GLiNER's training format). When the record came
from raw text, `word_offsets` maps each word to its character span in `text`, so
predictions can be returned with character offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Span:
    start: int  # first word, inclusive
    end: int  # last word, inclusive
    label: str


@dataclass
class Example:
    words: list[str]
    spans: list[Span] = field(default_factory=list)
    # Labels known to be absent from this example (e.g. Pile-NER questions answered []).
    negatives: list[str] = field(default_factory=list)
    # Labels to prompt with at evaluation time; None means "the labels of `spans`".
    labels: list[str] | None = None
    text: str | None = None
    word_offsets: list[tuple[int, int]] | None = None  # (char_start, char_end_exclusive) per word
    source: str | None = None  # "path:line", for error messages and statistics

    @property
    def positive_labels(self) -> list[str]:
        """Distinct labels of the gold spans, in first-seen order."""
        return list(dict.fromkeys(s.label for s in self.spans))
