"""A superior's pending decisions (K5): what waits for them, oldest first.

- confiscated opportunities they hold (D3): open, owned by them, with the previous owner still set
  (Keep, Return and Reassign clear it); waiting since the latest `Confiscate` log row;
- lost requests (O3) of the people directly below them, and those escalated to them (K3, an
  `Escalate` log row to them since the request); waiting since the request.

The same items the Manager Responsiveness report counts as pending, read from the opportunities'
current state (two bounded queries) rather than the log.
"""

from pypika.terms import ExistsCriterion, Field

import frappe
from frappe.query_builder import Case
from frappe.query_builder.functions import Max
from frappe.utils import get_datetime

CONFISCATED = "Confiscated"
LOST_REQUEST = "Lost Request"


def pending(sales_person: str | None, now, limit: int = 20) -> list[dict]:
	"""Up to `limit` items awaiting `sales_person`'s decision, the longest waiting first: kind,
	opportunity, customer, stage, amount, from_sales_person (who it came from), since, age_hours,
	and for a lost request its reason and whether it was escalated to them."""
	if not sales_person:
		return []
	o = frappe.qb.DocType("Sales Opportunity")
	log = frappe.qb.DocType("Opportunity Stage Log")
	sp = frappe.qb.DocType("Sales Person")
	fields = (o.name, o.customer, o.customer_name, o.stage, o.amount, o.currency)
	since = Field("since")

	confiscated_at = (
		frappe.qb.from_(log)
		.select(Max(log.at))
		.where((log.opportunity == o.name) & (log.action == "Confiscate"))
	)
	held = (
		frappe.qb.from_(o)
		.select(*fields, o.previous_sales_person.as_("from_sales_person"), confiscated_at.as_("since"))
		.where((o.status == "Open") & (o.sales_person == sales_person) & o.previous_sales_person.isnotnull())
		.orderby(since)
		.orderby(o.name)
		.limit(limit)
		.run(as_dict=True)
	)

	escalated = ExistsCriterion(
		frappe.qb.from_(log)
		.select(log.name)
		.where(
			(log.opportunity == o.name)
			& (log.action == "Escalate")
			& (log.to_sales_person == sales_person)
			& (log.at >= o.lost_requested_at)
		)
	)
	asked = (
		frappe.qb.from_(o)
		.join(sp)
		.on(sp.name == o.sales_person)
		.select(
			*fields,
			o.sales_person.as_("from_sales_person"),
			o.lost_requested_at.as_("since"),
			o.lost_reason,
			Case().when(escalated, 1).else_(0).as_("escalated"),
		)
		.where(
			(o.status == "Open")
			& (o.lost_requested == 1)
			& ((sp.parent_sales_person == sales_person) | escalated)
		)
		.orderby(o.lost_requested_at)
		.orderby(o.name)
		.limit(limit)
		.run(as_dict=True)
	)

	items = [_item(r, CONFISCATED, now) for r in held] + [_item(r, LOST_REQUEST, now) for r in asked]
	items.sort(key=lambda i: (i["since"] is None, i["since"] or now, i["name"]))
	return items[:limit]


def _item(row, kind: str, now) -> dict:
	since = get_datetime(row.since) if row.since else None
	return {
		"kind": kind,
		"name": row.name,
		"customer": row.customer,
		"customer_name": row.customer_name,
		"stage": row.stage,
		"amount": row.amount,
		"currency": row.currency,
		"from_sales_person": row.from_sales_person,
		"since": since,
		"age_hours": round((now - since).total_seconds() / 3600, 1) if since else None,
		"lost_reason": row.get("lost_reason"),
		"escalated": bool(row.get("escalated")),
	}
