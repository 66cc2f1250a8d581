"""Customer care dates (W1, C2): founding anniversaries and birthdays.

Pure date arithmetic, no database: a yearly date (founding date, birthday) recurs on the same month
and day every year; a Feb 29 date is celebrated on Feb 28 in years without a Feb 29. Windows run
from today up to and including `today + days`, across a year end.
"""

import calendar
import datetime


def occurrence_in(month_day_date: datetime.date, year: int) -> datetime.date:
	"""The date's month and day in `year` (Feb 29 → Feb 28 when `year` is not a leap year)."""
	month, day = month_day_date.month, month_day_date.day
	if month == 2 and day == 29 and not calendar.isleap(year):
		day = 28
	return datetime.date(year, month, day)


def next_occurrence(month_day_date: datetime.date, today: datetime.date) -> datetime.date:
	"""The first occurrence of the yearly date on or after `today`."""
	this_year = occurrence_in(month_day_date, today.year)
	return this_year if this_year >= today else occurrence_in(month_day_date, today.year + 1)


def days_until(month_day_date: datetime.date, today: datetime.date) -> int:
	return (next_occurrence(month_day_date, today) - today).days


def within_window(month_day_date: datetime.date | None, today: datetime.date, days: int) -> bool:
	"""True when the yearly date next falls within today … today + `days` (inclusive) and is an
	actual recurrence (not the original date itself nor before it)."""
	if not month_day_date or days < 0:
		return False
	occurrence = next_occurrence(month_day_date, today)
	return (occurrence - today).days <= days and occurrence.year > month_day_date.year


def years_at(month_day_date: datetime.date, occurrence: datetime.date) -> int:
	"""How many years the occurrence marks (the 10th anniversary, the 40th birthday)."""
	return occurrence.year - month_day_date.year
