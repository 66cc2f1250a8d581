"""Notifications to people in the sales hierarchy. A Notification Log is the system notification;
Frappe itself queues its email (per the user's Notification Settings) and sends the realtime
event to that user only."""

import frappe

from sales_process.domain import hierarchy
from sales_process.domain.bulk import insert_rows


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


NOTIFICATION_COLUMNS = (
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
)


class Digest:
	"""What one job run tells each user. Jobs add Notification Logs batch by batch (one multi-row
	insert each) and call `send()` once at the end: one unseen flag, one realtime event and one
	digest email per user, however many rows the run touched."""

	def __init__(self, subject: str):
		self.subject = subject
		self.lines: dict[str, list[str]] = {}
		self._managers = None

	def add(self, items: list[tuple[str | None, str, str, str]]) -> int:
		"""`items` are (user, subject, doctype, docname); no user means "tell the Sales Managers"."""
		from frappe.utils import now_datetime

		rows = []
		now, sender = now_datetime(), frappe.session.user
		for user, subject, doctype, docname in items:
			if user:
				targets = [user]
			else:
				if self._managers is None:
					self._managers = sales_managers()
				targets = self._managers
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
				self.lines.setdefault(target, []).append(subject)
		# plain multi-row INSERTs (frappe.db.bulk_insert's per-value qb terms cost more than the statement)
		insert_rows("Notification Log", list(NOTIFICATION_COLUMNS), rows)
		return len(rows)

	def send(self):
		from frappe.desk.doctype.notification_log.notification_log import set_notifications_as_unseen

		for user in self.lines:
			set_notifications_as_unseen(user)
			frappe.publish_realtime("notification", after_commit=True, user=user)
		if self.lines:
			# composing mail costs ~60 ms a message in Frappe; do it in a worker once the job's
			# work is committed, so the job holds no row locks meanwhile
			frappe.enqueue(
				"sales_process.domain.notify.send_digests",
				queue="short",
				subject=self.subject,
				lines=self.lines,
				enqueue_after_commit=True,
				now=bool(frappe.flags.in_test),
			)
		self.lines = {}


def send_digests(subject: str, lines: dict[str, list[str]]):
	for user, user_lines in lines.items():
		_digest_email(user, subject, user_lines)


def _digest_email(user: str, subject: str, lines: list[str]):
	from frappe.utils import escape_html

	body = "<ul>" + "".join(f"<li>{escape_html(line)}</li>" for line in lines[:200]) + "</ul>"
	if len(lines) > 200:
		body += f"<p>… +{len(lines) - 200}</p>"
	try:
		frappe.sendmail(recipients=[user], subject=subject, message=body, delayed=True)
	except frappe.OutgoingEmailError:
		# no outgoing account configured: the system notifications still reach the user
		pass
