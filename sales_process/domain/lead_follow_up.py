"""When a held lead returns to its pool (G5): one SQL expression and the set-based job.

A held open lead without contact for its pool's follow-up days (the pool's own, or the
`lead_follow_up_days` setting), counted from the later of its last contact and the moment it was
taken, goes back to the pool. `return_due` is that moment for every row of a query, so the
workbench's "My Leads to Follow Up" orders by it and `return_stale_leads` selects with it.

The job is set-based like confiscation: one query finds the leads, and each batch is one locking
read, one INSERT … SELECT of Return log rows, one UPDATE and one multi-row INSERT of
notifications. Idempotent: a batch keeps only the leads nothing touched since they were selected
(a claim, a daily log or another run in between leaves them for the next run). With `commit` it
commits once per batch, so a run killed half-way keeps the batches it finished and the next run
picks up the rest; tests pass commit=False.
"""

from pypika.terms import LiteralValue

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, CustomFunction
from frappe.utils import now_datetime

from sales_process.domain import hierarchy, lead
from sales_process.domain.deadlines import TimestampAdd
from sales_process.domain.notify import Digest
from sales_process.domain.settings import get_settings

Greatest = CustomFunction("GREATEST", ["a", "b"])
BATCH_SIZE = 2000


def follow_up_days_by_pool() -> tuple[dict[str, int], int]:
	"""Each pool's own follow-up days (pools with 0 use the setting), and the setting's."""
	p = frappe.qb.DocType("Sales Lead Pool")
	own = {
		name: int(days) for name, days in frappe.qb.from_(p).select(p.name, p.follow_up_days).run() if days
	}
	return own, get_settings().lead_follow_up_days


def last_activity(table):
	"""The later of the last contact and the moment the holder took the lead (its creation when it
	was never taken)."""
	taken = Coalesce(table.held_since, table.creation)
	return Greatest(taken, Coalesce(table.last_contact_at, taken))


def return_due(table, days: tuple[dict[str, int], int] | None = None):
	"""The moment the lead in `table` (frappe.qb.DocType("Sales Lead")) returns to its pool; the
	pools' days (`follow_up_days_by_pool()`) as a CASE over the (few) pools rather than a join."""
	own, default = days or follow_up_days_by_pool()
	days = Case()
	for pool, value in own.items():
		days = days.when(table.pool == pool, value)
	days = days.else_(default) if own else default
	return TimestampAdd(LiteralValue("DAY"), days, last_activity(table))


def return_stale_leads(commit: bool = True, batch_size: int = BATCH_SIZE) -> dict:
	now = now_datetime()
	days = follow_up_days_by_pool()
	sl = frappe.qb.DocType(lead.DOCTYPE)
	due = return_due(sl, days)
	candidates = (
		frappe.qb.from_(sl)
		.select(sl.name, sl.sales_person, sl.pool, sl.held_since, sl.last_contact_at)
		.where((Coalesce(sl.sales_person, "") != "") & sl.status.isin(lead.OPEN_STATUSES) & (due < now))
		.orderby(due)
		.orderby(sl.name)
		.run(as_dict=True)
	)
	result = {"returned": 0, "skipped_locked": 0}
	digest = Digest(_("Leads returned to the pool"))
	default_pool = lead.default_pool()
	for start in range(0, len(candidates), batch_size):
		seen = {r.name: r for r in candidates[start : start + batch_size]}
		rows = [r for r in _lock_batch(list(seen)) if _unchanged(r, seen[r.name])]
		result["skipped_locked"] += len(seen) - len(rows)
		if rows:
			_apply(rows, now, default_pool, days, digest)
			result["returned"] += len(rows)
		if commit:
			# nosemgrep: frappe-manual-commit -- a scheduler job commits per batch so a crash keeps finished batches
			frappe.db.commit()
	digest.send()
	if commit:
		# nosemgrep: frappe-manual-commit -- a scheduler job: the digest
		frappe.db.commit()
	return result


def _lock_batch(names: list[str]) -> list:
	"""The batch's leads, still held and open, locked on their latest committed rows; a lead someone
	is claiming or logging right now is skipped (it waits for the next run). Plain parameters: one
	frappe.qb term per name costs more than the statement itself."""
	# nosemgrep: frappe-using-db-sql -- a locking read of a few thousand names (see above)
	return frappe.db.sql(
		"""select name, sales_person, pool, held_since, last_contact_at, company_name, lead_name
		from `tabSales Lead`
		where name in %(names)s and ifnull(sales_person, '') != '' and status in %(open)s
		for update skip locked""",
		{"names": names, "open": lead.OPEN_STATUSES},
		as_dict=True,
	)


def _unchanged(row, seen) -> bool:
	"""Nothing moved the lead between the selection (where it was stale) and its lock."""
	return all(row[f] == seen[f] for f in ("sales_person", "pool", "held_since", "last_contact_at"))


def _apply(rows, now, default_pool: str, days: tuple[dict[str, int], int], digest: Digest):
	"""The Return log rows (per follow-up period, whose number the reason names), one UPDATE, and
	one notification per lead to its holder."""
	own, default = days
	by_days = {}
	for r in rows:
		r.days = own.get(r.pool) or default
		r.pool = r.pool or default_pool
		by_days.setdefault(r.days, []).append(r.name)
	for n, names in by_days.items():
		lead.write_logs_before_move(names, "Return", _("No contact for {0} days.").format(n), default_pool)
	# nosemgrep: frappe-using-db-sql -- one UPDATE of a few thousand names (see _lock_batch)
	frappe.db.sql(
		"""update `tabSales Lead` set sales_person = null, held_since = null,
			pool = ifnull(pool, %(pool)s), modified = %(now)s, modified_by = %(user)s
		where name in %(names)s""",
		{"pool": default_pool, "now": now, "user": frappe.session.user, "names": [r.name for r in rows]},
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
