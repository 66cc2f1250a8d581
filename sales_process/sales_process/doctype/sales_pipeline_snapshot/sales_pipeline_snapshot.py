# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import InsertOnly


class SalesPipelineSnapshot(InsertOnly, Document):
	"""A day's pipeline of one person or team (K7), written only by the snapshot job's set-based SQL
	(`domain.pipeline_snapshot`): no document insert, no change afterwards, whoever asks. A System
	Manager may delete rows (e.g. a day taken from bad data); the job replaces a day by itself."""

	def before_insert(self):
		frappe.throw(
			_("Pipeline snapshots are taken by the daily snapshot job only."), frappe.PermissionError
		)

	def change_refusal(self):
		return _("A pipeline snapshot cannot be changed.")

	def delete_refusal(self):
		if "System Manager" in frappe.get_roles():
			return None
		return _("Only a System Manager can delete a pipeline snapshot.")


def on_doctype_update():
	# one row per day, person or team, company and currency (K7); also the trend's date index
	frappe.db.add_unique(
		"Sales Pipeline Snapshot",
		["snapshot_date", "sales_person", "is_team", "company", "currency"],
		constraint_name="unique_snapshot",
	)
