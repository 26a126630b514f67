"""Short answers: the question's answer type, candidate spans, cross-passage pooling, dates.

Small hand-written articles, read by the real spaCy pipeline from its PyPI package; no index.
"""

from __future__ import annotations

import pytest
from haystack import Document

from search.answers import Answer, candidate_sentences, compose_answer, score_candidates
from search.short_answer import expected_type, normalise_answer, read_short_answer


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who holds Qaim?", "actor"),
        ("Who controls the Kherson region now?", "actor"),
        ("Who won Best Director at the 2023 Golden Globes?", "who"),
        ("Who told a New York court that Donald Trump shattered her reputation?", "who"),
        ("Which superstar singer announced a new world tour this week?", "person"),
        ("Graham Norton will co-host Eurovision with which star of Ted Lasso?", "person"),
        ("Which US state is considering exonerating accused witches?", "place"),
        ("Where did the earthquake strike?", "place"),
        ("What is the capital of Australia?", "place"),
        ("Which news organization agreed to the largest defamation settlement?", "organization"),
        ("Which of these teams declined an invitation to the tournament?", "organization"),
        ("Trump was arraigned this week on how many criminal charges?", "number"),
        ("How old was she when she died?", "number"),
        ("When did Qaim fall?", "date"),
        ("What year did the Titanic sink?", "date"),
        ("Which popular Netflix show will return as a stage play?", "other"),
        ("What is the name of the UK government's new plan to deliver net zero?", "other"),
        ("Why did the artist refuse the award?", "none"),
        ("Twitter lifted the suspension on Trump's account. True or false?", "none"),
    ],
)
def test_the_question_form_sets_the_expected_answer_type(question: str, kind: str) -> None:
    assert expected_type(question).kind == kind


def test_the_noun_a_which_question_asks_about_is_its_focus() -> None:
    assert expected_type("Which superstar singer announced a tour?").focus == "singer"
    assert expected_type("What is the name of the new plan?").focus == "plan"
    assert expected_type("who holds Qaim?").relation == "hold"


def _docs(*articles: tuple[str, str, str]) -> list[Document]:
    return [
        Document(
            id=f"{doc_id}#0",
            content=text,
            meta={"doc_id": doc_id, "start": 0, "title": doc_id, "published": published},
        )
        for doc_id, published, text in articles
    ]


def _ask(question: str, docs: list[Document]) -> Answer:
    return compose_answer(question, score_candidates(question, candidate_sentences(docs)))


def test_an_actor_question_answers_with_who_took_the_place_not_whom_it_was_taken_from() -> None:
    docs = _docs(
        (
            "a",
            "2017-07-12",
            "Iraqi forces retook Mosul from the Islamic State after nine months of fighting. "
            "The city lies on the Tigris river.",
        ),
        ("b", "2017-07-12", "Iraqi forces now hold Mosul, the Islamic State's former stronghold."),
    )
    ans = _ask("Who holds Mosul?", docs)
    assert ans.answered and ans.answer == "Iraqi forces" and ans.answer_type == "group"
    ev = ans.evidence[0]
    assert docs[0].content[ev.answer_start : ev.answer_end] == "Iraqi forces"


def test_a_number_question_answers_with_the_number_not_the_whole_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # what is read and how it is dated, not whether two short wire reports clear the learned bar
    # (number questions are the ones the ranker trusts least: see the next-but-one test for the bar)
    monkeypatch.setattr("search.short_answer.answer_bar", lambda: 0.0)
    docs = _docs(
        (
            "fire",
            "2023-03-10",
            "At least 34 people died in the warehouse fire in Lagos, officials said on Thursday. "
            "The blaze started late at night.",
        ),
        ("wire", "2023-03-10", "The warehouse fire in Lagos killed 34 people, the fire service said."),
    )
    ans = _ask("How many people died in the warehouse fire in Lagos?", docs)
    assert ans.answered and ans.answer_type == "number" and "34" in ans.answer
    assert "warehouse fire" in ans.answer_sentence  # the sentence-level answer stays available
    assert ans.event_date == "2023-03-09"  # "on Thursday" in an article of Friday 10 March


