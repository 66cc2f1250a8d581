"""Notifications to people in the sales hierarchy. A Notification Log is the system notification;
Frappe itself queues its email (per the user's Notification Settings) and sends the realtime
event to that user only."""

import html
import json
from functools import partial

import frappe
from frappe.email.doctype.email_queue.email_queue import QueueBuilder

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
			if frappe.flags.in_test:
				send_digests(self.subject, self.lines)
			else:
				# composing mail costs ~60 ms a message in Frappe; a worker does it once the job's or
				# request's work is committed (nothing is told about a rolled-back write)
				frappe.db.after_commit.add(partial(queue_digest, self.subject, self.lines))
		self.lines = {}


# --- the digest outbox --------------------------------------------------------------------------------
# One flush job sends what many digests queued: a job per help alert (a busy day has hundreds) made
# the short queue, and the default queue behind it on the same worker, wait for minutes, confiscation's
# quarter-hour enqueue with it (docs/reliability.md, "Digest emails go out in batches"). The outbox is a
# list in the queue's Redis, which evicts nothing and holds the jobs themselves: as durable as a job.

FLUSH_JOB = "sales_process_digests"
FLUSH_BATCH = 500  # digests per flush round: one round's emails are committed before the next pop


def _outbox():
	from frappe.utils.background_jobs import get_redis_conn

	return get_redis_conn(), f"{frappe.local.site}:sales_process:digest_outbox"


def queue_digest(subject: str, lines: dict[str, list[str]]):
	"""Put one digest in the outbox and make sure a flush job is queued (one at a time)."""
	conn, key = _outbox()
	conn.rpush(key, frappe.as_json({"subject": subject, "lines": lines}, indent=None))
	_queue_flush()


def _queue_flush():
	from sales_process.domain import jobs

	jobs.enqueue_once("sales_process.domain.notify.flush_digests", FLUSH_JOB, queue="short")


def queue_pending_digests():
	"""Every scheduler tick: a digest queued in the instant between a flush job's last pop and its end
	found the job still started, so no new one was queued; this one sends it."""
	conn, key = _outbox()
	if conn.llen(key):
		_queue_flush()


def flush_digests(batch: int = FLUSH_BATCH, commit: bool = True) -> int:
	"""Send what is in the outbox: per subject, one email per user with every line queued for them
	meanwhile, in order. → the digests taken. Each round is popped atomically, so two flushers never
	send one digest twice; a worker killed mid-round loses that round's emails (its Notification
	Logs, the system notifications, are committed already)."""
	conn, key = _outbox()
	taken = 0
	while entries := conn.lpop(key, batch):
		merged: dict[str, dict[str, list[str]]] = {}
		for raw in entries:
			entry = json.loads(raw)
			by_user = merged.setdefault(entry["subject"], {})
			for user, lines in entry["lines"].items():
				by_user.setdefault(user, []).extend(lines)
		for subject, lines in merged.items():
			send_digests(subject, lines)
		taken += len(entries)
		if commit:
			# nosemgrep: frappe-manual-commit -- each round's emails are kept before the next is popped
			frappe.db.commit()
	return taken


DIGEST_LINES = 200  # lines listed in one digest email; the rest are counted


def send_digests(subject: str, lines: dict[str, list[str]]):
	"""One digest email per user, queued as `frappe.sendmail(recipients=[user], ...)` queues it:
	Frappe's QueueBuilder builds each MIME message (sender, text part, Message-Id) and `flush` sends
	the rows like any other. What does not depend on the user is done once per run: the outgoing
	account, who unsubscribed, and Frappe's formatted HTML around the lines (template, footer and
	Premailer's CSS pass, most of a message's cost); the Email Queue rows and their recipient rows
	go in as two multi-row INSERTs instead of one document insert per message."""
	users = sorted(lines)
	shared = QueueBuilder(recipients=users, subject=subject)
	try:
		shared.get_outgoing_email_account()
	except frappe.OutgoingEmailError:
		# no outgoing account configured: the system notifications still reach the user
		return
	unsubscribed = set(shared.get_unsubscribed_user_emails())
	users = [u for u in users if u not in unsubscribed]
	if not users:
		return
	render = _html_renderer(shared)
	queues, recipients = [], []
	for user in users:
		builder = _DigestBuilder(
			shared, render(lines[user]), recipients=[user], subject=subject, message=digest_body(lines[user])
		)
		data = builder.as_dict(include_recipients=False)
		if not data:  # an invalid address: Frappe has logged it and queues nothing
			continue
		queue, recipient = _queue_rows(data, user)
		queues.append(queue)
		recipients.append(recipient)
	for doctype, rows in (("Email Queue", queues), ("Email Queue Recipient", recipients)):
		if rows:
			insert_rows(doctype, list(rows[0]), [tuple(r.values()) for r in rows])


