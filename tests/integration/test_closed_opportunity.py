"""K1: a won or lost opportunity's amount, currency, customer and expected close date are frozen
against every entry point (in-process save, ignore_validate, REST PUT, frappe.client.set_value); a
manager corrects them through `correct_closed`, which logs the old and the new values."""

import pytest

import frappe
from frappe.utils import add_days, now_datetime, today

from sales_process.api.opportunity import correct_closed
from sales_process.domain.opportunity import ProcessError
from tests.integration.rest import message

OPP = "Sales Opportunity"
API = "sales_process.api.opportunity"
FROZEN = {
	"amount": 999999,
	"currency": "USD",
	"expected_close_date": "2031-05-05",
}


def close(name: str, status: str):
	"""Test data: the terminal stage set directly (the stage walk is tested elsewhere)."""
	flag = "is_won" if status == "Won" else "is_lost"
	stage = frappe.get_all("Sales Process Stage", {flag: 1}, pluck="name")[0]
	frappe.db.set_value(OPP, name, {"status": status, "stage": stage, "stage_entered_at": now_datetime()})


@pytest.fixture
def closed(factory):
	team = factory.team()
	opp = factory.opportunity(team.rep, amount=5000)
	close(opp.name, "Won")
	return frappe._dict(team=team, name=opp.name)


@pytest.mark.parametrize("status", ["Won", "Lost"])
@pytest.mark.parametrize("field", [*FROZEN, "customer"])
def test_in_process_saves_cannot_change_a_closed_opportunity(factory, status, field):
	team = factory.team()
	name = factory.opportunity(team.rep, amount=5000).name
	close(name, status)
	value = FROZEN.get(field) or factory.customer()
	for ignore_validate in (False, True):
		doc = frappe.get_doc(OPP, name)
		doc.set(field, value)
		doc.flags.ignore_validate = ignore_validate
		with pytest.raises(ProcessError, match="closed opportunity cannot be edited"):
			doc.save(ignore_permissions=True)
	# the transition flag (the process's own pass) does not open it either
	doc = frappe.get_doc(OPP, name)
	doc.set(field, value)
	doc.flags.sales_process_transition = True
	with pytest.raises(ProcessError):
		doc.save(ignore_permissions=True)


def test_other_fields_of_a_closed_opportunity_stay_editable(closed):
	doc = frappe.get_doc(OPP, closed.name)
	doc.next_action = "回访"
	doc.save(ignore_permissions=True)
	assert frappe.db.get_value(OPP, closed.name, "next_action") == "回访"


def test_a_manager_corrects_a_closed_opportunity_with_a_logged_reason(factory, closed):
	new_customer = factory.customer()
	frappe.set_user(factory.user(roles=("Sales Manager", "Sales User")))
	with pytest.raises(frappe.MandatoryError):
		correct_closed(closed.name, reason="  ", amount=6000)
	with pytest.raises(frappe.ValidationError, match="Nothing to correct"):
		correct_closed(closed.name, reason="typo", amount=5000)
	correct_closed(
		closed.name,
		reason="合同金额更正",
		amount=6000,
		customer=new_customer,
		expected_close_date=add_days(today(), -3),
	)
	row = frappe.db.get_value(OPP, closed.name, ["amount", "customer", "status"], as_dict=True)
	assert (row.amount, row.customer, row.status) == (6000, new_customer, "Won")
	log = frappe.get_all(
		"Opportunity Stage Log", {"opportunity": closed.name, "action": "Correct"}, ["note", "by_user"]
	)
	assert len(log) == 1 and log[0].by_user == frappe.session.user
	assert "5000" in log[0].note and "6000" in log[0].note and new_customer in log[0].note
	assert "合同金额更正" in log[0].note


def test_only_managers_correct_and_only_closed_opportunities(factory, closed):
	frappe.set_user(factory.user_of(closed.team.lead))  # a superior, but no Sales Manager role
	with pytest.raises(frappe.PermissionError):
		correct_closed(closed.name, reason="x", amount=1)
	frappe.set_user("Administrator")
	open_one = factory.opportunity(closed.team.rep).name
	with pytest.raises(ProcessError, match="still open"):
		correct_closed(open_one, reason="x", amount=1)
	assert frappe.db.get_value(OPP, closed.name, "amount") == 5000


@pytest.mark.parametrize("field", [*FROZEN, "customer"])
def test_rest_and_frappe_client_cannot_change_a_won_opportunity(world, field):
	name = world["rep_a1"].insert(OPP, world.opportunity_doc(world.customer())).json()["data"]["name"]
	close(name, "Won")
	frappe.db.commit()
	value = FROZEN.get(field) or world.customer()
	for who in ("rep_a1", "manager", "admin"):
		r = world[who].update(OPP, name, {field: value})
		assert r.status_code in (403, 417), (who, r.status_code, message(r))
		r = world[who].call("frappe.client.set_value", doctype=OPP, name=name, fieldname=field, value=value)
		assert r.status_code in (403, 417), (who, r.status_code, message(r))
	frappe.db.rollback()
	assert frappe.db.get_value(OPP, name, "amount") == 10000
	# the logged correction goes through for the manager, over POST only
	r = world["rep_a1"].call(f"{API}.correct_closed", name=name, reason="x", amount=1)
	assert r.status_code == 403
	r = world["manager"].call(f"{API}.correct_closed", http="GET", name=name, reason="x", amount=1)
	assert r.status_code in (403, 405)
	r = world["manager"].call(f"{API}.correct_closed", name=name, reason="签约金额", amount=12000)
	assert r.status_code == 200, message(r)
	frappe.db.rollback()
	assert frappe.db.get_value(OPP, name, "amount") == 12000
