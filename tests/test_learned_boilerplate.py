"""Boilerplate learned per source: strip what a site repeats, never a quote two articles share."""

from __future__ import annotations

import json

from ingest.cleaning import clean_record
from ingest.learned import SourceProfiles
from ingest.models import RawRecord
from ingest.settings import IngestSettings

SETTINGS = IngestSettings(learned_min_docs=5, learned_min_fraction=0.2, learned_long_min_fraction=0.5)
FURNITURE = "Catch up on the week with our Sunday digest from the Riverside Ledger"
QUOTE = '"We will rebuild this town together," the mayor said at the memorial service on Sunday evening.'
HEADING = "What happens next?"


def _doc(i: int, *, furniture: bool = True, quote: bool = False, heading: bool = False) -> RawRecord:
    lines = [f"Story number {i} reports on event {i} in the county, officials said on Monday."]
    if heading:
        lines += [HEADING, f"Officials will meet again next month to decide on item {i}, " + "and more " * 12]
    if quote:
        lines.append(QUOTE)
    lines.append(f"Residents of district {i} were told to expect further updates later this week.")
    if furniture:
        lines.append(FURNITURE)
    return RawRecord(
        origin=f"doc{i}", id=f"id-{i}", url=f"https://www.ledger.example/story/{i}", text="\n\n".join(lines)
    )


def _learned(tmp_path, docs) -> SourceProfiles:
    profiles = SourceProfiles.load(tmp_path, settings=SETTINGS)
    for doc in docs:
        profiles.observe(doc)
    return profiles


def test_line_recurring_across_a_sources_documents_is_stripped_with_a_named_rule(tmp_path):
    docs = [_doc(i) for i in range(10)]
    profiles = _learned(tmp_path, docs)
    article = clean_record(docs[0], profiles)
    assert FURNITURE not in article.text
    (removal,) = [r for r in article.removed if r.rule == "learned:ledger.example"]
    assert removal.text == FURNITURE and "10 of 10 documents" in removal.reason


def test_a_quote_repeated_in_two_articles_is_not_boilerplate(tmp_path):
    docs = [_doc(i, quote=i < 2) for i in range(10)]
    article = clean_record(docs[0], _learned(tmp_path, docs))
    assert QUOTE in article.text


def test_long_lines_need_stronger_evidence_than_short_ones(tmp_path):
    # The quote (long) is in 3 of 10 docs: above the short-line bar (20%) but below the long one (50%).
    settings = IngestSettings(
        learned_min_docs=3,
        learned_min_fraction=0.2,
        learned_long_line_words=10,
        learned_long_min_fraction=0.5,
    )
    docs = [_doc(i, quote=i < 3) for i in range(10)]
    profiles = SourceProfiles.load(tmp_path, settings=settings)
    profiles.observe_many(docs)
    assert QUOTE in clean_record(docs[0], profiles).text


def test_nothing_is_learned_from_too_few_documents(tmp_path):
    docs = [_doc(i) for i in range(4)]  # furniture in 4 of 4, but min_docs is 5
    assert FURNITURE in clean_record(docs[0], _learned(tmp_path, docs)).text


def test_sources_are_learned_separately(tmp_path):
    docs = [_doc(i) for i in range(10)]
    other = RawRecord(
        origin="o", url="https://other.example/a", text=f"Some other site's article.\n\n{FURNITURE}"
    )
    profiles = _learned(tmp_path, docs)
    assert FURNITURE in clean_record(other, profiles).text


def test_recurring_short_heading_over_a_paragraph_is_kept(tmp_path):
    docs = [_doc(i, heading=True) for i in range(10)]
    article = clean_record(docs[0], _learned(tmp_path, docs))
    assert HEADING in article.text and FURNITURE not in article.text


def test_observing_the_same_document_twice_counts_once(tmp_path):
    docs = [_doc(i, quote=i < 2) for i in range(10)]
    profiles = _learned(tmp_path, docs)
    assert profiles.observe_many(docs) == 0
    profile = profiles.profiles["ledger.example"]
    assert profile.docs_seen == 10
    assert QUOTE in clean_record(docs[0], profiles).text


def test_profiles_persist_and_keep_learning_across_runs(tmp_path):
    first = _learned(tmp_path, [_doc(i) for i in range(3)])
    (path,) = first.save()
    assert path.name == "ledger.example.json"
    second = SourceProfiles.load(tmp_path, settings=SETTINGS)
    assert second.profiles["ledger.example"].docs_seen == 3
    second.observe_many([_doc(i) for i in range(3, 8)])
    second.save()
    third = SourceProfiles.load(tmp_path, settings=SETTINGS)
    assert third.profiles["ledger.example"].docs_seen == 8
    assert FURNITURE not in clean_record(_doc(99), third).text
    data = json.loads(path.read_text())
    assert data["learned"][0]["text"] == FURNITURE and data["learned"][0]["docs"] == 8


def test_user_allow_and_deny_lists_override_what_was_learned(tmp_path):
    profiles = _learned(tmp_path, [_doc(i) for i in range(10)])
    (path,) = profiles.save()
    data = json.loads(path.read_text())
    data["allow"] = [FURNITURE]
    data["deny"] = ["Residents of district 0 were told to expect further updates later this week."]
    path.write_text(json.dumps(data))
    reloaded = SourceProfiles.load(tmp_path, settings=SETTINGS)
    article = clean_record(_doc(0), reloaded)
    assert FURNITURE in article.text
    assert "Residents of district 0" not in article.text
    # A later learning run keeps the user's lists.
    reloaded.observe_many([_doc(i) for i in range(10, 20)])
    reloaded.save()
    assert json.loads(path.read_text())["allow"] == [FURNITURE]


