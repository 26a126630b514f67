"""Sentence splitting: exact spans, the abbreviations and punctuation of English news."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ingest.sentences import paragraph_spans, sentence_texts, split_sentences

SEED = Path(__file__).resolve().parent.parent / "seeds" / "iraq-isis-qaim-2017-11-05.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_spans_are_exact_trimmed_and_cover_every_non_space_character(seed_text: str) -> None:
    spans = split_sentences(seed_text)
    covered = [False] * len(seed_text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end
        sentence = seed_text[start:end]
        assert sentence == sentence.strip()
        for i in range(start, end):
            covered[i] = True
        previous_end = end
    uncovered = "".join(ch for ch, c in zip(seed_text, covered, strict=True) if not c)
    assert uncovered.strip() == ""


def test_title_abbreviation_does_not_end_the_sentence(seed_text: str) -> None:
    sentences = sentence_texts(seed_text)
    dillon = [s for s in sentences if "Col. Ryan Dillon" in s]
    assert len(dillon) == 1
    assert dillon[0].startswith("Spokesman for the U.S. coalition Col. Ryan Dillon said")
    assert dillon[0].endswith("to avoid confrontation.")


def test_month_abbreviation_before_a_day_does_not_end_the_sentence(seed_text: str) -> None:
    sentences = sentence_texts(seed_text)
    assert any(s.startswith("This frame grab") and s.endswith("militants, Syria.") for s in sentences)
    assert "The Syrian army announced on Friday, Nov. 3 it liberated" in " | ".join(sentences)


def test_headline_without_final_punctuation_is_its_own_sentence(seed_text: str) -> None:
    sentences = sentence_texts(seed_text)
    assert sentences[0] == "Iraq forces, ISIS fighters clash near Syrian border"
    assert sentences[-1] == "Upcoming Events"


def test_double_dash_does_not_split_a_sentence(seed_text: str) -> None:
    sentences = sentence_texts(seed_text)
    beirut = next(s for s in sentences if s.startswith("BEIRUT"))
    assert beirut.endswith("an Iraqi official said Saturday.")
    assert any("Syrian troops --backed by Russia" in s and s.endswith("two countries.") for s in sentences)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met Dr. Jones at 11 a.m. ET on Jan. 5. They talked.",
            ["Mr. Smith met Dr. Jones at 11 a.m. ET on Jan. 5.", "They talked."],
        ),
        (
            "Profits rose to $1.13bn, up 2.5% on the year. Shares fell 0.4.",
            ["Profits rose to $1.13bn, up 2.5% on the year.", "Shares fell 0.4."],
        ),
        (
            "The author J. K. Rowling spoke. George W. Bush did not.",
            ["The author J. K. Rowling spoke.", "George W. Bush did not."],
        ),
        (
            "U.S.-backed forces advanced. The U.S. Army said so. It came from the U.S. The end.",
            ["U.S.-backed forces advanced.", "The U.S. Army said so.", "It came from the U.S.", "The end."],
        ),
        (
            'He said: "We will win." She disagreed.',
            ['He said: "We will win."', "She disagreed."],
        ),
        ('"Why?" he asked. "Because!" she said.', ['"Why?" he asked.', '"Because!" she said.']),
        ("It was over (for now.) Then it began.", ["It was over (for now.)", "Then it began."]),
        (
            "He paused... Then he left. It was… strange.",
            ["He paused...", "Then he left.", "It was… strange."],
        ),
        (
            "Apple Inc. said sales rose. Apple Inc. The firm grew.",
            ["Apple Inc. said sales rose.", "Apple Inc.", "The firm grew."],
        ),
        (
            "He lives on Main St. The house is red. St. Louis is far.",
            ["He lives on Main St.", "The house is red.", "St. Louis is far."],
        ),
        ("Gov. Ron DeSantis and Sen. Ted Cruz spoke.", ["Gov. Ron DeSantis and Sen. Ted Cruz spoke."]),
        ("The song hit No. 1 in the charts.", ["The song hit No. 1 in the charts."]),
        (
            "Interest is due in April.\n\n4. AMC Theatres\n\nIndustry: Theaters",
            ["Interest is due in April.", "4. AMC Theatres", "Industry: Theaters"],
        ),
        (
            "Tucson (2013/Aug. 2014) closed. Peoria, Ariz. (2013) too.",
            ["Tucson (2013/Aug. 2014) closed.", "Peoria, Ariz. (2013) too."],
        ),
        (
            "Omicron BA.2 followed BA.1. Most people recovered.",
            ["Omicron BA.2 followed BA.1.", "Most people recovered."],
        ),
        (
            "Reach him at jo@example.com. Follow him online.",
            ["Reach him at jo@example.com.", "Follow him online."],
        ),
    ],
)
def test_splits_news_sentences(text: str, expected: list[str]) -> None:
    assert sentence_texts(text) == expected


def test_blank_line_always_ends_a_sentence() -> None:
    text = "Police said the road was closed\n\nit reopened on Monday"
    assert sentence_texts(text) == ["Police said the road was closed", "it reopened on Monday"]


def test_hard_wrapped_lines_stay_one_sentence_and_indented_lines_start_paragraphs() -> None:
    text = "Showers continued in\nthe Bahia cocoa zone.\n    The dry period means\nthe crop will be late."
    assert sentence_texts(text) == [
        "Showers continued in\nthe Bahia cocoa zone.",
        "The dry period means\nthe crop will be late.",
    ]
    assert len(paragraph_spans(text)) == 2


def test_blank_and_punctuation_free_text() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n \t") == []
    assert sentence_texts("  no punctuation at all  ") == ["no punctuation at all"]


def test_spans_index_the_original_text_with_surrounding_whitespace() -> None:
    text = "\n\n   First one.   Second one!\n\n\n  Third?  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["First one.", "Second one!", "Third?"]
    assert spans[0][0] == text.index("First")


def test_repeated_article_splits_like_its_copies(seed_text: str) -> None:
    long_text = "\n\n".join([seed_text] * 200)  # ~1 MB
    spans = split_sentences(long_text)
    assert len(spans) == 200 * len(split_sentences(seed_text))
    assert all(not re.match(r"\s", long_text[s]) for s, _ in spans[:50])
