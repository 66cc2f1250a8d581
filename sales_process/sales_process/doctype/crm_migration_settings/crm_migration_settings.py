# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class CRMMigrationSettings(Document):
	def validate(self):
		seen = set()
		for row in self.stage_mapping:
			if row.sales_stage in seen:
				frappe.throw(_("Sales Stage {0} is mapped twice.").format(row.sales_stage))
			seen.add(row.sales_stage)
