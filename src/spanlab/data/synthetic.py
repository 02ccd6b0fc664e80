"""A small synthetic NER corpus that spanlab generates itself: templates × hand-written gazetteers.

    records = generate(2000, seed=0, labels=SEEN, names="train")   # GLiNER records
    write_jsonl("runs/quickstart/data/train.jsonl", records)
    splits = make_splits(n_train=2000, n_dev=200, seed=0)           # train / dev-seen / dev-unseen

It exists so that `spanlab quickstart` can train and evaluate on a fresh machine with no
downloaded data. Every name below is invented or generic (common first names, well-known
cities and countries, foods, diseases, instruments, programming languages); nothing is
copied from a third-party data set.

A record is a GLiNER training record, `{"tokenized_text": [words], "ner": [[start,
end_inclusive, label], ...]}`. Sentences are built as text first and split with
`split_words`, the splitter `SpanModel.predict` uses, so training words look exactly like
the words the model sees at prediction time.

Zero-shot evaluation needs types the model never trained on. `make_splits` keeps the
`HELD_OUT` types out of the training split entirely (their templates are not used, so
their names never occur in training text) and puts them in a `dev-unseen` split that is
annotated *only* with held-out types; `dev-seen` holds the training types with surface
forms reserved for evaluation (every fourth gazetteer entry never occurs in training).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from spanlab.data.words import char_to_word_spans, split_words
from spanlab.io import atomic_write_text

Names = Literal["all", "train", "dev"]

# --------------------------------------------------------------------------- gazetteers

FIRST_NAMES = (
    "Alice", "Omar", "Priya", "Mateo", "Hana", "Lukas", "Amara", "Jonas", "Sofia", "Kenji",
    "Leila", "Tomasz", "Nadia", "Diego", "Ingrid", "Kwame", "Mei", "Rafael", "Elena", "Yusuf",
    "Clara", "Arjun", "Freya", "Tariq", "Lucia", "Felix", "Zara", "Hugo", "Aiko", "Samuel",
    "Noor", "Emil", "Ines", "Malik", "Greta", "Chidi", "Rosa", "Viktor", "Ayla", "Bruno",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Kowalski", "Haddad", "Fernandes", "Novak", "Brennan", "Osei",
    "Castillo", "Varga", "Ishikawa", "Mendes", "Adeyemi", "Larsen", "Petrov", "Quintero", "Dubois", "Nakamura",
    "Rahman", "Sorensen", "Alvarez", "Halloran", "Walsh", "Ferreira", "Schulz", "Hartmann", "Costa", "Abara",
)  # fmt: skip
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def _people() -> tuple[str, ...]:
    # 60 distinct "First Last" pairs (i ↦ (i mod 40, 7i mod 30) repeats only after 120),
    # a few with a middle initial, and 20 first names alone, as people are often named.
    full = [f"{FIRST_NAMES[i % 40]} {LAST_NAMES[(7 * i) % 30]}" for i in range(60)]
    full[5::12] = [f"{n.split()[0]} {'KRTMA'[k]}. {n.split()[1]}" for k, n in enumerate(full[5::12])]
    return tuple(full + list(FIRST_NAMES[:20]))


def _dates() -> tuple[str, ...]:
    # Four common English shapes, spread over months, days and years by fixed strides.
    out = []
    for i in range(48):
        year, month, day = 1987 + (5 * i) % 37, (7 * i) % 12, 1 + (11 * i) % 28
        shapes = (
            f"{MONTHS[month]} {day}, {year}", f"{day} {MONTHS[month]} {year}",
            f"{MONTHS[month]} {year}", f"{year}-{month + 1:02d}-{day:02d}",
        )  # fmt: skip
        out.append(shapes[(i + i // 4) % 4])  # not i % 4: every shape must reach both name partitions
    return tuple(out)


GAZETTEERS: dict[str, tuple[str, ...]] = {
    "person": _people(),
    "city": (
        "Lisbon", "Nairobi", "Osaka", "Valparaiso", "Krakow", "Montreal", "Accra", "Tbilisi", "Porto", "Bergen",
        "Medellin", "Hanoi", "Adelaide", "Marrakesh", "Ljubljana", "Cork", "Graz", "Tampere", "Cusco", "Fremantle",
        "Port Halden", "Millbridge", "Ashford Bay", "Kestrel Falls", "Norhaven", "Larkspur", "Saltmere", "Redwater",
        "Crestmoor", "San Veradi",
    ),  # fmt: skip
    "country": (
        "Portugal", "Kenya", "Japan", "Chile", "Poland", "Canada", "Ghana", "Norway", "Colombia", "Vietnam",
        "Australia", "Morocco", "Slovenia", "Ireland", "Austria", "Finland", "Peru", "Argentina", "Iceland",
        "Senegal", "Uruguay", "Malaysia", "Nepal", "Estonia", "New Zealand", "South Korea", "Czech Republic",
    ),  # fmt: skip
    "company": (
        "Brightwave Systems", "Northpeak Labs", "Halcyon Robotics", "Ferrovia Logistics", "Bluefin Analytics",
        "Corvid Security", "Tessellate Inc.", "Marlow & Finch", "Sunmill Energy", "Orbita Aerospace",
        "Greenleaf Pharma", "Pinecrest Bank", "Velora Motors", "Stonegate Media", "Lumen Textiles", "Atlas Freight",
        "Copperline Telecom", "Nimbus Cloud", "Redkite Games", "Silverthread Apparel", "Kelpie Software",
        "Oakhurst Insurance", "Zephyr Airlines", "Ironbark Mining",
    ),  # fmt: skip
    "university": (
        "University of Eastbrook", "Northgate University", "Saltmere Institute of Technology", "Kestrel College",
        "Redwater State University", "University of Port Halden", "Ashford Polytechnic", "Crestmoor University",
        "Larkspur School of Economics", "Millbridge University", "University of Norhaven", "Hollowell College",
        "Westmarch University", "Brennan Institute", "Tamsin Technical University", "Lowfield University",
        "Avalon Institute of Science", "University of Greyhaven", "Carrow College of Art", "Thornbury University",
    ),  # fmt: skip
    "date": _dates(),
    "programming language": (
        "Python", "Rust", "Java", "Kotlin", "Haskell", "TypeScript", "JavaScript", "C++", "Ruby", "Scala",
        "Swift", "Elixir", "Fortran", "COBOL", "Lua", "Perl", "OCaml", "Erlang", "Clojure", "Zig", "Dart",
    ),  # fmt: skip
    "food": (
        "lasagna", "pad thai", "sushi", "falafel", "ramen", "paella", "goulash", "pierogi", "jollof rice", "tacos",
        "dumplings", "couscous", "moussaka", "pho", "risotto", "shakshuka", "biryani", "empanadas", "borscht",
        "feijoada", "laksa", "ceviche", "kimchi stew", "banana bread", "apple pie",
    ),  # fmt: skip
    "sports team": (
        "Riverside Falcons", "Northgate Rovers", "Saltmere Sharks", "Kestrel Falls Comets", "Port Halden United",
        "Crestmoor Wolves", "Ashford Athletic", "Redwater Rangers", "Millbridge Miners", "Larkspur Lions",
        "Eastbrook Eagles", "Norhaven Knights", "Greyhaven Giants", "Lowfield Lynx", "Westmarch Wanderers",
        "Thornbury Titans", "Bayside Bulldogs", "Copperline City FC", "Hollowell Hornets", "Summit Storm",
    ),  # fmt: skip
    "disease": (
        "malaria", "tuberculosis", "influenza", "measles", "asthma", "diabetes", "cholera", "dengue fever",
        "hepatitis B", "pneumonia", "bronchitis", "Lyme disease", "chickenpox", "migraine", "anemia", "psoriasis",
        "typhoid", "mumps", "rubella", "scurvy",
    ),  # fmt: skip
    "musical instrument": (
        "violin", "cello", "trumpet", "clarinet", "oboe", "harp", "saxophone", "accordion", "banjo", "ukulele",
        "bassoon", "flute", "tuba", "sitar", "mandolin", "piano", "harmonica", "trombone", "double bass", "bagpipes",
    ),  # fmt: skip
    "river": (
        "Velmar River", "Ostra River", "River Kell", "Dunmore River", "Corran River", "River Amsel", "Tarn River",
        "Silverrun River", "Ambry River", "River Oune", "Greywater River", "Halsey River", "River Tamsk",
        "Brindle River", "Coldbrook River", "River Sava", "Marrow River", "Pelling River", "River Ystra",
        "Orrin River",
    ),  # fmt: skip
    "job title": (
        "software engineer", "nurse", "data analyst", "chief executive", "head chef", "physics professor",
        "civil engineer", "accountant", "journalist", "pharmacist", "architect", "product manager", "librarian",
        "electrician", "marine biologist", "translator", "police officer", "veterinarian", "lawyer", "pilot",
    ),  # fmt: skip
}
LABELS: tuple[str, ...] = tuple(GAZETTEERS)
# Types kept out of training by `make_splits`, so that `dev-unseen` is scored zero-shot.
HELD_OUT: tuple[str, ...] = ("country", "musical instrument", "river")
SEEN: tuple[str, ...] = tuple(label for label in LABELS if label not in HELD_OUT)

# --------------------------------------------------------------------------- templates

# Slot name in a template → entity type.
SLOTS = {
    "person": "person", "city": "city", "country": "country", "company": "company", "university": "university",
    "date": "date", "language": "programming language", "food": "food", "team": "sports team",
    "disease": "disease", "instrument": "musical instrument", "river": "river", "job": "job title",
}  # fmt: skip

TEMPLATES = (
    # seen types only
    "{person} moved from {city} to {city} in {date}.",
    "{person} joined {company} as a {job} on {date}.",
    "After graduating from {university}, {person} worked as a {job} in {city}.",
    "The {team} beat the {team} 3-1 on {date}.",
    "{company} is rewriting its payment service in {language}.",
    "Doctors in {city} reported a rise in {disease} cases last winter.",
    "{person}, a {job} at {company}, prefers {language} over {language}.",
    "My grandmother makes the best {food} in {city}.",
    "Is {person} still teaching {language} at {university}?",
    "On {date}, {company} opened a new office in {city}.",
    "{person} was treated for {disease} at a clinic near {university}.",
    "Fans of the {team} celebrated with {food} and loud music.",
    "We had {food} and {food} at {person}'s place.",
    "The {job} from {company} gave a talk on {language} tooling.",
    "{person} and {person} founded {company} in {city} on {date}.",
    "Tickets for the {team} game on {date} sold out in an hour.",
    "According to {person}, {disease} is still common in the villages around {city}.",
    "{university} announced a new {language} course starting in {date}.",
    "The {team} signed {person}, a former {job}, as their new coach.",
    "Which {food} does {person} recommend?",
    "{company} shares fell sharply after the announcement on {date}.",
    "{person}, who studied at {university}, now lives in {city}.",
    "Researchers at {university} are testing a new vaccine against {disease}.",
    "Our {job} rewrote the whole scheduler in {language} over a weekend.",
    "I ordered {food}.",
    "Call {person} before noon.",
    "{city} hosted the final between the {team} and the {team}.",
    "{company} hired {person} away from {company} to lead its {language} team.",
    "The {job} said the outbreak of {disease} was under control by {date}.",
    "In {city}, {person} opened a small shop selling {food}.",
    # with held-out types
    "{person} grew up in {city}, {country}, and learned to play the {instrument}.",
    "The {river} flows through {city} before it reaches the sea.",
    "{company} opened a factory in {country} on {date}.",
    "{person} played the {instrument} at the summer festival in {city}.",
    "Every summer we kayak down the {river} in {country}.",
    "After a year in {country}, {person} took up the {instrument} and the {instrument}.",
    "The {team} toured {country} and {country} in {date}.",
    "Floods along the {river} closed schools in {city}.",
    "{university} offers a degree in {instrument} performance.",
    "{person}, a {job} from {country}, mapped the banks of the {river}.",
    "Exports of {food} from {country} doubled last year.",
    "She sold her old {instrument} to a collector from {country}.",
    # no entities
    "The meeting was moved to next week because of the rain.",
    "Nobody knew where the keys had gone.",
    "Please send me the final version of the report.",
    "It was the coldest morning of the year.",
    "The results will be published soon.",
)
SLOT_PATTERN = re.compile(r"\{(\w+)\}")
TWO_SENTENCES = 0.25  # share of records made of two templates, for longer texts with more entities


def template_types(template: str) -> set[str]:
    return {SLOTS[slot] for slot in SLOT_PATTERN.findall(template)}


# --------------------------------------------------------------------------- generation


def generate(n: int, seed: int, labels: Sequence[str] | None = None, *, names: Names = "all") -> list[dict]:
    """`n` GLiNER records, the same for the same arguments.

    `labels` (default: all of `LABELS`) limits the templates to those whose every entity
    has one of these types, so no other type occurs even as unannotated text. `names`
    picks the surface forms: "train" leaves out every fourth gazetteer entry, "dev" uses
    only those, "all" uses every entry.
    """
    allowed = set(LABELS if labels is None else labels)
    unknown = allowed - set(LABELS)
    if unknown:
        raise ValueError(f"unknown entity types {sorted(unknown)}; the generator knows {list(LABELS)}")
    templates = [t for t in TEMPLATES if template_types(t) <= allowed]
    return _records(n, random.Random(seed), templates, keep=allowed, names=names)


def generate_held_out(n: int, seed: int, held_out: Sequence[str] = HELD_OUT, *, names: Names = "all") -> list[dict]:
    """`n` records from the templates that mention a held-out type, annotated with held-out types only.

    Other entities stay in the text unannotated; the set is meant to be prompted with the
    held-out labels alone (which `load_suite` does: it prompts with the labels a file contains).
    """
    keep = set(held_out)
    templates = [t for t in TEMPLATES if template_types(t) & keep]
    if not templates:
        raise ValueError(f"no template mentions any of {sorted(keep)}; held-out types must come from {list(LABELS)}")
    return _records(n, random.Random(seed), templates, keep=keep, names=names)


def make_splits(n_train: int, n_dev: int, seed: int = 0, held_out: Sequence[str] = HELD_OUT) -> dict[str, list[dict]]:
    """train (seen types, training names) · dev-seen (seen types, held-back names) · dev-unseen (held-out types)."""
    seen = [label for label in LABELS if label not in held_out]
    return {
        "train": generate(n_train, seed, seen, names="train"),
        "dev-seen": generate(n_dev, seed + 1, seen, names="dev"),
        "dev-unseen": generate_held_out(n_dev, seed + 2, held_out),
    }


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """One JSON record per line, written atomically."""
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
    return Path(path)


def _records(n: int, rng: random.Random, templates: list[str], keep: set[str], names: Names) -> list[dict]:
    pools = {label: _pool(values, names) for label, values in GAZETTEERS.items()}
    records = []
    for _ in range(n):
        count = 2 if rng.random() < TWO_SENTENCES else 1
        text, spans = "", []
        for template in rng.sample(templates, count):
            prefix = f"{text} " if text else ""
            part, part_spans = _render(template, rng, pools)
            spans += [(a + len(prefix), b + len(prefix), label) for a, b, label in part_spans]
            text = prefix + part
        records.append(_to_record(text, [s for s in spans if s[2] in keep]))
    return records


def _pool(values: tuple[str, ...], names: Names) -> list[str]:
    if names == "all":
        return list(values)
    return [v for i, v in enumerate(values) if (i % 4 == 3) == (names == "dev")]


def _render(template: str, rng: random.Random, pools: dict[str, list[str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """Fill the slots (distinct values within a sentence); returns the text and (char_start, char_end, label)."""
    text, spans, used = "", [], set()
    for i, part in enumerate(SLOT_PATTERN.split(template)):
        if i % 2 == 0:  # literal text between slots
            text += part
            continue
        label = SLOTS[part]
        value = rng.choice([v for v in pools[label] if v not in used])
        used.add(value)
        if re.search(r"\b[Aa] $", text) and value[0].lower() in "aeiou":
            text = text[:-1] + "n "  # "a architect" → "an architect"
        spans.append((len(text), len(text) + len(value), label))
        text += value
    return text, spans


def _to_record(text: str, spans: list[tuple[int, int, str]]) -> dict:
    words, offsets = split_words(text)
    ner = []
    for a, b, label in spans:
        word_span = char_to_word_spans(offsets, a, b)
        # Slots are always surrounded by spaces or punctuation, so every value falls on word boundaries.
        assert word_span is not None, f"{text[a:b]!r} in {text!r} does not fall on word boundaries"
        ner.append([word_span[0], word_span[1], label])
    return {"tokenized_text": words, "ner": ner}
