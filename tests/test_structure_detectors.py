"""Structure detectors (ingest/structure.py): furniture told by line shape and position.

Hand-written positive and negative examples: names in prose, quoted headlines inside a story,
a date sentence, one-line paragraphs of real news, fact boxes and the article's own lists stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ingest.boilerplate import apply_rules
from ingest.structure import (
    credit_tails,
    detect,
    glued_link,
    labelled_headline,
    reader_prompts,
    related_links,
    tail_bios,
)


@dataclass
class L:
    text: str


def _lines(*texts: str) -> list[L]:
    return [L(t) for t in texts]


LEAD = "The city council voted on Tuesday to close the bridge for repairs, officials said."


@pytest.mark.parametrize(
    "text",
    [
        "Wanna bet?Cincinnati Reds approved for Ohio sports betting license, Bengals still pending",
        "March 30:Teachers are striking all over. What is going on?",
        "When is the 2024 Super Bowl?What fans should know about date, time, halftime performer",
        "COVID, flu and RSV are still here.The 'tripledemic' doesn't care that we're over being sick.",
    ],
)
def test_a_label_glued_to_a_headline_is_a_link(text: str) -> None:
    assert glued_link(text)


@pytest.mark.parametrize(
    "text",
    [
        "The U.S.Army said the drill would go ahead.",  # an abbreviation's dots
        "Visit www.FlowersForSheriff.com for details",  # a web address
        "11. CVS:The drugstore chain announced the change Sept. 5.",  # the article's own numbered list
        "He said: 'We will win.' The crowd cheered.",  # a quote, spaced as prose is
        "Biden met Xi in Bali on Monday, the first meeting in person since 2019.",
    ],
)
def test_prose_abbreviations_addresses_and_list_items_are_not_glued_links(text: str) -> None:
    assert not glued_link(text)


def test_labelled_headlines_need_a_headline_not_a_value() -> None:
    assert labelled_headline("Dining: Where to eat, drink outdoors in Dutchess County")
    assert not labelled_headline("Trainer: Yoshito Yahagi")
    assert not labelled_headline("Top returning performers: Hannah Whitman, Brianna Seip, RaeAnn Lessing")
    assert not labelled_headline("Background: what we know")  # too short to be a headline
    assert not labelled_headline("All-time Receiving Leader: Jerry Rice 1,281 rec, 19,247 yds, 176 TD")


def test_a_run_of_labelled_headlines_is_a_related_list_but_one_alone_is_a_subhead() -> None:
    doc = _lines(
        LEAD,
        "Fourth of July: Where to see fireworks in Hudson Valley",
        "Dining: Where to eat, drink outdoors in Dutchess County",
        "Summer: What to see, where to go in the Hudson Valley",
        "The bridge will reopen in the spring, the council said.",
    )
    assert related_links(doc) == [1, 2, 3]
    alone = _lines(LEAD, "Timeline: What happened at the bridge and when it closed", "The work began in May.")
    assert related_links(alone) == []


def test_a_fact_box_with_repeated_labels_is_content() -> None:
    doc = _lines(
        LEAD,
        "Last start: Third in Grade 3 Holy Bull on Feb. 3 at Gulfstream",
        "Possible next start: Grade 2 Risen Star on Saturday at Fair Grounds",
        "Last start: Won Grade 2 Remsen on Dec. 2 at Aqueduct in the rain",
        "Possible next start: Grade 1 Arkansas Derby on March 30 at Oaklawn",
    )
    assert related_links(doc) == []


def test_headlines_between_glued_links_go_with_them_but_a_list_of_nominees_stays() -> None:
    doc = _lines(
        LEAD,
        "Princess Kate turns 42:King Charles celebrates her birthday with rare photo",
        "King Charles celebrates 75th birthdaywith food project, Prince William tribute",
        "Wanna bet?Cincinnati Reds approved for Ohio sports betting license",
    )
    assert related_links(doc) == [1, 2, 3]
    nominees = _lines(
        LEAD, "“Triangle of Sadness”", "Domhnall Gleeson, “The Patient”", "Non-English language film"
    )
    assert related_links(nominees) == []


def test_a_tail_bio_about_someone_the_article_never_names_is_removed() -> None:
    doc = _lines(
        "Long COVID has taken my job, my health and time with my kids, and the help is not coming.",
        "Doctors still do not know how to treat it, and my insurer will not pay for the clinic.",
        "Rachel Beale, MBA, is a long COVID-19 advocate and mother of three from Southampton County.",
    )
    assert tail_bios(doc) == [2]
    assert tail_bios(
        _lines(LEAD, "It was quiet.", "Jay Watson is co-executive director of the Conservation Foundation.")
    ) == [2]


def test_a_last_line_about_a_person_the_story_reported_on_stays() -> None:
    doc = _lines(
        "Police arrested John Smith on Friday after a chase through the city centre.",
        "Smith was released on bail on Saturday.",
        "John Smith is a suspect in two other burglaries, police said.",
    )
    assert tail_bios(doc) == []
    past = _lines(LEAD, "It was quiet.", "Commerce Secretary Gina Raimondo was the designated survivor.")
    assert tail_bios(past) == []  # a bio speaks in the present tense


def test_a_caption_ending_in_a_lower_case_credit_is_a_caption() -> None:
    doc = _lines(
        LEAD,
        "Toxic gases rise from the lake in 2019. courtesy Justin Wang",
        "Dario Otero, Jr. Courtesy Brandon Diebold/Black Rose Films",
        "Credit DeJulius on the defense. He held Cook to 15 points.",
        "The coach said they would credit DeJulius with the win.",
    )
    assert credit_tails(doc) == [1, 2]


def test_a_newsletter_prompt_to_the_reader_goes_but_reporting_on_a_newsletter_stays() -> None:
    doc = _lines(
        LEAD,
        "The WeekDay newsletter provides you with a daily digest of news and analysis.",
        "Looking for things to do? Our newsletter has the best concerts, art, shows and more",
        "The newsletter, which has 40,000 readers, was sold to a rival on Monday.",
        "“Your newsletter changed my life,” one reader wrote to the editor.",
    )
    assert reader_prompts(doc) == [1, 2]


def test_detectors_never_remove_the_lead() -> None:
    doc = _lines("Wanna bet?Cincinnati Reds approved for Ohio sports betting license", LEAD)
    assert detect(doc) == []


def test_structure_findings_reach_the_audit_trail_and_metadata() -> None:
    text = "\n\n".join(
        [
            LEAD,
            "The repairs will cost $4 million and take six months, the council's engineer said.",
            "Toxic gases rise from the river in 2019. courtesy Justin Wang",
            "Jay Watson is co-executive director of the New Jersey Conservation Foundation.",
        ]
    )
    result = apply_rules(text)
    rules = {r.rule: r for r in result.removed}
    assert set(rules) == {"caption", "author_bio"}
    assert text[rules["caption"].start : rules["caption"].end].endswith("courtesy Justin Wang")
    assert any("Justin Wang" in c for c in result.captions)
    assert any("Jay Watson" in c for c in result.credits)
    assert [line.text for line in result.kept][:2] == text.split("\n\n")[:2]
