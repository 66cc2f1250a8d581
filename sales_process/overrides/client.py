"""frappe.client.get_count counts with frappe.db.count, which applies no permissions: any user
could count rows of another team. For the app's scoped doctypes, count through get_list (role
permissions + the hierarchy condition) instead; other doctypes keep Frappe's behaviour."""

import frappe
from frappe.client import get_count as frappe_get_count

SCOPED = frozenset(
	{
		"Sales Opportunity",
		"Opportunity Stage Log",
		"Sales Daily Log",
		"Help Alert",
		"Experience Entry",
		"Sales Pipeline Snapshot",
	}
)


@frappe.whitelist()
def get_count(doctype, filters=None, debug=False, cache=False):
	if doctype not in SCOPED:
		return frappe_get_count(doctype, filters=filters, debug=debug, cache=cache)
	from frappe.client import get_safe_filters

	rows = frappe.get_list(doctype, filters=get_safe_filters(filters), fields=["count(*) as n"], as_list=True)
	return rows[0][0] if rows else 0
