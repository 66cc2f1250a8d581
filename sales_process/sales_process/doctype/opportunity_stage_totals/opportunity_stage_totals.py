# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly


class OpportunityStageTotals(InsertOnly, Document):
	"""The stage summary added up per stage and current owner, written only by the stage history's
	set-based SQL (`domain.stage_history`): no document insert, change or delete, whoever asks."""

	def before_insert(self):
		frappe.throw(_("The stage totals are kept by the stage history only."), frappe.PermissionError)

	def change_refusal(self):
		return _("The stage totals are derived from the stage history and cannot be changed.")


def on_doctype_update():
	# the row's name is md5(stage/sales person): one row per pair, which the writer's upsert needs
	frappe.db.add_index("Opportunity Stage Totals", ["stage", "sales_person"])
