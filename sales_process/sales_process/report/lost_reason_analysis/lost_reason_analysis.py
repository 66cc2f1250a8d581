# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Lost Reason Analysis (K8): opportunities lost in the period by reason, stage lost at or sales
person — count, amount, shares. The numbers come from sales_process.reports.lost_reasons."""

import frappe
from frappe import _

from sales_process.reports import lost_reasons


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	result = lost_reasons.analysis(filters)
	for r in result.rows:
		r["group_label"] = lost_reasons.label(result.group_by, r["group_value"])
	measure = filters.chart_on if filters.chart_on in lost_reasons.CHART_MEASURES else "Amount"
	return columns(result.group_by), result.rows, None, lost_reasons.chart(result, measure), summary(result)


def summary(result) -> list[dict]:
	top = result.rows[0] if result.rows else None
	return [
		{"label": _("Lost Opportunities"), "value": result.count, "datatype": "Int", "indicator": "Red"},
		{
			"label": _("Lost Amount"),
			"value": result.amount,
			"datatype": "Currency",
			"currency": result.currency,
			"indicator": "Red",
		},
		{
			"label": _("Average Lost Amount"),
			"value": round(result.amount / result.count, 2) if result.count else 0,
			"datatype": "Currency",
			"currency": result.currency,
		},
		{
			"label": _("Largest by Amount"),
			"value": lost_reasons.label(result.group_by, top["group_value"]) if top else "",
			"datatype": "Data",
			"indicator": "Orange",
		},
	]


def columns(group_by: str) -> list[dict]:
	options = {"Reason": "Sales Lost Reason", "Stage Lost At": "Sales Process Stage"}.get(
		group_by, "Sales Person"
	)
	return [
		{"fieldname": "group_label", "label": _(group_by), "fieldtype": "Data", "width": 200},
		{"fieldname": "count", "label": _("Lost Opportunities"), "fieldtype": "Int", "width": 140},
		{"fieldname": "count_share", "label": _("Share of Count (%)"), "fieldtype": "Percent", "width": 140},
		{
			"fieldname": "amount",
			"label": _("Lost Amount"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 140,
		},
		{
			"fieldname": "amount_share",
			"label": _("Share of Amount (%)"),
			"fieldtype": "Percent",
			"width": 150,
		},
		{
			"fieldname": "average_amount",
			"label": _("Average Lost Amount"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 150,
		},
		{
			"fieldname": "group_value",
			"label": _(group_by),
			"fieldtype": "Link",
			"options": options,
			"hidden": 1,
		},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
