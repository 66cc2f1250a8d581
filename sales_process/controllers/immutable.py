"""Guards of the records the app keeps, written once and inherited by their controllers (as hrms
shares controller behaviour in hrms/mixins/).

The guards refuse whoever asks, System Manager and Administrator included, through every entry
point (form, REST, frappe.client, server code): permissions alone do not stop `ignore_permissions`.
Only the app's own install and uninstall remove rows.
"""

import frappe
from frappe import _


class Undeletable:
	"""Deletion refused with `delete_refusal()`'s message; None lets this document go."""

	def delete_refusal(self) -> str | None:
		raise NotImplementedError

	def on_trash(self):
		if frappe.flags.in_uninstall or frappe.flags.in_install:
			return
		if message := self.delete_refusal():
			frappe.throw(message, frappe.PermissionError, title=_("Not Allowed"))


class InsertOnly(Undeletable):
	"""Insert-only records (like GL Entry): after the insert every save, cancel and delete is
	refused with `change_refusal()`'s message. A controller that validates more calls
	`super().validate()` first."""

	def change_refusal(self) -> str:
		raise NotImplementedError

	def delete_refusal(self) -> str:
		return self.change_refusal()

	def refuse_change(self):
		frappe.throw(self.change_refusal(), frappe.PermissionError, title=_("Not Allowed"))

	def validate(self):
		if not self.is_new():
			self.refuse_change()

	def on_update(self):
		# also runs when validate was skipped (ignore_validate)
		if not self.flags.in_insert:
			self.refuse_change()

	def before_cancel(self):
		self.refuse_change()