def digest_body(lines: list[str]) -> str:
	"""The message as given to Frappe: the first DIGEST_LINES lines, then how many more."""
	body = "<ul>" + "".join(f"<li>{_escape(line)}</li>" for line in lines[:DIGEST_LINES]) + "</ul>"
	if len(lines) > DIGEST_LINES:
		body += f"<p>{_escape(_more(lines))}</p>"
	return body


def _more(lines: list[str]) -> str:
	return f"… +{len(lines) - DIGEST_LINES}"


def _escape(text: str) -> str:
	# text as lxml serializes it (Premailer re-serializes the whole message)
	return html.escape(text, quote=False)


_PROBE = ("SPDIGESTPROBEA", "SPDIGESTPROBEB", "SPDIGESTPROBEC")


def _html_renderer(shared: QueueBuilder):
	"""`lines → formatted HTML` equal to Frappe's `get_formatted_html(subject, digest_body(lines))`.
	Per shape of body (one line; several; several and "… +N") Frappe renders a probe body once and
	the lines are set between the probe's tags; the first message of each shape is compared with
	Frappe's own rendering, and should they differ (another email CSS, template or serializer),
	Frappe renders every message of that shape."""
	from frappe.email.email_body import get_formatted_html

	def frappe_html(body: str) -> str:
		return get_formatted_html(
			shared.subject,
			body,
			header=shared.header,
			email_account=shared.get_outgoing_email_account(),
			unsubscribe_link=shared.unsubscribe_message(),
			with_container=shared.with_container,
		)

	def full(lines: list[str]) -> str:
		return frappe_html(digest_body(lines))

	fillers = {}

	def render(lines: list[str]) -> str:
		shape = (min(len(lines), 2), len(lines) > DIGEST_LINES)
		if shape not in fillers:
			fill = _filler(frappe_html, *shape)
			fillers[shape] = fill if fill and fill(lines) == full(lines) else full
		return fillers[shape](lines)

	return render


def _filler(frappe_html, items: int, more: bool):
	a, b, c = _PROBE
	out = frappe_html(
		"<ul>" + "".join(f"<li>{p}</li>" for p in _PROBE[:items]) + "</ul>" + (f"<p>{c}</p>" if more else "")
	)
	try:
		ia = out.index(a)
		li_at = out.rindex("<li", 0, ia)
		head, li_open, pos, sep = out[:li_at], out[li_at:ia], ia + len(a), ""
		if items == 2:
			ib = out.index(b)
			sep = out[pos + len("</li>") : out.rindex("<li", 0, ib)]
			if out[ib - len(li_open) : ib] != li_open or not out.startswith("</li>", pos):
				return None
			pos = ib + len(b)
		if not out.startswith("</li>", pos):
			return None
		pos += len("</li>")
		if more:
			ic = out.index(c)
			p_at = out.rindex("<p", 0, ic)
			between, p_open, tail = out[pos:p_at], out[p_at:ic], out[ic + len(c) :]
		else:
			between, p_open, tail = "", "", out[pos:]
	except ValueError:
		return None

	def fill(lines: list[str]) -> str:
		shown = sep.join(f"{li_open}{_escape(line)}</li>" for line in lines[:DIGEST_LINES])
		extra = f"{between}{p_open}{_escape(_more(lines))}" if more else ""
		return f"{head}{shown}{extra}{tail}"

	return fill


class _DigestBuilder(QueueBuilder):
	"""Frappe's builder for one recipient's message; the outgoing account, the unsubscribed
	addresses and the formatted HTML come from the run instead of being looked up per message."""

	def __init__(self, shared: QueueBuilder, formatted: str, **kwargs):
		super().__init__(**kwargs)
		self.shared, self.formatted = shared, formatted

	def email_html_content(self):
		return self.formatted

	def get_outgoing_email_account(self):
		return self.shared.get_outgoing_email_account()

	def get_unsubscribed_user_emails(self):
		return self.shared.get_unsubscribed_user_emails()


def _queue_rows(data: dict, user: str) -> tuple[dict, dict]:
	"""The Email Queue row and its recipient row as `EmailQueue.new(...).insert()` writes them
	(defaults, hash names, timestamps, only the doctype's columns), without the per-document insert."""
	from frappe.model.naming import set_new_name
	from frappe.utils import now

	doc = frappe.new_doc("Email Queue")
	doc.update(data)
	doc.set_recipients([user])
	stamp, by = now(), frappe.session.user
	for d in (doc, *doc.recipients):
		set_new_name(d)
		d.creation = d.modified = stamp
		d.owner = d.modified_by = by
	doc.set_parent_in_children()
	return tuple(
		d.get_valid_dict(convert_dates_to_str=True, ignore_virtual=True) for d in (doc, doc.recipients[0])
	)
