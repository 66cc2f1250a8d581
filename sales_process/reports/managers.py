"""Manager Responsiveness (K5): how fast and how well each superior decides what lands on their desk.

Two kinds of work reach a superior:

- a confiscated opportunity (D3): a `Confiscate` row of the Opportunity Stage Log whose
  to_sales_person is the superior. Its fate is the first `Keep`, `Return`, `Reassign` or
  `Confiscate` row of the same opportunity after it (by `at`, then by row number): one of the first
  three is the decision; a later `Confiscate` first means it overran again in the superior's hands
  before anyone decided. Without such a row it is pending while the opportunity is open (it is
  closed undecided otherwise). A decided one went overdue again if a `Confiscate` row follows the
  decision, whatever happened in between (returned, kept or reassigned).
- a lost request (O3): a `Lost Requested` row; its superior is the parent of the requester's Sales
  Person in today's tree. The decision is the first `Lost` (approved) or `Lost Rejected` row after
  it; it escalated (K3) if an `Escalate` row came between the request and the decision (or now).

Everything is counted per superior for the items received in the period (from_date / to_date on
the moment received), so received = decided + pending + left undecided. Hours are wall-clock hours
from receiving to deciding (median and average over the decided ones); the age of the oldest
pending one is measured to now.

One query per kind: the per-item facts (fate, hours, a window MEDIAN per superior) in a derived
table, grouped by superior around it. Visibility (A1) is the superior's row in the user's scope:
managers see every superior, anyone else their own row and those below them, never a peer's.
"""

from pypika import analytics as an
from pypika.terms import ExistsCriterion, LiteralValue

import frappe
from frappe import _
from frappe.query_builder import Case, CustomFunction
from frappe.query_builder.functions import Avg, Count, Max, Min, Sum
from frappe.utils import add_days, flt, get_datetime, getdate, now_datetime

from sales_process.domain import hierarchy
from sales_process.reports import pipeline

LOG = "Opportunity Stage Log"
DECISIONS = ("Keep", "Return", "Reassign")
CONFISCATION_FATES = (*DECISIONS, "Confiscate")
LOST_DECISIONS = ("Lost", "Lost Rejected")
LOST_FATES = (*LOST_DECISIONS, "Lost Requested")
CHART_TOP = 20
HOUR = 3600.0

TimestampDiff = CustomFunction("TIMESTAMPDIFF", ["unit", "start", "end"])


def _after(later, earlier):
	"""Row `later` comes after row `earlier` of the log (same moment: the later row number)."""
	return (later.at > earlier.at) | ((later.at == earlier.at) & (later.name > earlier.name))


def _first_after(row, actions):
	"""The name of the first log row of `row`'s opportunity after it with one of `actions`."""
	n = frappe.qb.DocType(LOG).as_("n")
	return (
		frappe.qb.from_(n)
		.select(n.name)
		.where((n.opportunity == row.opportunity) & n.action.isin(actions) & _after(n, row))
		.orderby(n.at)
		.orderby(n.name)
		.limit(1)
	)


def _hours(start, end):
	return TimestampDiff(LiteralValue("SECOND"), start, end) / HOUR


def _restrict(query, received_at, superior, opp, f: frappe._dict, user: str | None):
	"""The period (on the moment received), company, superior (with team) filters and the scope."""
	query = query.where(superior.isnotnull())
	if f.from_date:
		query = query.where(received_at >= get_datetime(getdate(f.from_date)))
	if f.to_date:
		query = query.where(received_at < get_datetime(add_days(getdate(f.to_date), 1)))
	if f.company:
		query = query.where(opp.company == f.company)
	if (criterion := hierarchy.subtree_filter(superior, f.sales_person)) is not None:
		query = query.where(criterion)
	return hierarchy.apply_scope(query, superior, user)


def _count(condition):
	return Sum(Case().when(condition, 1).else_(0))


