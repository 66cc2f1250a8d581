"""Stage deadline jobs (PRODUCT.md D2–D4): reminders before the due time and confiscation to
the superior after it. Both are set-based (one indexed query to find rows, one UPDATE and one
multi-row INSERT per batch), idempotent (the WHERE clauses re-check the condition, so a second
run finds nothing), and survive bad rows (reported to the Error Log, the rest go on).

They commit once per batch: a job over thousands of rows must not hold one huge transaction,
and a run killed half-way keeps the batches already done (the rest are picked up next run).
Tests call them with commit=False to stay inside their rolled-back transaction.
"""

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, get_datetime, now_datetime

from sales_process.domain import hierarchy
from sales_process.domain.bulk import insert_autoincrement
from sales_process.domain.notify import Digest

BATCH_SIZE = 500
ROOT = "Sales Team"


def _settings():
	s = frappe.get_cached_doc("Sales Process Settings")
	return frappe._dict(
		reminder_days=cint(s.reminder_days_before),
		grace_hours=cint(s.confiscation_grace_hours),
		restart=cint(s.restart_deadline_on_confiscation),
		pool=s.confiscation_pool or _tree_root(),
	)


def _tree_root() -> str:
	return frappe.db.get_value("Sales Person", {"parent_sales_person": ("in", ("", None))}, "name") or ROOT


def _batches(rows, size=BATCH_SIZE):
	for i in range(0, len(rows), size):
		yield rows[i : i + size]


# --- D2 ----------------------------------------------------------------------------------------------


def send_reminders(commit: bool = True) -> dict:
	"""Remind owners `reminder_days_before` days before the due time, once per deadline."""
	s = _settings()
	now = now_datetime()
	o = frappe.qb.DocType("Sales Opportunity")
	due_rows = (
		frappe.qb.from_(o)
		.select(o.name, o.sales_person, o.stage, o.stage_due_at, o.customer_name)
		.where(
			(o.status == "Open")
			& o.stage_due_at.isnotnull()
			& (o.stage_due_at <= add_to_date(now, days=s.reminder_days))
			& (o.stage_due_at > add_to_date(now, hours=-s.grace_hours))
			& (o.reminded_for_due.isnull() | (o.reminded_for_due != o.stage_due_at))
		)
		.orderby(o.stage_due_at)
		.run(as_dict=True)
	)
	sent = 0
	digest = Digest(_("Opportunities close to their stage deadline"))
	for batch in _batches(due_rows):
		names = [r.name for r in batch]
		# mark first (the WHERE re-checks, so a concurrent run or stage move cannot double-send)
		# nosemgrep: frappe-using-db-sql -- set-based UPDATE copying one column into another, per batch
		frappe.db.sql(
			"""update `tabSales Opportunity` set reminded_for_due = stage_due_at
			where name in %(names)s and status = 'Open' and stage_due_at is not null
			and (reminded_for_due is null or reminded_for_due != stage_due_at)""",
			{"names": names},
		)
		users = hierarchy.users_of(r.sales_person for r in batch)
		langs = hierarchy.languages(users.values())
		items = []
		for r in batch:
			user = users.get(r.sales_person)
			lang = langs.get(user)
			items.append(
				(
					user,
					_(
						"{0} ({1}) must leave stage {2} by {3}, or it will be confiscated to your superior.",
						lang=lang,
					).format(
						r.name,
						r.customer_name,
						_(r.stage, lang=lang),
						frappe.utils.format_datetime(r.stage_due_at),
					),
					"Sales Opportunity",
					r.name,
				)
			)
		digest.add(items)
		sent += len(batch)
		if commit:
			# nosemgrep: frappe-manual-commit -- a scheduler job commits per batch so a crash keeps finished batches (D4)
			frappe.db.commit()
	digest.send()
	if commit:
		# nosemgrep: frappe-manual-commit -- a scheduler job: the last batch and the digest
		frappe.db.commit()
	return {"reminded": sent}


# --- D3 ----------------------------------------------------------------------------------------------


