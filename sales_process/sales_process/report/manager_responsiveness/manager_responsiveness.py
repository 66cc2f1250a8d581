# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Manager Responsiveness (K5): per superior, the confiscated opportunities and lost requests they
received and how fast they decided them. The numbers come from sales_process.reports.managers."""

import frappe
from frappe import _

from sales_process.reports import managers


@frappe.read_only()
def execute(filters=None):
	rows = managers.responsiveness(frappe._dict(filters or {}))
	return columns(), rows, None, managers.chart(rows), managers.summary(rows)


def _int(fieldname: str, label: str, width: int = 100) -> dict:
	return {"fieldname": fieldname, "label": label, "fieldtype": "Int", "width": width}


def _hours(fieldname: str, label: str, width: int = 130) -> dict:
	return {"fieldname": fieldname, "label": label, "fieldtype": "Float", "precision": 1, "width": width}


def columns() -> list[dict]:
	return [
		{
			"fieldname": "superior",
			"label": _("Superior", context="Manager Responsiveness"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 170,
		},
		_int("received", _("Confiscations Received"), 120),
		_int("kept", _("Kept", context="Manager Responsiveness")),
		_int("returned", _("Returned to Owner", context="Manager Responsiveness")),
		_int("reassigned", _("Reassigned", context="Manager Responsiveness")),
		_int("decided", _("Decided", context="Manager Responsiveness")),
		_hours("median_hours", _("Median Hours to Decide")),
		_hours("avg_hours", _("Average Hours to Decide")),
		_int("pending", _("Pending", context="Manager Responsiveness")),
		_hours("oldest_pending_hours", _("Oldest Pending (Hours)")),
		_int("undecided", _("Left Undecided"), 110),
		_int("overdue_again", _("Overdue Again"), 110),
		{
			"fieldname": "overdue_again_rate",
			"label": _("Overdue Again Rate"),
			"fieldtype": "Percent",
			"width": 120,
		},
		_int("lost_requests", _("Lost Requests Received"), 120),
		_int("approved", _("Approved", context="Manager Responsiveness")),
		_int("rejected", _("Rejected", context="Manager Responsiveness")),
		_hours("lost_median_hours", _("Median Hours to Decide a Lost Request"), 150),
		_hours("lost_avg_hours", _("Average Hours to Decide a Lost Request"), 150),
		_int("lost_pending", _("Lost Requests Pending"), 120),
		_hours("oldest_lost_pending_hours", _("Oldest Pending Lost Request (Hours)"), 150),
		_int("escalated", _("Escalated Lost Requests"), 120),
	]
