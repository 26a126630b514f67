"""Structure detectors (ingest/structure.py): furniture told by line shape and position.

Hand-written positive and negative examples: names in prose, quoted headlines inside a story,
a date sentence, one-line paragraphs of real news, fact boxes and the article's own lists stay.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from ingest.boilerplate import apply_rules
from ingest.structure import (
    Context,
    archive_links,
    arrow_links,
    bracketed_links,
    caps_promos,
    credit_tails,
    detect,
    emoji_items,
    glued_link,
    head_bios,
    is_headline_shaped,
    isolated_headlines,
    item_links,
    label_runs,
    labelled_headline,
    letter_signatures,
    link_lines,
    reader_prompts,
    related_links,
    repeated_label_links,
    tail_bios,
    trailing_headline,
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
        "Traveling this summer?5 ways to save money and nab last-minute flight deals",
        "PSU concerns vs. West Virginia:3 unanswered Penn State football questions before season-opener",
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
        "The meeting starts at 10:30 a.m. on Monday in the hall",  # a time's colon
        "The vote went 3:1 in favour of the plan, officials said.",  # a ratio
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


def test_glued_links_after_an_abbreviation_count_but_a_results_list_does_not() -> None:
    assert glued_link("Parents' rights in the U.S.:Military service members now have 12 weeks of paid leave")
    assert not glued_link("Long jump: 1.Tobi Tella (McQuaid) 23-5, 2. Alex Siracusa (Churchville-Chili) 22-2")


def test_a_schedule_entry_is_not_a_labelled_headline() -> None:
    doc = _lines(
        LEAD,
        "Game 6: Bucks vs. Heat at Kaseya Center on Friday night (if necessary)",
        "Game 7: Heat vs. Bucks at Fiserv Forum on Sunday night (if necessary)",
        "The winner meets Boston in the conference finals.",
    )
    assert related_links(doc) == []


def test_a_labelled_headline_beside_a_removed_link_is_a_link_but_a_quote_after_a_label_stays() -> None:
    doc = _lines(
        LEAD,
        "Walmart to stop selling ammo: CEO Doug McMillon outlines mass shootings' response in memo",
        "Officials said the store would reopen next week after the repairs.",
    )
    assert related_links(doc) == []  # alone it may be the story's own subhead
    assert related_links(doc, Context(beside_links=frozenset({1}), links_removed=True)) == [1]
    question = _lines(
        LEAD, "Why now: What does the closure mean for the commuters who use it?", "It was quiet."
    )
    assert related_links(question, Context(beside_links=frozenset({1}), links_removed=True)) == []


def test_lines_of_web_addresses_go_but_a_sentence_ending_in_one_stays() -> None:
    doc = _lines(
        LEAD,
        "More AP soccer: https://apnews.com/hub/soccer and https://twitter.com/AP_Sports",
        "https://www.instagram.com/p/BguZb7GlF9R/",
        "Residents can apply for the grant by visiting https://example.gov/grants before March 1.",
        "Correction: An earlier version misstated the cost. See https://example.com/fix",
    )
    assert link_lines(doc) == [1, 2]


def test_an_all_caps_promo_goes_but_fact_boxes_and_briefs_behind_caps_labels_stay() -> None:
    doc = _lines(
        LEAD,
        "NFL STATS CENTRAL: The latest NFL scores, schedules, odds, stats and more",
        "CREW CHIEF: Chad Knaus",
        "NUMBER OF THE DAY: $1.26 million",
        "RED CARD: Aleksandar Dragovic of Austria is sent off after a second yellow card",
        "TV SCHEDULE: How and what to watch on every network this weekend",
    )
    assert caps_promos(doc) == [1, 5]
    transcript = _lines(
        LEAD, *[f"SEN. JOHN SMITH: Why did you wait so long to tell us {n}" for n in range(4)]
    )
    assert caps_promos(transcript) == []  # speaker labels come many to a page


def test_a_trailing_headline_goes_only_on_a_page_with_story_links() -> None:
    texts = (
        LEAD,
        "The work will take six months and cost $4 million, the council's engineer said.",
        "King Charles celebrates 75th birthday with food project, Prince William tribute",
    )
    assert trailing_headline(_lines(*texts)) == []  # a wire story's closing note has this shape too
    assert trailing_headline(_lines(*texts), Context(links_removed=True)) == [2]
    cut = _lines(LEAD, "It was quiet.", "Two more cases of the disease were reported in Vermont on")
    assert trailing_headline(cut, Context(links_removed=True)) == []  # a sentence the scrape cut short
    listed = _lines(LEAD, "Nominees for best film", "Triangle of Sadness by Ruben Ostlund")
    assert trailing_headline(listed, Context(links_removed=True)) == []  # the end of a list
    rated = _lines(LEAD, "The finale lands every one of its punches.", "Rating: 4.5 out of 5")
    assert trailing_headline(rated, Context(links_removed=True)) == []  # a review's verdict


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Editor's note: Jane Doe is a professor of history at Rutgers University.", "author_bio"),
        ("Editor’s Note: This story was originally published in March 2018.", "editorial_note"),
        ("Read our privacy policy", "cookie_notice"),
        ("Email me at jdoe@usatoday.com", "author_contact"),
    ],
)
def test_notes_intros_and_short_policy_links_are_removed(line: str, rule: str) -> None:
    result = apply_rules("\n\n".join([LEAD, "It was quiet on Wednesday.", line]))
    assert [r.rule for r in result.removed] == [rule]


@pytest.mark.parametrize(
    "line",
    [
        "The club said the photos were shared in breach of its own privacy notice, which every fan "
        "must accept before buying tickets.",
        "Owners who need help can visit their website or contact me at the number in the listing.",
        "The editors' notes on the manuscript were sold at auction for $40,000 on Friday.",
    ],
)
def test_reporting_that_mentions_privacy_contact_or_editors_stays(line: str) -> None:
    result = apply_rules("\n\n".join([LEAD, "It was quiet on Wednesday.", line]))
    assert result.removed == []


# --- round two of issue 15: captions by position and credit density, link lists under labels, bios
def test_a_gallery_of_captions_in_one_paragraph_is_captions_but_prose_with_a_slash_is_not() -> None:
    from ingest.structure import gallery_captions

    gallery = (
        "Dinner. Al Drago/Reuters President Joe Biden laughs as he listens to Trevor Noah speak. "
        "Patrick Semansky/AP Biden offers a toast at the end of his remarks. Al Drago/Reuters Martha "
        "Stewart arrives for Saturday's dinner. Tom Brenner/Reuters"
    )
    prose = (
        "The minister said the generation that provided the finance to combat HIV/Aids and the 24/7 "
        "news cycle would be judged kindly, and/or remembered, by history and by TB/HIV programmes."
    )
    assert gallery_captions(_lines(LEAD, gallery, prose)) == [1]


def test_a_caption_saying_who_stands_where_is_a_caption_but_a_quote_is_not() -> None:
    from ingest.structure import positional_captions

    doc = _lines(
        LEAD,
        "Director Ben Affleck, center, and producers George Clooney, right, and Grant Heslov celebrate.",
        "Commander Moonikin Campos (left) and twin torsos Helga and Zohar will be the crew for Artemis I.",
        "“The popular wisdom, right, is that reinfections are mild,” Griffin said of the study.",
        "Turn left at the church, right at the school, and the stadium is on your right.",
    )
    assert positional_captions(doc) == [1, 2]


def test_a_caption_behind_a_credit_scraped_twice_is_a_caption() -> None:
    from ingest.structure import repeated_credits

    doc = _lines(
        LEAD,
        "Courtesy European Space Agency Courtesy European Space Agency Lake Manchar widens in July.",
        "Courtesy of the family, the photos show the couple in 1962, the museum said.",
    )
    assert repeated_credits(doc) == [1]


def test_headlines_under_a_capitals_label_are_links_but_team_lists_and_schedules_stay() -> None:
    links = _lines(
        LEAD,
        "CATCH UP ON UD FOOTBALL",
        "The time is now for UD football to return to prominence",
        "Senior Troy Reeder wants to go out a champion",
        "6 things that could make or break UD football season",
        "Pregame revelry is a longstanding tradition at Blue Hens games in the parking lots.",
    )
    assert label_runs(links) == [1, 2, 3, 4]
    team = _lines(
        LEAD,
        "FIRST TEAM",
        "Nah’Shon Hyland, 6-4 senior, St. Georges (Player of the Year)",
        "Fah’Mir Ali, 6-0 senior, Mount Pleasant",
        "SECOND TEAM",
        "Mark Bradshaw, 6-0 senior, Glasgow",
        "THIRD TEAM",
        "Kaheim Kimbrough-Roach, 6-3 sophomore, Lake Forest",
    )
    assert label_runs(team) == []
    schedule = _lines(
        LEAD,
        "SATURDAY ON TV",
        "9 p.m. — NCAA Division II men's tournament semifinals, Ford Center (Evansville)",
        "7 p.m. — IHSAA boys basketball semistate, Elkhart",
    )
    assert label_runs(schedule) == []
    one = _lines(LEAD, "WHAT COMES NEXT", "The council will vote on the plan in the spring", LEAD)
    assert label_runs(one) == []  # one headline under a label may be the story's own subhead


def test_headlines_after_a_removed_link_label_are_links_but_a_broken_sentence_is_not() -> None:
    text = "\n\n".join(
        [
            LEAD,
            "MORE:",
            "9 MLB players enjoying breakout offensive seasons in 2017",
            "Yankees' Tanaka has something to prove in the playoffs",
            "Ruth's ring, which is for the second of four titles he won, could fetch the most.",
        ]
    )
    kept = [line.text for line in apply_rules(text).kept]
    assert kept == [LEAD, text.split("\n\n")[-1]]
    broken = "\n\n".join(
        [
            LEAD,
            "Read more:",
            "However, long-term historical catalysts may intervene to prevent that outcome",
            "and the recurrence of certain national issues.",
        ]
    )
    assert "However, long-term" in " ".join(line.text for line in apply_rules(broken).kept)


def test_a_bio_of_several_sentences_about_the_author_is_removed() -> None:
    doc = _lines(
        LEAD,
        "It was quiet.",
        "Ricky L. Jones is chair of Pan-African Studies at the University of Louisville. His next book "
        "is titled “Why Riots Matter.” He is a member of Morehouse College’s Class of 1991. "
        "Visit him at www.rickyljones.com.",
    )
    assert tail_bios(doc) == [2]
    columnist = _lines(LEAD, "It was quiet.", "Kirsten Powers writes weekly for USA TODAY and is an author.")
    assert tail_bios(columnist) == [2]
    two = _lines(
        LEAD,
        "It was quiet.",
        "Paul G. Summers, an Independent, is the former attorney general of Tennessee. Steve Rosenthal, "
        "a Democrat, is the former attorney general of Connecticut. They serve as co-chairs of a group.",
    )
    assert tail_bios(two) == [2]


def test_a_line_that_opens_with_a_full_stop_is_read_not_crashed_on() -> None:
    # a scraped holiday list whose lines begin ". It falls on a Wednesday." made the cleaner fail
    doc = _lines(
        LEAD,
        ". Dec. 25, 2024: Christmas Day . It falls on a Wednesday.",
        ". It falls on a Wednesday. Jan. 1, 2025: New Year's Day. It falls on a Wednesday this year.",
    )
    assert tail_bios(doc) == []


def test_a_bio_naming_a_bylined_author_goes_even_when_the_story_names_them() -> None:
    doc = _lines(
        "Mary Jones has reported on the courts for a decade, and this case is the strangest yet, Jones says.",
        "It was quiet.",
        "Mary Jones is a columnist for the Daily Star.",
    )
    assert tail_bios(doc) == []  # the story names her: she may be its subject
    assert tail_bios(doc, Context(authors=frozenset({"Mary Jones"}))) == [2]


def test_a_last_line_that_opens_with_the_bylined_authors_full_name_is_their_bio_whatever_its_verb() -> None:
    byline = Context(authors=frozenset({"Herbie Smith", "Shelby Harris"}))
    doc = _lines(
        LEAD,
        "Aid workers say the cuts will close clinics within months.",
        "Herbie Smith recently retired from the United States Agency for International Development. "
        "He served two tours in Kenya.",
    )
    assert tail_bios(doc) == []  # no byline: a story may end on a person it reported on
    assert tail_bios(doc, byline) == [2]
    titled = _lines(LEAD, "It was quiet.", "Dr. Shelby Harris specializes in the treatment of insomnia.")
    assert tail_bios(titled, byline) == [2]


def test_a_bio_above_a_list_of_links_is_still_among_the_last_lines_of_the_story() -> None:
    doc = _lines(
        LEAD,
        "It was quiet.",
        "Chris Schlak is an Opinion fellow for USA TODAY. Follow him on Twitter: @ChrisSchlak",
        "Wanna bet?Cincinnati Reds approved for Ohio sports betting license",
        "Pay up?Workers are falling behind as prices rise across the country",
        "Open late:Employees need paid family leave, advocates say",
    )
    assert tail_bios(doc) == []  # alone, the links are the last lines
    found = {f.index: f.rule for f in detect(doc)}
    assert found == {2: "author_bio", 3: "related_link", 4: "related_link", 5: "related_link"}


def test_a_bio_naming_one_of_several_bylined_writers_goes() -> None:
    byline = Context(authors=frozenset({"Dr. Jessica Faiz and Dr. Utibe R. Essien"}))
    doc = _lines(
        LEAD,
        "It was quiet.",
        "Jessica Faiz is an emergency physician in Los Angeles. Patients there wait months for care.",
    )
    assert tail_bios(doc) == []  # its second sentence is not about her: without the byline, reporting
    assert tail_bios(doc, byline) == [2]


def test_a_last_line_about_the_bylined_authors_namesake_or_by_surname_alone_stays() -> None:
    byline = Context(authors=frozenset({"Steven Jiang"}))
    surname = _lines(
        LEAD, "It was quiet.", "Jiang’s flamboyant personality brought him unexpected popularity online."
    )
    assert tail_bios(surname, byline) == []  # the story's subject Jiang Zemin, not the writer
    name_only = _lines(LEAD, "It was quiet.", "Steven Jiang, Beijing")
    assert tail_bios(name_only, byline) == []  # a sign-off line, not a sentence about the writer
    middle = _lines(
        LEAD, "Steven Jiangsu delivered the keynote on Monday to a full hall.", "It was quiet.", "It ended."
    )
    assert tail_bios(middle, byline) == []


def test_a_news_story_ending_on_a_person_it_reported_on_keeps_that_line_with_follow_on_sentences() -> None:
    doc = _lines(
        "Police arrested John Smith on Friday after a chase through the city centre.",
        "Smith was released on bail on Saturday.",
        "John Smith is a former council member. He said he would fight the charges.",
    )
    assert tail_bios(doc) == []


def test_a_caption_ending_in_a_photographer_and_agency_behind_a_slash_is_a_caption() -> None:
    doc = _lines(
        LEAD,
        "Volunteers sort donated coats at the shelter before the cold snap. jdoe_photos/Adobe Stock",
        "Families wait for the ferry on the first warm day of spring. Maria Lopez/Getty Images",
        "The diner serves breakfast all day at 12 Main St. Find it at facebook.com/MainStDiner.",
        "The band played its 1980 album Back in Black, and fans of AC/DC sang along.",
        "Shifts run 24/7 at the plant, a spokesperson said.",
    )
    assert credit_tails(doc) == [1, 2]


def test_a_tail_bio_behind_a_title_or_an_outlet_role_is_removed() -> None:
    # "Dr." and "Rep." do not end a sentence; "USA TODAY columnist" stands before the name
    for bio in (
        "Dr. Ana Ruiz is president of the Riverside Medical Society.",
        "Rep. Tom Hale, R-Ohio, serves as a member of the House Budget Committee.",
        "Weekly Ledger columnist Sam Lee offers advice on money. Send questions to samlee@example.com.",
        "Jo Park is an award-winning tech columnist. The views and opinions expressed in this column "
        "are the author's and do not necessarily reflect those of the Ledger.",
    ):
        assert tail_bios(_lines(LEAD, "It was quiet.", bio)) == [2], bio


def test_a_bio_that_gives_its_writers_handle_goes_whatever_its_other_sentences_say() -> None:
    bio = (
        "Lee Moss has been writing about food for 15 years. An avid cook, she once judged a chili "
        "contest in Texas. Follow her on Twitter, @LeeEats, and send tips to food@example.com."
    )
    assert tail_bios(_lines(LEAD, "It was quiet.", bio)) == [2]
    # the same shape about the person the story is about, named before: the story's own last line
    story = _lines(
        "Chef Lee Moss opened her third restaurant downtown on Friday.",
        "Moss said the menu would change weekly.",
        "Lee Moss has been writing a cookbook for two years. Her publisher expects it in May.",
    )
    assert tail_bios(story) == []


def test_a_doctor_named_in_the_story_keeps_a_last_line_about_her() -> None:
    doc = _lines(
        "The clinic reopened on Monday after a month of repairs, its director said.",
        "Dr. Ana Ruiz said the waiting list had doubled since March.",
        "Dr. Ana Ruiz is president of the county medical society, which sued the state in May.",
    )
    assert tail_bios(doc) == []


def test_headlines_behind_arrow_bullets_are_links_but_a_schedule_or_plain_bullets_stay() -> None:
    doc = _lines(
        LEAD,
        "► Happy hour: Will online social time fade once the pandemic slows down?",
        "» Learn more about retirement accounts",
        "» 2 p.m.: doors open at the arena",
        "➤These are the best times to drive on the other days:",
        "• Budget: $200 million",
        "- The council will vote again in June.",
    )
    assert arrow_links(doc) == [1, 2]


def test_a_headline_in_square_brackets_is_a_link_but_an_editors_insert_in_prose_is_not() -> None:
    doc = _lines(
        LEAD,
        "[ Relive the team's best and worst holiday games ]",
        "[Editor's note] The mayor spoke after the vote.",
        "“We [the council] will decide,” she said.",
        "[ ]",
    )
    assert bracketed_links(doc) == [1]


def test_three_lines_opened_by_pictographs_are_a_newsletters_furniture_but_one_is_not() -> None:
    newsletter = _lines(
        LEAD,
        "👋 Hi, it's Sam. It's Monday and here is the news.",
        "The storm moved north overnight, forecasters said.",
        "🌤 What is the weather like where you are? Check your forecast here.",
        "📸 Photos show the flooding in the valley.",
    )
    assert emoji_items(newsletter) == [1, 3, 4]
    story = _lines(LEAD, "⚽ The match ended in a draw after extra time.", "Fans left quietly.")
    assert emoji_items(story) == []


LETTER = (
    "The new bridge will cut my commute in half, and I thank the council for finally acting on it "
    "after years of delay."
)


def test_a_letters_pages_signatures_go_but_one_name_and_place_in_a_story_stay() -> None:
    page = _lines(
        LEAD,
        LETTER,
        "Ana Ruiz",
        "Camden",
        LETTER.replace("bridge", "library"),
        "Tom Hale",
        "Newark",
    )
    assert letter_signatures(page) == [2, 3, 5, 6]
    story = _lines(LEAD, LETTER, "Ana Ruiz", "Camden", "The council will meet again on Monday to vote.")
    assert letter_signatures(story) == []  # one pair: a list entry or a heading as much as a signature
    results = _lines(LEAD, "Winners", "Ana Ruiz", "Camden", "Tom Hale", "Newark")
    assert letter_signatures(results) == []  # names after a heading, not after letters


def test_a_capitalised_courtesy_glued_to_a_caption_is_its_credit() -> None:
    doc = _lines(
        LEAD,
        "Jamie Hussey, IT director of the hospital, at work Courtesy Jackson Hospital",
        "The museum thanked donors, courtesy of whom the wing was built.",
        "He said it was a courtesy call.",
        "A gold ring with a lab-grown diamond (Price: $2,919) Courtesy of Kay Jewelers",
        "The ring was returned (after a week) Courtesy of the city, the clerk said.",
    )
    assert credit_tails(doc) == [1, 4]


def test_a_bio_by_surname_alone_goes_only_when_the_surname_is_a_bylined_authors() -> None:
    bio = "Callaway is the Ledger's editor in chief."
    byline = Context(authors=frozenset({"David Callaway"}))
    assert tail_bios(_lines(LEAD, "It was quiet.", bio), byline) == [2]
    assert tail_bios(_lines(LEAD, "It was quiet.", bio)) == []  # no byline: a person the story may mean
    assert tail_bios(_lines(LEAD, "It was quiet.", "Smith is a suspect in two burglaries."), byline) == []


def test_a_guest_writer_introduced_above_the_story_goes_when_bylined() -> None:
    doc = _lines(
        "Erin Richardson is the owner and CEO of a pest control company.",
        "Every spring the calls start in the same week, when the ants come in from the rain.",
        "Most of them are harmless, and a few habits keep them out.",
    )
    assert head_bios(doc, Context(authors=frozenset({"Erin Richardson"}))) == [0]
    assert head_bios(doc) == []  # not bylined and no writer's role: the story's subject


def test_a_bylined_writer_with_a_rank_introduced_above_and_again_below_the_story_is_a_bio() -> None:
    bio = "Col. Wayne E. Dillingham is retired from the U.S. Air Force and lives in Murfreesboro."
    doc = _lines(bio, LEAD, "Dillingham said he had watched the pipeline for years.", PARA_A, bio)
    byline = Context(authors=frozenset({"Wayne E. Dillingham"}))
    assert head_bios(doc, byline) == [0]
    assert head_bios(doc) == []  # without a byline the line is about the story's subject


PARA_A = (
    "The festival opened on Friday with a record crowd, and organisers said ticket sales had doubled "
    "since last year."
)
PARA_B = (
    "Organisers said the festival would return next summer, with more stages and a larger camping area "
    "for families."
)


def test_a_lone_headline_naming_what_the_story_never_mentions_is_a_link() -> None:
    doc = _lines(LEAD, PARA_A, "Jane Fonda and Ted Lasso star reunite for charity golf game", PARA_B)
    assert isolated_headlines(doc) == [2]


def test_a_section_heading_whose_names_recur_or_a_heading_in_a_list_stays() -> None:
    heading = _lines(
        LEAD,
        PARA_A,
        "Why Riverside Festival organisers chose the Marsh Field site",
        PARA_B + " Riverside Festival moved to Marsh Field in 2019.",
    )
    assert isolated_headlines(heading) == []
    plain = _lines(LEAD, PARA_A, "What happens to the ticket money now", PARA_B)
    assert isolated_headlines(plain) == []  # no names at all: a heading
    listed = _lines(LEAD, "Lineup", "Jane Fonda and Ted Lasso star reunite for charity golf game", PARA_B)
    assert isolated_headlines(listed) == []  # not between two paragraphs


def test_a_caption_ending_in_a_photo_label_and_name_is_a_caption_but_a_sentence_about_a_photo_is_not() -> (
    None
):
    doc = _lines(
        LEAD,
        "Oil on the river near the village, 2020. Photo: Ana Ruiz",
        "The museum bought the print in 2020. Photo sales rose after that, it said.",
    )
    assert credit_tails(doc) == [1]


def test_bios_with_an_appositive_role_a_letters_invitation_or_a_co_author_go() -> None:
    for bio in (
        'Ana Ruiz, a senior fellow at the Riverside Institute and author of "The Long War", is a '
        "former defense official.",
        "Tom Hale is a professor of history at Ledger University. Submit a letter to the editor at "
        "example.com/letters.",
        "Lee Moss is the county attorney in Pima County. Dana Aroni Cho, a former prosecutor, is the "
        "director of a policy group.",
    ):
        assert tail_bios(_lines(LEAD, "It was quiet.", bio)) == [2], bio


def test_a_headline_glued_to_the_last_word_of_its_label_is_a_link_but_brand_names_are_not() -> None:
    assert glued_link("Meet the Ruiz sistersThese twins have ridden 1,100 roller coasters")
    assert not glued_link("The new iPhone sold out in hours, and the McDonald family bought three.")
    assert not glued_link("She uploaded it to YouTube where it went viral within a day of posting.")


def test_a_headline_glued_to_a_lower_case_label_word_is_a_link_but_inner_capitals_are_not() -> None:
    assert glued_link("Budget fightMayor vetoes the school plan after a week of late-night talks")
    assert glued_link("Bridge no moreCounty closes the old crossing for good after the storm")
    assert not glued_link("Gov. Ron DeSantis signs the bill on Tuesday in Tallahassee")
    assert not glued_link("Apple will sell the new iPhone in stores on Friday morning")
    assert not glued_link("the council met for hours, but the vote on the deadCenter grant failed.")


def test_a_headline_under_a_link_label_is_a_link_even_alone() -> None:
    doc = _lines(
        LEAD,
        "More on the bridge: County weighs a toll to pay for the repairs on Route 9",
        "The work began in May.",
    )
    assert related_links(doc) == [1]
    # a subhead under a label of the story's own stays, and so does a label before a sentence
    own = _lines(LEAD, "Timeline: What happened at the bridge and when it closed", "The work began in May.")
    assert related_links(own) == []
    more = _lines(
        LEAD, "More from the mayor: She said the toll would end once the bonds are paid.", "It did."
    )
    assert related_links(more) == []


def test_three_lone_headlines_with_names_are_a_list_pages_items_not_links() -> None:
    items = [
        "Celeste, by Ian Culbard and Ruth Ode (Self Made Hero, $24.95)",
        "Seconds, by Bryan Lee Malley (Ballantine Books, $25)",
        "The Harlem Hellfighters, by Max Brooks and Caanan White (Broadway Books)",
    ]
    doc = _lines(LEAD, PARA_A, items[0], PARA_B, items[1], PARA_A + " Again.", items[2], PARA_B + " Again.")
    assert isolated_headlines(doc) == []


def test_glued_headlines_after_a_question_or_a_date_label_are_links() -> None:
    assert glued_link("Pumpkin pie or apple?A state-by-state guide to favorite pies")
    assert glued_link("Sept. 26:NASA spots silent Mars rover from space")
    assert not glued_link("He asked: A what? She laughed and left the room quietly.")


def test_a_bio_whose_next_sentence_says_where_the_column_ran_goes() -> None:
    bio = "Bill Cott is a retired reporter for a wire service. This column distributed by a news agency"
    assert tail_bios(_lines(LEAD, "It was quiet.", bio)) == [2]


def test_two_links_under_the_month_they_ran_are_archive_links_but_one_dated_subhead_stays() -> None:
    page = _lines(
        LEAD,
        "July 2020: Just how bad was the crisis in care homes?",
        PARA_A,
        "February 2022: What is the energy price cap and when will it rise?",
        PARA_B,
    )
    assert archive_links(page) == [1, 3]
    one = _lines(LEAD, "March 2022: The vote that changed the party", PARA_A)
    assert archive_links(one) == []
    schedule = _lines(LEAD, "Aug. 18: The band plays the State Fair", "Aug. 19: Doors open at noon")
    assert archive_links(schedule) == []


def test_headlines_under_one_label_between_paragraphs_are_a_series_links() -> None:
    page = _lines(
        LEAD,
        "Fact check: Over 159 million people voted in the general election last fall",
        PARA_A,
        "Fact check: Pregnant women do receive vaccines, but more study is needed on the shot",
        PARA_B,
    )
    assert repeated_label_links(page) == [1, 3]


def test_an_interviews_questions_and_a_fact_boxs_fields_under_one_label_stay() -> None:
    interview = _lines(
        LEAD,
        "CNN: What can families do now to keep their holiday get-togethers safe this year?",
        PARA_A,
        "CNN: Who might want to consider postponing travel and holiday celebrations this winter?",
        PARA_B,
    )
    assert repeated_label_links(interview) == []
    box = _lines(
        LEAD,
        "Last start: finished second behind the favourite in a slow and messy race",
        "Last start: won by three lengths on a heavy track at the county fair",
    )
    assert repeated_label_links(box) == []


def test_a_sentence_broken_across_two_lines_is_not_a_lone_headline() -> None:
    doc = _lines(
        LEAD,
        PARA_A,
        "After the success of Garfield: The Movie, Britain's shabby tabby",
        "surely deserves his own film vehicle, with plenty of room to explore the lives of the Mice.",
    )
    assert isolated_headlines(doc) == []


def test_capitals_after_a_dot_are_part_of_a_name_not_a_glued_headline() -> None:
    assert not glued_link("The new variant is called Bagle.AT, Bagle.BB and Bagle.AU and the file is a joke.")
    assert glued_link(
        "'Are you guys under arrest?'I rode in the iconic Wienermobile. Then we got pulled over"
    )


def test_bios_that_say_was_name_an_appositive_before_the_verb_or_sign_with_a_first_name_go() -> None:
    for bio in (
        "Charles M. Oberly was the U.S. attorney for the District of Delaware from 2010 to 2017.",
        "Contributor Linda Deitch was a Dispatch librarian for 25 years.",
        "DeWayne Wickham, dean of Morgan State's School of Journalism, writes on Tuesdays for USA TODAY.",
        "Julia is a trending reporter for USA TODAY. She has covered local government in Miami.",
    ):
        assert tail_bios(_lines(LEAD, "It was quiet.", bio)) == [2], bio


def test_a_last_line_about_what_someone_did_or_about_a_program_is_reporting_not_a_bio() -> None:
    for line in (
        "Mariana Vishegirskaya was among a number of women at the Mariupol maternity hospital who survived.",
        "Depression Looks Like Me is a program aiming to educate and empower people with depression.",
        "Still Surfin’ is a professional Beach Boys tribute band. They have played for 17 years.",
    ):
        assert tail_bios(_lines(LEAD, "It was quiet.", line)) == [], line


def test_a_name_in_the_byline_line_or_an_email_address_does_not_count_as_the_story_naming_them() -> None:
    bio = "Robert Evins Pickard, MA, MPA, is an adjunct professor of history at Nashville State."
    assert tail_bios(_lines("Robert Evins Pickard", LEAD, "It was quiet.", bio)) == [3]
    reach = "Reach Connor at cgiffin@example.com."
    bio = "Connor Giffin is an environmental reporter for The Courier Journal."
    assert tail_bios(_lines(LEAD, reach, "It was quiet.", bio)) == [3]
    # a story that reported on the person names them as a word: their last line is reporting
    story = _lines("Giffin, 41, has run the shelter since 2009.", "It was quiet.", bio)
    assert tail_bios(story) == []


def test_one_name_the_story_never_mentions_makes_a_lone_headline_a_link_unless_it_reads_as_its_own() -> None:
    link = _lines(LEAD, PARA_A, "Judge grants Heard a restraining order in the divorce case", PARA_B)
    assert isolated_headlines(link) == [2]
    for own in (
        "When is the next game for Messi at the new stadium?",  # a question without a link's label
        '"Why should the working people take the hit?" asked Niccollai',  # a quote
        "Seconds, a novel by the festival organisers (Ballantine, $25)",  # a list's item
        "Labor Day is the cookout holiday. Don't mind our searing heat",  # two sentences
        "Our pick for the late game: home side 24, Chargers 20",  # a scored pick
    ):
        assert isolated_headlines(_lines(LEAD, PARA_A, own, PARA_B)) == [], own


def test_on_a_page_sectioned_by_headings_a_link_must_name_three_things_the_page_never_mentions() -> None:
    page = _lines(
        LEAD,
        PARA_A,
        "What the festival organisers plan next",
        PARA_B,
        "Liam Hemsworth and Jeff Goldblum reenacted The Rock's turtleneck pic",
        PARA_A + " Again.",
        "How the festival organisers sold the tickets",
        PARA_B + " Again.",
        "Where Riverside families will camp this year",
        PARA_A + " Once more.",
    )
    assert isolated_headlines(page) == [4]


def test_a_fact_box_at_the_end_is_the_storys_details_not_a_trailing_link() -> None:
    box = _lines(
        LEAD, "Where: The Shops at Nanuet, 5101 Fashion Drive.", "When: 5–8 p.m. July 6, Aug. 10 and Sept. 7"
    )
    assert trailing_headline(box, Context(links_removed=True)) == []
    info = _lines(
        LEAD, "Williams will sign copies of her book at noon.", "Information: 231-1100; plazaclassic.com"
    )
    assert trailing_headline(info, Context(links_removed=True)) == []
    assert not labelled_headline("When: Doors open at the Riverside arena at six in the evening")


def test_a_headline_whose_link_text_runs_lost_their_space_is_a_link() -> None:
    for link in (
        "American passports are strong,but not the strongest. What to know",
        "3 children dead,10 injured in mass stabbing at a dance class",
        "Taylor Swift 'at a complete loss'after mass stabbing at a dance class",
        "Bigger airlines, higher fares?US sues to block the airline merger",
        "I watched my teacher get shot in 1993.I thought lawmakers would act.",
    ):
        assert glued_link(link), link
    for own in (
        "The company, which employs 1,000 people, said it would close",
        "‘There You’ll Be’ from the film, a ballad that won the hearts",
        "Jimmy Kimmel unleashed on the network: 'They're already lying'",
        "Long jump: 1.Tobi Tella",
        "Bagle.BB won the race in record time",
    ):
        assert not glued_link(own), own


def _numbered_page(closing: list[str]) -> list[L]:
    texts = []
    for n, close in enumerate(closing, start=1):
        texts += [f"{n}. Item number {n} of the day", PARA_A, close]
    return _lines(*texts, f"{len(closing) + 1}. The last item", PARA_B)


def test_a_headline_closing_item_after_item_of_a_numbered_list_is_its_link() -> None:
    page = _numbered_page(
        [
            "Slavery and the monarchy: time for a royal reckoning?",
            "The surprising consequences of the new freedom bill",
            "Can the city police rebuild public trust?",
        ]
    )
    assert item_links(page) == [2, 5, 8]


def test_a_site_that_links_a_third_of_its_numbered_items_still_has_item_links() -> None:
    # ten items, four closing with a link, the others with their paragraph
    closing = [
        "The SNP: on the verge of collapse?",
        PARA_B,
        "The democratic crisis facing Israel and its prime minister",
        PARA_B,
        PARA_B,
        "Stop the boats: will immigration define the next election?",
        PARA_B,
        "Long Covid: how to treat it and who is at risk",
        PARA_B,
    ]
    page = _numbered_page(closing)
    assert item_links(page) == [2, 8, 17, 23]
    # fewer than a third is no template's slot; nor is an item's closing exclamation of several
    # sentences ("It's a piece of mail! It's a gift! …"), while "vs." goes on within one
    assert item_links(_numbered_page(closing[:6] + [PARA_B] * 6)) == []
    exclaims = ["It’s a piece of mail! It’s a gift! Who knew one card could do so much?"] * 3
    assert item_links(_numbered_page(exclaims)) == []
    versus = ["Roe vs. Wade overturned: what the ruling means for other rights"] * 3
    assert item_links(_numbered_page(versus)) == [2, 5, 8]


def test_a_numbered_list_whose_items_close_with_their_own_details_keeps_them() -> None:
    assert (
        item_links(
            _numbered_page(["Where to watch: Hulu", "Where to watch: Netflix", "Best for: small rooms"])
        )
        == []
    )
    assert (
        item_links(_numbered_page(["— Jane Doe, chief executive", "— John Roe, mayor", "— Ann Poe, coach"]))
        == []
    )
    # twice is not a template's slot, and an item that ends with its paragraph has none
    assert (
        item_links(
            _numbered_page(["The surprising consequences of the bill", "Can the police rebuild trust?"])
        )
        == []
    )
    assert item_links(_numbered_page([PARA_B, PARA_B + " Again.", PARA_B + " Once more."])) == []


def test_a_run_of_teaser_questions_with_headlines_is_a_related_list_but_a_question_and_answer_stays() -> None:
    doc = _lines(
        LEAD,
        "Is the magic still there? Park fans react to the feud with the governor and lawmakers",
        "A smaller world for the park? Lawmakers revoke its special self-governing status today",
        "The bridge will reopen in the spring, the council said.",
    )
    assert related_links(doc) == [1, 2]
    qa = _lines(LEAD, "Is it safe? Engineers say yes, mostly.", "Why now? The money arrived in May.", PARA_A)
    assert related_links(qa) == []
    one = _lines(LEAD, "Is the magic still there? Park fans react to the feud with the governor", PARA_A)
    assert related_links(one) == []


def test_a_parenthetical_sentence_is_not_headline_shaped() -> None:
    assert not is_headline_shaped("(The queen also gave him the titles Earl of Dumbarton and Baron Kilkeel.)")
    assert not is_headline_shaped("Natural Grocers (All closed except for Frisco, Colorado, stores.)")
    assert is_headline_shaped("Javier Bardem (Pirates of the Caribbean)")  # a name with its film
    assert is_headline_shaped("Can the city police rebuild public trust?")


def test_headlines_under_a_heading_that_introduces_links_are_a_link_list() -> None:
    doc = _lines(
        LEAD,
        PARA_A,
        "Read all our bridge coverage:",
        "Biggest moments: the council votes, the mayor appears on the steps",
        "The bridge formally closed: a recap of the day's repairs",
    )
    assert label_runs(doc) == [2, 3, 4]
    # "More than …" opens a sentence of the story, not a list of links
    own = _lines(
        LEAD,
        PARA_A,
        "More than 100 people were hurt:",
        "Dozens were treated at the scene",
        "Six remain in care",
    )
    assert label_runs(own) == []


def test_a_tail_bio_with_a_capitalised_title_or_a_home_town_is_removed_but_news_of_a_resident_stays() -> None:
    ceo = _lines(LEAD, "It was quiet.", "Jane Roe is CEO of Wow Writing Workshop, a communication company.")
    assert tail_bios(ceo) == [2]
    town = _lines(
        LEAD, "It was quiet.", "Lisa Saia of Hyde Park is a marketing professional who has traveled widely."
    )
    assert tail_bios(town) == [2]
    news = _lines(
        LEAD, "It was quiet.", "Emma Stone of Somerset was named to the honor roll at Worcester Academy."
    )
    assert tail_bios(news) == []


def test_a_headline_with_a_thousands_separator_still_counts_in_a_run_of_links() -> None:
    doc = _lines(
        LEAD,
        PARA_A,
        "Also from the Gazette:",
        "How one company keeps its youngest employees from quitting",
        "Remote general store offering jobs and free land got over 100,000 applications",
    )
    assert label_runs(doc) == [2, 3, 4]


def test_two_labels_taking_turns_are_a_lists_field_names_not_links() -> None:
    doc = _lines(
        LEAD,
        "Staying safe and having fun:A user's guide to drive-in movie theaters",
        "Pro: Yes, you can see the movie just fine from the back row",
        PARA_A,
        "Con: Some movies are harder to see than others after dark",
        PARA_A,
        "Pro: It's nice to have privacy that you don't get at an indoor theater",
        PARA_A,
        "Con: The bathroom accommodations are less than ideal at most of them",
    )
    assert related_links(doc) == [1]
    assert repeated_label_links(doc) == []
    series = _lines(
        LEAD,
        "Fact check: Over 159 million people voted in the election, a record turnout",
        PARA_A,
        "Fact check: The photo of the crowd was taken at a rally in 2016, not this year",
    )
    assert repeated_label_links(series) == [1, 3]


def test_a_links_heading_makes_every_line_to_the_pages_end_a_link_even_a_two_sentence_headline() -> None:
    doc = _lines(
        LEAD,
        PARA_A,
        "Also from the Gazette:",
        "DOJ reveals charges in 5 cases of plots to steal technology",
        "Learn Japanese through anime. Duolingo and Crunchyroll partner for immersive lessons.",
        "Race, religion and debt: Here are the biggest cases pending at the Supreme Court",
    )
    assert label_runs(doc) == [2, 3, 4, 5]
    # a capitals label over a sports box's lines is the story's own, whatever their shape
    box = _lines(
        LEAD, PARA_A, "UP NEXT", "Bulls: Visit Philadelphia on Wednesday night.", "Cavaliers: Host Phoenix."
    )
    assert label_runs(box) == []


def test_headlines_with_full_stops_under_a_links_heading_are_links_but_the_story_coming_back_stays() -> None:
    # one-sentence headlines written with a full stop, then plain ones, under "Read more:"
    text = "\n\n".join(
        [
            LEAD,
            PARA_A,
            "Read more:",
            "The pound’s crash will make inflation worse and push interest rates higher.",
            "The rich are the biggest winners of the tax-cutting gamble",
            "US stocks fell yet again as currency market turmoil rattles investors",
            "QUOTE OF THE DAY",
            PARA_B,
        ]
    )
    kept = [line.text for line in apply_rules(text).kept]
    assert kept == [LEAD, PARA_A, "QUOTE OF THE DAY", PARA_B]
    # a headline, then two-sentence headlines ("… at Christmas. It was painful but also special.")
    doc = _lines(
        LEAD,
        PARA_A,
        "Read more commentary:",
        "Apollo 8 astronauts delivered a Christmas message that calmed a ravaged nation",
        "I was a military spouse on my own at Christmas. It was painful but also special.",
        "As a refugee in America, I watched my country collapse. But there is a path to hope.",
        PARA_B,
    )
    assert label_runs(doc) == [2, 3, 4, 5]
    # the story's own sentence after the links is not one of them, nor a schedule's times
    back = _lines(
        LEAD,
        "More from the Gazette:",
        "How one company keeps its youngest employees from quitting",
        "Remote general store offering jobs and free land got many applications",
        "Ruth's ring, which is for the second of four titles he won, could fetch the most.",
    )
    assert label_runs(back) == [1, 2, 3]
    schedule = _lines(
        LEAD,
        "Also today:",
        "The S&P Case-Shiller Home Price Index posts at 9 a.m. ET.",
        "US consumer confidence data for February arrives at 10 a.m. ET.",
        PARA_B,
    )
    assert label_runs(schedule) == []


def test_a_sites_emoji_prompt_does_not_make_the_next_subhead_a_link() -> None:
    # after a removed "More news to know now" label: a prompt that opens with an emoji, then the
    # briefing's own subhead over its paragraph, is no run of two links
    doc = _lines(
        LEAD,
        "🌤 What's the weather up to in your neck of the woods? Check your local forecast here.",
        "More weather worry in California as relentless rain keeps battering the state",
        PARA_A,
    )
    assert label_runs(doc, Context(after_link_labels=frozenset({1}))) == []
    headline = "What's the weather up to in your neck of the woods? Check your local forecast here."
    doc[1] = L(headline)
    assert label_runs(doc, Context(after_link_labels=frozenset({1}))) == [1, 2]


def test_a_courtesy_or_from_credit_after_a_captions_full_stop_is_a_credit_but_titles_and_prose_stay() -> None:
    doc = _lines(
        LEAD,
        "Researchers tracked bacteria growth by marking them different colors. Courtesy Andrea Weiss, "
        "Zach Holmes and Yuanchi Ha",
        "Cooler Screens fridge doors shown at a Walgreens on February 7th 2022. Courtesy Henry B.",
        "Vicky White purchased a 2007 Ford Edge before disappearing. From US Marshals Service",
        "from the White House",
        PARA_A,
        "The show inspired the Tony-award winning Broadway musical Come From Away",
        "The paintings are on loan to the gallery. Courtesy of the museum, the show opens in May.",
        "She saw Come From Away twice",
        "from time to time",
    )
    assert credit_tails(doc) == [1, 2, 3, 4]


def test_a_label_over_dates_is_a_fact_boxs_field_not_a_series_of_links() -> None:
    doc = _lines(
        LEAD,
        "Service begins: Nov. 3 with flights every day but Tuesday and Wednesday",
        PARA_A,
        "Service begins: Nov. 11 with flights on Thursdays and Sundays",
        PARA_B,
    )
    assert repeated_label_links(doc) == []  # headlines under one label still are ("Fact check" test)
