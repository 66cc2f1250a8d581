# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from sales_process.controllers.immutable import Undeletable

# Where an entry came from: set by mark_effective (H3) only, never by the form, REST or
# frappe.client (they would let anyone forge an "effective answer" or move the credit for one).
PROVENANCE_FIELDS = ("source_help_alert", "contributed_by")


class ExperienceEntry(Undeletable, Document):
	def validate(self):
		if self.flags.from_process:
			return
		if self.is_new():
			changed = [f for f in PROVENANCE_FIELDS if self.get(f)]
		else:
			before = self.get_doc_before_save()
			changed = [
				f for f in PROVENANCE_FIELDS if before and (self.get(f) or None) != (before.get(f) or None)
			]
		if changed:
			frappe.throw(
				_("{0} of an experience entry are set by the help alert it comes from.").format(
					", ".join(_(self.meta.get_label(f)) for f in changed)
				),
				frappe.PermissionError,
				title=_("Not Allowed"),
			)

	def delete_refusal(self):
		if self.source_help_alert:
			return _(
				"Experience entry {0} records the effective answer of help alert {1} and is kept."
			).format(self.name, self.source_help_alert)
		return None
