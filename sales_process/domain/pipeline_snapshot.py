"""The daily pipeline snapshot (K7): each person's and each team's open and weighted pipeline, kept
per day so that the Sales Forecast can show how the pipeline moved (seed 004: it should keep
growing in value).

A day is taken set-based, in one transaction and three statements:

1. the day's rows are deleted (a re-run replaces the day: it reflects the opportunities as they are
   when it runs, so a correction made during the day is in the day's row after the next run; an
   insert-ignore would keep whatever the first run saw);
2. one INSERT … SELECT writes a person row (is_team 0) per Sales Person, company and currency
   holding open opportunities or won ones this month: open count, open amount, weighted amount (the
   app's one weighting, `domain.weighted`, the stages' configured probabilities), won this month;
3. one INSERT … SELECT rolls the person rows up to a team row (is_team 1) for every group Sales
   Person over its subtree (`hierarchy.within`), so a team row is by construction the sum of the
   person rows of its members that day.

The unique index (snapshot_date, sales_person, is_team, company, currency) makes a duplicate day
impossible even if two runs raced (the second one's DELETE waits for the first one's rows).
"""

from pypika.terms import LiteralValue, ValueWrapper

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, Sum
from frappe.utils import get_datetime, get_first_day, getdate, now_datetime, today

from sales_process.domain import hierarchy, weighted

DOCTYPE = "Sales Pipeline Snapshot"
KEY = ("snapshot_date", "sales_person", "is_team", "company", "currency")
MEASURES = ("open_count", "open_amount", "weighted_amount", "won_count", "won_amount")
_META = ("name", "creation", "modified", "owner", "modified_by", "docstatus", "idx")


def take(day=None, commit: bool = True) -> dict:
	"""Take (or retake) the snapshot of `day` (default today): {"date", "persons", "teams"}, the
	number of rows written. The day's won amounts count from the first of its month up to now."""
	day = getdate(day or today())
	now = now_datetime()
	snap = frappe.qb.DocType(DOCTYPE)
	frappe.qb.from_(snap).delete().where(snap.snapshot_date == day).run()
	persons = _run(_person_rows(day, now))
	teams = roll_up_teams(day, now) if persons else 0
	if commit:
		# nosemgrep: frappe-manual-commit -- the delete and both inserts become visible together
		frappe.db.commit()
	return {"date": str(day), "persons": persons, "teams": teams}


def _into():
	"""INSERT INTO the snapshot table, for a SELECT to follow (INSERT … SELECT)."""
	return frappe.qb.into(frappe.qb.DocType(DOCTYPE)).columns(*_META, *KEY, *MEASURES)


def _run(insert_select) -> int:
	"""Run an INSERT … SELECT; the number of rows it wrote."""
	insert_select.run()
	return frappe.db._cursor.rowcount


def _meta(now):
	"""The standard columns of a row written without a document; `name` from the doctype's sequence."""
	return (
		LiteralValue(f"nextval(`{frappe.scrub(DOCTYPE)}_id_seq`)"),
		now,
		now,
		ValueWrapper("Administrator"),
		ValueWrapper("Administrator"),
		0,
		0,
	)


def _person_rows(day, now):
	"""One row per holder, company and currency, from Sales Opportunity."""
	opp = frappe.qb.DocType("Sales Opportunity")
	is_open = opp.status == "Open"
	won = (opp.status == "Won") & (opp.stage_entered_at >= get_datetime(get_first_day(day)))
	weighted_amount = weighted.amount_sql(opp.amount, opp.stage, weighted.stage_probabilities())
	company, currency = Coalesce(opp.company, ValueWrapper("")), Coalesce(opp.currency, ValueWrapper(""))
	return (
		_into()
		.from_(opp)
		.select(
			*_meta(now),
			day,
			opp.sales_person,
			0,
			company,
			currency,
			Sum(Case().when(is_open, 1).else_(0)),
			Coalesce(Sum(Case().when(is_open, opp.amount).else_(0)), 0),
			Coalesce(Sum(Case().when(is_open, weighted_amount).else_(0)), 0),
			Sum(Case().when(won, 1).else_(0)),
			Coalesce(Sum(Case().when(won, opp.amount).else_(0)), 0),
		)
		.where(opp.sales_person.isnotnull() & (is_open | won))
		.groupby(opp.sales_person, company, currency)
	)


def roll_up_teams(day, now=None) -> int:
	"""Write the team rows of `day` from its person rows (the day has no team rows yet): the rows
	written. Also for history generated elsewhere (the demo, the benchmark dataset)."""
	return _run(_team_rows(getdate(day), now or now_datetime()))


def _team_rows(day, now):
	"""Per group Sales Person: the sum of the day's person rows of its subtree."""
	snap = frappe.qb.DocType(DOCTYPE).as_("person_row")
	member = frappe.qb.DocType("Sales Person").as_("member")
	team = frappe.qb.DocType("Sales Person").as_("team")
	return (
		_into()
		.from_(snap)
		.join(member)
		.on(member.name == snap.sales_person)
		.join(team)
		.on(hierarchy.within(member, team.lft, team.rgt))
		.select(
			*_meta(now),
			day,
			team.name,
			1,
			snap.company,
			snap.currency,
			*(Sum(snap[m]) for m in MEASURES),
		)
		.where((snap.snapshot_date == day) & (snap.is_team == 0) & (team.is_group == 1))
		.groupby(team.name, snap.company, snap.currency)
	)


def trend(start, end, company=None, sales_person=None, scope=None) -> list[frappe._dict]:
	"""The pipeline per snapshot day from `start` to `end` (both included): the sum of the person rows
	in `scope` (a `hierarchy.Scope`; None: everyone) and, with `sales_person`, that person's subtree
	as the tree is now — someone who moved teams brings their history along. Every day a snapshot
	was taken appears, with zeros where the scope held nothing."""
	snap = frappe.qb.DocType(DOCTYPE)
	in_range = (snap.snapshot_date >= getdate(start)) & (snap.snapshot_date <= getdate(end))
	if company:
		in_range = in_range & (snap.company == company)
	days = (
		frappe.qb.from_(snap)
		.select(snap.snapshot_date)
		.distinct()
		.where(in_range)
		.orderby(snap.snapshot_date)
	).run(pluck=True)
	query = (
		frappe.qb.from_(snap)
		.select(
			snap.snapshot_date,
			*(Coalesce(Sum(snap[m]), 0).as_(m) for m in MEASURES),
		)
		.where(in_range & (snap.is_team == 0))
		.groupby(snap.snapshot_date)
	)
	if (criterion := hierarchy.subtree_filter(snap.sales_person, sales_person)) is not None:
		query = query.where(criterion)
	if scope is not None:
		query = scope.apply(query, snap.sales_person)
	sums = {r.snapshot_date: r for r in query.run(as_dict=True)}
	empty = dict.fromkeys(MEASURES, 0)
	return [frappe._dict(snapshot_date=d, **{m: (sums.get(d) or empty)[m] for m in MEASURES}) for d in days]
