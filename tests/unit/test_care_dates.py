"""Anniversary and birthday dates (W1, C2): pure functions, no site."""

from datetime import date

import pytest

from sales_process.domain.care import days_until, next_occurrence, occurrence_in, within_window, years_at


def test_occurrence_this_year_or_next():
	assert next_occurrence(date(2010, 6, 15), date(2026, 6, 1)) == date(2026, 6, 15)
	assert next_occurrence(date(2010, 6, 15), date(2026, 6, 15)) == date(2026, 6, 15)
	assert next_occurrence(date(2010, 6, 15), date(2026, 6, 16)) == date(2027, 6, 15)


@pytest.mark.parametrize(
	"founded, expected_days",
	[
		(date(2015, 12, 30), 0),
		(date(2015, 12, 31), 1),
		(date(2015, 1, 1), 2),
		(date(2015, 1, 2), 3),
	],
)
def test_window_across_year_end(founded, expected_days):
	today = date(2026, 12, 30)
	assert within_window(founded, today, 3)
	assert days_until(founded, today) == expected_days


def test_outside_window_across_year_end():
	today = date(2026, 12, 30)
	assert not within_window(date(2015, 1, 3), today, 3)
	assert not within_window(date(2015, 12, 29), today, 3)  # yesterday: next one is a year away
	assert years_at(date(2015, 1, 2), next_occurrence(date(2015, 1, 2), today)) == 12


def test_feb_29_in_non_leap_year_is_feb_28():
	born = date(1988, 2, 29)
	assert occurrence_in(born, 2027) == date(2027, 2, 28)
	assert occurrence_in(born, 2028) == date(2028, 2, 29)
	assert next_occurrence(born, date(2027, 2, 26)) == date(2027, 2, 28)
	assert within_window(born, date(2027, 2, 26), 3)
	assert within_window(born, date(2027, 2, 28), 0)
	# after Feb 28 of a non-leap year the next one is Feb 29 of the leap year
	assert next_occurrence(born, date(2027, 3, 1)) == date(2028, 2, 29)
	assert not within_window(born, date(2027, 3, 1), 3)


def test_feb_29_in_leap_year_stays_feb_29():
	born = date(1988, 2, 29)
	assert next_occurrence(born, date(2028, 2, 28)) == date(2028, 2, 29)
	assert days_until(born, date(2028, 2, 26)) == 3


def test_empty_and_original_date():
	assert not within_window(None, date(2026, 12, 30), 3)
	assert not within_window(date(2026, 12, 31), date(2026, 12, 30), 3)  # founded tomorrow: no anniversary
	assert within_window(date(2026, 1, 1), date(2026, 12, 30), 3)
	assert not within_window(date(2020, 5, 1), date(2026, 4, 30), -1)
