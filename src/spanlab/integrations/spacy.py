"""A spaCy pipeline component that tags entities with a spanlab (or gliner) model.

    import spacy
    nlp = spacy.blank("en")
    nlp.add_pipe("spanlab", config={"model": "runs/x/model", "labels": ["person", "city"]})
    doc = nlp("Ada Lovelace was born in London.")
    [(e.text, e.label_, e._.spanlab_score) for e in doc.ents]

Config: `model` (a spanlab model folder, or a gliner checkpoint folder), `labels`,
`threshold` (null = the model's saved threshold), `nested` (false: non-overlapping entities
set as `doc.ents`; true: overlapping entities in `doc.spans[spans_key]`, scores in the
group's `attrs["scores"]`), `spans_key`, `alignment_mode`, `batch_size`.

Entities come with character offsets from the model's own word splitter; they are mapped
to spaCy tokens with `Doc.char_span(..., alignment_mode)`: "expand" (default) widens the
span to the tokens that cover those characters, "contract" keeps only tokens fully inside
(an entity inside one token is then dropped), "strict" drops entities whose boundaries
are not token boundaries. After "expand", two flat entities may share a token; the higher
scoring one is kept. In flat mode the component replaces `doc.ents`. The whole `doc.text` goes to the model's `predict`, so long documents
get whatever windowing `predict` does.

spaCy finds the factory through the `spacy_factories` entry point (pyproject.toml), so
`add_pipe("spanlab")` works once spanlab is installed with the `spacy` extra.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from spanlab.errors import SpanlabError

ALIGNMENT_MODES = ("expand", "contract", "strict")

if not Span.has_extension("spanlab_score"):
    Span.set_extension("spanlab_score", default=None)


class SpanlabComponent:
    """Runs `SpanModel.predict` on each doc's text and stores the entities as spaCy spans."""

    def __init__(
        self,
        name: str,
        model: str,
        labels: list[str],
        threshold: float | None,
        nested: bool,
        spans_key: str,
        alignment_mode: str,
        batch_size: int,
    ):
        from spanlab.model import SpanModel

        if not labels:
            raise SpanlabError(f"{name}: found no labels", fix='add_pipe("spanlab", config={"labels": ["person", ...]})')
        if alignment_mode not in ALIGNMENT_MODES:
            raise SpanlabError(
                f"{name}: alignment_mode: found {alignment_mode!r}, expected one of {', '.join(ALIGNMENT_MODES)}"
            )
        self.name = name
        self.model = SpanModel.from_pretrained(model)
        self.labels = list(labels)
        self.threshold = threshold
        self.nested = nested
        self.spans_key = spans_key
        self.alignment_mode = alignment_mode
        self.batch_size = batch_size

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int | None = None) -> Iterator[Doc]:
        size = batch_size or self.batch_size
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) == size:
                yield from self._tag(batch)
                batch = []
        yield from self._tag(batch)

    def _tag(self, docs: list[Doc]) -> list[Doc]:
        if not docs:
            return docs
        found = self.model.predict(
            [doc.text for doc in docs], self.labels, threshold=self.threshold, flat=not self.nested,
            batch_size=self.batch_size,
        )
        for doc, entities in zip(docs, found):
            spans = []
            for ent in entities:
                span = doc.char_span(ent["start"], ent["end"], label=ent["label"], alignment_mode=self.alignment_mode)
                if span is not None:
                    span._.spanlab_score = ent["score"]
                    spans.append(span)
            if self.nested:
                doc.spans[self.spans_key] = SpanGroup(
                    doc, name=self.spans_key, spans=spans, attrs={"scores": [s._.spanlab_score for s in spans]}
                )
            else:
                doc.ents = _best_first(spans)
        return docs


def _best_first(spans: list[Span]) -> list[Span]:
    """Non-overlapping spans, higher scores first (expanded entities may share a token)."""
    kept, taken = [], set()
    for span in sorted(spans, key=lambda s: -s._.spanlab_score):
        tokens = set(range(span.start, span.end))
        if not tokens & taken:
            kept.append(span)
            taken |= tokens
    return sorted(kept, key=lambda s: s.start)


@Language.factory(
    "spanlab",
    default_config={
        "model": None,
        "labels": [],
        "threshold": None,
        "nested": False,
        "spans_key": "sc",
        "alignment_mode": "expand",
        "batch_size": 8,
    },
)
def make_spanlab(
    nlp: Language,
    name: str,
    model: str | None,
    labels: list[str],
    threshold: float | None,
    nested: bool,
    spans_key: str,
    alignment_mode: str,
    batch_size: int,
) -> SpanlabComponent:
    """The `spanlab` factory (registered for spaCy through the `spacy_factories` entry point)."""
    if model is None:
        raise SpanlabError(f"{name}: no model given", fix='add_pipe("spanlab", config={"model": "path/to/model", ...})')
    return SpanlabComponent(name, str(model), labels, threshold, nested, spans_key, alignment_mode, batch_size)
