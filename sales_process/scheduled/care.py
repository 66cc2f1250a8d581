"""Daily customer-care job (C1, C2): revisit, anniversary and birthday reminders as
ToDos for the customers' owners. The rules and the no-duplicates guarantee live in
sales_process.domain.care_reminders; a second run on the same day creates nothing."""

import frappe

from sales_process.domain import care_reminders


def send_care_reminders(day=None) -> dict:
	counts = care_reminders.make_reminders(day)
	if counts["created"] or counts["closed"]:
		frappe.logger("sales_process").info(f"customer care reminders: {counts}")
	return counts
