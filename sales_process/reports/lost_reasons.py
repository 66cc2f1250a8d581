"""Lost Reason Analysis (K8): why opportunities were lost, by reason, by the stage they were lost at
or by sales person, with their amount.

An opportunity counts in the period it was closed as lost: status Lost and `stage_entered_at` (when it
entered the lost stage) within from_date..to_date — the same closing date the forecast uses for won
opportunities, and the only one imported and migrated opportunities have (they carry no Lost log row).
The stage lost at is the `from_stage` of its Lost row in the Opportunity Stage Log: the stage it was in
when the lost request was made (a pending request blocks stage moves); "not recorded" for imported and
migrated ones. The sales person is the owner, who cannot change once the opportunity is closed.

Amounts are summed as stored and shown in the company's currency, as in the pipeline reports. Every
number is aggregated in SQL (frappe.qb): one row per lost opportunity in a derived table, grouped once;
the shares and the totals come from those grouped rows. Data scope (A1): the opportunities of the
user's Sales Person subtree (`pipeline.scope`, the scope of the other opportunity reports).
"""

from pypika import Order

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce, Count, Sum
from frappe.utils import add_days, flt, get_datetime, getdate

from sales_process.domain import hierarchy
from sales_process.reports.pipeline import _rate, _round, currency_of, scope
from sales_process.reports.pipeline import filters_of as _dates

GROUPINGS = ("Reason", "Stage Lost At", "Sales Person")
CHART_MEASURES = ("Amount", "Count")
CHART_TOP = 12  # slices in the chart; the rest are one "All Others" slice


def _filters(filters) -> frappe._dict:
	f = _dates(filters)
	f.group_by = f.group_by or "Reason"
	if f.group_by not in GROUPINGS:
		frappe.throw(
			_("Group By must be one of: {0}").format(", ".join(_(g) for g in GROUPINGS)),
			frappe.ValidationError,
		)
	return f


def lost_in_period(f: frappe._dict, user: str | None = None):
	"""One row per opportunity lost in the period within the filters and the user's scope: name,
	reason, sales_person, amount, stage_lost_at (a derived table for `analysis`)."""
	opp, log = frappe.qb.DocType("Sales Opportunity"), frappe.qb.DocType("Opportunity Stage Log")
	stage_lost_at = (
		frappe.qb.from_(log)
		.select(log.from_stage)
		.where((log.opportunity == opp.name) & (log.action == "Lost"))
		.orderby(log.at, order=Order.desc)
		.limit(1)
	)
	query = frappe.qb.from_(opp).select(
		opp.name,
		opp.lost_reason.as_("reason"),
		opp.sales_person,
		opp.amount,
		stage_lost_at.as_("stage_lost_at"),
	)
	query = query.where(opp.status == "Lost")
	if f.from_date:
		query = query.where(opp.stage_entered_at >= get_datetime(getdate(f.from_date)))
	if f.to_date:
		query = query.where(opp.stage_entered_at < get_datetime(add_days(getdate(f.to_date), 1)))
	if f.company:
		query = query.where(opp.company == f.company)
	if f.lost_reason:
		query = query.where(opp.lost_reason == f.lost_reason)
	if (criterion := hierarchy.subtree_filter(opp.sales_person, f.sales_person)) is not None:
		query = query.where(criterion)
	return scope(query, opp.sales_person, user)


def analysis(filters=None, user: str | None = None) -> frappe._dict:
	"""Per group (reason, stage lost at or sales person): count and amount of the opportunities lost
	in the period, their share of the period's lost count and amount (%), the average amount.
	Returns rows (largest amount first), the totals and the currency."""
	f = _filters(filters)
	lost = lost_in_period(f, user).as_("lost")
	key = {"Reason": lost.reason, "Stage Lost At": lost.stage_lost_at, "Sales Person": lost.sales_person}[
		f.group_by
	]
	query = (
		frappe.qb.from_(lost)
		.select(
			key.as_("group_value"), Count(lost.name).as_("count"), Coalesce(Sum(lost.amount), 0).as_("amount")
		)
		.groupby(key)
	)
	if f.stage_lost_at:
		query = query.where(lost.stage_lost_at == f.stage_lost_at)
	grouped = query.run(as_dict=True)

	total_count = sum(r["count"] for r in grouped)
	total_amount = sum(flt(r.amount) for r in grouped)
	currency = currency_of(f.company)
	rows = [
		{
			"group_value": r.group_value,
			"count": r["count"],
			"amount": _round(r.amount),
			"count_share": _rate(r["count"], total_count),
			"amount_share": _rate(r.amount, total_amount),
			"average_amount": _round(flt(r.amount) / r["count"]),
			"currency": currency,
		}
		for r in grouped
	]
	rows.sort(key=lambda r: (-r["amount"], -r["count"], r["group_value"] or ""))
	return frappe._dict(
		rows=rows,
		group_by=f.group_by,
		count=total_count,
		amount=_round(total_amount),
		currency=currency,
	)


def label(group_by: str, value: str | None) -> str:
	"""What a group is called on screen: reasons and stages translated; an empty group named."""
	if not value:
		return {
			"Reason": _("No Reason Given"),
			"Stage Lost At": _("Not Recorded (imported)"),
			"Sales Person": _("Not Set"),
		}[group_by]
	return value if group_by == "Sales Person" else _(value)


def chart(result: frappe._dict, measure: str = "Amount") -> dict:
	"""A pie of the lost amount (or count) per group; beyond CHART_TOP groups, one "All Others" slice."""
	field = "count" if measure == "Count" else "amount"
	rows = sorted(result.rows, key=lambda r: -r[field])
	labels = [label(result.group_by, r["group_value"]) for r in rows[:CHART_TOP]]
	values = [r[field] for r in rows[:CHART_TOP]]
	if len(rows) > CHART_TOP:
		labels.append(_("All Others"))
		values.append(_round(sum(r[field] for r in rows[CHART_TOP:])))
	return {
		"data": {
			"labels": labels,
			"datasets": [
				{"name": _("Lost Amount") if field == "amount" else _("Lost Opportunities"), "values": values}
			],
		},
		"type": "pie",
	}
