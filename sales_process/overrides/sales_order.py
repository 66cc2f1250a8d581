"""doc_events on Sales Order (O5): a submitted order linked to an open opportunity offers the won
stage to its owner; it does not force the opportunity past its exit criteria."""

import frappe
from frappe import _

from sales_process.domain.notify import notify_sales_person


def offer_won_stage(doc, method=None):
	if not doc.get("sales_opportunity"):
		return
	opp = frappe.db.get_value(
		"Sales Opportunity",
		doc.sales_opportunity,
		["name", "status", "sales_person", "customer"],
		as_dict=True,
	)
	if not opp:
		return
	if opp.customer != doc.customer:
		frappe.throw(
			_("Sales Order {0} is for {1}, but opportunity {2} is for {3}.").format(
				doc.name, doc.customer, opp.name, opp.customer
			)
		)
	if opp.status != "Open":
		return
	opp_doc = frappe.get_doc("Sales Opportunity", opp.name)
	message = _(
		"Sales Order {0} was submitted for {1}: advance it to the won stage once its exit criteria are met."
	).format(doc.name, opp.name)
	opp_doc.add_comment("Info", message)
	notify_sales_person(opp.sales_person, opp_doc, message)


def validate_opportunity_link(doc, method=None):
	"""Quotation / Sales Order / Contract: the linked opportunity must be for the same customer."""
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
