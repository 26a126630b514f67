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
