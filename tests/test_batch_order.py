"""The driver's split of each batch into articles written at once and articles held back
(``search.batch_order``): plain objects, no Elasticsearch."""

from __future__ import annotations

from ingest.models import CleanArticle, RawRecord
from search.batch_order import BatchOrder

STORY = (
    "The harbour board voted on Tuesday to extend the ferry timetable through the winter, after "
    "fishermen and tourists asked for later crossings. The mayor said the budget allows two more "
    "sailings a day and that the pier repairs will finish before the storm season begins in earnest."
)


def _article(doc_id: str, text: str) -> CleanArticle:
    from ingest.cleaning import clean_record

    return clean_record(RawRecord(origin="t.jsonl", id=doc_id, title=doc_id, text=text))


def _other(i: int) -> str:
    words = "quay crane tide lock dock canal marina pilot cargo toll licence customs".split()
    return " ".join(words[(i + j * 7) % len(words)] + str(j % (i + 3)) for j in range(60)) + "."


def test_articles_new_to_the_run_go_out_with_their_batch():
    order = BatchOrder()
    now, held = order.split([_article("a", _other(1)), _article("b", _other(2))])
    assert ([a.doc_id for a in now], held) == (["a", "b"], [])
    now, held = order.split([_article("c", _other(3))])
    assert ([a.doc_id for a in now], held) == (["c"], [])


def test_an_exact_or_near_copy_of_an_earlier_batch_is_held_back():
    order = BatchOrder()
    order.split([_article("wire", STORY), _article("x", _other(1))])
    near = "PORTLAND (AP) -- " + STORY + " Copyright 2024 The Associated Press."
    now, held = order.split([_article("exact", STORY), _article("near", near), _article("y", _other(2))])
    assert [a.doc_id for a in now] == ["y"]
    assert [a.doc_id for a in held] == ["exact", "near"]
    assert order.held_total == 2


def test_a_copy_within_one_batch_stays_in_it_for_the_writer_to_fold():
    now, held = BatchOrder().split([_article("wire", STORY), _article("copy", STORY)])
    assert ([a.doc_id for a in now], held) == (["wire", "copy"], [])


def test_an_id_repeated_in_a_later_batch_is_held_so_the_later_version_wins_after_the_first():
    order = BatchOrder()
    order.split([_article("a", _other(1))])
    now, held = order.split([_article("a", _other(1) + " An update."), _article("b", _other(2))])
    assert ([a.doc_id for a in now], [a.doc_id for a in held]) == (["b"], ["a"])


def test_a_copy_of_a_held_article_is_held_too_even_in_the_same_batch():
    order = BatchOrder()
    order.split([_article("first", _other(5))])
    # "first" again (held: repeated id, and it carries STORY now), then a copy of it in the same batch.
    now, held = order.split([_article("first", STORY), _article("copy", STORY), _article("z", _other(6))])
    assert [a.doc_id for a in now] == ["z"]
    assert [a.doc_id for a in held] == ["first", "copy"]


def test_signatures_computed_where_the_batch_was_cleaned_give_the_same_split():
    from datasketch import LeanMinHash

    from ingest.dedupe import minhash_signature

    batches = [[_article("wire", STORY), _article("x", _other(1))], [_article("exact", STORY)]]
    plain, shipped = BatchOrder(), BatchOrder()
    for batch in batches:
        sigs = {a.doc_id: LeanMinHash(minhash_signature(a.text)) for a in batch}
        assert plain.split(batch) == shipped.split(batch, sigs)


def test_once_a_batch_is_committed_its_copies_are_left_to_the_index_lookup():
    order = BatchOrder()
    first, _ = order.split([_article("wire", STORY), _article("x", _other(1))])
    order.committed(first)  # written and refreshed: the copy's own batch will find "wire" in the index
    now, held = order.split([_article("copy", STORY)])
    assert ([a.doc_id for a in now], held) == (["copy"], [])


def test_the_driver_remembers_only_what_is_in_flight():
    order = BatchOrder()
    for b in range(40):
        now, held = order.split([_article(f"a{b}-{i}", _other(b * 3 + i)) for i in range(3)])
        order.committed(now + held)
    assert len(order) == 0
    order.split([_article("z", _other(999))])
    assert len(order) == 1


def test_three_versions_of_an_id_are_written_in_input_order():
    order = BatchOrder()
    v1, _ = order.split([_article("a", _other(1))])
    _, v2 = order.split([_article("a", _other(1) + " Second.")])
    order.committed(v1)  # the first version committed; the second is still held
    now, v3 = order.split([_article("a", _other(1) + " Third.")])
    assert (now, [a.doc_id for a in v3]) == ([], ["a"])  # held behind the second, not written before it
    order.committed(v2 + v3)
    assert len(order) == 0
