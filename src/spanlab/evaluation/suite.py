"""Zero-shot evaluation sets and the protocol they are scored under.

The default protocol is the one GLiNER's and UniNER's published numbers use: each set is
prompted with its `labels.json`, labels and gold types lower-cased, threshold 0.5, flat
decoding, entity-level micro F1 per set, and the unweighted mean over sets.
`fixed_labels` maps CrossNER_music's raw gold types `organisation` / `misc` to the
prompted `organization` / `else`, which the as-is files can never match.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from spanlab.data.prompts import label_vocabulary
from spanlab.data.readers import ReadReport, read_benchmark, read_gliner
from spanlab.data.schema import Example, Span
from spanlab.errors import DataError

# The order of the GLiNER paper's table.
PAPER_ORDER = (
    "mit-movie", "mit-restaurant", "CrossNER_AI", "CrossNER_literature", "CrossNER_music",
    "CrossNER_politics", "CrossNER_science",
)
FIXED_LABELS = {"CrossNER_music": {"organisation": "organization", "misc": "else"}}


@dataclass
class EvalSet:
    name: str
    examples: list[Example]
    labels: list[str]  # prompted labels
    # Per sentence: gold entities whose characters do not fall on word boundaries. No word
    # span can express them, so they count as misses (as in the reference evaluation).
    unaligned: list[int] | None = None


def load_suite(
    roots: str | Path | Sequence[str | Path],
    names: Sequence[str] | None = None,
    lowercase: bool = True,
    fixed_labels: bool = False,
    max_sentences: int | None = None,
) -> list[EvalSet]:
    """Evaluation sets from one or more paths, benchmark sets in paper order first.

    A path is a folder of benchmark sets (each a folder with test.json + labels.json), one
    such set folder, or a GLiNER-format data file (JSON/JSONL, optionally gzipped), which
    is prompted with every label it contains — for dev sets held out of a training mix.
    """
    sources = _find_sets([roots] if isinstance(roots, (str, Path)) else list(roots))
    if names:
        unknown = [n for n in names if n not in sources]
        if unknown:
            raise DataError(f"unknown set(s) {unknown}; this suite has {sorted(sources)}", where=str(roots))
        sources = {n: sources[n] for n in names}
    ordered = [n for n in PAPER_ORDER if n in sources] + sorted(n for n in sources if n not in PAPER_ORDER)
    sets = []
    for name in ordered:
        path = sources[name]
        if path.is_dir():
            examples, labels = read_benchmark(path, report=ReadReport())
            unaligned = _unaligned_counts(path / "test.json", examples)
        else:
            examples = list(read_gliner(path))
            labels, unaligned = label_vocabulary(examples), [0] * len(examples)
            if not labels:
                raise DataError(
                    "found no entity in this file; expected at least one (its labels are the prompt)",
                    where=str(path), fix="evaluate on a file with gold entities",
                )
        if max_sentences is not None:
            examples, unaligned = examples[:max_sentences], unaligned[:max_sentences]
        mapping = FIXED_LABELS.get(name, {}) if fixed_labels else {}
        sets.append(
            EvalSet(
                name=name,
                examples=[_normalise(ex, mapping, lowercase) for ex in examples],
                labels=list(dict.fromkeys(label.lower() if lowercase else label for label in labels)),
                unaligned=unaligned,
            )
        )
    return sets


def _find_sets(paths: list[str | Path]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in map(Path, paths):
        if root.is_file():
            found[root.name.split(".")[0]] = root
        elif (root / "test.json").is_file():
            found[root.name] = root
        elif root.is_dir() and any((p / "test.json").is_file() for p in root.iterdir()):
            found.update({p.name: p for p in sorted(root.iterdir()) if (p / "test.json").is_file()})
        else:
            raise DataError(
                "found no evaluation set here; expected a folder of sets (each with test.json and labels.json), "
                "one such set, or a GLiNER-format data file",
                where=str(root),
            )
    return found


def _unaligned_counts(path: Path, examples: list[Example]) -> list[int]:
    """Raw entities per record minus the word spans the reader could build from them."""
    records = json.loads(path.read_text(encoding="utf-8"))
    raw = [len({tuple(e["pos"]) + (e["type"],) for e in r.get("entities", [])}) for r in records]
    return [max(n - len({(s.start, s.end, s.label) for s in ex.spans}), 0) for n, ex in zip(raw, examples)]


def _normalise(ex: Example, mapping: dict[str, str], lowercase: bool) -> Example:
    def fix(label: str) -> str:
        label = mapping.get(label, label)
        return label.lower() if lowercase else label

    return dataclasses.replace(ex, spans=[Span(s.start, s.end, fix(s.label)) for s in ex.spans])
