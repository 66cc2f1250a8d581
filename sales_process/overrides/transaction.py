"""What Quotation, Sales Order and Contract share (O5): the link to a Sales Opportunity must be for
the same customer, and what happens to the document is told to the opportunity's owner."""

import frappe
from frappe import _

from sales_process.domain.notify import notify_sales_person


def validate_opportunity_link(doc, method=None):
	"""The linked opportunity must be for the document's customer."""
	name = doc.get("sales_opportunity")
	if not name:
		return
	customer = frappe.db.get_value("Sales Opportunity", name, "customer")
	party = doc.get("customer") or doc.get("party_name")
	if customer and party and customer != party:
		frappe.throw(
			_("Opportunity {0} is for customer {1}, not {2}.").format(name, customer, party),
			title=_("Wrong Opportunity"),
		)


def linked_opportunity(doc) -> frappe._dict | None:
	if not doc.get("sales_opportunity"):
		return None
	return frappe.db.get_value(
		"Sales Opportunity",
		doc.sales_opportunity,
		["name", "status", "sales_person", "customer", "lost_requested"],
		as_dict=True,
	)


def tell_owner(opp: frappe._dict, message: str):
	"""A comment on the opportunity (its timeline) and a notification to its owner."""
	opp_doc = frappe.get_doc("Sales Opportunity", opp.name)
	opp_doc.add_comment("Info", message)
	notify_sales_person(opp.sales_person, opp_doc, message)
