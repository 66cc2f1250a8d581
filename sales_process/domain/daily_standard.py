"""The minimum daily standard (K6): the days a person's daily logs fall below it.

- The standard: *Minimum Minutes per Day* (`min_daily_minutes`) and *Minimum Effective Score per
  Day* (`min_daily_effective_score`, the sum of the entries' effective scores); 0 switches that
  half off, both 0 switch the standard off (no day is below it).
- Who is measured: every enabled Sales Person whose Employee has a user (the people who can file
  daily logs), from the Employee's date of joining to its relieving date.
- Working days: the days of the range except the holidays (weekly offs included) of the person's
  ERPNext Holiday List — the Employee's `holiday_list`, else the `default_holiday_list` of the
  Employee's Company; without a list every day is a working day. A day is judged once it is over:
  today never counts, the range ends yesterday at the latest.
- Below: a working day whose totals (all the person's entries dated that day) are under either
  configured minimum; a working day without any entry is below too.

Everything is one set-based query (`person_days`): the range's days (MariaDB's sequence engine)
× the measured people, less their holidays, left-joined to the log totals grouped by person × day.
"""

from datetime import date

from pypika.terms import ValueWrapper

import frappe
from frappe import _
from frappe.query_builder import Case, Criterion, CustomFunction, JoinType, Order
from frappe.query_builder.functions import Cast, Coalesce, Count, DateFormat, NullIf, Sum
from frappe.utils import add_days, cint, flt, getdate, today

from sales_process.domain import hierarchy, settings

AddDate = CustomFunction("ADDDATE", ["day", "days"])
PERIODS = (None, "Daily", "Monthly")
GROUPINGS = ("Sales Person", "Team")


def standard() -> frappe._dict:
	"""The configured standard: min_minutes, min_score (0 = that half off) and whether it is on."""
	cfg = settings.get_settings()
	minutes, score = max(cint(cfg.min_daily_minutes), 0), max(flt(cfg.min_daily_effective_score), 0)
	return frappe._dict(min_minutes=minutes, min_score=score, active=bool(minutes or score))


def judged_until(to_date) -> date:
	"""The last day that can be below the standard: `to_date`, but yesterday at the latest."""
	return min(getdate(to_date), getdate(add_days(today(), -1)))


def below(minutes, effective_score, std: frappe._dict):
	"""SQL: day totals under the standard (the halves switched off are left out)."""
	parts = []
	if std.min_minutes:
		parts.append(minutes < std.min_minutes)
	if std.min_score:
		parts.append(effective_score < std.min_score)
	return Criterion.any(parts) if parts else ValueWrapper(1) == 0


