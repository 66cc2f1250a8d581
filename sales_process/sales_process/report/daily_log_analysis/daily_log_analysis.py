# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Daily Log Analysis (L4): diligence (minutes) and ability (effective score) per person or team,
per day or month, with the curve as a line chart, and the days below the minimum daily standard
(K6) with the standard in the summary. The numbers come from sales_process.reports."""

import frappe
from frappe import _
from frappe.utils import add_days, today

from sales_process.reports import daily_logs


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date = filters.from_date or add_days(today(), -29)
	to_date = filters.to_date or today()
	period = filters.period or "Daily"
	group_by = filters.group_by or "Sales Person"
	measure = "effective_score" if filters.chart_on == "Effective Score" else "minutes"

	rows = daily_logs.diligence_ability(
		from_date, to_date, period=period, sales_person=filters.sales_person, group_by=group_by
	)
	key = "sales_person" if group_by == "Sales Person" else "team"
	labels = daily_logs.period_labels(from_date, to_date, period)
	chart = daily_logs.curve_chart(rows, key, measure, labels)
	data = daily_logs.with_days_below(
		rows, from_date, to_date, period, sales_person=filters.sales_person, group_by=group_by
	)
	standard = daily_logs.standard_summary(from_date, to_date, sales_person=filters.sales_person)
	return columns(group_by, period), data, None, chart, report_summary(standard)


def report_summary(standard: dict) -> list[dict]:
	"""The standard (K6) and how the period measured up to it."""
	off = _("Off", context="Daily Standard")
	return [
		{
			"label": _("Minimum Minutes per Day"),
			"value": standard["min_minutes"] or off,
			"datatype": "Int" if standard["min_minutes"] else "Data",
		},
		{
			"label": _("Minimum Effective Score per Day"),
			"value": standard["min_score"] or off,
			"datatype": "Float" if standard["min_score"] else "Data",
		},
		{"label": _("Working Days (All People)"), "value": standard["working_days"], "datatype": "Int"},
		{
			"label": _("Days Below Standard"),
			"value": standard["days_below"],
			"datatype": "Int",
			"indicator": "Red" if standard["days_below"] else "Green",
		},
		{
			"label": _("People Below Standard"),
			"value": _("{0} of {1}").format(standard["people_below"], standard["people"]),
			"datatype": "Data",
		},
	]


def columns(group_by: str, period: str) -> list[dict]:
	return [
		{
			"fieldname": "period",
			"label": _("Day") if period == "Daily" else _("Month"),
			"fieldtype": "Date" if period == "Daily" else "Data",
			"width": 110,
		},
		{
			"fieldname": "sales_person" if group_by == "Sales Person" else "team",
			"label": _("Sales Person") if group_by == "Sales Person" else _("Team"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 180,
		},
		{"fieldname": "entries", "label": _("Entries"), "fieldtype": "Int", "width": 90},
		{"fieldname": "minutes", "label": _("Minutes (Diligence)"), "fieldtype": "Int", "width": 140},
		{
			"fieldname": "effective_score",
			"label": _("Effective Score (Ability)"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 160,
		},
		{
			"fieldname": "cost",
			"label": _("Cost", context="Sales Daily Log"),
			"fieldtype": "Currency",
			"width": 120,
		},
		{
			"fieldname": "days_below_standard",
			"label": _("Days Below Standard"),
			"fieldtype": "Int",
			"width": 150,
		},
	]