def test_plain_text_can_be_observed_with_an_explicit_source(tmp_path):
    profiles = SourceProfiles.load(tmp_path, settings=SETTINGS)
    for i in range(6):
        profiles.observe(f"Unique story {i}.\n{FURNITURE}", source="ledger")
    assert profiles.verdict("ledger", FURNITURE)
    assert profiles.verdict("ledger", "Unique story 1.") is None
    assert profiles.verdict("unknown", FURNITURE) is None


def test_memory_stays_bounded_over_a_long_stream_and_furniture_is_still_counted_exactly(tmp_path):
    settings = SETTINGS.model_copy(update={"learned_max_lines_per_source": 50})
    profiles = SourceProfiles.load(tmp_path, settings=settings)
    for i in range(2000):
        doc = _doc(i, furniture=i % 10 == 0)  # each document brings two lines never seen again
        profiles.observe(doc)
        assert len(profiles.profiles["ledger.example"].counts) <= 4 * 50 + 3
    prof = profiles.profiles["ledger.example"]
    assert prof.counts[next(k for k in prof.counts if "sunday digest" in k)] == 200
    assert prof.docs_seen == 2000


def test_frozen_profiles_clean_exactly_alike_and_are_a_fraction_of_the_size(tmp_path):
    import pickle

    from ingest.cleaning import Cleaner

    docs = [_doc(i, quote=i < 2, heading=i % 3 == 0) for i in range(40)]
    profiles = _learned(tmp_path, docs)
    profiles.save()
    data = json.loads(next(tmp_path.glob("*.json")).read_text())
    data["deny"] = ["Residents of district 7 were told to expect further updates later this week."]
    next(tmp_path.glob("*.json")).write_text(json.dumps(data))
    cleaner = Cleaner(profiles_dir=str(tmp_path))
    cleaner.load_profiles(SETTINGS)
    frozen = cleaner.frozen()
    for doc in docs:
        # The removals, their rules, reasons and offsets too: the audit trail is the same.
        assert frozen.clean(doc) == cleaner.clean(doc)
    assert len(pickle.dumps(frozen)) * 3 < len(pickle.dumps(cleaner))
    shipped = pickle.loads(pickle.dumps(frozen))  # what a Dask worker unpickles: no disk read
    assert shipped.clean(docs[7]) == cleaner.clean(docs[7])


def test_a_cleaner_cleans_by_the_limits_it_was_given_not_the_environment(tmp_path):
    import pytest

    from ingest.cleaning import Cleaner
    from ingest.models import IngestError

    small = Cleaner(use_learned=False, settings=IngestSettings(max_document_bytes=1000))
    with pytest.raises(IngestError, match="over the limit of 1,000 bytes"):
        small.clean(RawRecord(origin="big.txt", text="word " * 400))


PROMO = "Follow the medal count all month on our live tracker page"
SHORT = "Mayor Ruiz backs the plan"  # five words: names and headings recur like this
# a background sentence a series of stories reuses: it speaks of its subject, not to the reader
BACKGROUND = "The medal table is updated every evening at the arena by the organising committee"


def _big_source_doc(i: int, *, promo: bool = False, short: bool = False, line: str = PROMO) -> RawRecord:
    lines = [f"Story number {i} reports on event {i} in the county, officials said on Monday."]
    if promo:
        lines.append(line)
    if short:
        lines.append(SHORT)
    lines.append(f"Residents of district {i} were told to expect further updates later this week.")
    return RawRecord(
        origin=f"doc{i}", id=f"id-{i}", url=f"https://www.ledger.example/story/{i}", text="\n\n".join(lines)
    )


def _big_source(tmp_path, docs) -> SourceProfiles:
    settings = IngestSettings(learned_min_docs=5, learned_min_fraction=0.2, learned_repeat_docs=10)
    profiles = SourceProfiles.load(tmp_path, settings=settings)
    profiles.observe_many(docs)
    return profiles


def test_a_line_repeated_on_many_pages_of_a_large_source_is_stripped_though_its_share_is_small(tmp_path):
    # 12 of 200 pages (6%) is under the 20% share, but twelve verbatim repeats of a
    # twelve-word line are the site's, not a writer's.
    docs = [_big_source_doc(i, promo=i < 12) for i in range(200)]
    article = clean_record(docs[0], _big_source(tmp_path, docs))
    assert PROMO not in article.text
    (removal,) = [r for r in article.removed if r.text == PROMO]
    assert "word for word in 12 documents" in removal.reason


def test_repeats_under_the_count_or_of_under_six_words_stay_on_a_large_source(tmp_path):
    docs = [_big_source_doc(i, promo=i < 9, short=i < 30, line=BACKGROUND) for i in range(200)]
    article = clean_record(docs[0], _big_source(tmp_path, docs))
    assert BACKGROUND in article.text  # nine repeats: under the count
    assert SHORT in article.text  # thirty repeats (15%), but five words


TEMPLATE = "Here's what you need to know to get up to speed and on with your day."


def test_a_repeated_line_that_speaks_to_the_reader_is_the_sites_after_six_pages(tmp_path):
    # a background sentence about its subject needs ten repeats; a line addressed to the reader
    # ("you", "our", "this story", "podcast") is the site's template after six
    def doc(i: int) -> RawRecord:
        d = _big_source_doc(i, promo=i < 7, line=BACKGROUND)
        return (
            d if i >= 7 else RawRecord(origin=d.origin, id=d.id, url=d.url, text=d.text + "\n\n" + TEMPLATE)
        )

    docs = [doc(i) for i in range(200)]
    article = clean_record(docs[0], _big_source(tmp_path, docs))
    assert TEMPLATE not in article.text
    assert BACKGROUND in article.text  # seven repeats of a sentence that addresses nobody
