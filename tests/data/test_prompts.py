"""LabelSampler: which labels each training example is prompted with."""

from __future__ import annotations

import random

import pytest

from spanlab.config import NegativesConfig
from spanlab.data.prompts import LabelSampler, file_label_sets, label_vocabulary
from spanlab.data.schema import Example, Span

VOCAB = [f"type{i}" for i in range(30)] + ["person", "city", "org", "date"]


def ex(*labels: str, negatives: list[str] | None = None) -> Example:
    """One example with a one-word span per label (labels may repeat: several mentions)."""
    words = [f"w{i}" for i in range(max(len(labels), 1))]
    return Example(words=words, spans=[Span(i, i, lab) for i, lab in enumerate(labels)], negatives=negatives or [])


BATCH = [ex("person", "city"), ex("org"), ex("date", "person"), ex()]


def sampler(max_types=25, seed=0, **cfg) -> LabelSampler:
    return LabelSampler(NegativesConfig(**cfg), max_types, VOCAB, random.Random(seed))


ALL_MODES = [
    dict(source=s, count=c, explicit=e) for s in ("batch", "vocabulary") for c in ("ratio", "fill") for e in (True, False)
]


@pytest.mark.parametrize("cfg", ALL_MODES, ids=lambda c: "-".join(map(str, c.values())))
def test_positives_in_negatives_out(cfg):
    s = sampler(**cfg)
    for _ in range(50):
        for example, prompt in zip(BATCH, s(BATCH)):
            positives = set(example.positive_labels)
            assert positives <= set(prompt)
            assert len(prompt) == len(set(prompt)), f"duplicate labels in {prompt}"
            negatives = set(prompt) - positives
            assert not negatives & positives


@pytest.mark.parametrize("cfg", ALL_MODES, ids=lambda c: "-".join(map(str, c.values())))
def test_positives_kept_when_negatives_overflow_max_types(cfg):
    # 3 mentions of one type: "ratio" with max_ratio=3 asks for up to 9 negatives, and the
    # explicit negatives alone exceed max_types. The prompt is cut to max_types, but the one
    # gold type fits, so it must never be the one cut away.
    crowded = ex("person", "person", "person", negatives=[f"neg{i}" for i in range(6)])
    s = sampler(max_types=3, max_ratio=3, **cfg)
    for _ in range(100):
        prompt = s([crowded, ex("org", "city", "date")])[0]
        assert len(prompt) <= 3
        assert "person" in prompt, prompt


def test_positives_beyond_max_types_are_cut_to_max_types():
    many = ex(*[f"type{i}" for i in range(8)])
    prompt = sampler(max_types=5, source="batch", count="fill")([many])[0]
    assert len(prompt) == 5 and set(prompt) <= set(many.positive_labels)


def test_explicit_negatives_used_only_when_enabled():
    # Explicit negatives outside the batch and outside the vocabulary: only cfg.explicit can bring them in.
    record = ex("person", negatives=["spaceship", "volcano", "person"])  # a positive listed as negative is ignored
    with_explicit = sampler(source="batch", count="ratio", max_ratio=0, explicit=True)
    without = sampler(source="batch", count="ratio", max_ratio=0, explicit=False)
    for _ in range(20):
        prompt = with_explicit([record])[0]
        assert sorted(prompt) == ["person", "spaceship", "volcano"]  # all explicit ones, even beyond n_neg
        assert without([record])[0] == ["person"]


def test_duplicate_explicit_negatives_appear_once():
    record = ex("person", negatives=["city", "city"])
    prompt = sampler(source="batch", count="ratio", max_ratio=0, explicit=True)([record])[0]
    assert sorted(prompt) == ["city", "person"]


def test_ratio_mode_can_give_no_negatives():
    s = sampler(source="vocabulary", count="ratio", max_ratio=1, explicit=False)
    sizes = {len(s(BATCH)[0]) for _ in range(100)}  # BATCH[0] has 2 mentions of 2 types
    assert 2 in sizes  # r = 0: the prompt is the positives alone
    assert max(sizes) == 4  # r = 1: one negative per mention
    # An example without mentions gets no negatives in ratio mode: it is prompted with one empty label.
    assert all(s(BATCH)[3] == [""] for _ in range(20))


