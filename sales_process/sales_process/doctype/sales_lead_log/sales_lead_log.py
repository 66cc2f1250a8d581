# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly


class SalesLeadLog(InsertOnly, Document):
	"""Insert-only history of a lead's holders and status (G1): no role has write/delete, and the
	controller refuses every change after insert, whoever asks (Administrator included)."""

	def before_insert(self):
		if not self.flags.from_process:
			frappe.throw(_("Lead log rows are written by the sales process only."), frappe.PermissionError)

	def change_refusal(self):
		return _("The lead history cannot be changed or deleted.")


def on_doctype_update():
	frappe.db.add_index("Sales Lead Log", ["lead", "at"])
