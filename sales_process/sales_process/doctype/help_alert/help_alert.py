# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.domain import help_alert


class HelpAlert(Document):
	def validate(self):
		help_alert.guard(self)

	def on_trash(self):
		if not (frappe.flags.in_uninstall or frappe.flags.in_install):
			frappe.throw(_("Help alerts are kept: they feed the help statistics."), frappe.PermissionError)


@frappe.whitelist()
def get_suggestions(name: str) -> list[dict]:
	"""E1: experience entries that match this alert (for the form)."""
	return help_alert.suggestions_for_alert(help_alert.load(name))
