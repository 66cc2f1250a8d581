"""Deadline arithmetic (D1–D3), once, in both forms: Python functions and the frappe.qb expressions
that compute the same in SQL. The stage transitions, the D2/D3 jobs, the reports and the workbench
take due times, days in stage and the reminder/confiscation moments from here.

Every moment is passed in from Python (`now`), never taken from SQL NOW(): the site's time zone
and a test's frozen clock apply to both forms alike.
"""

from datetime import datetime, timedelta

from pypika.terms import LiteralValue, Term

from frappe.query_builder import Case, CustomFunction
from frappe.utils import get_datetime

# MariaDB functions; DATEDIFF(end, start) counts calendar days between the two dates
DateDiff = CustomFunction("DATEDIFF", ["end", "start"])
TimestampAdd = CustomFunction("TIMESTAMPADD", ["unit", "interval", "start"])


# --- D1: the due time -------------------------------------------------------------------------------


def due_at(entered_at: datetime, time_limit_days: int | None) -> datetime | None:
	"""stage_due_at = stage_entered_at + time_limit_days calendar days; no limit → None."""
	if not time_limit_days or time_limit_days <= 0:
		return None
	return entered_at + timedelta(days=int(time_limit_days))


def due_at_sql(entered_at, time_limit_days):
	"""`due_at` in SQL: `entered_at` (a column or a Python datetime) plus `time_limit_days` (a column
	or an expression) days, NULL where the limit is not positive."""
	limit = Term.wrap_constant(time_limit_days)
	return Case().when(limit > 0, TimestampAdd(LiteralValue("DAY"), limit, entered_at))


def days_in_stage(entered_at, at) -> float:
	"""Days from entering the stage to `at`, to two decimals (the stage log's days_in_stage); 0
	without an entry time."""
	if not entered_at:
		return 0
	return round((get_datetime(at) - get_datetime(entered_at)).total_seconds() / 86400, 2)


def hours_left(due, now: datetime) -> float | None:
	"""Hours until the due time (negative once it has passed), to one decimal; None without one."""
	if not due:
		return None
	return round((get_datetime(due) - now).total_seconds() / 3600, 1)


def days_left(due, now: datetime) -> float | None:
	"""Days until the due time (negative once it has passed), to one decimal; None without one."""
	if not due:
		return None
	return round((get_datetime(due) - now).total_seconds() / 86400, 1)


def overdue(due_field, now: datetime):
	"""SQL: the due time has passed (false where there is none)."""
	return due_field < now


def overran(days_field, time_limit_days: int | None):
	"""SQL: a stay of `days_field` days was longer than the stage's limit; None when the stage has
	no limit (nothing can overrun it)."""
	if not time_limit_days or time_limit_days <= 0:
		return None
	return days_field > int(time_limit_days)


# --- D2 / D3: when the jobs act -------------------------------------------------------------------------


def reminder_cutoff(now: datetime, days_before: int | None) -> datetime:
	"""D2: an opportunity is due for its reminder once its due time is at or before this."""
	return now + timedelta(days=max(int(days_before or 0), 0))


def confiscation_cutoff(now: datetime, grace_hours: int | None) -> datetime:
	"""D3: an opportunity is due for confiscation once its due time is at or before this."""
	return now - timedelta(hours=max(int(grace_hours or 0), 0))


def not_reminded(opp):
	"""SQL on the Sales Opportunity table `opp`: open, with a due time it was not reminded of yet."""
	return (
		(opp.status == "Open")
		& opp.stage_due_at.isnotnull()
		& (opp.reminded_for_due.isnull() | (opp.reminded_for_due != opp.stage_due_at))
	)


def reminder_due(opp, now: datetime, days_before: int | None, grace_hours: int | None):
	"""SQL: due for the D2 reminder — not reminded of this due time, which is within `days_before`
	days and not yet past the confiscation moment."""
	return (
		not_reminded(opp)
		& (opp.stage_due_at <= reminder_cutoff(now, days_before))
		& (opp.stage_due_at > confiscation_cutoff(now, grace_hours))
	)


def lost_request_cutoff(now: datetime, escalation_days: int | None) -> datetime:
	"""K3: a lost request made at or before this is overdue for its decision."""
	return now - timedelta(days=max(int(escalation_days or 0), 0))


def lost_request_overdue(opp, now: datetime, escalation_days: int | None):
	"""SQL: a lost request is pending and older than the escalation window (K3)."""
	return (opp.lost_requested == 1) & (opp.lost_requested_at <= lost_request_cutoff(now, escalation_days))


def confiscation_due(opp, now: datetime, grace_hours: int | None, escalation_days: int | None):
	"""SQL: due for D3 confiscation — open, past its due time plus the grace, and no lost request
	pending (the superior decides that one first) unless it waited longer than the escalation
	window (K3: a pending request never stops the clock for longer)."""
	return (
		(opp.status == "Open")
		& opp.stage_due_at.isnotnull()
		& (opp.stage_due_at <= confiscation_cutoff(now, grace_hours))
		& ((opp.lost_requested == 0) | lost_request_overdue(opp, now, escalation_days))
	)