def person_days(from_date, to_date, std: frappe._dict, sales_person=None, person=None, user=None):
	"""frappe.qb query, one row per measured person and working day in from_date..judged_until(to_date)
	(None when that is empty): sales_person, team (the person's parent), day, entries, minutes,
	effective_score and below (1 or 0). `sales_person` filters to a subtree, `person` to one person;
	`user`'s data scope (A1) always applies."""
	start, end = getdate(from_date), judged_until(to_date)
	if start > end:
		return None
	seq = frappe.qb.Table(f"seq_0_to_{(end - start).days}")
	calendar = frappe.qb.from_(seq).select(Cast(AddDate(start, seq.seq), "date").as_("day")).as_("calendar")
	log = frappe.qb.DocType("Sales Daily Log")
	totals = (
		frappe.qb.from_(log)
		.select(
			log.sales_person,
			log.log_date,
			Count(log.name).as_("entries"),
			Sum(log.minutes).as_("minutes"),
			Sum(log.effective_score).as_("effective_score"),
		)
		.where(log.log_date[start:end])
		.groupby(log.sales_person, log.log_date)
	).as_("totals")
	sp = frappe.qb.DocType("Sales Person")
	emp = frappe.qb.DocType("Employee")
	company = frappe.qb.DocType("Company")
	holiday = frappe.qb.DocType("Holiday")
	holiday_list = Coalesce(NullIf(emp.holiday_list, ""), company.default_holiday_list)
	minutes = Coalesce(totals.minutes, 0)
	score = Coalesce(totals.effective_score, 0)
	query = (
		frappe.qb.from_(sp)
		.join(emp)
		.on(emp.name == sp.employee)
		.left_join(company)
		.on(company.name == emp.company)
		.join(calendar, how=JoinType.cross)
		.cross()
		# an anti-join: the day is none of the list's holidays
		.left_join(holiday)
		.on(
			(holiday.parent == holiday_list)
			& (holiday.parenttype == "Holiday List")
			& (holiday.holiday_date == calendar.day)
		)
		.left_join(totals)
		.on((totals.sales_person == sp.name) & (totals.log_date == calendar.day))
		.select(
			sp.name.as_("sales_person"),
			sp.parent_sales_person.as_("team"),
			calendar.day.as_("day"),
			Coalesce(totals.entries, 0).as_("entries"),
			minutes.as_("minutes"),
			score.as_("effective_score"),
			Case().when(below(minutes, score, std), 1).else_(0).as_("below"),
		)
		.where(
			(sp.enabled == 1)
			& emp.user_id.isnotnull()
			& (emp.user_id != "")
			& holiday.name.isnull()
			& (emp.date_of_joining.isnull() | (calendar.day >= emp.date_of_joining))
			& (emp.relieving_date.isnull() | (calendar.day <= emp.relieving_date))
		)
	)
	if person:
		query = query.where(sp.name == person)
	if (criterion := hierarchy.subtree_filter(sp.name, sales_person)) is not None:
		query = query.where(criterion)
	return hierarchy.apply_scope(query, sp.name, user)


def days_below(
	from_date,
	to_date,
	period: str | None = None,
	group_by: str = "Sales Person",
	sales_person: str | None = None,
	person: str | None = None,
	user: str | None = None,
) -> list[dict]:
	"""Per sales person (or team: the people under one parent) — and per day or month ("YYYY-MM")
	when `period` is "Daily" or "Monthly" — the working days, the days below the standard and the
	days without any entry, over from_date..to_date (filters as `person_days`)."""
	if period not in PERIODS:
		frappe.throw(_("Period must be Daily or Monthly."), frappe.ValidationError)
	if group_by not in GROUPINGS:
		frappe.throw(_("Group By must be Sales Person or Team."), frappe.ValidationError)
	query = person_days(from_date, to_date, standard(), sales_person, person, user)
	if query is None:
		return []
	days = query.as_("person_days")
	key = "sales_person" if group_by == "Sales Person" else "team"
	keys = [days[key]]
	if period:
		keys.append(days.day if period == "Daily" else DateFormat(days.day, "%Y-%m"))
	rows = (
		frappe.qb.from_(days)
		.select(
			keys[0].as_(key),
			*([keys[1].as_("period")] if period else []),
			Count("*").as_("working_days"),
			Sum(days.below).as_("days_below"),
			Sum(Case().when(days.entries == 0, 1).else_(0)).as_("days_without_log"),
		)
		.groupby(*keys)
		.orderby(*reversed(keys))
		.run(as_dict=True)
	)
	return [
		{
			key: r[key],
			**({"period": str(r.period)} if period else {}),
			"working_days": cint(r.working_days),
			"days_below": cint(r.days_below),
			"days_without_log": cint(r.days_without_log),
		}
		for r in rows
	]


def below_days(from_date, to_date, person: str, user: str | None = None) -> list[dict]:
	"""One person's working days below the standard, the latest first: day, entries, minutes and
	effective_score (filters as `person_days`)."""
	query = person_days(from_date, to_date, standard(), person=person, user=user)
	if query is None:
		return []
	days = query.as_("person_days")
	rows = (
		frappe.qb.from_(days)
		.select(days.day, days.entries, days.minutes, days.effective_score)
		.where(days.below == 1)
		.orderby(days.day, order=Order.desc)
		.run(as_dict=True)
	)
	return [
		{
			"day": getdate(r.day),
			"entries": cint(r.entries),
			"minutes": cint(r.minutes),
			"effective_score": flt(r.effective_score, 2),
		}
		for r in rows
	]
