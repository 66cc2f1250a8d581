# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly


class CRMMigrationMap(InsertOnly, Document):
	"""Which ERPNext record became which (M2): written by the migration only, in bulk."""

	def change_refusal(self):
		return _("The migration map is written by the migration only.")


def on_doctype_update():
	frappe.db.add_unique("CRM Migration Map", ["source_doctype", "source_name"], "unique_source")
