# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Trial Period Comparison (L7): a new salesperson's weekly minutes and effective score against the
average of their teammates at the same week of tenure. The numbers come from sales_process.reports."""

import frappe
from frappe import _

from sales_process.reports import daily_logs


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	if not filters.sales_person:
		return columns(), [], _("Choose a Sales Person."), None
	measure = "effective_score" if filters.chart_on == "Effective Score" else "minutes"
	rows = daily_logs.trial_comparison(filters.sales_person, as_of=filters.as_of)
	label = _("Effective Score") if measure == "effective_score" else _("Minutes")
	chart = {
		"data": {
			"labels": [_("Week {0}").format(row["week"]) for row in rows],
			"datasets": [
				{
					"name": _("{0}: {1}").format(filters.sales_person, label),
					"values": [row[measure] for row in rows],
				},
				{
					"name": _("Team Average: {0}").format(label),
					"values": [row[f"team_{measure}"] for row in rows],
				},
			],
		},
		"type": "line",
		"axisOptions": {"xIsSeries": 1},
	}
	return columns(), rows, None, chart


def columns() -> list[dict]:
	return [
		{"fieldname": "week", "label": _("Tenure Week"), "fieldtype": "Int", "width": 100},
		{"fieldname": "week_start", "label": _("Week Starting"), "fieldtype": "Date", "width": 110},
		{"fieldname": "minutes", "label": _("Minutes"), "fieldtype": "Int", "width": 100},
		{"fieldname": "team_minutes", "label": _("Team Average Minutes"), "fieldtype": "Float", "width": 160},
		{
			"fieldname": "effective_score",
			"label": _("Effective Score"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 120,
		},
		{
			"fieldname": "team_effective_score",
			"label": _("Team Average Effective Score"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 190,
		},
		{"fieldname": "teammates", "label": _("Teammates Compared"), "fieldtype": "Int", "width": 150},
	]
