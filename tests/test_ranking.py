"""Article-level ranking and fusion: plain functions, no Elasticsearch (issue 14)."""

from __future__ import annotations

from datetime import date

import pytest

from search.query import emphasis, emphasis_clauses, keyword_text
from search.ranking import ArticleScore, fuse, recency_weight, score_articles


def test_an_article_matching_in_several_chunks_outranks_one_lucky_chunk():
    chunks = [
        ("lucky", "lucky#0", 10.0),
        ("story", "story#0", 9.0),
        ("story", "story#3", 8.5),
        ("story", "story#5", 8.0),
        ("other", "other#1", 1.0),
    ]
    ranked = score_articles(chunks, depth=3, damping=0.5)
    assert [a.doc_id for a in ranked] == ["story", "lucky", "other"]
    assert ranked[0].chunk_ids == ["story#0", "story#3", "story#5"]  # best first


def test_best_chunk_only_keeps_the_best_chunk_order():
    chunks = [("a", "a#0", 3.0), ("b", "b#0", 2.0), ("b", "b#1", 2.0), ("b", "b#2", 2.0)]
    assert [a.doc_id for a in score_articles(chunks, depth=1)] == ["a", "b"]


def test_many_weak_chunks_cannot_beat_one_strong_one():
    # Cosine scores of unrelated text sit near 0.5: raw sums would reward length.
    chunks = (
        [("strong", "s#0", 0.86)] + [("long", f"l#{i}", 0.60) for i in range(10)] + [("floor", "f#0", 0.55)]
    )
    assert score_articles(chunks, depth=3, damping=0.5)[0].doc_id == "strong"


def test_score_articles_edge_cases():
    assert score_articles([]) == []
    (only,) = score_articles([("a", "a#0", 0.0)])
    assert only.score == 1.0  # one hit is its list's best
    with pytest.raises(ValueError):
        score_articles([("a", "a#0", 1.0)], depth=0)


def _ranking(*ids: str) -> list[ArticleScore]:
    return [ArticleScore(d, float(len(ids) - i), [f"{d}#0"]) for i, d in enumerate(ids)]


@pytest.mark.parametrize("method", ["rrf", "minmax", "zscore"])
def test_an_article_both_retrievers_rank_high_wins(method):
    fused = fuse({"bm25": _ranking("a", "b", "c"), "knn": _ranking("b", "d", "a")}, method)
    assert fused[0].doc_id in ("a", "b")
    assert {x.doc_id for x in fused} == {"a", "b", "c", "d"}
    assert fused[-1].doc_id in ("c", "d")


@pytest.mark.parametrize("method", ["rrf", "minmax", "zscore"])
def test_ties_keep_first_seen_order_and_empty_lists_are_ignored(method):
    mirror = fuse({"bm25": _ranking("a", "b"), "knn": _ranking("b", "a")}, method)
    assert [x.doc_id for x in mirror] == ["a", "b"]  # a tie: a was seen first
    assert mirror[0].score == pytest.approx(mirror[1].score)
    assert [x.doc_id for x in fuse({"bm25": [], "knn": _ranking("x")}, method)] == ["x"]
    assert fuse({"bm25": [], "knn": []}, method) == []


def test_weights_tip_the_balance_and_an_unknown_method_is_refused():
    lists = {"bm25": _ranking("kw", "both"), "knn": _ranking("sem", "both")}
    assert fuse(lists, "minmax", weights={"knn": 3.0})[0].doc_id == "sem"
    assert fuse(lists, "minmax", weights={"knn": 0.1})[0].doc_id == "kw"
    with pytest.raises(ValueError):
        fuse(lists, "borda")  # type: ignore[arg-type]


def test_zscore_counts_a_missing_article_at_the_lists_lowest_not_its_mean():
    lists = {
        "bm25": [ArticleScore("a", 10.0), ArticleScore("b", 1.0), ArticleScore("c", 0.0)],
        "knn": [ArticleScore("c", 0.9), ArticleScore("b", 0.8)],
    }
    fused = {x.doc_id: x.score for x in fuse(lists, "zscore")}
    # "a" is missing from knn: it gets knn's lowest z, so b (present in both) is not unfairly ahead
    assert fused["a"] > fused["b"]


def test_recency_weight_halves_per_half_life_and_ignores_the_future():
    as_of = date(2017, 11, 5)
    assert recency_weight("2017-11-05T10:00:00", as_of, 30) == 1.0
    assert recency_weight("2017-10-06", as_of, 30) == pytest.approx(0.5)
    assert recency_weight("2017-11-09", as_of, 30) == 1.0
    assert recency_weight(None, as_of, 30) == 0.5
    assert recency_weight("not a date", as_of, 30) == 0.5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("who holds Qaim?", "holds Qaim"),
        ("Which team does Damar Hamlin play for?", "team Damar Hamlin play for"),
        ("what is 2+2?", "2 2"),
        ("The Who", "The Who"),  # only a question word is left after "The": kept as typed
        ("who is he", "who is he"),  # nothing but question words: unchanged
    ],
)
def test_question_words_do_not_search(query, expected):
    assert keyword_text(query) == expected


@pytest.mark.parametrize(
    ("query", "phrases", "names", "numbers"),
    [
        ("who holds Qaim?", [], ["Qaim"], []),
        ('"climate bill" Joe Manchin 2023', ["climate bill"], ["Joe Manchin"], ["2023"]),
        ("Which country won the 2022 World Cup?", [], ["World Cup"], ["2022"]),
        ("The price of eggs", [], [], []),
        ("how many died after the 7.8 quake in Turkey and Syria", [], ["Turkey", "Syria"], ["7.8"]),
    ],
)
def test_quoted_phrases_names_and_numbers_are_picked_out_of_a_query(query, phrases, names, numbers):
    assert emphasis(query) == {"phrases": phrases, "names": names, "numbers": numbers}


def test_emphasis_adds_phrase_clauses_only_when_switched_on():
    assert emphasis_clauses('"climate bill" Joe Manchin 2023', 0.0) == []
    clauses = emphasis_clauses('"climate bill" Joe Manchin 2023', 1.0)
    phrases = [c["match_phrase"]["content"]["query"] for c in clauses]
    assert phrases == ["climate bill", "Joe Manchin", "2023"]
    assert clauses[0]["match_phrase"]["content"]["boost"] > clauses[1]["match_phrase"]["content"]["boost"]
