"""Digest emails (domain/notify.py): one Email Queue row per user, queued set-based but exactly as
`frappe.sendmail` would queue it, and sendable by Frappe's own email queue sender."""

from contextlib import contextmanager
from email import policy
from email.parser import Parser

import frappe
from frappe.email.doctype.email_queue.email_queue import SendMailContext
from frappe.email.queue import get_queue

from sales_process.domain import notify

SUBJECT = "Opportunities confiscated for overrunning their stage"


def queued_for(users: list[str]) -> list[frappe._dict]:
	"""Each queued email to these users with its recipient row, by recipient."""
	recipients = frappe.get_all(
		"Email Queue Recipient",
		filters={"recipient": ("in", users)},
		fields=["parent", "recipient", "status", "parenttype", "parentfield"],
		order_by="recipient",
	)
	queues = {
		q.name: q
		for q in frappe.get_all(
			"Email Queue", filters={"name": ("in", [r.parent for r in recipients])}, fields=["*"]
		)
	}
	return [
		frappe._dict(
			queues[r.parent],
			recipient=r.recipient,
			recipient_status=r.status,
			parenttype=r.parenttype,
			parentfield=r.parentfield,
		)
		for r in recipients
	]


def flush_query() -> list:
	"""Frappe's flush query, without its batch limit: the test site is shared by many runs, and the
	Not Sent rows that older runs left behind come first in creation order."""
	previous = frappe.conf.get("email_queue_batch_size")
	frappe.conf.email_queue_batch_size = 1_000_000
	try:
		return get_queue()
	finally:
		frappe.conf.email_queue_batch_size = previous


def parts(message: str) -> tuple:
	msg = Parser(policy=policy.SMTP).parsestr(message)
	html = msg.get_body(("html",)).get_content()
	text = msg.get_body(("plain",)).get_content()
	return msg, html, text


def lines_for(fake, n: int) -> list[str]:
	return [f"OPP-{i} ({fake.company()} & O'Brien <b>) 线索确认 …" for i in range(n)]


def test_one_email_per_user_with_its_lines(factory):
	users = [factory.user() for _ in range(4)]
	counts = dict(zip(users, (1, 2, 200, 230), strict=True))
	lines = {u: lines_for(factory.fake["en_US"], n) for u, n in counts.items()}
	digest = notify.Digest(SUBJECT)
	for u in users:
		digest.add([(u, line, "User", u) for line in lines[u]])
	digest.send()

	rows = queued_for(users)
	assert [r.recipient for r in rows] == sorted(users)  # exactly one row and one recipient each
	assert len({r.name for r in rows}) == len(users)
	flushable = {r.name for r in flush_query()}
	for r in rows:
		assert (r.status, r.recipient_status, r.retry) == ("Not Sent", "Not Sent", 0)
		assert (r.parenttype, r.parentfield) == ("Email Queue", "recipients")
		assert r.name in flushable  # Frappe's flush picks it up
		msg, html, text = parts(r.message)
		assert msg["Subject"] == SUBJECT
		assert "\r\nTo: <!--recipient-->\r\n" in r.message  # Frappe fills the recipient in when sending
		user_lines = lines[r.recipient]
		shown = user_lines[: notify.DIGEST_LINES]
		assert html.count("<li>") == len(shown)
		for line in shown:
			escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
			assert f"<li>{escaped}</li>" in html
		assert "<b>" not in html
		if len(user_lines) > notify.DIGEST_LINES:
			assert f"… +{len(user_lines) - notify.DIGEST_LINES}</p>" in html
			assert user_lines[notify.DIGEST_LINES] not in html
		else:
			assert "… +" not in html
		assert f"OPP-{len(shown) - 1} " in text


def test_same_message_as_frappe_sendmail(factory):
	"""For every shape of body (one line, several, several and "… +N"), the set-based row equals
	what frappe.sendmail queues for the same user, but for the per-message Message-Id and Date."""
	fake = factory.fake["en_US"]
	for n in (1, 3, 205):
		user = factory.user()
		user_lines = lines_for(fake, n)
		frappe.sendmail(
			recipients=[user], subject=SUBJECT, message=notify.digest_body(user_lines), delayed=True
		)
		(theirs,) = queued_for([user])
		notify.send_digests(SUBJECT, {user: user_lines})
		ours = next(r for r in queued_for([user]) if r.name != theirs.name)
		same = (
			"sender",
			"email_account",
			"status",
			"priority",
			"add_unsubscribe_link",
			"unsubscribe_method",
			"unsubscribe_param",
			"expose_recipients",
			"attachments",
			"reference_doctype",
			"reference_name",
			"communication",
			"show_as_cc",
			"send_after",
			"retry",
			"owner",
			"recipient",
			"recipient_status",
		)
		assert {f: ours[f] for f in same} == {f: theirs[f] for f in same}
		assert ours.message_id != theirs.message_id
		(m1, html1, text1), (m2, html2, text2) = parts(ours.message), parts(theirs.message)
		for header in (
			"Subject",
			"From",
			"To",
			"Reply-To",
			"X-Frappe-Site",
			"X-Original-From",
			"isnotification",
		):
			assert m1[header] == m2[header], header
		assert m1["Message-Id"] != m2["Message-Id"]
		assert html1 == html2
		assert text1 == text2


