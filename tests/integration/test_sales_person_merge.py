"""L2: merging two Sales Persons (Frappe's rename with merge) would interleave two daily-log hash
chains into one; it is refused when both have entries, allowed otherwise."""

import pytest

import frappe

from sales_process.api.daily_log import add_log

LOG = "Sales Daily Log"


def log_as(factory, sales_person: str, customer: str) -> str:
	frappe.set_user(factory.user_of(sales_person))
	try:
		return add_log(customer=customer, activities=["电话沟通"], minutes=10, note="回访")
	finally:
		frappe.set_user("Administrator")


def test_merging_two_people_with_chains_is_refused(factory):
	team = factory.team()
	customer = factory.customer()
	log_as(factory, team.rep, customer)
	log_as(factory, team.rep2, customer)
	with pytest.raises(frappe.ValidationError, match="both have daily logs"):
		frappe.rename_doc("Sales Person", team.rep, team.rep2, merge=True)
	assert frappe.db.exists("Sales Person", team.rep)
	assert frappe.db.count(LOG, {"sales_person": team.rep}) == 1
	assert frappe.db.count(LOG, {"sales_person": team.rep2}) == 1


def test_merging_a_person_without_a_chain_goes_through(factory):
	team = factory.team()
	log_as(factory, team.rep2, factory.customer())
	frappe.rename_doc("Sales Person", team.rep, team.rep2, merge=True)
	assert not frappe.db.exists("Sales Person", team.rep)
	assert frappe.db.count(LOG, {"sales_person": team.rep2}) == 1