def test_a_when_question_answers_with_the_date_resolved_against_the_article() -> None:
    docs = _docs(
        (
            "bridge",
            "2023-03-10",
            "The Harbour Bridge in Duluth collapsed on Wednesday during the morning rush hour. "
            "No one was hurt.",
        ),
        (
            "local",
            "2023-03-10",
            "Since the Harbour Bridge in Duluth collapsed on Wednesday, traffic is slow.",
        ),
    )
    ans = _ask("When did the Harbour Bridge in Duluth collapse?", docs)
    assert ans.answered and ans.answer_type == "date" and "Wednesday" in ans.answer
    assert ans.event_date == "2023-03-08"


def test_an_answer_several_articles_support_outranks_a_one_off() -> None:
    docs = _docs(
        ("one", "2023-04-01", "Fernando Alonso won the Australian Grand Prix in Melbourne on Sunday."),
        ("two", "2023-04-02", "Fernando Alonso won the Australian Grand Prix after a late restart."),
        ("three", "2023-04-02", "Lewis Hamilton won the Australian Grand Prix, a rival outlet claimed."),
    )
    ans = _ask("Who won the Australian Grand Prix?", docs)
    assert ans.answered and ans.answer == "Fernando Alonso" and ans.answer_type == "person"
    carriers = [ev.doc_id for ev in ans.evidence if ev.answer_start is not None]
    assert set(carriers[:2]) == {"one", "two"}


def test_a_candidate_that_only_repeats_the_question_is_not_the_answer() -> None:
    best = read_short_answer(
        "Which company did Microsoft agree to buy?",
        [
            "Microsoft agreed to buy Activision Blizzard for $69 billion in January.",
            "Microsoft's deal to buy Activision Blizzard faces a review.",
        ],
        [1.0, 0.9],
        {"microsoft"},
        bar=0.0,
    )
    assert best is not None and best.text == "Activision Blizzard"


def test_hedged_numbers_are_one_answer() -> None:
    assert normalise_answer("At least 34") == normalise_answer("34")
    assert normalise_answer("nearly $1 billion") == normalise_answer("$1 billion")
    assert normalise_answer("about a dozen") == "about a dozen"  # no number: nothing to strip


def test_one_uncorroborated_sentence_is_read_but_not_offered_as_the_answer() -> None:
    # on the dev quiz questions a short answer carried by a single sentence is right about one
    # time in five, under the learned ranker's bar: the reader ranks it but does not answer with it
    sentence = "Iraqi forces retook Mosul from the Islamic State after nine months of fighting."
    ranked = read_short_answer("Who holds Mosul?", [sentence], [1.0], {"mosul"}, bar=0.0)
    assert ranked is not None and ranked.text == "Iraqi forces"
    assert read_short_answer("Who holds Mosul?", [sentence], [1.0], {"mosul"}) is None
    ans = _ask("Who holds Mosul?", _docs(("a", "2017-07-12", sentence)))
    assert not ans.answered and ans.answer == "" and ans.evidence[0].sentence == sentence


def test_no_typed_candidate_falls_back_to_the_sentence_answer() -> None:
    docs = _docs(
        (
            "why",
            "2023-04-18",
            "The photographer refused the prize because the image was generated by software.",
        ),
    )
    ans = _ask("Why did the photographer refuse the prize?", docs)
    assert ans.answered and ans.answer_type is None
    assert ans.answer == ans.answer_sentence and "generated" in ans.answer


def test_a_question_without_words_is_not_answered() -> None:
    docs = _docs(("covid", "2022-01-02", "Cases rose 2 percent to 2,000 on Friday, 2 officials said."))
    ans = _ask("what is 2+2?", docs)
    assert not ans.answered and ans.answer == ""


def test_sentences_without_the_relation_give_no_short_answer() -> None:
    best = read_short_answer(
        "What is the capital of Australia?",
        ["Australia, Canada, Japan and Brazil sent delegations to the summit in Geneva."],
        [1.0],
        {"australia"},
    )
    assert best is None or best.text not in ("Canada", "Japan", "Brazil", "Geneva")


def test_answers_are_pooled_under_one_spelling() -> None:
    assert normalise_answer("the Islamic State's") == normalise_answer("Islamic State")
    best = read_short_answer(
        "Who holds Qaim?",
        [
            "Qaim, the Iraqi border town reclaimed from the Islamic State on Friday, was quiet.",
            "Troops raised flags in Qaim, the last town the militants held in Iraq.",
        ],
        [1.0, 0.9],
        {"qaim"},
        bar=0.0,
    )
    assert best is not None and best.text in ("Iraq", "Iraqi") and best.support == 2


