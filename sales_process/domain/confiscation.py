"""Stage deadlines enforced (D2–D4): the reminder before a stage's due time, and confiscation to the
owner's superior after it.

Set-based on purpose. A single opportunity changes through `opportunity._transition` (one document
save, one log row); these rules act on thousands of rows a run, so one indexed query finds them and
each batch is one UPDATE, one multi-row INSERT of Opportunity Stage Log rows and one of
notifications (D4). The change is the one `_transition` records for a confiscation — owner to the
superior, the previous owner kept, the deadline restarted, a Confiscate log row — and every moment
and duration comes from `domain.deadlines`.

Idempotent: each statement re-checks its condition, so a second run finds nothing. A row that
cannot be processed (its stage is gone, no one can receive it) goes to the Error Log and the rest
go on; a batch whose set-based path fails is redone row by row, each behind its own savepoint.

With `commit` they commit once per batch: a run over thousands of rows must not hold one huge
transaction, and a run killed half-way keeps the batches it finished (the next run picks up the
rest). Tests pass commit=False to stay inside their rolled-back transaction.
"""

from pypika.terms import ExistsCriterion

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.utils import cint, format_datetime, now_datetime

from sales_process.domain import deadlines, hierarchy, lost_reasons, stage_history
from sales_process.domain.notify import Digest
from sales_process.domain.settings import get_settings

BATCH_SIZE = 500
ROOT = "Sales Team"
LOG_FIELDS = [
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
]


def _tree_root() -> str:
	return frappe.db.get_value("Sales Person", {"parent_sales_person": ("in", ("", None))}, "name") or ROOT


def _batches(rows, size=BATCH_SIZE):
	for i in range(0, len(rows), size):
		yield rows[i : i + size]


def _commit(commit: bool):
	if commit:
		# nosemgrep: frappe-manual-commit -- a scheduler job commits per batch so a crash keeps finished batches (D4)
		frappe.db.commit()


# --- D2 ----------------------------------------------------------------------------------------------


def send_reminders(commit: bool = True) -> dict:
	"""Remind owners `reminder_days_before` days before the due time, once per deadline."""
	s = get_settings()
	now = now_datetime()
	o = frappe.qb.DocType("Sales Opportunity")
	due_rows = (
		frappe.qb.from_(o)
		.select(o.name, o.sales_person, o.stage, o.stage_due_at, o.customer_name)
		.where(deadlines.reminder_due(o, now, s.reminder_days_before, s.confiscation_grace_hours))
		.orderby(o.stage_due_at)
		.run(as_dict=True)
	)
	sent = 0
	digest = Digest(_("Opportunities close to their stage deadline"))
	for batch in _batches(due_rows):
		# mark first (the WHERE re-checks, so a concurrent run or stage move cannot double-send)
		(
			frappe.qb.update(o)
			.set(o.reminded_for_due, o.stage_due_at)
			.where(o.name.isin([r.name for r in batch]) & deadlines.not_reminded(o))
			.run()
		)
		digest.add(_reminder_items(batch))
		sent += len(batch)
		_commit(commit)
	digest.send()
	_commit(commit)  # the last batch and the digest
	return {"reminded": sent}


def _reminder_items(rows) -> list[tuple]:
	users = hierarchy.users_of(r.sales_person for r in rows)
	langs = hierarchy.languages(users.values())
	items = []
	for r in rows:
		user = users.get(r.sales_person)
		lang = langs.get(user)
		items.append(
			(
				user,
				_(
					"{0} ({1}) must leave stage {2} by {3}, or it will be confiscated to your superior.",
					lang=lang,
				).format(r.name, r.customer_name, _(r.stage, lang=lang), format_datetime(r.stage_due_at)),
				"Sales Opportunity",
				r.name,
			)
		)
	return items


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
	s = get_settings()
	policy = frappe._dict(
		now=now_datetime(),
		grace_hours=s.confiscation_grace_hours,
		restart=s.restart_deadline_on_confiscation,
		pool=s.confiscation_pool or _tree_root(),
		escalation_days=s.lost_request_escalation_days,
	)
	o = frappe.qb.DocType("Sales Opportunity")
	candidates = (
		frappe.qb.from_(o)
		.select(o.name)
		.where(deadlines.confiscation_due(o, policy.now, policy.grace_hours, policy.escalation_days))
		.orderby(o.stage_due_at)
		.run(pluck=True)
	)
	result = {"confiscated": 0, "skipped_locked": 0, "failed": []}
	digest = Digest(_("Opportunities confiscated for overrunning their stage"))
	for batch in _batches(candidates, batch_size):
		done, skipped, failed = _confiscate_batch(batch, policy, digest)
		result["confiscated"] += done
		result["skipped_locked"] += skipped
		result["failed"] += failed
		_commit(commit)
	digest.send()
	_commit(commit)  # the last batch and the digest
	return result


