"""O5: what a Quotation or Sales Order linked to an opportunity does to it — a submitted order offers
the won stage, a cancelled one is told to the owner, a quotation marked lost (ERPNext's own
declare_enquiry_lost) offers the lost request; none of them moves the opportunity by itself."""

import pytest

import frappe
from frappe.utils import add_days, today

OPP = "Sales Opportunity"


@pytest.fixture
def deal(factory):
	team = factory.team()
	customer = factory.customer()
	opp = factory.opportunity(team.rep, customer=customer)
	item = factory.service_item()
	return frappe._dict(
		team=team,
		customer=customer,
		opp=opp.name,
		item=item,
		user=factory.user_of(team.rep),
		company=frappe.defaults.get_global_default("company"),
	)


def sales_order(deal, **fields):
	return frappe.get_doc(
		{
			"doctype": "Sales Order",
			"customer": deal.customer,
			"company": deal.company,
			"transaction_date": today(),
			"delivery_date": add_days(today(), 20),
			"sales_opportunity": deal.opp,
			"items": [
				{"item_code": deal.item, "qty": 1, "rate": 100, "delivery_date": add_days(today(), 20)}
			],
			**fields,
		}
	).insert(ignore_permissions=True)


def quotation(deal):
	return frappe.get_doc(
		{
			"doctype": "Quotation",
			"quotation_to": "Customer",
			"party_name": deal.customer,
			"company": deal.company,
			"transaction_date": today(),
			"valid_till": add_days(today(), 30),
			"sales_opportunity": deal.opp,
			"items": [{"item_code": deal.item, "qty": 1, "rate": 100}],
		}
	).insert(ignore_permissions=True)


def told(deal) -> list[str]:
	"""The owner's notifications and the opportunity's Info comments about it (same text)."""
	notes = frappe.get_all(
		"Notification Log",
		{"document_type": OPP, "document_name": deal.opp, "for_user": deal.user},
		pluck="subject",
	)
	comments = frappe.get_all(
		"Comment",
		{"reference_doctype": OPP, "reference_name": deal.opp, "comment_type": "Info"},
		pluck="content",
	)
	assert len(notes) == len(comments)
	return notes


def unchanged(deal):
	row = frappe.db.get_value(OPP, deal.opp, ["status", "lost_requested"], as_dict=True)
	assert (row.status, row.lost_requested) == ("Open", 0)


def test_a_submitted_sales_order_offers_the_won_stage(deal):
	so = sales_order(deal)
	assert told(deal) == []
	so.submit()
	[note] = told(deal)
	assert so.name in note and "won stage" in note
	unchanged(deal)


def test_a_sales_order_for_another_customer_is_refused(factory, deal):
	with pytest.raises(frappe.ValidationError, match="Wrong Opportunity|is for customer"):
		sales_order(deal, customer=factory.customer())


def test_a_cancelled_sales_order_is_told_to_the_owner(deal):
	so = sales_order(deal)
	so.submit()
	so.cancel()
	notes = told(deal)
	assert len(notes) == 2 and any(so.name in n and "cancelled" in n for n in notes)
	unchanged(deal)


def test_a_quotation_marked_lost_offers_the_lost_request_once(deal):
	q = quotation(deal)
	q.submit()
	assert told(deal) == []
	reason = frappe.db.get_value("Quotation Lost Reason", {}, "name") or (
		frappe.get_doc({"doctype": "Quotation Lost Reason", "order_lost_reason": "价格过高"})
		.insert(ignore_permissions=True)
		.name
	)
	q.declare_enquiry_lost([{"lost_reason": reason}], [], detailed_reason="客户选了别家")
	assert frappe.db.get_value("Quotation", q.name, "status") == "Lost"
	[note] = told(deal)
	assert q.name in note and "request to close it as lost" in note
	unchanged(deal)  # offered, not done
	# saving the lost quotation again tells nothing new
	q = frappe.get_doc("Quotation", q.name)
	q.add_comment("Comment", "x")
	q.save()
	assert len(told(deal)) == 1


def test_a_lost_quotation_of_an_opportunity_already_asked_lost_tells_nothing(deal):
	from sales_process.api import opportunity as api

	frappe.set_user(deal.user)
	api.request_lost(deal.opp, "No Budget", "预算取消")
	frappe.set_user("Administrator")
	q = quotation(deal)
	q.submit()
	q.db_set("status", "Lost")
	assert told(deal) == []
