# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import Undeletable
from sales_process.domain import help_alert


class HelpAlert(Undeletable, Document):
	def validate(self):
		help_alert.guard(self)

	def delete_refusal(self):
		return _("Help alerts are kept: they feed the help statistics.")


@frappe.whitelist()
def get_suggestions(name: str) -> list[dict]:
	"""E1: experience entries that match this alert (for the form)."""
	return help_alert.suggestions_for_alert(help_alert.load(name))
