"""Silence (K9): open opportunities nobody has worked on for *Silent Opportunity (Days)*
(`silence_days`, default 7).

An opportunity is silent since the latest sign of work on it: its last daily log naming it (the
entry's log date), the day it entered its current stage, the day it last changed owner
(confiscated, returned or reassigned: the new owner gets the full period) and, failing all of
those, the day it was created. It is silent once that is at least `silence_days` whole days before
today. Only open opportunities whose stage deadline has not passed are flagged: silence is the
warning before the deadline (D3); once the deadline has passed the opportunity is confiscation's
business and shows as overdue in "Close to Confiscation" instead.
"""

from datetime import datetime

from pypika.terms import Field

import frappe
from frappe.query_builder import CustomFunction, Order
from frappe.query_builder.functions import Coalesce, Date, Max
from frappe.utils import cint, getdate

from sales_process.domain import deadlines, hierarchy, settings

Greatest = CustomFunction("GREATEST", ["a", "b", "c", "d"])
# the Opportunity Stage Log actions that give the opportunity a new owner
OWNER_CHANGES = ("Confiscate", "Return", "Reassign")


def silent_query(
	now: datetime,
	sales_person: str | None = None,
	user: str | None = None,
	owner: str | None = None,
	owner_not: str | None = None,
):
	"""frappe.qb query, one row per silent opportunity as of `now`: name (and `opportunity`),
	customer, customer_name, sales_person, stage, stage_due_at, amount, currency, last_log_date
	(also as `log_date`, the False Report Analysis flag column), stage_entered_on, owner_changed_on,
	created_on, silent_since and days_silent. `sales_person` filters to a subtree, `owner` to one
	owner, `owner_not` leaves one owner out; `user`'s data scope (A1) always applies."""
	opp = frappe.qb.DocType("Sales Opportunity").as_("silent_opportunity")
	log = frappe.qb.DocType("Sales Daily Log").as_("silent_log")
	moves = frappe.qb.DocType("Opportunity Stage Log").as_("silent_move")
	last_log = frappe.qb.from_(log).select(Max(log.log_date)).where(log.opportunity == opp.name)
	owner_changed = (
		frappe.qb.from_(moves)
		.select(Max(moves.at))
		.where((moves.opportunity == opp.name) & moves.action.isin(OWNER_CHANGES))
	)
	candidates = (
		frappe.qb.from_(opp)
		.select(
			opp.name,
			opp.customer,
			opp.customer_name,
			opp.sales_person,
			opp.stage,
			opp.stage_due_at,
			opp.amount,
			opp.currency,
			last_log.as_("last_log_date"),
			Date(opp.stage_entered_at).as_("stage_entered_on"),
			Date(owner_changed).as_("owner_changed_on"),
			Date(opp.creation).as_("created_on"),
		)
		.where(
			(opp.status == "Open") & (opp.stage_due_at.isnull() | ~deadlines.overdue(opp.stage_due_at, now))
		)
	)
	if (criterion := hierarchy.subtree_filter(opp.sales_person, sales_person)) is not None:
		candidates = candidates.where(criterion)
	if owner:
		candidates = candidates.where(opp.sales_person == owner)
	if owner_not:
		candidates = candidates.where(opp.sales_person != owner_not)
	candidates = hierarchy.apply_scope(candidates, opp.sales_person, user).as_("silence_candidates")

	c = candidates
	since = Greatest(
		*(
			Coalesce(c[column], c.created_on)
			for column in ("last_log_date", "stage_entered_on", "owner_changed_on")
		),
		c.created_on,
	)
	days = deadlines.DateDiff(now.date(), since)
	return (
		frappe.qb.from_(c)
		.select(
			c.name,
			c.name.as_("opportunity"),
			c.customer,
			c.customer_name,
			c.sales_person,
			c.stage,
			c.stage_due_at,
			c.amount,
			c.currency,
			c.last_log_date,
			c.last_log_date.as_("log_date"),
			c.stage_entered_on,
			c.owner_changed_on,
			c.created_on,
			since.as_("silent_since"),
			days.as_("days_silent"),
		)
		.where(days >= settings.get("silence_days"))
	)


def silent_opportunities(now: datetime, limit: int | None = None, **filters) -> list[dict]:
	"""The silent opportunities (`silent_query` and its filters), longest silent first, each with
	what the silence is counted from (`since_what`) and the hours and days left before its stage
	deadline (`deadlines`; None without one)."""
	query = (
		silent_query(now, **filters)
		.orderby(Field("days_silent"), order=Order.desc)
		.orderby(Field("stage_due_at"))
		.orderby(Field("name"))
	)
	if limit:
		query = query.limit(limit)
	rows = query.run(as_dict=True)
	for row in rows:
		row.days_silent = cint(row.days_silent)
		row.since_what = since_what(row)
		row.hours_left = deadlines.hours_left(row.stage_due_at, now)
		row.days_left = deadlines.days_left(row.stage_due_at, now)
	return rows


def since_what(row) -> str:
	"""Which sign of work a silent row is counted from: "log", "stage", "owner" or "created" (the
	first of them, in that order, that falls on `silent_since`)."""
	since = getdate(row.silent_since)
	for what, column in (
		("log", "last_log_date"),
		("stage", "stage_entered_on"),
		("owner", "owner_changed_on"),
	):
		if row.get(column) and getdate(row[column]) == since:
			return what
	return "created"
