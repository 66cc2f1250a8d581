# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Sales Funnel (R1): per stage — opportunities, amount, weighted amount, conversion to the next
stage, average days in the stage, overdue. The numbers come from sales_process.reports.pipeline."""

import frappe
from frappe import _

from sales_process.reports import pipeline


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	rows = pipeline.funnel(filters)
	measure = filters.chart_on if filters.chart_on in pipeline.FUNNEL_CHART_MEASURES else "Amount"
	return columns(), rows, None, pipeline.funnel_chart(rows, measure), summary(rows)


def summary(rows: list[dict]) -> list[dict]:
	def total(field, kind=None):
		return sum(r[field] for r in rows if kind is None or r["kind"] == kind)

	currency = rows[0]["currency"] if rows else None
	return [
		{"label": _("Open Opportunities"), "value": total("count", "Open"), "datatype": "Int"},
		{
			"label": _("Open Amount"),
			"value": total("amount", "Open"),
			"datatype": "Currency",
			"currency": currency,
		},
		{
			"label": _("Weighted Open Amount"),
			"value": total("weighted_amount", "Open"),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Blue",
		},
		{
			"label": _("Won Amount"),
			"value": total("amount", "Won"),
			"datatype": "Currency",
			"currency": currency,
			"indicator": "Green",
		},
		{"label": _("Overdue"), "value": total("overdue"), "datatype": "Int", "indicator": "Red"},
	]


def columns() -> list[dict]:
	return [
		{
			"fieldname": "stage",
			"label": _("Stage"),
			"fieldtype": "Link",
			"options": "Sales Process Stage",
			"width": 140,
		},
		{"fieldname": "probability", "label": _("Probability"), "fieldtype": "Percent", "width": 100},
		{"fieldname": "count", "label": _("Opportunities"), "fieldtype": "Int", "width": 110},
		{
			"fieldname": "amount",
			"label": _("Amount"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 130,
		},
		{
			"fieldname": "weighted_amount",
			"label": _("Weighted Amount"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 140,
		},
		{"fieldname": "entered", "label": _("Entered Stage"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "next_stage",
			"label": _("Next Stage"),
			"fieldtype": "Link",
			"options": "Sales Process Stage",
			"width": 130,
		},
		{"fieldname": "converted", "label": _("Reached Next Stage"), "fieldtype": "Int", "width": 140},
		{
			"fieldname": "conversion_rate",
			"label": _("Conversion to Next Stage"),
			"fieldtype": "Percent",
			"width": 170,
		},
		{
			"fieldname": "avg_days",
			"label": _("Average Days in Stage"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 160,
		},
		{"fieldname": "overdue", "label": _("Overdue"), "fieldtype": "Int", "width": 90},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