def confiscations(f: frappe._dict, user: str | None = None) -> dict[str, frappe._dict]:
	"""{superior: received, kept, returned, reassigned, decided, median_hours, avg_hours, pending,
	pending_since (the oldest), undecided (overran again or closed before a decision), overdue_again}."""
	c = frappe.qb.DocType(LOG).as_("c")
	d = frappe.qb.DocType(LOG).as_("d")
	x = frappe.qb.DocType(LOG).as_("x")
	opp = frappe.qb.DocType("Sales Opportunity")
	decided = d.action.isin(DECISIONS)
	hours = Case().when(decided, _hours(c.at, d.at))
	again = ExistsCriterion(
		frappe.qb.from_(x)
		.select(x.name)
		.where((x.opportunity == c.opportunity) & (x.action == "Confiscate") & _after(x, d))
	)
	per = (
		frappe.qb.from_(c)
		.join(opp)
		.on(opp.name == c.opportunity)
		.left_join(d)
		.on(d.name == _first_after(c, CONFISCATION_FATES))
		.select(
			c.to_sales_person.as_("superior"),
			Case().when(decided, d.action).as_("decision"),
			hours.as_("hours"),
			an.Median(hours).over(c.to_sales_person).as_("median_hours"),
			Case().when(d.name.isnull() & (opp.status == "Open"), c.at).as_("pending_since"),
			Case().when(decided & again, 1).else_(0).as_("again"),
		)
		.where(c.action == "Confiscate")
	)
	per = _restrict(per, c.at, c.to_sales_person, opp, f, user).as_("per")
	rows = (
		frappe.qb.from_(per)
		.select(
			per.superior,
			Count(per.superior).as_("received"),
			_count(per.decision == "Keep").as_("kept"),
			_count(per.decision == "Return").as_("returned"),
			_count(per.decision == "Reassign").as_("reassigned"),
			Max(per.median_hours).as_("median_hours"),
			Avg(per.hours).as_("avg_hours"),
			Count(per.pending_since).as_("pending"),
			Min(per.pending_since).as_("pending_since"),
			Sum(per.again).as_("overdue_again"),
		)
		.groupby(per.superior)
		.run(as_dict=True)
	)
	return {r.superior: r for r in rows}


def lost_requests(f: frappe._dict, user: str | None = None) -> dict[str, frappe._dict]:
	"""{superior: lost_requests, approved, rejected, lost_median_hours, lost_avg_hours, lost_pending,
	lost_pending_since, escalated}."""
	r = frappe.qb.DocType(LOG).as_("r")
	d = frappe.qb.DocType(LOG).as_("d")
	e = frappe.qb.DocType(LOG).as_("e")
	sp = frappe.qb.DocType("Sales Person")
	opp = frappe.qb.DocType("Sales Opportunity")
	decided = d.action.isin(LOST_DECISIONS)
	hours = Case().when(decided, _hours(r.at, d.at))
	escalated = ExistsCriterion(
		frappe.qb.from_(e)
		.select(e.name)
		.where(
			(e.opportunity == r.opportunity)
			& (e.action == "Escalate")
			& _after(e, r)
			& (d.name.isnull() | _after(d, e))
		)
	)
	superior = sp.parent_sales_person
	per = (
		frappe.qb.from_(r)
		.join(sp)
		.on(sp.name == r.from_sales_person)
		.join(opp)
		.on(opp.name == r.opportunity)
		.left_join(d)
		.on(d.name == _first_after(r, LOST_FATES))
		.select(
			superior.as_("superior"),
			Case().when(decided, d.action).as_("decision"),
			hours.as_("hours"),
			an.Median(hours).over(superior).as_("median_hours"),
			Case().when(d.name.isnull() & (opp.status == "Open"), r.at).as_("pending_since"),
			Case().when(escalated, 1).else_(0).as_("escalated"),
		)
		.where((r.action == "Lost Requested") & (superior != ""))
	)
	per = _restrict(per, r.at, superior, opp, f, user).as_("per")
	rows = (
		frappe.qb.from_(per)
		.select(
			per.superior,
			Count(per.superior).as_("lost_requests"),
			_count(per.decision == "Lost").as_("approved"),
			_count(per.decision == "Lost Rejected").as_("rejected"),
			Max(per.median_hours).as_("lost_median_hours"),
			Avg(per.hours).as_("lost_avg_hours"),
			Count(per.pending_since).as_("lost_pending"),
			Min(per.pending_since).as_("lost_pending_since"),
			Sum(per.escalated).as_("escalated"),
		)
		.groupby(per.superior)
		.run(as_dict=True)
	)
	return {r.superior: r for r in rows}