def test_the_learned_ranker_ships_weights_for_every_feature_and_a_probability_bar() -> None:
    from search.short_answer import FEATURES, load_ranker, ranker_probability

    ranker = load_ranker()
    assert ranker is not None and set(ranker["weights"]) == set(FEATURES)
    assert 0.0 < ranker["bar"] < 1.0
    weak = dict.fromkeys(FEATURES, 0.0)
    strong = {**weak, "pooled": 1.0, "exact_type": 1.0, "coverage": 1.0, "rank": 1.0, "best": 1.0}
    assert ranker_probability(weak, ranker) < ranker["bar"] < ranker_probability(strong, ranker)


def test_entities_stored_at_ingestion_stand_in_for_tagging_the_sentence_again():
    from search.short_answer import parse_sentences, read_short_answer

    sentences = [
        "Iraqi forces took back the border town of Qaim from the Islamic State on Friday.",
        "The army said Iraqi forces now hold Qaim.",
    ]
    tagged = parse_sentences(sentences)
    known = [[[e.start_char, e.end_char, e.label_] for e in d.ents] for d in tagged]
    reused = parse_sentences(sentences, known)
    assert [[(e.text, e.label_) for e in d.ents] for d in reused] == [
        [(e.text, e.label_) for e in d.ents] for d in tagged
    ]
    assert [[(t.dep_, t.head.i, t.lemma_) for t in d] for d in reused] == [
        [(t.dep_, t.head.i, t.lemma_) for t in d] for d in tagged
    ]
    a = read_short_answer("who holds Qaim?", sentences, [1.0, 0.9], {"qaim"}, bar=0.0)
    b = read_short_answer("who holds Qaim?", sentences, [1.0, 0.9], {"qaim"}, bar=0.0, known_mentions=known)
    assert a is not None and b is not None and (a.text, a.kind) == (b.text, b.kind)
    # what ingestion found is what counts: a mention it did not tag is not an entity here
    none = parse_sentences(sentences[:1], [[]])
    assert list(none[0].ents) == []


def test_a_sentence_without_an_entity_of_the_kind_asked_for_is_not_parsed() -> None:
    from search.short_answer import expected_type, parse_sentences, scored_mentions

    sentences = [
        "Iraqi forces took back the border town of Qaim on Friday.",
        "It was a long and difficult week for everyone involved.",
    ]
    known = [[[0, 6, "NORP"], [40, 44, "GPE"], [48, 54, "DATE"]], []]
    docs = parse_sentences(sentences, known, [True, False])
    assert docs[0].has_annotation("DEP") and not docs[1].has_annotation("DEP")
    assert expected_type("who holds Qaim?").kind != "other"
    skipped = scored_mentions("who holds Qaim?", sentences, [1.0, 0.9], {"qaim"}, known)
    everything = scored_mentions("who holds Qaim?", sentences, [1.0, 0.9], {"qaim"}, [known[0], None])
    assert [(m.text, m.sentence_index, round(m.score, 6)) for m in skipped] == [
        (m.text, m.sentence_index, round(m.score, 6)) for m in everything if m.sentence_index == 0
    ]


@pytest.mark.parametrize(
    ("question", "kind", "focus", "phrase"),
    [
        (
            "Too many of which broadcaster’s journalists lack understanding of economics?",
            "organization",
            "broadcaster",
            "broadcaster",
        ),
        (
            "Which Caribbean nation‘s prime minister resigned this week?",
            "place",
            "nation",
            "Caribbean nation",
        ),
        ("The FDA found traces of bird flu in which type of grocery item?", "other", "item", "grocery item"),
        ("Americans can report which kind of sightings on a new portal?", "other", "sighting", "sightings"),
        ("The UK's bees are in danger from which invasive species?", "other", "species", "invasive species"),
        (
            "Which would-be Republican presidential nominee called Trump Donald Duck?",
            "person",
            "nominee",
            "Republican presidential nominee",
        ),
        (
            "This Republican is set to be the first to challenge Donald Trump.",
            "person",
            "republican",
            "Republican",
        ),
        ("This week, the Fed raised rates by how much?", "number", "much", None),
        ("What is the most popular dog breed in the US?", "other", "breed", "popular dog breed"),
        ("What is the Biden administration expected to sell to Israel?", "other", None, None),
        ("Who is the prime minister of Ireland?", "person", "minister", "prime minister"),
        ("Who is the team's new coach?", "person", "coach", "new coach"),
        ("Who won the Super Bowl?", "who", None, None),
        ("Who is Taylor Swift dating?", "who", None, None),
        (
            "Which Democratic congressperson called for new elections in Israel?",
            "person",
            "congressperson",
            "Democratic congressperson",
        ),
    ],
)
def test_the_noun_asked_about_is_found_past_possessives_kind_words_and_quiz_openers(
    question: str, kind: str, focus: str, phrase: str | None
) -> None:
    want = expected_type(question)
    assert (want.kind, want.focus, want.focus_phrase) == (kind, focus, phrase)


