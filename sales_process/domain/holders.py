"""Who holds a customer (K8): the one definition the help alerts, the care job and the workbench use.

A Sales Person holds a customer when they own one of its open opportunities, or its latest won
opportunity (the deal they won stays theirs to look after: 客服, anniversaries, referrals), or sit
on the customer's ERPNext Sales Team. Superiors are not holders; they act for a customer through
their data scope (A1), as they do for an opportunity.
"""

from pypika.terms import ExistsCriterion

import frappe
from frappe import _
from frappe.query_builder.functions import Coalesce

from sales_process.domain import hierarchy


def _sources(scope: hierarchy.Scope = hierarchy.EVERYONE):
	"""The three sources of holders as (query, customer column, sales person column), each query
	restricted to holders in `scope` and selecting nothing yet."""
	opp = frappe.qb.DocType("Sales Opportunity")
	later = frappe.qb.DocType("Sales Opportunity").as_("later")
	team = frappe.qb.DocType("Sales Team")
	won_at, later_won_at = (Coalesce(o.stage_entered_at, o.creation) for o in (opp, later))
	# the latest won opportunity: no won opportunity of the same customer entered its won stage
	# after it (ties broken by name, so exactly one is the latest)
	won_later = ExistsCriterion(
		frappe.qb.from_(later)
		.select(later.name)
		.where(
			(later.customer == opp.customer)
			& (later.status == "Won")
			& ((later_won_at > won_at) | ((later_won_at == won_at) & (later.name > opp.name)))
		)
	)
	sources = [
		(
			frappe.qb.from_(opp).where((opp.status == "Open") & opp.sales_person.isnotnull()),
			opp.customer,
			opp.sales_person,
		),
		(
			frappe.qb.from_(opp).where(
				(opp.status == "Won") & opp.sales_person.isnotnull() & won_later.negate()
			),
			opp.customer,
			opp.sales_person,
		),
		(
			frappe.qb.from_(team).where((team.parenttype == "Customer") & team.sales_person.isnotnull()),
			team.parent,
			team.sales_person,
		),
	]
	return [(scope.apply(query, person), customer, person) for query, customer, person in sources]


def holders(customers) -> dict[str, set[str]]:
	"""Customer → the Sales Persons who hold it, for many customers at once."""
	customers = sorted({c for c in customers if c})
	out: dict[str, set[str]] = {}
	if not customers:
		return out
	for query, customer, person in _sources():
		for name, sales_person in (
			query.select(customer, person).distinct().where(customer.isin(customers)).run()
		):
			out.setdefault(name, set()).add(sales_person)
	return out


def held_customers(scope: hierarchy.Scope):
	"""The names of the customers held by someone in `scope`, as one subquery (a UNION)."""
	parts = [query.select(customer) for query, customer, _person in _sources(scope)]
	union = parts[0]
	for part in parts[1:]:
		union = union.union(part)
	return union


def may_act_for(customer: str, user: str | None = None) -> bool:
	"""True when `user` holds `customer` or has one of its holders in their data scope (a superior,
	a manager)."""
	user = user or frappe.session.user
	if hierarchy.is_scope_free(user):
		return True
	scope = hierarchy.scope_of(user)
	return any(scope.contains(sp) for sp in holders([customer]).get(customer, ()))


def check_may_act_for(customer: str, user: str | None = None) -> None:
	"""`may_act_for` or a PermissionError that says who may; an unknown customer is an error first."""
	if not customer or not frappe.db.exists("Customer", customer):
		frappe.throw(_("Customer {0} does not exist.").format(customer or ""), frappe.DoesNotExistError)
	if not may_act_for(customer, user):
		frappe.throw(
			_(
				"You do not hold customer {0}: only the salesperson who holds it, their superiors and the Sales Managers can do this."
			).format(customer),
			frappe.PermissionError,
		)
