# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Stage Duration Analysis (R3): time in each stage, overdue and confiscation rates — the
bottlenecks of the process. The numbers come from sales_process.reports.pipeline."""

import frappe
from frappe import _

from sales_process.reports import pipeline


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	rows = pipeline.stage_duration(filters)
	return columns(), rows, None, pipeline.stage_duration_chart(rows), summary(rows)


def summary(rows: list[dict]) -> list[dict]:
	entries = sum(r["entries"] for r in rows)
	overdue = sum(r["overdue"] for r in rows)
	confiscations = sum(r["confiscations"] for r in rows)
	worst = max(rows, key=lambda r: (r["overdue_rate"] or 0, r["avg_days"] or 0), default=None)
	items = [
		{"label": _("Stage Entries"), "value": entries, "datatype": "Int"},
		{
			"label": _("Overdue Rate"),
			"value": round(100 * overdue / entries, 1) if entries else 0,
			"datatype": "Percent",
			"indicator": "Red" if overdue else "Green",
		},
		{"label": _("Confiscations"), "value": confiscations, "datatype": "Int", "indicator": "Orange"},
	]
	if worst and worst["overdue_rate"]:
		items.append(
			{
				"label": _("Bottleneck Stage"),
				"value": _(worst["stage"]),
				"datatype": "Data",
				"indicator": "Red",
			}
		)
	return items


def columns() -> list[dict]:
	return [
		{
			"fieldname": "stage",
			"label": _("Stage"),
			"fieldtype": "Link",
			"options": "Sales Process Stage",
			"width": 140,
		},
		{"fieldname": "time_limit_days", "label": _("Time Limit (Days)"), "fieldtype": "Int", "width": 120},
		{"fieldname": "entries", "label": _("Entries"), "fieldtype": "Int", "width": 90},
		{"fieldname": "completed", "label": _("Completed Stays"), "fieldtype": "Int", "width": 120},
		{
			"fieldname": "avg_days",
			"label": _("Average Days"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 110,
		},
		{
			"fieldname": "max_days",
			"label": _("Longest Stay (Days)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 140,
		},
		{"fieldname": "open_now", "label": _("Open Now"), "fieldtype": "Int", "width": 90},
		{"fieldname": "overdue", "label": _("Overdue"), "fieldtype": "Int", "width": 90},
		{"fieldname": "overdue_rate", "label": _("Overdue Rate"), "fieldtype": "Percent", "width": 110},
		{"fieldname": "confiscations", "label": _("Confiscations"), "fieldtype": "Int", "width": 110},
		{
			"fieldname": "confiscation_rate",
			"label": _("Confiscation Rate"),
			"fieldtype": "Percent",
			"width": 130,
		},
	]