def test_an_answer_named_in_a_higher_headline_is_more_prominent() -> None:
    from search.short_answer import title_prominence

    titles = ["Bees under threat", "Asian hornets spread across Kent", "", "Hornets: what to know"]
    assert title_prominence("Asian hornets", titles) == pytest.approx(0.75)
    assert title_prominence("the Asian hornets'", titles) == pytest.approx(0.75)  # one key per answer
    assert title_prominence("hornet", titles) == 0.0  # whole words only
    assert title_prominence("wasps", titles) == 0.0


def test_a_candidate_that_fits_the_noun_asked_about_is_measured_as_fitting() -> None:
    from search.embedding import get_embedder
    from search.settings import SearchSettings
    from search.short_answer import candidate_answers

    found = candidate_answers(
        "The UK's bees are in danger from which invasive species, according to a new report?",
        ["Leading scientists warned that Asian hornets could devastate bee colonies across the UK."],
        [1.0],
        {"uk"},
        embed_fn=get_embedder(SearchSettings()).embed_documents,
    )
    fit = {members[0].text: features["focus_sim"] for members, features in found}
    assert fit["Asian hornets"] > fit["Leading scientists"]  # the nationality reads as part of the thing
    assert all(features["title"] == 0.0 for _, features in found)  # no titles given


def test_below_the_bar_the_best_guess_leads_the_evidence_but_is_not_an_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("search.short_answer.answer_bar", lambda: 1.01)  # nothing is sure enough
    docs = _docs(
        ("talk", "2023-09-01", "The report on invasive species and bees in the UK was published on Monday."),
        ("hornets", "2023-09-01", "Asian hornets endanger bees in the UK, the report says."),
    )
    question = "Which invasive species endangers bees in the UK?"
    ranked = score_candidates(question, candidate_sentences(docs))
    assert ranked[0].doc.meta["doc_id"] == "talk"  # more of the question's words
    ans = compose_answer(question, ranked)
    assert not ans.answered and ans.answer == "" and ans.answer_type is None
    assert ans.evidence[0].doc_id == "hornets"


def test_a_stricter_answer_probability_set_by_the_user_withholds_an_answer_the_learned_bar_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from search.readers import read
    from search.settings import SearchSettings

    docs = _docs(
        ("a", "2017-07-12", "Iraqi forces retook Mosul from the Islamic State in July."),
        ("b", "2017-07-12", "Iraqi forces now hold Mosul, the Islamic State's former stronghold."),
    )
    monkeypatch.setenv("NEWSDESK_ANSWER_MIN_PROBABILITY", "0.999")
    strict = read("Who holds Mosul?", docs, SearchSettings())
    assert not strict.answered and strict.answer == ""
    assert strict.evidence[0].doc_id in {"a", "b"}  # the evidence is still shown
    monkeypatch.setenv("NEWSDESK_ANSWER_MIN_PROBABILITY", "0.0")
    assert read("Who holds Mosul?", docs, SearchSettings()).answer == "Iraqi forces"
    monkeypatch.delenv("NEWSDESK_ANSWER_MIN_PROBABILITY")
    assert read("Who holds Mosul?", docs, SearchSettings()).answer == "Iraqi forces"  # the learned bar


