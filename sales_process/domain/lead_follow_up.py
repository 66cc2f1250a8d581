"""When a held lead returns to its pool (G5), as one SQL expression.

A held open lead without contact for its pool's follow-up days (the pool's own, or the
`lead_follow_up_days` setting), counted from the later of its last contact and the moment it was
taken, goes back to the pool. `return_due` is that moment for every row of a query, so the
workbench's "My Leads to Follow Up" orders by it and the stale-lead job can select with it.
"""

from pypika.terms import LiteralValue

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Coalesce, CustomFunction

from sales_process.domain.settings import get_settings

TimestampAdd = CustomFunction("TIMESTAMPADD", ["unit", "interval", "timestamp"])
Greatest = CustomFunction("GREATEST", ["a", "b"])


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


def return_due(table):
	"""The moment the lead in `table` (frappe.qb.DocType("Sales Lead")) returns to its pool; the
	pools' days as a CASE over the (few) pools rather than a join."""
	own, default = follow_up_days_by_pool()
	days = Case()
	for pool, value in own.items():
		days = days.when(table.pool == pool, value)
	days = days.else_(default) if own else default
	return TimestampAdd(LiteralValue("DAY"), days, last_activity(table))
