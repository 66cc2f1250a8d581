"""Assignment of new leads (G4) through Frappe's own Assignment Rule (round robin, load balancing,
based on field): no rotation of the app's own.

A company that wants leads handed out creates an Assignment Rule on Sales Lead, with an assign
condition such as `not sales_person` (a lead nobody holds yet). When a rule assigns a user (a
ToDo with `assignment_rule`), that user's Sales Person becomes the holder with one Assign log row.
A lead without a matching rule, or whose rule picked a user without an enabled Sales Person or
at the hold limit, stays in the pool lead.prepare_new placed it in. Rules act on new leads only: a
rule firing on a later save, or a hand-made ToDo naming a rule, is withdrawn (cancelled).
"""

import frappe
from frappe import _
from frappe.automation.doctype.assignment_rule import assignment_rule
from frappe.utils import now_datetime

from sales_process.domain import hierarchy, lead
from sales_process.domain.settings import get_settings


def apply_rules(doc, method=None):
	"""doc_events Sales Lead after_insert: run the rules now, while the new document is at hand,
	and take the holder they gave back onto it (Frappe runs the rules again in on_update; with the
	assignment made, that run changes nothing)."""
	if doc.sales_person:
		return
	_in_insert().add(doc.name)
	assignment_rule.apply(doc)
	held = frappe.db.get_value(lead.DOCTYPE, doc.name, ["sales_person", "held_since"], as_dict=True)
	doc.sales_person, doc.held_since = held.sales_person, held.held_since


def inserted(doc, method=None):
	"""doc_events Sales Lead on_change, the last step of an insert: its rules have run."""
	_in_insert().discard(doc.name)


def _in_insert() -> set:
	"""Names of the leads whose insert is running in this request (request-local)."""
	if frappe.flags.sales_leads_in_insert is None:
		frappe.flags.sales_leads_in_insert = set()
	return frappe.flags.sales_leads_in_insert


def on_todo_insert(todo, method=None):
	"""doc_events ToDo after_insert: a rule's assignment of a Sales Lead being inserted makes the
	holder. Only then: a ToDo anyone may add by hand names `assignment_rule` too, and must not
	take a lead past claim_lead's checks."""
	if todo.reference_type != lead.DOCTYPE or not todo.assignment_rule:
		return
	if todo.reference_name not in _in_insert():
		_withdraw(todo)
		return
	row = frappe.db.get_value(
		lead.DOCTYPE, todo.reference_name, ["sales_person", "status", "pool"], as_dict=True, for_update=True
	)
	sales_person = hierarchy.sales_person_of(todo.allocated_to)
	if (
		row
		and not row.sales_person
		and row.status in lead.OPEN_STATUSES
		and sales_person
		and lead.held_count(sales_person) < get_settings().lead_hold_limit
	):
		frappe.db.set_value(
			lead.DOCTYPE,
			todo.reference_name,
			{"sales_person": sales_person, "held_since": now_datetime()},
			update_modified=False,
		)
		lead.write_log(
			todo.reference_name,
			"Assign",
			to_sp=sales_person,
			reason=_("Assignment Rule {0}").format(todo.assignment_rule),
			pool=row.pool,
		)
		return
	_withdraw(todo)


def _withdraw(todo):
	"""The lead is someone's already, or not new, or the user cannot hold it: holders change only
	through the pool's own moves (claim, assign, release), so the rule's task is withdrawn."""
	frappe.db.set_value("ToDo", todo.name, "status", "Cancelled", update_modified=False)
	todo.status = "Cancelled"
