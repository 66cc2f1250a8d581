# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly
from sales_process.domain import stage_history


class OpportunityStageLog(InsertOnly, Document):
	"""Insert-only history (like GL Entry): no role has write/delete, and the controller refuses
	every change after insert, whoever asks (System Manager and Administrator included)."""

	def before_insert(self):
		if not self.flags.from_process:
			frappe.throw(_("Stage log rows are written by the sales process only."), frappe.PermissionError)

	def after_insert(self):
		stage_history.record([self])  # the summary, in the same transaction

	def change_refusal(self):
		return _("The opportunity stage history cannot be changed or deleted.")


def on_doctype_update():
	frappe.db.add_index("Opportunity Stage Log", ["opportunity", "at"])
