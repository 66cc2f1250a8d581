"""Sales Person hooks: the daily-log chain head (L2) stored on the row belongs to the daily log, two
chains are never merged into one, and a rename or merge keeps the stage totals (R1) one row per
stage and person."""

import frappe
from frappe import _

from sales_process.domain import stage_history
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


def refuse_chain_merge(doc, method=None, old: str | None = None, new: str | None = None, merge=False):
	"""L2: merging two Sales Persons that both have daily logs would interleave two hash chains into
	one (two entries per sequence number, each linked to its own predecessor): refuse it."""
	if not merge or not old or not new or old == new:
		return
	if frappe.db.exists("Sales Daily Log", {"sales_person": old}) and frappe.db.exists(
		"Sales Daily Log", {"sales_person": new}
	):
		frappe.throw(
			_(
				"Sales Person {0} cannot be merged into {1}: both have daily logs, and their hash chains cannot be joined. Disable {0} instead."
			).format(old, new),
			title=_("Merge Not Allowed"),
		)


def recount_stage_totals(doc, method=None, old: str | None = None, new: str | None = None, merge=False):
	"""R1: the rename moved the summary rows and stage totals to the new name; after a merge the
	merged person's totals rows sit beside the target's, so add them up again as one."""
	stage_history.recount_totals([old, new])
