# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Lead Pool Statistics (G8, the pool of G5): per person or per pool — claimed, assigned, released,
returned by the stale-lead job, converted and disqualified in the period, held now, time in the
pool. The numbers come from sales_process.reports.leads."""

import frappe
from frappe import _

from sales_process.reports import leads


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	view = filters.view or leads.POOL_VIEWS[0]
	rows = leads.pool_statistics(filters)
	return columns(view), rows, None, leads.pool_chart(rows, view), summary(rows, view)


def summary(rows: list[dict], view: str) -> list[dict]:
	def total(field):
		return sum(r[field] for r in rows)

	now = (
		{"label": _("Held Now"), "value": total("held"), "datatype": "Int"}
		if view == "Sales Person"
		else {"label": _("In Pool Now"), "value": total("in_pool"), "datatype": "Int", "indicator": "Blue"}
	)
	return [
		now,
		{"label": _("Claimed"), "value": total("claimed"), "datatype": "Int", "indicator": "Green"},
		{"label": _("Released"), "value": total("released"), "datatype": "Int"},
		{"label": _("Returned to Pool"), "value": total("returned"), "datatype": "Int", "indicator": "Red"},
		{
			"label": _("Converted", context="Sales Lead"),
			"value": total("converted"),
			"datatype": "Int",
			"indicator": "Green",
		},
	]


def _int(fieldname: str, label: str, width: int = 90) -> dict:
	return {"fieldname": fieldname, "label": label, "fieldtype": "Int", "width": width}


def _days(fieldname: str, label: str, width: int = 150) -> dict:
	return {"fieldname": fieldname, "label": label, "fieldtype": "Float", "precision": 1, "width": width}


def columns(view: str) -> list[dict]:
	if view == "Sales Person":
		head = [
			{
				"fieldname": "sales_person",
				"label": _("Sales Person"),
				"fieldtype": "Link",
				"options": "Sales Person",
				"width": 180,
			},
			_int("held", _("Held Now")),
			_int("hold_limit", _("Hold Limit")),
			_days("avg_days_held", _("Average Days Held")),
		]
	else:
		head = [
			{
				"fieldname": "pool",
				"label": _("Lead Pool"),
				"fieldtype": "Link",
				"options": "Sales Lead Pool",
				"width": 160,
			},
			_int("in_pool", _("In Pool Now"), 110),
			_days("avg_days_waiting", _("Average Days Waiting")),
			_int("held", _("Held Now")),
		]
	return head + [
		_int("claimed", _("Claimed")),
		_int("assigned", _("Assigned")),
		_int("released", _("Released")),
		_int("returned", _("Returned to Pool"), 130),
		_int("converted", _("Converted", context="Sales Lead")),
		_int("disqualified", _("Disqualified", context="Sales Lead"), 100),
		_days("avg_days_in_pool", _("Average Days in Pool"), 160),
	]
