"""Help-alert statistics (H4), aggregated in SQL.

Per reason, stage, sales person (the raiser) or team (the raiser's parent): alerts, time to the
first response, support rate (alerts that got at least one response), resolution rate, average
time to resolution; and the helpers' ranking by effective answers and by responses. Visibility
follows the help-alert setting (A3): company-wide, or the user's hierarchy."""

from pypika.terms import CustomFunction, LiteralValue

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Avg, Count, Sum
from frappe.utils import add_days, getdate

from sales_process.domain import hierarchy

TimestampDiff = CustomFunction("TIMESTAMPDIFF", ["unit", "start", "end"])
GROUPS = ("Reason", "Stage", "Sales Person", "Team")


def _restricted(field, query, user):
	"""The help-alert visibility (A3) on `field`, the same scope as the desk's Help Alert list."""
	return hierarchy.visibility_scope("help_alert_scope", user).apply(query, field)


def _period(field, from_date, to_date):
	return (field >= getdate(from_date)) & (field < add_days(getdate(to_date), 1))


def statistics(from_date, to_date, group_by: str = "Reason", user: str | None = None) -> list[dict]:
	if group_by not in GROUPS:
		frappe.throw(_("Group by must be one of: {0}").format(", ".join(_(g) for g in GROUPS)))
	alert = frappe.qb.DocType("Help Alert")
	sp = frappe.qb.DocType("Sales Person")
	key = {
		"Reason": alert.reason,
		"Stage": alert.stage,
		"Sales Person": alert.raised_by_sales_person,
		"Team": sp.parent_sales_person,
	}[group_by]
	hours = 3600.0
	responded = Case().when(alert.first_response_at.isnotnull(), 1).else_(0)
	resolved = Case().when(alert.status == "Resolved", 1).else_(0)
	query = (
		frappe.qb.from_(alert)
		.left_join(sp)
		.on(sp.name == alert.raised_by_sales_person)
		.select(
			key.as_("group_value"),
			Count(alert.name).as_("alerts"),
			Sum(responded).as_("responded"),
			Sum(resolved).as_("resolved"),
			(
				Avg(TimestampDiff(LiteralValue("SECOND"), alert.raised_at, alert.first_response_at)) / hours
			).as_("avg_hours_to_first_response"),
			(
				Avg(
					Case()
					.when(
						alert.status == "Resolved",
						TimestampDiff(LiteralValue("SECOND"), alert.raised_at, alert.resolved_at),
					)
					.else_(None)
				)
				/ hours
			).as_("avg_hours_to_resolution"),
		)
		.where(_period(alert.raised_at, from_date, to_date))
		.groupby(key)
		.orderby(Count(alert.name), order=frappe.qb.desc)
	)
	rows = _restricted(alert.raised_by_sales_person, query, user).run(as_dict=True)
	for r in rows:
		r.responded, r.resolved = int(r.responded or 0), int(r.resolved or 0)
		r.support_rate = round(100.0 * r.responded / r.alerts, 1) if r.alerts else 0
		r.resolution_rate = round(100.0 * r.resolved / r.alerts, 1) if r.alerts else 0
		for f in ("avg_hours_to_first_response", "avg_hours_to_resolution"):
			r[f] = round(float(r[f]), 2) if r[f] is not None else None
	return rows


def helper_ranking(from_date, to_date, user: str | None = None) -> list[dict]:
	"""Responders ranked by effective answers, then by responses (answers given in the period)."""
	resp = frappe.qb.DocType("Help Alert Response")
	alert = frappe.qb.DocType("Help Alert")
	effective = Sum(Case().when(resp.is_effective == 1, 1).else_(0))
	query = (
		frappe.qb.from_(resp)
		.join(alert)
		.on((alert.name == resp.parent) & (resp.parenttype == "Help Alert"))
		.select(
			resp.responder_sales_person.as_("sales_person"),
			resp.responder.as_("user"),
			Count(resp.name).as_("responses"),
			effective.as_("effective_answers"),
		)
		.where(_period(resp.responded_at, from_date, to_date))
		.groupby(resp.responder_sales_person, resp.responder)
		.orderby(effective, order=frappe.qb.desc)
		.orderby(Count(resp.name), order=frappe.qb.desc)
	)
	rows = _restricted(alert.raised_by_sales_person, query, user).run(as_dict=True)
	for rank, r in enumerate(rows, 1):
		r.rank = rank
		r.effective_answers = int(r.effective_answers or 0)
	return rows


def responses_per_sales_person(from_date, to_date):
	"""A query of (sales_person, help_given) for the leaderboard: responses given in the period."""
	resp = frappe.qb.DocType("Help Alert Response")
	return (
		frappe.qb.from_(resp)
		.select(resp.responder_sales_person.as_("sales_person"), Count(resp.name).as_("help_given"))
		.where(
			(resp.parenttype == "Help Alert")
			& resp.responder_sales_person.isnotnull()
			& _period(resp.responded_at, from_date, to_date)
		)
		.groupby(resp.responder_sales_person)
	)
