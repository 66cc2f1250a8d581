# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly


class SalesRequestKey(InsertOnly, Document):
	"""Written only by `domain.idempotency` in the request's own transaction (plain SQL), removed
	only by its daily job: no document insert, change or delete, whoever asks."""

	def before_insert(self):
		frappe.throw(_("Request keys are written by the requests themselves."), frappe.PermissionError)

	def change_refusal(self):
		return _("A request key records an answer given and cannot be changed or deleted.")


def on_doctype_update():
	# the daily job deletes by age
	frappe.db.add_index("Sales Request Key", ["creation"])