def _targets(owners: set[str], pool: str) -> dict[str, str]:
	"""Owner → who receives their confiscated opportunities: the parent Sales Person, or the pool
	when the parent is the tree root (no one) or the owner is the root/pool itself."""
	sp = frappe.qb.DocType("Sales Person")
	rows = frappe.qb.from_(sp).select(sp.name, sp.parent_sales_person).where(sp.name.isin(list(owners))).run()
	parents = dict(rows)
	roots = {
		r[0]
		for r in frappe.qb.from_(sp)
		.select(sp.name)
		.where(sp.parent_sales_person.isnull() | (sp.parent_sales_person == ""))
		.run()
	}
	targets = {}
	for owner in owners:
		parent = parents.get(owner)
		if owner not in parents:
			continue  # owner no longer exists: reported as a bad row
		targets[owner] = parent if parent and parent not in roots else pool
		if targets[owner] == owner:
			targets[owner] = None  # the pool's own overdue work has nowhere higher to go
	return targets


def confiscate_overdue(commit: bool = True, batch_size: int = BATCH_SIZE) -> dict:
	"""D3: every open opportunity past due + grace goes to its owner's superior."""
	s = _settings()
	now = now_datetime()
	cutoff = add_to_date(now, hours=-s.grace_hours)
	o = frappe.qb.DocType("Sales Opportunity")
	candidates = (
		frappe.qb.from_(o)
		.select(o.name)
		.where(
			(o.status == "Open")
			& o.stage_due_at.isnotnull()
			& (o.stage_due_at <= cutoff)
			& (o.lost_requested == 0)
		)
		.orderby(o.stage_due_at)
		.run(pluck=True)
	)
	result = {"confiscated": 0, "skipped_locked": 0, "failed": []}
	digest = Digest(_("Opportunities confiscated for overrunning their stage"))
	for batch in _batches(candidates, batch_size):
		done, skipped, failed = _confiscate_batch(batch, now, cutoff, s, digest)
		result["confiscated"] += done
		result["skipped_locked"] += skipped
		result["failed"] += failed
		if commit:
			# nosemgrep: frappe-manual-commit -- a scheduler job commits per batch so a crash keeps finished batches (D4)
			frappe.db.commit()
	digest.send()
	if commit:
		# nosemgrep: frappe-manual-commit -- a scheduler job: the last batch and the digest
		frappe.db.commit()
	return result


def enqueue_confiscation():
	frappe.enqueue(
		"sales_process.scheduled.deadlines.confiscate_overdue",
		queue="long",
		job_id="sales_process:confiscate_overdue",
		deduplicate=True,
	)


def _confiscate_batch(names: list[str], now, cutoff, s, digest: Digest) -> tuple[int, int, list[str]]:
	# Lock this batch's rows, re-checking the condition against the latest committed data; rows
	# someone is editing right now (advance_stage holds their lock) are left for the next run.
	# nosemgrep: frappe-using-db-sql -- SELECT ... FOR UPDATE SKIP LOCKED re-checking the condition
	rows = frappe.db.sql(
		"""select name, sales_person, stage, stage_entered_at, customer_name
		from `tabSales Opportunity`
		where name in %(names)s and status = 'Open' and stage_due_at is not null
			and stage_due_at <= %(cutoff)s and lost_requested = 0
		for update skip locked""",
		{"names": names, "cutoff": cutoff},
		as_dict=True,
	)
	skipped = len(names) - len(rows)
	stages = set(frappe.get_all("Sales Process Stage", pluck="name"))
	targets = _targets({r.sales_person for r in rows}, s.pool)
	good, failed = [], []
	for r in rows:
		problem = None
		if r.stage not in stages:
			problem = _("stage {0} does not exist").format(r.stage)
		elif not targets.get(r.sales_person):
			problem = _("no superior or pool can receive it from {0}").format(r.sales_person)
		if problem:
			failed.append(r.name)
			frappe.log_error(
				title=_("Confiscation skipped {0}").format(r.name),
				message=_("Opportunity {0} was not confiscated: {1}.").format(r.name, problem),
				reference_doctype="Sales Opportunity",
				reference_name=r.name,
			)
		else:
			good.append(r)
	if not good:
		return 0, skipped, failed
	try:
		frappe.db.savepoint("confiscate_batch")
		_apply(good, targets, now, s, digest)
		frappe.db.release_savepoint("confiscate_batch")
		return len(good), skipped, failed
	except Exception:
		# something in the set-based path failed: redo the batch row by row, each row behind its
		# own savepoint, so one bad row costs only itself
		frappe.db.rollback(save_point="confiscate_batch")
	done = 0
	for r in good:
		try:
			frappe.db.savepoint("confiscate_row")
			_apply([r], targets, now, s, digest)
			frappe.db.release_savepoint("confiscate_row")
			done += 1
		except Exception:
			frappe.db.rollback(save_point="confiscate_row")
			failed.append(r.name)
			frappe.log_error(
				title=_("Confiscation failed {0}").format(r.name),
				reference_doctype="Sales Opportunity",
				reference_name=r.name,
			)
	return done, skipped, failed


