"""doc_events on Sales Order (O5): a submitted order linked to an open opportunity offers the won
stage to its owner (it does not force the opportunity past its exit criteria); a cancelled one is
told to the owner."""

import frappe
from frappe import _

from sales_process.overrides.transaction import linked_opportunity, tell_owner, validate_opportunity_link


def validate(doc, method=None):
	validate_opportunity_link(doc)


def offer_won_stage(doc, method=None):
	opp = linked_opportunity(doc)
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
	tell_owner(
		opp,
		_(
			"Sales Order {0} was submitted for {1}: advance it to the won stage once its exit criteria are met."
		).format(doc.name, opp.name),
	)


def notify_cancelled(doc, method=None):
	opp = linked_opportunity(doc)
	if not opp:
		return
	tell_owner(
		opp,
		_("Sales Order {0} for {1} was cancelled: check whether the opportunity still holds.").format(
			doc.name, opp.name
		),
	)
