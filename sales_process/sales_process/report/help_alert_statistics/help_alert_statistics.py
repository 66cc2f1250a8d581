# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _

from sales_process.reports import help_alerts


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	if filters.get("view") == "Helper Ranking":
		return _helpers(filters)
	group_by = filters.get("group_by") or "Reason"
	rows = help_alerts.statistics(filters.from_date, filters.to_date, group_by)
	columns = [
		{"fieldname": "group_value", "label": _(group_by), "fieldtype": "Data", "width": 180},
		{"fieldname": "alerts", "label": _("Alerts"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "avg_hours_to_first_response",
			"label": _("Avg Hours to First Response"),
			"fieldtype": "Float",
			"width": 150,
		},
		{"fieldname": "support_rate", "label": _("Support Rate (%)"), "fieldtype": "Percent", "width": 120},
		{"fieldname": "resolved", "label": _("Resolved Alerts"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "resolution_rate",
			"label": _("Resolution Rate (%)"),
			"fieldtype": "Percent",
			"width": 130,
		},
		{
			"fieldname": "avg_hours_to_resolution",
			"label": _("Avg Hours to Resolution"),
			"fieldtype": "Float",
			"width": 150,
		},
	]
	for r in rows:
		if group_by in ("Reason", "Stage") and r.group_value:
			r.group_value = _(r.group_value)
		elif group_by == "Stage":
			r.group_value = _("On a customer (no opportunity)")  # K8: no stage to snapshot
	chart = {
		"data": {
			"labels": [r.group_value or _("Not Set") for r in rows],
			"datasets": [
				{"name": _("Alerts"), "values": [r.alerts for r in rows]},
				{"name": _("Resolved Alerts"), "values": [r.resolved for r in rows]},
			],
		},
		"type": "bar",
		"colors": ["#ff5858", "#29cd42"],
	}
	return columns, rows, None, chart


def _helpers(filters):
	rows = help_alerts.helper_ranking(filters.from_date, filters.to_date)
	columns = [
		{"fieldname": "rank", "label": _("Rank"), "fieldtype": "Int", "width": 70},
		{
			"fieldname": "sales_person",
			"label": _("Sales Person"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 180,
		},
		{"fieldname": "user", "label": _("User"), "fieldtype": "Link", "options": "User", "width": 200},
		{"fieldname": "effective_answers", "label": _("Effective Answers"), "fieldtype": "Int", "width": 130},
		{"fieldname": "responses", "label": _("Responses"), "fieldtype": "Int", "width": 110},
	]
	chart = {
		"data": {
			"labels": [r.sales_person or r.user for r in rows[:20]],
			"datasets": [
				{"name": _("Effective Answers"), "values": [r.effective_answers for r in rows[:20]]},
				{"name": _("Responses"), "values": [r.responses for r in rows[:20]]},
			],
		},
		"type": "bar",
	}
	return columns, rows, None, chart
