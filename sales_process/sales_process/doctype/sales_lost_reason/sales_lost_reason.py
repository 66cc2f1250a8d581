# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

from frappe.model.document import Document


class SalesLostReason(Document):
	pass
