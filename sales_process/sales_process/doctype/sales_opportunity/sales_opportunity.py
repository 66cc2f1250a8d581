# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt

from sales_process.controllers.immutable import Undeletable
from sales_process.domain import imports, opportunity


class SalesOpportunity(Undeletable, Document):
	def _validate_links(self):
		# Frappe validates links before any hook runs (on insert and on every save), and reads a dict
		# value as filters (a 500 on an unknown column): refuse wrong types first, once, here
		opportunity.check_input_types(self)
		super()._validate_links()

	def before_insert(self):
		if imports.is_import(self):
			imports.prepare_opportunity(self)  # M3: at the row's stage and owner
		else:
			opportunity.prepare_new(self)

	def before_validate(self):
		# before_validate, not validate: a save with flags.ignore_validate skips validate (O4, K1)
		opportunity.guard_protected_fields(self)

	def validate(self):
		if flt(self.amount) < 0:
			frappe.throw(_("The amount cannot be negative."), frappe.ValidationError)

	def after_insert(self):
		opportunity.write_log(
			self.name,
			"Import" if self.flags.sales_process_import else "Create",
			to_stage=self.stage,
			to_sales_person=self.sales_person,
			at=self.stage_entered_at,
		)

	def delete_refusal(self):
		# O3: opportunities belong to the company; nobody drops one by deleting it.
		return _("Opportunities cannot be deleted. Request to close it as lost instead.")


@frappe.whitelist()
def make_quotation(source_name: str, target_doc=None):
	"""O5: a Quotation for the opportunity's customer, linked back to it (items are added in the form)."""
	from frappe.model.mapper import get_mapped_doc

	frappe.get_doc("Sales Opportunity", source_name).check_permission("read")

	def set_missing(source, target):
		target.quotation_to = "Customer"
		target.party_name = source.customer
		target.sales_opportunity = source.name
		target.run_method("set_missing_values")

	return get_mapped_doc(
		"Sales Opportunity",
		source_name,
		{
			"Sales Opportunity": {
				"doctype": "Quotation",
				"field_map": {"currency": "currency", "company": "company"},
			}
		},
		target_doc,
		set_missing,
	)


def on_doctype_update():
	# the deadline jobs filter open opportunities by due time; claim checks by customer
	frappe.db.add_index("Sales Opportunity", ["status", "stage_due_at"])
	frappe.db.add_index("Sales Opportunity", ["customer", "status"])
	# covering indexes of the reports' aggregates (R1's per-stage part, R2's open and won months):
	# the scans read the narrow index instead of every wide row
	# (Administrator: the whole index in stage order; a team lead: the owners' ranges of the second)
	frappe.db.add_index("Sales Opportunity", ["stage", "status", "amount", "stage_due_at", "sales_person"])
	frappe.db.add_index("Sales Opportunity", ["sales_person", "stage", "status", "amount", "stage_due_at"])
	frappe.db.add_index(
		"Sales Opportunity", ["status", "expected_close_date", "sales_person", "stage", "amount"]
	)
	frappe.db.add_index("Sales Opportunity", ["status", "stage_entered_at", "sales_person", "amount"])
	# K5's pending lost requests: the few requested rows, not every open one
	frappe.db.add_index("Sales Opportunity", ["lost_requested", "status"])
