"""Notifications to people in the sales hierarchy. A Notification Log is the system notification;
Frappe itself queues its email (per the user's Notification Settings) and sends the realtime
event to that user only."""

import frappe

from sales_process.domain import hierarchy


def notify_users(users, doc, subject: str):
	for user in sorted({u for u in users if u and u not in ("Administrator", "Guest")}):
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"subject": subject,
				"for_user": user,
				"type": "Alert",
				"document_type": doc.doctype,
				"document_name": doc.name,
				"from_user": frappe.session.user,
			}
		).insert(ignore_permissions=True)


def notify_sales_person(sales_person: str | None, doc, subject: str):
	"""Notify the user behind a Sales Person; without one (or without a Sales Person), the
	Sales Managers are told instead so nothing waits unseen."""
	user = hierarchy.user_of(sales_person) if sales_person else None
	notify_users([user] if user else sales_managers(), doc, subject)


def sales_managers() -> list[str]:
	has_role = frappe.qb.DocType("Has Role")
	u = frappe.qb.DocType("User")
	return [
		r[0]
		for r in frappe.qb.from_(has_role)
		.join(u)
		.on(u.name == has_role.parent)
		.select(u.name)
		.distinct()
		.where((has_role.role == "Sales Manager") & (has_role.parenttype == "User") & (u.enabled == 1))
		.run()
	]
