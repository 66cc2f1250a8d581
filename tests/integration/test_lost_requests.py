"""K3: a lost request nobody decides escalates to the next superior after
`lost_request_escalation_days`, and stops shielding the opportunity from confiscation then.
Controlled clock and commit=False jobs as in test_deadlines.py."""

from datetime import timedelta

import pytest

import frappe

from sales_process.api import opportunity as api
from sales_process.scheduled.deadlines import confiscate_overdue, escalate_lost_requests
from tests.integration.test_deadlines import at, notifications

OPP = "Sales Opportunity"


@pytest.fixture
def settings():
	s = frappe.get_single("Sales Process Settings")
	s.update(
		{
			"confiscation_grace_hours": 0,
			"restart_deadline_on_confiscation": 1,
			"confiscation_pool": None,
			"lost_request_escalation_days": 3,
		}
	)
	s.save()
	return s


def request_lost(factory, sales_person: str, name: str):
	frappe.set_user(factory.user_of(sales_person))
	api.request_lost(name, "No Budget", "客户预算取消")
	frappe.set_user("Administrator")


def test_an_undecided_request_escalates_to_the_next_superior_once(factory, settings):
	team = factory.team()  # head ─ lead ─ rep
	head_user = factory.user_of(team.head)
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	with at(timedelta(days=1)):
		request_lost(factory, team.rep, doc.name)
	with at(timedelta(days=3, hours=23)):
		assert escalate_lost_requests(commit=False) == {"escalated": 0}
	with at(timedelta(days=4, minutes=1)):
		assert escalate_lost_requests(commit=False) == {"escalated": 1}
		assert escalate_lost_requests(commit=False) == {"escalated": 0}  # idempotent
	logs = frappe.get_all(
		"Opportunity Stage Log",
		{"opportunity": doc.name, "action": "Escalate"},
		["from_sales_person", "to_sales_person", "note"],
	)
	assert [(r.from_sales_person, r.to_sales_person) for r in logs] == [(team.rep, team.head)]
	assert logs[0].note == "No Budget: 客户预算取消"  # the request's reason and detail
	assert notifications(doc.name, head_user)
	# the next superior may decide
	frappe.set_user(head_user)
	api.reject_lost(doc.name, "继续跟进")
	frappe.set_user("Administrator")
	# a new request has its own window and escalates again
	with at(timedelta(days=5)):
		request_lost(factory, team.rep, doc.name)
	with at(timedelta(days=8, minutes=1)):
		assert escalate_lost_requests(commit=False) == {"escalated": 1}


def test_a_decided_request_does_not_escalate(factory, settings):
	team = factory.team()
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
		request_lost(factory, team.rep, doc.name)
		frappe.set_user(factory.user_of(team.lead))
		api.reject_lost(doc.name)
		frappe.set_user("Administrator")
	with at(timedelta(days=10)):
		assert escalate_lost_requests(commit=False) == {"escalated": 0}


def test_a_pending_request_shields_from_confiscation_only_within_the_window(factory, settings):
	"""The first stage has 7 days. A request on day 6 holds confiscation until day 9, no longer."""
	team = factory.team()
	with at(timedelta()):
		parked = factory.opportunity(team.rep)
		old_request = factory.opportunity(team.rep2)
	with at(timedelta(days=1)):
		request_lost(factory, team.rep2, old_request.name)
	with at(timedelta(days=6)):
		request_lost(factory, team.rep, parked.name)
	with at(timedelta(days=7, minutes=1)):
		# the request of day 1 is past its window: it no longer shields
		assert confiscate_overdue(commit=False)["confiscated"] == 1
	assert frappe.db.get_value(OPP, old_request.name, "sales_person") == team.lead
	assert frappe.db.get_value(OPP, parked.name, "sales_person") == team.rep
	with at(timedelta(days=8, hours=23)):
		assert confiscate_overdue(commit=False)["confiscated"] == 0
	with at(timedelta(days=9, minutes=1)):
		assert confiscate_overdue(commit=False)["confiscated"] == 1
		assert confiscate_overdue(commit=False)["confiscated"] == 0
	assert frappe.db.get_value(OPP, parked.name, ["sales_person", "previous_sales_person"]) == (
		team.lead,
		team.rep,
	)