@pytest.mark.parametrize("min_count", [1, 3])
def test_fill_mode_gives_at_least_min_count_negatives(min_count):
    s = sampler(max_types=10, source="vocabulary", count="fill", min_count=min_count, explicit=False)
    counts = []
    for _ in range(100):
        for example, prompt in zip(BATCH, s(BATCH)):
            n_neg = len(prompt) - len(example.positive_labels)
            assert min_count <= n_neg <= 10 - len(example.positive_labels)
            counts.append(n_neg)
    assert max(counts) == 10 - 0  # the empty example can be filled to max_types
    assert min(counts) == min_count


def test_fill_mode_without_room_gives_no_negatives():
    full = ex("person", "city", "org")
    s = sampler(max_types=3, source="vocabulary", count="fill", min_count=2, explicit=False)
    for _ in range(20):
        assert sorted(s([full])[0]) == ["city", "org", "person"]


def test_batch_source_draws_only_from_the_batch():
    s = sampler(source="batch", count="fill", explicit=False)
    batch_labels = {label for e in BATCH for label in e.positive_labels}
    for _ in range(30):
        for prompt in s(BATCH):
            assert set(prompt) <= batch_labels


def test_capped_at_max_types():
    for count in ("ratio", "fill"):
        s = sampler(max_types=4, source="vocabulary", count=count, max_ratio=5)
        for _ in range(30):
            assert all(len(p) <= 4 for p in s(BATCH))


def test_deterministic_with_a_seeded_rng():
    def draws(seed):
        s = sampler(seed=seed, source="vocabulary", count="fill")
        return [s(BATCH) for _ in range(5)]

    assert draws(1) == draws(1)
    assert draws(1) != draws(2)


def test_vocabulary_source_needs_a_vocabulary():
    with pytest.raises(ValueError, match="vocabulary"):
        LabelSampler(NegativesConfig(source="vocabulary"), 25, [])


def test_label_vocabulary_first_seen_order():
    assert label_vocabulary(BATCH) == ["person", "city", "org", "date"]


def from_file(path: str, *labels: str) -> Example:
    e = ex(*labels)
    e.source = f"{path}:1"
    return e


def test_file_label_sets_group_labels_by_source_file():
    examples = [from_file("/d/conll.jsonl", "person", "org"), from_file("/d/conll.jsonl", "city"),
                from_file("/d/bio.jsonl", "gene"), from_file("/d/bio.jsonl")]
    assert file_label_sets(examples) == {"/d/conll.jsonl": ["person", "org", "city"], "/d/bio.jsonl": ["gene"]}


def test_dataset_source_draws_true_negatives_from_the_example_file():
    sets = {"/d/conll.jsonl": ["person", "org", "city", "date"], "/d/bio.jsonl": ["gene"]}
    s = LabelSampler(NegativesConfig(source="dataset", count="fill", min_count=1, explicit=False), 25, VOCAB,
                     random.Random(0), label_sets=sets)
    conll, bio = from_file("/d/conll.jsonl", "person"), from_file("/d/bio.jsonl", "gene")
    seen_bio_negatives = set()
    for _ in range(50):
        p_conll, p_bio = s([conll, bio])
        assert "person" in p_conll and set(p_conll) <= set(sets["/d/conll.jsonl"])  # never a label of another file
        assert len(p_conll) >= 2
        # The bio file has no other label: topped up from the vocabulary to min_count (1) negative.
        assert len(p_bio) == 2 and "gene" in p_bio
        seen_bio_negatives |= set(p_bio) - {"gene"}
    assert seen_bio_negatives <= set(VOCAB) and len(seen_bio_negatives) > 1


def test_dataset_source_needs_label_sets():
    with pytest.raises(ValueError, match="label set"):
        LabelSampler(NegativesConfig(source="dataset"), 25, VOCAB)