def _apply(rows, targets: dict[str, str], now, s, digest: Digest):
	"""One UPDATE for the rows, one INSERT for their log rows, one for their notifications."""
	names = [r.name for r in rows]
	owners = sorted({r.sales_person for r in rows})
	case = " ".join(["when %s then %s"] * len(owners))
	params = [v for owner in owners for v in (owner, targets[owner])]
	deadline = (
		"if(st.time_limit_days > 0, date_add(%s, interval st.time_limit_days day), null)"
		if s.restart
		else "null"
	)
	# nosemgrep: frappe-using-db-sql -- multi-table UPDATE with a CASE over owners (set-based, D4)
	frappe.db.sql(
		f"""update `tabSales Opportunity` o join `tabSales Process Stage` st on st.name = o.stage
		set o.previous_sales_person = o.sales_person,
			o.sales_person = case o.sales_person {case} end,
			o.stage_due_at = {deadline},
			o.reminded_for_due = null,
			o.modified = %s, o.modified_by = %s
		where o.name in %s""",
		(*params, *([now] if s.restart else []), now, frappe.session.user, tuple(names)),
	)
	user = frappe.session.user
	insert_autoincrement(
		"Opportunity Stage Log",
		[
			"creation",
			"modified",
			"owner",
			"modified_by",
			"opportunity",
			"action",
			"at",
			"by_user",
			"from_stage",
			"to_stage",
			"from_sales_person",
			"to_sales_person",
			"days_in_stage",
			"note",
		],
		[
			(
				now,
				now,
				user,
				user,
				r.name,
				"Confiscate",
				now,
				user,
				r.stage,
				r.stage,
				r.sales_person,
				targets[r.sales_person],
				round((get_datetime(now) - get_datetime(r.stage_entered_at)).total_seconds() / 86400, 2)
				if r.stage_entered_at
				else 0,
				"overdue",
			)
			for r in rows
		],
	)
	users = hierarchy.users_of([r.sales_person for r in rows] + [targets[r.sales_person] for r in rows])
	langs = hierarchy.languages(users.values())
	items = []
	for r in rows:
		old_user, new_user = users.get(r.sales_person), users.get(targets[r.sales_person])
		target = targets[r.sales_person]
		lang = langs.get(old_user)
		items.append(
			(
				old_user,
				_("{0} ({1}) overran stage {2} and was confiscated to {3}.", lang=lang).format(
					r.name, r.customer_name, _(r.stage, lang=lang), target
				),
				"Sales Opportunity",
				r.name,
			)
		)
		lang = langs.get(new_user)
		items.append(
			(
				new_user,
				_(
					"{0} ({1}) overran stage {2} and was confiscated to {3}: keep it, return it or reassign it.",
					lang=lang,
				).format(r.name, r.customer_name, _(r.stage, lang=lang), target),
				"Sales Opportunity",
				r.name,
			)
		)
	digest.add(items)
