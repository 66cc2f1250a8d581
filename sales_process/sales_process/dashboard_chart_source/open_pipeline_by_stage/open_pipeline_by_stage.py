# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""The workspace chart "Open Pipeline by Stage" (W2): amount and weighted amount of each open stage,
in process order, from the Sales Funnel's engine (R1), and so within the user's data scope (A1) and
with the funnel's weighted amount. A Group By chart would order the stages by amount."""

import frappe
from frappe import _

from sales_process.reports import pipeline

# the funnel's filters but its creation dates: the open pipeline is what is open now
FILTERS = ("company", "sales_person", "territory", "customer_group")


# Not frappe.utils.dashboard.cache_source: it keeps one result per chart for all users, and this
# chart differs from user to user. The desk sends chart_name, timespan etc. too; Frappe passes only
# the parameters named here.
@frappe.whitelist()
@frappe.read_only()
def get(filters=None):
	frappe.has_permission("Sales Opportunity", "read", throw=True)
	filters = frappe.parse_json(filters) or {}
	if not isinstance(filters, dict):
		frappe.throw(_("The chart's filters must be field names with values."), frappe.ValidationError)
	rows = pipeline.open_pipeline({key: filters.get(key) for key in FILTERS})
	return pipeline.funnel_chart(rows)["data"]
