# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import Undeletable
from sales_process.domain import lead, opportunity


class SalesLead(Undeletable, Document):
	def _validate_links(self):
		# before any hook on insert and save: a dict where a name belongs would be read as filters
		opportunity.check_input_types(self)
		super()._validate_links()

	def before_insert(self):
		lead.prepare_new(self)

	def validate(self):
		lead.guard(self)

	def after_insert(self):
		lead.after_insert(self)

	def delete_refusal(self):
		# leads and their history belong to the company: disqualify instead
		return _("Leads cannot be deleted. Disqualify or release the lead instead.")


def on_doctype_update():
	# the stale-lead job reads held open leads by holder and age
	frappe.db.add_index("Sales Lead", ["sales_person", "status"])
