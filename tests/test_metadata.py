"""Metadata: dateline, publication date, source, language, authors and credits."""

from __future__ import annotations

from datetime import date

import pytest

from ingest.cleaning import clean_record, clean_text
from ingest.metadata import dateline_from, detect_language, parse_date, published_date, source_from
from ingest.models import RawRecord


@pytest.mark.parametrize(
    ("first_line", "place"),
    [
        ("BEIRUT -- Clashes have broken out on the border.", "BEIRUT"),
        ("SANTOS, Brazil (AP) — Brazil said a final farewell to Pelé on Tuesday.", "SANTOS, Brazil"),
        ("NEW YORK — FIFA president Gianni Infantino warned the region.", "NEW YORK"),
        ("WASHINGTON (Reuters) - The Senate voted on Friday.", "WASHINGTON"),
    ],
)
def test_inline_dateline_place_is_extracted(first_line, place):
    assert dateline_from([first_line], []) == place


def test_standalone_cnn_dateline_line_becomes_metadata_not_body():
    article = clean_text("Hong Kong CNN —\n\nMarkets fell sharply on Monday as investors worried.")
    assert article.dateline == "Hong Kong"
    assert article.text == "Markets fell sharply on Monday as investors worried."


def test_a_sentence_starting_with_a_name_is_not_a_dateline():
    assert dateline_from(["Mayor Ellen Park said the river rose -- fast."], []) is None


def test_publication_date_prefers_the_record_field():
    found, origin = published_date("2022/04/05", ["A Section on 11/05/2017"], "On Jan. 3, 2020 it rained.")
    assert (found, origin) == (date(2022, 4, 5), "record")


def test_publication_date_from_print_edition_line_is_month_first():
    assert published_date(None, ["A Section on 11/05/2017"], "") == (date(2017, 11, 5), "print_edition")


def test_publication_date_falls_back_to_a_date_in_the_text():
    found, origin = published_date(None, [], "Officials said on March 6, 2023 that the bridge would reopen.")
    assert (found, origin) == (date(2023, 3, 6), "text")


def test_unparsable_or_missing_dates_give_none():
    assert parse_date("not a date at all") is None
    assert parse_date("") is None
    assert published_date(None, [], "No dates in here.") == (None, None)


def test_source_is_the_record_field_else_the_url_domain_without_www():
    assert source_from("Wire Desk", "https://www.cnn.com/x") == "Wire Desk"
    assert source_from(None, "https://www.usatoday.com/story/x") == "usatoday.com"
    assert source_from(None, "https://theweek.co.uk/news") == "theweek.co.uk"
    assert source_from(None, None) is None


def test_language_is_detected_offline():
    assert detect_language("The government announced new measures on Tuesday to curb inflation.") == "en"
    assert detect_language("Le gouvernement a annoncé mardi de nouvelles mesures contre l'inflation.") == "fr"
    assert detect_language("ok") is None


def test_bylines_and_signatures_go_to_authors_and_contributor_lines_to_credits():
    text = (
        "By Jane Doe\n\nThe committee met on Tuesday to discuss the proposal in detail.\n\n"
        "Members said they would vote next week on the final version of the plan.\n\n– John Roe\n\n"
        "Contributing: The Associated Press"
    )
    article = clean_record(RawRecord(origin="x", text=text, authors=["Jane Doe"]))
    assert article.authors == ["Jane Doe", "John Roe"]
    assert article.credits == ["Contributing: The Associated Press"]
    assert "Jane Doe" not in article.text and "Contributing" not in article.text


@pytest.mark.parametrize(
    ("line", "published", "updated"),
    [
        (
            "Published 10:00 AM EDT, Mon June 5, 2023 Updated 3:45 PM EDT, Tue June 6, 2023",
            date(2023, 6, 5),
            date(2023, 6, 6),
        ),
        ("Updated 2:50 p.m. Monday, July 19", date(2021, 7, 18), date(2021, 7, 19)),  # year from published
        (
            "Updated March 18, 2024: This article has been updated throughout.",
            date(2024, 3, 1),
            date(2024, 3, 18),
        ),
    ],
)
def test_a_stand_alone_timestamp_leaves_the_body_and_dates_the_update(line, published, updated):
    body = "The council voted on Tuesday to close the bridge for repairs, officials said."
    rec = RawRecord(
        origin="t",
        text=f"{line}\n\n{body}\n\nThe work will take six months.",
        published=None if "Published" in line else published.isoformat(),
    )
    article = clean_record(rec)
    assert [r.rule for r in article.removed] == ["timestamp"]
    assert (article.published, article.updated) == (published, updated)
    assert article.metadata_dict()["updated"] == updated.isoformat()


def test_a_time_without_a_day_an_update_before_publication_and_prose_give_no_update():
    body = "The council voted on Tuesday to close the bridge for repairs, officials said."
    for line in ("Last update: 9:45 p.m. ET.", "Updated May 25"):
        article = clean_record(RawRecord(origin="t", text=f"{line}\n\n{body}", published="2023-06-01"))
        assert article.updated is None and [r.rule for r in article.removed] == ["timestamp"]
    prose = "Published in 2019, the book sold a million copies in its first year."
    article = clean_record(RawRecord(origin="t", text=f"{body}\n\n{prose}", published="2023-06-01"))
    assert article.removed == [] and article.updated is None
    assert clean_record(RawRecord(origin="t", text=f"8:25 p.m. update:\n\n{body}")).removed == []


def test_the_updated_date_comes_from_the_record_or_the_page_metadata():
    body = "The council voted on Tuesday to close the bridge for repairs, officials said."
    rec = RawRecord(origin="t", text=body, published="2023-06-01", updated="2023-06-03T10:00:00Z")
    assert clean_record(rec).updated == date(2023, 6, 3)
    html = (
        '<html><head><meta property="article:published_time" content="2023-06-01T08:00:00Z">'
        '<meta property="article:modified_time" content="2023-06-04T09:30:00Z"></head>'
        f"<body><article><h1>Bridge to close</h1><p>{body}</p><p>{body.replace('Tuesday', 'Monday')}</p>"
        "</article></body></html>"
    )
    article = clean_record(RawRecord(origin="t.html", html=html))
    assert (article.published, article.updated) == (date(2023, 6, 1), date(2023, 6, 4))
    # a record with an update dated before its publication has a misread field: no update
    rec = RawRecord(origin="t", text=body, published="2023-06-05", updated="2023-06-03")
    assert clean_record(rec).updated is None
