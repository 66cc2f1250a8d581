# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Contract Billing and Collection (R4, for accountants): per customer contract — contract amount,
ordered, invoiced, collected, outstanding, overdue payment-schedule amount and days overdue, from
Contract → Sales Order → Sales Invoice → Payment Entry. The numbers come from
sales_process.reports.pipeline."""

import frappe
from frappe import _

from sales_process.reports import pipeline


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	rows = pipeline.contract_billing(filters)
	return columns(), rows, None, pipeline.contract_billing_chart(rows), summary(rows)


def summary(rows: list[dict]) -> list[dict]:
	currency = rows[0]["currency"] if rows else pipeline.currency_of()
	items = [
		(_("Contract Amount"), "contract_amount", "Blue"),
		(_("Ordered", context="Contract Billing"), "ordered", "Blue"),
		(_("Invoiced", context="Contract Billing"), "invoiced", "Blue"),
		(_("Collected", context="Contract Billing"), "collected", "Green"),
		(_("Outstanding", context="Contract Billing"), "outstanding", "Orange"),
		(_("Overdue"), "overdue", "Red"),
	]
	return [
		{
			"label": label,
			"value": round(sum(r[field] for r in rows), 2),
			"datatype": "Currency",
			"currency": currency,
			"indicator": color,
		}
		for label, field, color in items
	]


def columns() -> list[dict]:
	money = [
		("contract_amount", _("Contract Amount")),
		("ordered", _("Ordered", context="Contract Billing")),
		("invoiced", _("Invoiced", context="Contract Billing")),
		("collected", _("Collected", context="Contract Billing")),
		("outstanding", _("Outstanding", context="Contract Billing")),
		("overdue", _("Overdue")),
	]
	return [
		{
			"fieldname": "contract",
			"label": _("Contract"),
			"fieldtype": "Link",
			"options": "Contract",
			"width": 160,
		},
		{
			"fieldname": "customer",
			"label": _("Customer"),
			"fieldtype": "Link",
			"options": "Customer",
			"width": 160,
		},
		{
			"fieldname": "sales_opportunity",
			"label": _("Sales Opportunity"),
			"fieldtype": "Link",
			"options": "Sales Opportunity",
			"width": 140,
		},
		{
			"fieldname": "sales_person",
			# Data, not Link: the desk's report runner demands read permission on every linked
			# doctype, and accountants do not read the sales hierarchy
			"label": _("Sales Person"),
			"fieldtype": "Data",
			"width": 140,
		},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 90},
		{"fieldname": "start_date", "label": _("Start Date"), "fieldtype": "Date", "width": 100},
		{"fieldname": "end_date", "label": _("End Date"), "fieldtype": "Date", "width": 100},
		*(
			{"fieldname": field, "label": label, "fieldtype": "Currency", "options": "currency", "width": 130}
			for field, label in money
		),
		{"fieldname": "oldest_due", "label": _("Oldest Overdue Due Date"), "fieldtype": "Date", "width": 160},
		{"fieldname": "days_overdue", "label": _("Days Overdue"), "fieldtype": "Int", "width": 110},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
