"""Sales Person hooks: the daily-log chain head (L2) stored on the row belongs to the daily log."""

import frappe

from sales_process.domain.daily_log import HEAD_FIELDS


def keep_chain_head(doc, method=None):
	"""A Sales Person saved from the desk, an import or REST writes every column back, so it would
	put back the head it was loaded with (or any value sent) and fork the chain on the next entry.
	Keep what is stored instead; the locking read waits for an entry being appended right now."""
	stored = (
		{}
		if doc.is_new()
		else frappe.db.get_value("Sales Person", doc.name, list(HEAD_FIELDS), as_dict=True, for_update=True)
	)
	for column in HEAD_FIELDS:
		doc.set(column, (stored or {}).get(column))
