# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""False Report Analysis (L5): entries flagged by the false-report rules, each with its
explanation; flag counts per person or per stage; and the early warning of falling curves.
The numbers come from sales_process.reports."""

import frappe
from frappe import _
from frappe.utils import add_days, today

from sales_process.reports import daily_logs

VIEWS = ("Flags", "By Sales Person", "By Stage", "Early Warning")


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date = filters.from_date or add_days(today(), -29)
	to_date = filters.to_date or today()
	view = filters.view or "Flags"
	if view not in VIEWS:
		frappe.throw(_("Unknown view {0}.").format(view), frappe.ValidationError)

	if view == "Flags":
		flags = daily_logs.false_report_flags(from_date, to_date, sales_person=filters.sales_person)
		counts = {rule: 0 for rule in daily_logs.RULES}
		for flag in flags:  # the flags shown, not the logs
			counts[flag["rule"]] += 1
		chart = daily_logs.count_chart(
			[daily_logs.rule_label(rule) for rule in daily_logs.RULES],
			[(_("Flags"), [counts[rule] for rule in daily_logs.RULES])],
		)
		return flag_columns(), flags, None, chart

	if view == "Early Warning":
		warnings = daily_logs.early_warning(to_date, sales_person=filters.sales_person)
		chart = daily_logs.count_chart(
			[w["sales_person"] for w in warnings[: daily_logs.CHART_SERIES]],
			[
				(
					_("Minutes Decline (%)"),
					[w["minutes_decline"] for w in warnings[: daily_logs.CHART_SERIES]],
				),
				(
					_("Effective Score Decline (%)"),
					[w["effective_score_decline"] for w in warnings[: daily_logs.CHART_SERIES]],
				),
			],
		)
		chart["barOptions"] = {"stacked": 0}
		return warning_columns(), warnings, None, chart

	by = "Sales Person" if view == "By Sales Person" else "Stage"
	summary = daily_logs.false_report_summary(from_date, to_date, by=by, sales_person=filters.sales_person)
	key = "sales_person" if by == "Sales Person" else "stage"
	shown = summary[: daily_logs.CHART_SERIES]
	chart = daily_logs.count_chart(
		[row[key] or _("No Opportunity") for row in shown],
		[(daily_logs.rule_label(rule), [row[rule] for row in shown]) for rule in daily_logs.RULES],
	)
	return summary_columns(by), summary, None, chart


def flag_columns() -> list[dict]:
	return [
		{
			"fieldname": "entry",
			"label": _("Log Entry"),
			"fieldtype": "Link",
			"options": "Sales Daily Log",
			"width": 90,
		},
		{"fieldname": "log_date", "label": _("Log Date"), "fieldtype": "Date", "width": 100},
		{
			"fieldname": "sales_person",
			"label": _("Sales Person"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 150,
		},
		{
			"fieldname": "customer",
			"label": _("Customer"),
			"fieldtype": "Link",
			"options": "Customer",
			"width": 150,
		},
		{
			"fieldname": "opportunity",
			"label": _("Sales Opportunity"),
			"fieldtype": "Link",
			"options": "Sales Opportunity",
			"width": 140,
		},
		{
			"fieldname": "stage",
			"label": _("Stage"),
			"fieldtype": "Link",
			"options": "Sales Process Stage",
			"width": 120,
		},
		{"fieldname": "rule_label", "label": _("Rule"), "fieldtype": "Data", "width": 150},
		{"fieldname": "explanation", "label": _("Explanation"), "fieldtype": "Data", "width": 520},
	]


def summary_columns(by: str) -> list[dict]:
	first = (
		{
			"fieldname": "sales_person",
			"label": _("Sales Person"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 180,
		}
		if by == "Sales Person"
		else {
			"fieldname": "stage",
			"label": _("Stage"),
			"fieldtype": "Link",
			"options": "Sales Process Stage",
			"width": 180,
		}
	)
	return [
		first,
		*(
			{"fieldname": rule, "label": daily_logs.rule_label(rule), "fieldtype": "Int", "width": 140}
			for rule in daily_logs.RULES
		),
		{"fieldname": "total", "label": _("Total Flags"), "fieldtype": "Int", "width": 110},
	]


def warning_columns() -> list[dict]:
	return [
		{
			"fieldname": "sales_person",
			"label": _("Sales Person"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 160,
		},
		{
			"fieldname": "baseline_minutes",
			"label": _("Minutes per 14 Days Before"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 130,
		},
		{
			"fieldname": "recent_minutes",
			"label": _("Minutes, Last 14 Days"),
			"fieldtype": "Float",
			"width": 130,
		},
		{
			"fieldname": "minutes_decline",
			"label": _("Minutes Decline (%)"),
			"fieldtype": "Percent",
			"width": 120,
		},
		{
			"fieldname": "baseline_effective_score",
			"label": _("Effective Score per 14 Days Before"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 130,
		},
		{
			"fieldname": "recent_effective_score",
			"label": _("Effective Score, Last 14 Days"),
			"fieldtype": "Float",
			"width": 130,
		},
		{
			"fieldname": "effective_score_decline",
			"label": _("Effective Score Decline (%)"),
			"fieldtype": "Percent",
			"width": 120,
		},
		{"fieldname": "explanation", "label": _("Explanation"), "fieldtype": "Data", "width": 520},
	]
