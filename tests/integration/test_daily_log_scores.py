"""An entry's effective score (L1) comes from the activity types' cached documents: a change of an
activity type (form save, `frappe.db.set_value`) counts from the next entry on, and an unknown
activity is refused as before. In-process, in a rolled-back transaction."""

import pytest

import frappe

from sales_process.api import daily_log as api

LOG = "Sales Daily Log"
TYPE = "Sales Activity Type"


@pytest.fixture
def setup(factory):
	name = factory.unique("score cache")
	frappe.get_doc({"doctype": TYPE, "activity_name": name, "score": 2, "is_effective": 1}).insert(
		ignore_permissions=True
	)
	team = factory.team()
	customer = factory.customer()
	yield frappe._dict(activity=name, rep=factory.user_of(team.rep), customer=customer)
	frappe.set_user("Administrator")


def score_of_new_entry(setup) -> float:
	frappe.set_user(setup.rep)
	try:
		name = api.add_log(setup.customer, [setup.activity, "电话沟通"], 5)
	finally:
		frappe.set_user("Administrator")
	return frappe.db.get_value(LOG, name, "effective_score")


def test_a_changed_activity_type_counts_from_the_next_entry(setup):
	phone = frappe.db.get_value(TYPE, "电话沟通", "score")
	assert score_of_new_entry(setup) == 2 + phone  # the first entry fills the cache

	doc = frappe.get_doc(TYPE, setup.activity)
	doc.score = 5
	doc.save(ignore_permissions=True)
	assert score_of_new_entry(setup) == 5 + phone

	doc.reload()
	doc.is_effective = 0
	doc.save(ignore_permissions=True)
	assert score_of_new_entry(setup) == phone

	frappe.db.set_value(TYPE, setup.activity, {"is_effective": 1, "score": 7})
	assert score_of_new_entry(setup) == 7 + phone
	# every entry kept the score it was filed with
	scores = frappe.get_all(LOG, {"customer": setup.customer}, pluck="effective_score", order_by="chain_seq")
	assert scores == [2 + phone, 5 + phone, phone, 7 + phone]


def test_a_removed_activity_type_is_refused_after_it_was_cached(setup, factory):
	gone = factory.unique("score cache gone")
	frappe.get_doc({"doctype": TYPE, "activity_name": gone, "score": 1, "is_effective": 1}).insert(
		ignore_permissions=True
	)
	frappe.get_cached_value(TYPE, gone, ["score", "is_effective"])  # cached
	frappe.delete_doc(TYPE, gone, ignore_permissions=True)
	frappe.set_user(setup.rep)
	with pytest.raises(frappe.ValidationError):
		api.add_log(setup.customer, [gone], 5)
	assert not frappe.db.exists(LOG, {"customer": setup.customer})