def _round(value, digits: int = 2):
	return None if value is None else round(flt(value), digits)


def _age(since, now) -> float | None:
	return None if not since else round((now - get_datetime(since)).total_seconds() / HOUR, 2)


def responsiveness(filters=None, user: str | None = None) -> list[dict]:
	"""One row per superior who received a confiscated opportunity or a lost request in the period,
	within the user's scope; the slowest (median hours to decide a confiscation) first."""
	f = pipeline.filters_of(filters)
	now = now_datetime()
	taken = confiscations(f, user)
	asked = lost_requests(f, user)
	rows = []
	for superior in set(taken) | set(asked):
		t = taken.get(superior) or frappe._dict()
		a = asked.get(superior) or frappe._dict()
		kept, returned, reassigned = int(t.kept or 0), int(t.returned or 0), int(t.reassigned or 0)
		decided = kept + returned + reassigned
		received, pending = int(t.received or 0), int(t.pending or 0)
		again = int(t.overdue_again or 0)
		rows.append(
			{
				"superior": superior,
				"received": received,
				"kept": kept,
				"returned": returned,
				"reassigned": reassigned,
				"decided": decided,
				"median_hours": _round(t.median_hours),
				"avg_hours": _round(t.avg_hours),
				"pending": pending,
				"oldest_pending_hours": _age(t.pending_since, now),
				"undecided": received - decided - pending,
				"overdue_again": again,
				"overdue_again_rate": round(100 * again / decided, 1) if decided else None,
				"lost_requests": int(a.lost_requests or 0),
				"approved": int(a.approved or 0),
				"rejected": int(a.rejected or 0),
				"lost_median_hours": _round(a.lost_median_hours),
				"lost_avg_hours": _round(a.lost_avg_hours),
				"lost_pending": int(a.lost_pending or 0),
				"oldest_lost_pending_hours": _age(a.lost_pending_since, now),
				"escalated": int(a.escalated or 0),
			}
		)
	rows.sort(key=lambda r: (r["median_hours"] is None, -(r["median_hours"] or 0), r["superior"]))
	return rows


def chart(rows: list[dict]) -> dict:
	top = rows[:CHART_TOP]
	return {
		"data": {
			"labels": [r["superior"] for r in top],
			"datasets": [
				{
					"name": _("Median Hours to Decide a Confiscation"),
					"values": [r["median_hours"] or 0 for r in top],
				},
				{
					"name": _("Median Hours to Decide a Lost Request"),
					"values": [r["lost_median_hours"] or 0 for r in top],
				},
			],
		},
		"type": "bar",
		"colors": ["#ff8f3e", "#7575ff"],
	}


def summary(rows: list[dict]) -> list[dict]:
	decided = sum(r["decided"] for r in rows)
	again = sum(r["overdue_again"] for r in rows)
	pending = sum(r["pending"] + r["lost_pending"] for r in rows)
	ages = [a for r in rows for a in (r["oldest_pending_hours"], r["oldest_lost_pending_hours"]) if a]
	escalated = sum(r["escalated"] for r in rows)
	return [
		{"label": _("Confiscations Received"), "value": sum(r["received"] for r in rows), "datatype": "Int"},
		{"label": _("Decided", context="Manager Responsiveness"), "value": decided, "datatype": "Int"},
		{
			"label": _("Overdue Again After a Decision"),
			"value": round(100 * again / decided, 1) if decided else 0,
			"datatype": "Percent",
			"indicator": "Red" if again else "Green",
		},
		{
			"label": _("Lost Requests Received"),
			"value": sum(r["lost_requests"] for r in rows),
			"datatype": "Int",
		},
		{
			"label": _("Pending Decisions"),
			"value": pending,
			"datatype": "Int",
			"indicator": "Orange" if pending else "Green",
		},
		{
			"label": _("Oldest Pending (Hours)"),
			"value": max(ages) if ages else 0,
			"datatype": "Float",
			"indicator": "Red" if ages else "Green",
		},
		{
			"label": _("Escalated Lost Requests"),
			"value": escalated,
			"datatype": "Int",
			"indicator": "Red" if escalated else "Green",
		},
	]
