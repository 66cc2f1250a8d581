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


def bulk_notify(items: list[tuple[str | None, str, str, str]], digest_subject: str):
	"""Set-based notifications for jobs: `items` are (user, subject, doctype, docname); a missing
	user means "tell the Sales Managers". One multi-row insert of Notification Logs, then per
	user (not per row): the unseen flag, one realtime event and one digest email."""
	from frappe.desk.doctype.notification_log.notification_log import set_notifications_as_unseen
	from frappe.utils import now_datetime

	managers = None
	rows, per_user = [], {}
	now, sender = now_datetime(), frappe.session.user
	for user, subject, doctype, docname in items:
		if not user:
			managers = managers if managers is not None else sales_managers()
			targets = managers
		else:
			targets = [user]
		for target in targets:
			if target in ("Administrator", "Guest"):
				continue
			rows.append(
				(
					frappe.generate_hash(length=12),
					now,
					now,
					sender,
					sender,
					subject,
					target,
					"Alert",
					doctype,
					docname,
					sender,
					0,
				)
			)
			per_user.setdefault(target, []).append(subject)
	if not rows:
		return 0
	frappe.db.bulk_insert(
		"Notification Log",
		[
			"name",
			"creation",
			"modified",
			"owner",
			"modified_by",
			"subject",
			"for_user",
			"type",
			"document_type",
			"document_name",
			"from_user",
			"read",
		],
		rows,
	)
	for user, subjects in per_user.items():
		set_notifications_as_unseen(user)
		frappe.publish_realtime("notification", after_commit=True, user=user)
		_digest_email(user, digest_subject, subjects)
	return len(rows)


def _digest_email(user: str, subject: str, lines: list[str]):
	from frappe.utils import escape_html

	body = "<ul>" + "".join(f"<li>{escape_html(line)}</li>" for line in lines[:200]) + "</ul>"
	if len(lines) > 200:
		body += f"<p>… +{len(lines) - 200}</p>"
	try:
		frappe.sendmail(recipients=[user], subject=subject, message=body, delayed=True)
	except frappe.OutgoingEmailError:
		# no outgoing account configured: the system notifications above still reach the user
		pass