def test_a_keyword_mode_answer_does_not_load_the_embedding_model() -> None:
    import subprocess
    import sys

    code = (
        "import sys, types\n"
        "from search.ask import _embed_fn\n"
        "from search.settings import SearchSettings\n"
        "searcher = types.SimpleNamespace(settings=SearchSettings())\n"
        "assert _embed_fn(searcher, load=False) is None\n"
        "assert callable(_embed_fn(searcher, load=True))\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_a_place_is_not_pooled_with_another_that_differs_by_a_letter() -> None:
    from search.short_answer import Mention, answer_groups

    def mention(text: str, score: float) -> Mention:
        return Mention(text, "place", 0, 0, len(text), "GPE", score)

    groups = answer_groups([mention("Iraqi", 0.9), mention("Iraq", 0.8), mention("Iran", 0.7)])
    assert [[m.text for m in g] for g in groups] == [["Iraqi", "Iraq"], ["Iran"]]
    groups = answer_groups([mention("Ukrainian", 0.9), mention("Ukraine", 0.8), mention("Chinese", 0.7)])
    assert [[m.text for m in g] for g in groups] == [["Ukrainian", "Ukraine"], ["Chinese"]]


def test_a_name_in_apposition_with_the_noun_asked_about_is_of_the_kind_asked_for() -> None:
    from ingest.nlp import load_nlp
    from search.short_answer import _content_stems, candidates_in

    question = "What is the capital of Australia's Northern Territory?"
    # the small tagger reads "Darwin" as a person; "the capital" beside it says it is a place
    doc = load_nlp()("Darwin, the capital of Australia's Northern Territory, will see the eclipse.")
    assert [e.label_ for e in doc.ents if e.text == "Darwin"] == ["PERSON"]
    found = {m.text: m.kind for m in candidates_in(doc, 0, expected_type(question), _content_stems(question))}
    assert found.get("Darwin") == "place"
    # a person in prose next to no such noun stays a person, and is no candidate for a place
    doc = load_nlp()("Charles Darwin visited Australia's Northern Territory, where he saw the capital.")
    assert "Charles Darwin" not in {m.text for m in candidates_in(doc, 0, expected_type(question), set())}


def test_a_role_question_is_answered_only_by_a_name_the_sentence_gives_that_role() -> None:
    from search.short_answer import candidate_answers

    question = "Who is the prime minister of Ireland?"
    sentences = [
        "Biden hosted Irish Prime Minister Leo Varadkar at the White House on Sunday.",
        "The prime minister of Ireland, Leo Varadkar, urged a ceasefire.",
        "Biden met the prime minister of Ireland on Sunday.",  # near the words, not called one
    ]
    found = candidate_answers(question, sentences, [1.0, 0.9, 0.8], {"ireland"}, [1.0, 1.0, 1.0])
    assert {members[0].text for members, _ in found} == {"Leo Varadkar"}
    # a name whose own last word is the role is no holder of it: "Burger King" is not a king
    king = candidate_answers(
        "Who is the king of the moon?", ["Burger King said its moon landing ad would run on Sunday."], [1.0]
    )
    assert king == []
    best = read_short_answer(question, sentences, [1.0, 0.9, 0.8], {"ireland"}, [1.0, 1.0, 1.0], bar=0.0)
    assert best is not None and best.text == "Leo Varadkar"


def test_the_capital_of_somewhere_else_is_no_answer_to_a_capital_question() -> None:
    docs = _docs(
        (
            "eclipse",
            "2024-04-01",
            "Darwin, the capital of Australia's Northern Territory, will be in the path of totality. "
            "Sydney and Melbourne will not.",
        )
    )
    assert not _ask("What is the capital of Australia?", docs).answered
    territory = _ask("What is the capital of the Northern Territory?", docs)
    assert (territory.answered, territory.answer, territory.answer_type) == (True, "Darwin", "place")


def test_the_fit_to_the_noun_asked_about_is_measured_only_for_answers_that_could_still_win() -> None:
    from search.embedding import get_embedder
    from search.settings import SearchSettings
    from search.short_answer import candidate_answers, load_ranker, rank_answers

    embedder = get_embedder(SearchSettings())
    encoded: list[int] = []

    def counted(texts: list[str]) -> list[list[float]]:
        encoded.append(len(texts))
        return embedder.embed_documents(texts)

    question = "The UK's bees are in danger from which invasive species, according to a new report?"
    sentences = [
        "Leading scientists warned that Asian hornets could devastate bee colonies across the UK.",
        "The report, published by the Royal Society in London on Tuesday, was written with Defra.",
        "Beekeepers in Kent, Sussex and Devon said the National Bee Unit had been slow to act.",
    ]
    args = (question, sentences, [1.0, 0.4, 0.3], {"uk"}, [0.9, 0.2, 0.2])
    every = candidate_answers(*args, embed_fn=counted)
    pruned = candidate_answers(*args, embed_fn=counted, ranker=load_ranker())
    assert encoded[1] < encoded[0]  # fewer candidates encoded
    full, fast = rank_answers(every, bar=0.0), rank_answers(pruned, bar=0.0)
    assert full is not None and fast is not None
    assert (fast.text, fast.score) == (full.text, full.score)  # and the same answer, same probability
