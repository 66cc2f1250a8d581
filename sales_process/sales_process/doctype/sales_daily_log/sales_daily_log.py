# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly
from sales_process.domain import daily_log


class SalesDailyLog(InsertOnly, Document):
	"""Immutable once inserted (L2): no role has write/delete permission, and the controller
	refuses every later save, cancel or delete, whoever asks. Corrections are new entries that
	reference the original in `corrects`."""

	def change_refusal(self):
		return _(
			"Daily logs cannot be changed or deleted. To correct a mistake, file a new entry that references it."
		)

	def validate(self):
		super().validate()
		daily_log.validate_new(self)

	def before_save(self):
		# after validate (which sets the owner), right before the row is written
		if self.is_new():
			daily_log.link_into_chain(self)

	def after_insert(self):
		daily_log.advance_chain_head(self)
		if self.lead:
			daily_log.record_lead_contact(self)
		if self.difficulty:
			# H1: a difficulty in the log raises a help alert on its opportunity, in this transaction
			from sales_process.domain import help_alert

			help_alert.raise_from_daily_log(self)


def on_doctype_update():
	frappe.db.add_index("Sales Daily Log", ["sales_person", "log_date"])
	frappe.db.add_index("Sales Daily Log", ["sales_person", "chain_seq"])
	# the false-report analysis looks for entries made in bulk (self-join on entered_at)
	frappe.db.add_index("Sales Daily Log", ["sales_person", "entered_at"])
