# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly


class OpportunityStageSummary(InsertOnly, Document):
	"""An opportunity's history in one stage, derived from the Opportunity Stage Log and written only
	by its writer's set-based SQL (`domain.stage_history`): no document insert, change or delete,
	whoever asks. `rebuild` derives it again from the log."""

	def before_insert(self):
		frappe.throw(_("The stage summary is kept by the stage history only."), frappe.PermissionError)

	def change_refusal(self):
		return _("The stage summary is derived from the stage history and cannot be changed.")


def on_doctype_update():
	frappe.db.add_unique(
		"Opportunity Stage Summary", ["opportunity", "stage"], constraint_name="unique_opportunity_stage"
	)
	# the funnel's per-stage totals read this narrow index in stage order (no temporary table)
	frappe.db.add_index(
		"Opportunity Stage Summary",
		["stage", "first_entered_at", "entries", "converted", "exits", "timed_exits", "days", "max_days"]
		+ ["late", "confiscations"],
		index_name="stage_totals",
	)