def _confiscate_batch(names: list[str], policy, digest: Digest) -> tuple[int, int, list[str]]:
	# Lock this batch's rows, re-checking the condition against the latest committed data; rows
	# someone is editing right now (advance_stage holds their lock) are left for the next run.
	o = frappe.qb.DocType("Sales Opportunity")
	rows = (
		frappe.qb.from_(o)
		.select(o.name, o.sales_person, o.stage, o.stage_entered_at, o.customer_name)
		.where(
			o.name.isin(names)
			& deadlines.confiscation_due(o, policy.now, policy.grace_hours, policy.escalation_days)
		)
		.for_update(skip_locked=True)
		.run(as_dict=True)
	)
	skipped = len(names) - len(rows)
	limits = dict(frappe.get_all("Sales Process Stage", fields=["name", "time_limit_days"], as_list=True))
	targets = _targets({r.sales_person for r in rows}, policy.pool)
	good, failed = [], []
	for r in rows:
		problem = None
		if r.stage not in limits:
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
		_apply(good, targets, limits, policy, digest)
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
			_apply([r], targets, limits, policy, digest)
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


def _apply(rows, targets: dict[str, str], limits: dict[str, int], policy, digest: Digest):
	"""One UPDATE for the rows, one INSERT for their log rows, one for their notifications."""
	now, user = policy.now, frappe.session.user
	o = frappe.qb.DocType("Sales Opportunity")
	# the new owner and the stage's time limit as CASEs over the batch's (few) owners and stages
	new_owner = Case()
	for owner in sorted({r.sales_person for r in rows}):
		new_owner = new_owner.when(o.sales_person == owner, targets[owner])
	limit = Case()
	for stage in sorted({r.stage for r in rows}):
		limit = limit.when(o.stage == stage, cint(limits[stage]))
	(
		frappe.qb.update(o)
		.set(o.previous_sales_person, o.sales_person)
		.set(o.sales_person, new_owner)
		.set(o.stage_due_at, deadlines.due_at_sql(now, limit) if policy.restart else None)
		.set(o.reminded_for_due, None)
		.set(o.modified, now)
		.set(o.modified_by, user)
		.where(o.name.isin([r.name for r in rows]))
		.run()
	)
	stage_history.insert_logs(
		LOG_FIELDS,
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
				deadlines.days_in_stage(r.stage_entered_at, now),
				"overdue",
			)
			for r in rows
		],
	)
	digest.add(_confiscation_items(rows, targets))


def _confiscation_items(rows, targets: dict[str, str]) -> list[tuple]:
	"""Both sides are told: the previous owner, and the one who received it."""
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
	return items


# --- K3 ----------------------------------------------------------------------------------------------


def escalate_lost_requests(commit: bool = True) -> dict:
	"""K3: a lost request the owner's superior has not decided within `lost_request_escalation_days`
	goes to the next superior up (notified; an Escalate log row). Once per request: the log row
	marks it, and every run re-checks for it under the row lock."""
	s = get_settings()
	now = now_datetime()
	o = frappe.qb.DocType("Sales Opportunity")
	log = frappe.qb.DocType("Opportunity Stage Log")
	escalated = (
		frappe.qb.from_(log)
		.select(log.name)
		.where((log.opportunity == o.name) & (log.action == "Escalate") & (log.at >= o.lost_requested_at))
	)
	due = (
		(o.status == "Open")
		& deadlines.lost_request_overdue(o, now, s.lost_request_escalation_days)
		& ~ExistsCriterion(escalated)
	)
	candidates = frappe.qb.from_(o).select(o.name).where(due).orderby(o.lost_requested_at).run(pluck=True)
	pool = s.confiscation_pool or _tree_root()
	result = {"escalated": 0}
	digest = Digest(_("Lost requests waiting too long for a decision"))
	for batch in _batches(candidates):
		rows = (
			frappe.qb.from_(o)
			.select(
				o.name,
				o.sales_person,
				o.stage,
				o.customer_name,
				o.lost_reason,
				o.lost_detail,
				o.lost_requested_at,
			)
			.where(o.name.isin(batch) & due)
			.for_update(skip_locked=True)
			.run(as_dict=True)
		)
		superiors = _targets({r.sales_person for r in rows}, pool)
		above = _targets({v for v in superiors.values() if v}, pool)
		rows = [r for r in rows if above.get(superiors.get(r.sales_person))]
		if rows:
			_escalate(rows, {r.name: above[superiors[r.sales_person]] for r in rows}, now, digest)
		result["escalated"] += len(rows)
		_commit(commit)
	digest.send()
	_commit(commit)
	return result


def _escalate(rows, targets: dict[str, str], now, digest: Digest):
	user = frappe.session.user
	stage_history.insert_logs(
		LOG_FIELDS,
		[
			(
				now,
				now,
				user,
				user,
				r.name,
				"Escalate",
				now,
				user,
				r.stage,
				r.stage,
				r.sales_person,
				targets[r.name],
				0,  # not a stage move
				lost_reasons.note(r.lost_reason, r.lost_detail),
			)
			for r in rows
		],
	)
	users = hierarchy.users_of(targets.values())
	langs = hierarchy.languages(users.values())
	items = []
	for r in rows:
		to_user = users.get(targets[r.name])
		lang = langs.get(to_user)
		items.append(
			(
				to_user,
				_(
					"{0} asked on {1} to close {2} ({3}) as lost and nobody has decided: approve or reject it.",
					lang=lang,
				).format(r.sales_person, format_datetime(r.lost_requested_at), r.name, r.customer_name),
				"Sales Opportunity",
				r.name,
			)
		)
	digest.add(items)