def test_frappe_sender_builds_the_message(factory):
	user = factory.user()
	notify.send_digests(SUBJECT, {user: ["A & B <c>"]})
	(row,) = queued_for([user])
	doc = frappe.get_doc("Email Queue", row.name)
	assert doc.is_to_be_sent() and [r.recipient for r in doc.recipients] == [user]
	# what EmailQueue.send does per recipient (without its status commits)
	ctx = SendMailContext(doc)
	ctx.fetch_smtp_server()
	msg, html, text = parts(ctx.build_message(user).decode())
	assert msg["To"] == user
	assert msg["Subject"] == SUBJECT
	assert "<li>A &amp; B &lt;c&gt;</li>" in html
	assert "A & B <c>" in text
	assert ctx.email_account_doc.name == doc.email_account


def test_unsubscribed_user_gets_no_email(factory):
	user, other = factory.user(), factory.user()
	frappe.get_doc({"doctype": "Email Unsubscribe", "email": user, "global_unsubscribe": 1}).insert(
		ignore_permissions=True
	)
	notify.send_digests(SUBJECT, {user: ["x"], other: ["y"]})
	assert [r.recipient for r in queued_for([user, other])] == [other]


@contextmanager
def no_outgoing_account():
	"""No enabled outgoing account, and emails not muted (muted, Frappe uses a dummy account)."""
	accounts = frappe.get_all("Email Account", filters={"enable_outgoing": 1}, pluck="name")
	for name in accounts:
		frappe.db.set_value("Email Account", name, "enable_outgoing", 0)
	muted, flag = frappe.conf.get("mute_emails"), frappe.flags.mute_emails
	frappe.conf.mute_emails, frappe.flags.mute_emails = 0, False
	# Frappe keeps the accounts it found for the request (as a new job would not)
	frappe.local.outgoing_email_account = {}
	try:
		yield
	finally:
		frappe.conf.mute_emails, frappe.flags.mute_emails = muted, flag
		frappe.local.outgoing_email_account = {}


def test_without_outgoing_account_notifications_still_arrive(factory):
	user = factory.user()
	with no_outgoing_account():
		digest = notify.Digest(SUBJECT)
		assert digest.add([(user, "OPP-1 confiscated", "User", user)]) == 1
		digest.send()  # no OutgoingEmailError
	# (the user's own welcome email, queued when the account still existed, is not a digest)
	assert [r for r in queued_for([user]) if parts(r.message)[0]["Subject"] == SUBJECT] == []
	assert frappe.get_all("Notification Log", filters={"for_user": user}, pluck="subject") == [
		"OPP-1 confiscated"
	]


# --- the outbox: one flush job for many digests (issue 22) ---------------------------------------------


@contextmanager
def empty_outbox():
	"""The site's outbox and flush job as a test needs them: empty before, removed after."""
	from frappe.utils.background_jobs import get_job

	conn, key = notify._outbox()

	def clear():
		conn.delete(key)
		if job := get_job(notify.FLUSH_JOB):
			job.delete()

	clear()
	try:
		yield conn, key
	finally:
		clear()


def test_digests_queued_meanwhile_go_out_as_one_email_per_user_and_subject(factory):
	"""Three digests (two subjects) queued while no worker ran: one flush job is queued, and it sends
	one email per user and subject with every line in the order queued."""
	from frappe.utils.background_jobs import get_job

	a, b = factory.user(), factory.user()
	other = "Leads returned to the pool"
	with empty_outbox() as (conn, key):
		notify.queue_digest(SUBJECT, {a: ["OPP-1 confiscated"]})
		notify.queue_digest(SUBJECT, {a: ["OPP-2 confiscated"], b: ["OPP-3 confiscated"]})
		notify.queue_digest(other, {a: ["LEAD-1 returned"]})
		assert conn.llen(key) == 3
		job = get_job(notify.FLUSH_JOB)
		assert job is not None and job.get_status() == "queued"  # one job, deduplicated
		assert notify.flush_digests(batch=2, commit=False) == 3  # two rounds
		assert conn.llen(key) == 0
		assert notify.flush_digests(commit=False) == 0

	rows = queued_for([a, b])
	by = {(r.recipient, parts(r.message)[0]["Subject"]): parts(r.message)[1] for r in rows}
	assert sorted(by) == sorted([(a, SUBJECT), (a, other), (b, SUBJECT)])
	html = by[(a, SUBJECT)]
	assert html.count("<li>") == 2 and html.index("OPP-1") < html.index("OPP-2")
	assert "OPP-3" not in html and "OPP-3 confiscated" in by[(b, SUBJECT)]
	assert "LEAD-1 returned" in by[(a, other)] and "OPP" not in by[(a, other)]


def test_a_digest_left_in_the_outbox_is_sent_at_the_next_tick(factory):
	"""A digest queued as the previous flush job ended found it still started and queued none; the
	scheduler's tick queues one for it, and an empty outbox queues nothing."""
	from frappe.utils.background_jobs import get_job

	user = factory.user()
	with empty_outbox() as (conn, key):
		notify.queue_pending_digests()
		assert get_job(notify.FLUSH_JOB) is None
		conn.rpush(key, frappe.as_json({"subject": SUBJECT, "lines": {user: ["OPP-9 confiscated"]}}))
		notify.queue_pending_digests()
		assert get_job(notify.FLUSH_JOB).get_status() == "queued"
		assert notify.flush_digests(commit=False) == 1
	(row,) = queued_for([user])
	assert "OPP-9 confiscated" in parts(row.message)[1]
