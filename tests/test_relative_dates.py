"""Relative and explicit news dates resolved against the article's publication date."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

import pytest

from ingest.relative_dates import ResolvedDate, find_dates, resolve_date

# The Qaim article ran on Sunday 2017-11-05.
SUNDAY = date(2017, 11, 5)
FRIDAY = date(2017, 11, 3)


def resolved(expression: str, reference: date = SUNDAY) -> ResolvedDate:
    result = resolve_date(expression, reference)
    assert result is not None, expression
    return result


def test_a_weekday_resolves_to_the_most_recent_such_day_on_or_before_the_article_date() -> None:
    result = resolved("on Friday")
    assert result.value == FRIDAY
    assert result.granularity == "day"
    assert result.iso() == "2017-11-03"
    assert (result.text, result.start, result.end) == ("on Friday", 0, len("on Friday"))
    assert resolved("Saturday").value == date(2017, 11, 4)
    assert resolved("Monday").value == date(2017, 10, 30)


def test_the_article_s_own_weekday_is_the_article_day() -> None:
    assert resolved("Sunday").value == SUNDAY
    assert resolved("Friday", reference=FRIDAY).value == FRIDAY


def test_last_weekday_goes_back_a_week_only_when_the_article_ran_on_that_weekday() -> None:
    assert resolved("last Friday").value == FRIDAY
    assert resolved("last Friday", reference=FRIDAY).value == date(2017, 10, 27)
    assert resolved("this past Sunday").value == date(2017, 10, 29)


def test_next_and_this_coming_weekday_point_after_the_article_date() -> None:
    assert resolved("next Friday").value == date(2017, 11, 10)
    assert resolved("this coming Friday").value == date(2017, 11, 10)
    assert resolved("next Sunday").value == date(2017, 11, 12)
    assert resolved("next Monday").value == date(2017, 11, 6)


@pytest.mark.parametrize("expression", ["Friday night", "late Friday", "Fri.", "early on Friday morning"])
def test_parts_of_the_day_and_abbreviations_keep_the_weekday(expression: str) -> None:
    assert resolved(expression).value == FRIDAY


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("today", SUNDAY),
        ("tonight", SUNDAY),
        ("this morning", SUNDAY),
        ("yesterday", date(2017, 11, 4)),
        ("yesterday afternoon", date(2017, 11, 4)),
        ("tomorrow", date(2017, 11, 6)),
        ("the day before yesterday", FRIDAY),
    ],
)
def test_yesterday_today_and_tomorrow_count_from_the_article_day(expression: str, expected: date) -> None:
    result = resolved(expression)
    assert (result.value, result.granularity) == (expected, "day")


def test_last_month_crosses_the_year_boundary_and_keeps_month_granularity() -> None:
    result = resolved("last month", reference=date(2018, 1, 10))
    assert (result.value, result.granularity) == (date(2017, 12, 1), "month")
    assert result.iso() == "2017-12"
    assert resolved("next month", reference=date(2017, 12, 10)).iso() == "2018-01"
    assert resolved("earlier this month").iso() == "2017-11"


def test_last_this_and_next_year_resolve_to_years() -> None:
    result = resolved("last year")
    assert (result.value, result.granularity, result.iso()) == (date(2016, 1, 1), "year", "2016")
    assert resolved("this year").iso() == "2017"
    assert resolved("next year").iso() == "2018"


def test_weeks_resolve_to_the_monday_of_the_week() -> None:
    this_week = resolved("this week")
    assert (this_week.value, this_week.granularity, this_week.iso()) == (
        date(2017, 10, 30),
        "week",
        "2017-10-30",
    )
    assert resolved("last week").value == date(2017, 10, 23)
    assert resolved("next week").value == date(2017, 11, 6)


@pytest.mark.parametrize(
    ("expression", "iso", "granularity"),
    [
        ("two days ago", "2017-11-03", "day"),
        ("2 days ago", "2017-11-03", "day"),
        ("a week ago", "2017-10-23", "week"),
        ("three months ago", "2017-08", "month"),
        ("twelve years ago", "2005", "year"),
    ],
)
def test_counted_periods_ago_step_back_from_the_article_date(
    expression: str, iso: str, granularity: str
) -> None:
    result = resolved(expression)
    assert (result.iso(), result.granularity) == (iso, granularity)


def test_a_day_without_a_year_late_in_the_year_belongs_to_the_previous_year_in_a_january_article() -> None:
    result = resolved("Dec. 30", reference=date(2018, 1, 2))
    assert (result.value, result.granularity) == (date(2017, 12, 30), "day")


def test_a_day_without_a_year_takes_the_article_year_when_it_is_not_far_ahead() -> None:
    assert resolved("Nov. 3").value == FRIDAY
    assert resolved("November 3rd").value == FRIDAY
    assert resolved("Dec. 30").value == date(2017, 12, 30)
    assert resolved("Friday, Nov. 3").value == FRIDAY


@pytest.mark.parametrize(
    "expression",
    [
        "November 3, 2017",
        "Nov. 3, 2017",
        "Nov 3 2017",
        "3 November 2017",
        "the 3rd of November, 2017",
        "2017-11-03",
    ],
)
def test_full_dates_with_a_year_resolve_to_that_day(expression: str) -> None:
    result = resolved(expression, reference=date(2020, 6, 1))
    assert (result.value, result.granularity) == (FRIDAY, "day")


def test_a_full_date_years_before_the_article_keeps_its_own_year() -> None:
    assert resolved("Dec. 30, 2016").value == date(2016, 12, 30)
    assert resolved("Sept. 11, 2001").value == date(2001, 9, 11)


def test_a_month_name_resolves_to_the_most_recent_such_month() -> None:
    november = resolved("November 2017", reference=date(2019, 1, 1))
    assert (november.granularity, november.iso()) == ("month", "2017-11")
    assert resolved("in November").iso() == "2017-11"
    assert resolved("in March").iso() == "2017-03"
    assert resolved("last November").iso() == "2016-11"
    assert resolved("last November", reference=date(2017, 12, 15)).iso() == "2017-11"


def test_a_year_alone_resolves_to_the_year() -> None:
    assert (resolved("2017").granularity, resolved("2017").iso()) == ("year", "2017")
    assert resolved("since 2014").iso() == "2014"


@pytest.mark.parametrize(
    "expression",
    [
        "three years",
        "every Friday",
        "the 1990s",
        "2,500",
        "96 percent",
        "Fridays",
        "Feb. 30",
        "Friday or Saturday",
    ],
)
def test_expressions_that_name_no_single_date_resolve_to_none(expression: str) -> None:
    assert resolve_date(expression, SUNDAY) is None


def test_find_dates_over_an_article_sentence_returns_exact_offsets() -> None:
    text = (
        "He said his forces also fired rockets inside Syria from Qaim, "
        "the Iraqi border town reclaimed from the Islamic State on Friday."
    )
    (found,) = find_dates(text, SUNDAY)
    assert (found.text, found.iso()) == ("Friday", "2017-11-03")
    assert text[found.start : found.end] == found.text == "Friday"


def test_find_dates_returns_several_dates_left_to_right_without_overlap() -> None:
    text = (
        "This frame grab from a video released on Nov. 2, 2017 by the Syrian official news agency SANA "
        "shows smoke. The Syrian army announced on Friday, Nov. 3 it liberated Deir el-Zour; "
        "the clashes started late Friday and continued into Saturday, and talks are due next week."
    )
    found = find_dates(text, SUNDAY)
    assert [(r.text, r.iso()) for r in found] == [
        ("Nov. 2, 2017", "2017-11-02"),
        ("Friday, Nov. 3", "2017-11-03"),
        ("Friday", "2017-11-03"),
        ("Saturday", "2017-11-04"),
        ("next week", "2017-11-06"),
    ]
    for r in found:
        assert text[r.start : r.end] == r.text
    assert all(a.end <= b.start for a, b in pairwise(found))


def test_find_dates_ignores_counts_percentages_and_durations() -> None:
    text = "About 2,500 fighters hold 96 percent of the town after three years of war, every Friday."
    assert find_dates(text, SUNDAY) == []


def test_find_dates_needs_a_preposition_before_a_bare_month_or_year() -> None:
    text = "May I ask how 2017 went? It began in May and by 2016 the group had lost ground since March."
    assert [(r.text, r.iso()) for r in find_dates(text, SUNDAY)] == [
        ("May", "2017-05"),
        ("2016", "2016"),
        ("March", "2017-03"),
    ]
