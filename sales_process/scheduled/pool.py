"""The pool's scheduled return of stale leads (G5).

A held lead with no contact (no daily log on it: `last_contact_at`) for its pool's follow-up
period, counted from the later of that contact and the moment it was taken (`held_since`), goes
back to its pool. Set-based like confiscation: one query finds the leads, and each batch is one
UPDATE, one multi-row INSERT of Return log rows and one of notifications. Idempotent: each batch
re-checks the condition under a row lock, so a second run (or a run racing a claim or a daily
log) finds nothing to do. With `commit` it commits once per batch: a run killed half-way keeps
the batches it finished and the next run picks up the rest. Tests pass commit=False.
"""

import frappe
from frappe import _
from frappe.utils import add_days, now_datetime

from sales_process.domain import hierarchy, lead
from sales_process.domain.notify import Digest
from sales_process.domain.settings import get_settings

BATCH_SIZE = 2000


def _follow_up_days() -> tuple[dict[str, int], int]:
	"""Each pool's own follow-up period (0: the setting's), and the setting's."""
	default = get_settings().lead_follow_up_days
	p = frappe.qb.DocType("Sales Lead Pool")
	return dict(frappe.qb.from_(p).select(p.name, p.follow_up_days).run()), default


def _last_activity(row):
	"""The later of the last contact and the moment the holder took the lead."""
	held = row.held_since or row.creation
	return max(held, row.last_contact_at or held)


def return_stale_leads(commit: bool = True, batch_size: int = BATCH_SIZE) -> dict:
	now = now_datetime()
	pool_days, default_days = _follow_up_days()
	# nosemgrep: frappe-using-db-sql -- a join with a per-pool interval; frappe.qb has no date_sub over a column
	candidates = frappe.db.sql(
		"""select l.name from `tabSales Lead` l left join `tabSales Lead Pool` p on p.name = l.pool
		where ifnull(l.sales_person, '') != '' and l.status in %(open)s
			and greatest(coalesce(l.held_since, l.creation),
				coalesce(l.last_contact_at, l.held_since, l.creation))
			< date_sub(%(now)s, interval if(ifnull(p.follow_up_days, 0) > 0, p.follow_up_days, %(days)s) day)
		order by greatest(coalesce(l.held_since, l.creation),
			coalesce(l.last_contact_at, l.held_since, l.creation)), l.name""",
		{"now": now, "days": default_days, "open": lead.OPEN_STATUSES},
		pluck=True,
	)
	result = {"returned": 0, "skipped_locked": 0}
	digest = Digest(_("Leads returned to the pool"))
	default_pool = lead.default_pool()
	for start in range(0, len(candidates), batch_size):
		batch = candidates[start : start + batch_size]
		# lock the batch's leads (only them) and re-check on the latest committed rows; a lead someone
		# is claiming or logging right now waits for the next run. Plain parameters, not one frappe.qb
		# term per name: building those cost more than the statements themselves.
		# nosemgrep: frappe-using-db-sql -- a locking read of a few thousand names
		locked = frappe.db.sql(
			"""select name, sales_person, pool, company_name, lead_name, held_since, last_contact_at,
				creation
			from `tabSales Lead`
			where name in %(names)s and ifnull(sales_person, '') != '' and status in %(open)s
			for update skip locked""",
			{"names": batch, "open": lead.OPEN_STATUSES},
			as_dict=True,
		)
		rows = []
		for r in locked:
			r.pool = r.pool or default_pool
			r.days = pool_days.get(r.pool) or default_days
			if _last_activity(r) < add_days(now, -r.days):
				rows.append(r)
		result["skipped_locked"] += len(batch) - len(locked)
		if rows:
			_apply(rows, now, default_pool, digest)
			result["returned"] += len(rows)
		if commit:
			# nosemgrep: frappe-manual-commit -- a scheduler job commits per batch so a crash keeps finished batches
			frappe.db.commit()
	digest.send()
	if commit:
		# nosemgrep: frappe-manual-commit -- a scheduler job: the digest
		frappe.db.commit()
	return result


def _apply(rows, now, default_pool: str, digest: Digest):
	"""One UPDATE for the rows, one INSERT for their Return log rows, one for the notifications."""
	# nosemgrep: frappe-using-db-sql -- one UPDATE of a few thousand names (see the locking read)
	frappe.db.sql(
		"""update `tabSales Lead` set sales_person = null, held_since = null,
			pool = ifnull(pool, %(pool)s), modified = %(now)s, modified_by = %(user)s
		where name in %(names)s""",
		{"pool": default_pool, "now": now, "user": frappe.session.user, "names": [r.name for r in rows]},
	)
	reason, reasons = _("No contact for {0} days."), {}
	lead.write_logs(
		[
			(
				r.name,
				"Return",
				r.sales_person,
				None,
				r.pool,
				reasons.setdefault(r.days, reason.format(r.days)),
			)
			for r in rows
		]
	)
	users = hierarchy.users_of(r.sales_person for r in rows)
	langs = hierarchy.languages(users.values())
	templates, pools = {}, {}  # translated once per language, not once per lead
	items = []
	for r in rows:
		user = users.get(r.sales_person)
		lang = langs.get(user)
		if lang not in templates:
			templates[lang] = _(
				"Lead {0} ({1}) had no contact for {2} days and returned to pool {3}.", lang=lang
			)
		if (r.pool, lang) not in pools:
			pools[r.pool, lang] = _(r.pool, lang=lang)
		items.append(
			(
				user,
				templates[lang].format(r.name, r.company_name or r.lead_name, r.days, pools[r.pool, lang]),
				"Sales Lead",
				r.name,
			)
		)
	digest.add(items)
