"""Chunking: whole sentences, exact offsets, sizes, overlap and stable ids."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from ingest.chunking import chunk_text
from ingest.models import chunk_id
from ingest.sentences import split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "iraq-isis-qaim-2017-11-05.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_chunk_offsets_map_back_to_the_exact_text(seed_text: str) -> None:
    chunks = chunk_text("seed", seed_text)
    assert len(chunks) > 3
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert chunk.doc_id == "seed"
        assert seed_text[chunk.start : chunk.end] == chunk.text
        assert chunk.chunk_id == chunk_id("seed", i)


def test_chunks_start_and_end_on_sentence_boundaries(seed_text: str) -> None:
    spans = split_sentences(seed_text)
    starts = {s for s, _ in spans}
    ends = {e for _, e in spans}
    for chunk in chunk_text("seed", seed_text):
        assert chunk.start in starts
        assert chunk.end in ends


def test_title_abbreviation_sentence_is_never_cut(seed_text: str) -> None:
    sentence = next(
        seed_text[s:e] for s, e in split_sentences(seed_text) if "Col. Ryan Dillon" in seed_text[s:e]
    )
    for target in (80, 200, 500):
        chunks = chunk_text("seed", seed_text, target_chars=target, max_chars=max(target, len(sentence)))
        holding = [c for c in chunks if "Col. Ryan" in c.text]
        assert holding
        assert all(sentence in c.text for c in holding)


def test_every_sentence_is_in_some_chunk(seed_text: str) -> None:
    chunks = chunk_text("seed", seed_text, target_chars=300, max_chars=600, overlap_sentences=0)
    for s, e in split_sentences(seed_text):
        assert any(c.start <= s and e <= c.end for c in chunks)


def test_chunks_stay_within_max_and_near_target(seed_text: str) -> None:
    chunks = chunk_text("seed", seed_text, target_chars=400, max_chars=700)
    assert all(len(c.text) <= 700 for c in chunks)
    # Only the last chunk of a paragraph run may be short; most fill towards the target.
    assert sum(len(c.text) >= 200 for c in chunks) >= len(chunks) - 2


def test_no_overlap_means_chunks_do_not_share_text(seed_text: str) -> None:
    chunks = chunk_text("seed", seed_text, target_chars=300, max_chars=600, overlap_sentences=0)
    for a, b in itertools.pairwise(chunks):
        assert a.end <= b.start


def test_overlap_repeats_the_last_sentence_inside_a_paragraph() -> None:
    sentences = [f"Sentence number {i} is about the same long running story." for i in range(12)]
    text = " ".join(sentences)  # one paragraph
    chunks = chunk_text("d", text, target_chars=200, max_chars=300, overlap_sentences=1)
    assert len(chunks) > 2
    for a, b in itertools.pairwise(chunks):
        last_sentence_of_a = text[a.start : a.end].split(". ")[-1]
        assert b.text.startswith(last_sentence_of_a.rstrip("."))
        assert b.start < a.end


def test_paragraph_cut_is_preferred_and_not_overlapped() -> None:
    p1 = "First paragraph opens here. It has a second sentence. And a third one too."
    p2 = "Second paragraph starts. It goes on for a while. Then it stops here."
    text = f"{p1}\n\n{p2}"
    # The target leaves room for p1 plus p2's first sentence; the chunk still ends with p1.
    target = len(p1) + 2 + len("Second paragraph starts.") + 5
    chunks = chunk_text("d", text, target_chars=target, max_chars=400, overlap_sentences=1)
    assert [c.text for c in chunks] == [p1, p2]


def test_sentence_longer_than_max_is_cut_at_whitespace() -> None:
    words = [f"word{i:03d}" for i in range(300)]
    text = " ".join(words) + "."
    chunks = chunk_text("d", text, target_chars=100, max_chars=150, overlap_sentences=0)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 150
        assert text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
    assert " ".join(c.text for c in chunks) == text


def test_same_text_gives_same_chunks_and_ids(seed_text: str) -> None:
    a = chunk_text("seed", seed_text)
    b = chunk_text("seed", seed_text)
    assert [(c.chunk_id, c.start, c.end, c.text) for c in a] == [
        (c.chunk_id, c.start, c.end, c.text) for c in b
    ]


def test_editing_a_late_paragraph_leaves_earlier_chunks_unchanged(seed_text: str) -> None:
    edited = seed_text.replace("Dillon said there are between 2,500", "Dillon said there are between 2,600")
    before, after = chunk_text("seed", seed_text), chunk_text("seed", edited)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a.text != b.text]
    assert changed and min(changed) >= len(before) // 2


def test_blank_text_has_no_chunks() -> None:
    assert chunk_text("d", "") == []
    assert chunk_text("d", "\n\n  \n") == []


def test_invalid_sizes_are_rejected() -> None:
    with pytest.raises(ValueError):
        chunk_text("d", "Some text.", target_chars=500, max_chars=100)
    with pytest.raises(ValueError):
        chunk_text("d", "Some text.", overlap_sentences=-1)
