# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt

from frappe.model.document import Document


class CRMMigrationRun(Document):
	"""One run of the ERPNext CRM migration (M1): its counts, plan and log, written by the engine."""
