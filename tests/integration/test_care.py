"""C1/C2: the daily customer-care job — revisit, anniversary and birthday ToDos for the customers'
owners, never twice for the same occasion, and shown on the owner's workbench."""

from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time

import frappe

from sales_process.api import daily_log as log_api
from sales_process.api.workbench import get_workbench
from sales_process.domain import care_reminders
from sales_process.domain.notify import sales_managers
from sales_process.scheduled.care import send_care_reminders

SITE_UTC_OFFSET = timedelta(hours=8)  # the test site's time zone is Asia/Shanghai


def local(*args):
	return freeze_time(datetime(*args) - SITE_UTC_OFFSET)


@pytest.fixture(autouse=True)
def window():
	frappe.db.set_single_value("Sales Process Settings", "celebration_window_days", 3)
	frappe.db.set_single_value("Sales Process Settings", "backdate_window_days", 3)


def todos(customer):
	"""(allocated_to, kind, date, status) of the care ToDos of a customer."""
	rows = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Customer",
			"reference_name": customer,
			"sales_process_care_key": ("is", "set"),
		},
		fields=["allocated_to", "sales_process_care_key", "date", "status"],
	)
	return sorted(
		(r.allocated_to, r.sales_process_care_key.split(":")[0], str(r.date), r.status) for r in rows
	)


def contact(factory, customer, birthday, decision_maker=1):
	return (
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": factory.unique("Contact"),
				"birthday": birthday,
				"is_decision_maker": decision_maker,
				"links": [{"link_doctype": "Customer", "link_name": customer}],
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def log_visit(factory, sales_person, customer):
	frappe.set_user(factory.user_of(sales_person))
	try:
		activity = frappe.get_all("Sales Activity Type", filters={"is_effective": 1}, pluck="name", limit=1)
		return log_api.add_log(customer, activity, 30, 0)
	finally:
		frappe.set_user("Administrator")


def test_revisit_reminder_once_per_lapse_and_closed_by_a_visit(factory):
	with local(2026, 3, 2, 9, 0):
		team = factory.team()
		customer = factory.customer(revisit_interval_days=14)
		quiet = factory.customer(revisit_interval_days=0)  # no interval: never reminded
		factory.opportunity(team.rep, customer=customer)
		factory.opportunity(team.rep, customer=quiet)
		log_visit(factory, team.rep, customer)
		rep = factory.user_of(team.rep)

	with local(2026, 3, 15, 9, 0):  # 13 days: not yet
		send_care_reminders()
		assert todos(customer) == []

	with local(2026, 3, 16, 9, 0):  # 14 days since the last log
		first = send_care_reminders()
		assert todos(customer) == [(rep, "revisit", "2026-03-16", "Open")]
		assert first["created"] >= 1
		again = send_care_reminders()  # the same day, or a scheduler retry: nothing new
		assert todos(customer) == [(rep, "revisit", "2026-03-16", "Open")]
		assert todos(quiet) == []
		description = frappe.db.get_value(
			"ToDo", {"reference_name": customer, "sales_process_care_key": ("is", "set")}, "description"
		)
		assert "14" in description
		assert again["created"] == 0

	with local(2026, 3, 20, 9, 0):  # still not visited: the same reminder stands, no second one
		send_care_reminders()
		assert todos(customer) == [(rep, "revisit", "2026-03-16", "Open")]
		log_visit(factory, team.rep, customer)
		result = send_care_reminders()  # the visit answers it
		assert result["closed"] >= 1
		assert todos(customer) == [(rep, "revisit", "2026-03-16", "Closed")]

	with local(2026, 4, 3, 9, 0):  # 14 days after the second visit: a new lapse, a new reminder
		send_care_reminders()
		assert todos(customer) == [
			(rep, "revisit", "2026-03-16", "Closed"),
			(rep, "revisit", "2026-04-03", "Open"),
		]


def test_revisit_goes_to_every_owner_and_unowned_to_managers(factory):
	with local(2026, 5, 1, 9, 0):
		team = factory.team()
		shared = factory.customer(revisit_interval_days=7)
		factory.opportunity(team.rep, customer=shared)
		# the rep2 is on the customer's ERPNext sales team, too
		doc = frappe.get_doc("Customer", shared)
		doc.append("sales_team", {"sales_person": team.rep2, "allocated_percentage": 100})
		doc.save(ignore_permissions=True)
		orphan = factory.customer(revisit_interval_days=7)
		never = factory.customer(revisit_interval_days=30)  # never logged, added today

	with local(2026, 5, 8, 9, 0):
		send_care_reminders()
		users = {factory.user_of(team.rep), factory.user_of(team.rep2)}
		assert {t[0] for t in todos(shared)} == users and len(todos(shared)) == 2
		# the lead is not an owner: a superior is not flooded with the team's visits
		assert factory.user_of(team.lead) not in {t[0] for t in todos(shared)}
		managers = set(sales_managers()) - {"Administrator"}
		assert managers, "the test site has Sales Managers"
		assert {t[0] for t in todos(orphan)} == managers
		assert todos(never) == []  # 7 days since it was added, it asks for 30


def test_anniversary_and_birthday_across_year_end_without_duplicates(factory):
	with local(2026, 12, 30, 8, 0):
		team = factory.team()
		founded = factory.customer(founding_date="2015-01-02")  # in 3 days, next year
		later = factory.customer(founding_date="2015-01-03")  # 4 days: outside
		peer = factory.customer(founding_date="2010-12-31")
		unowned = factory.customer(founding_date="2012-12-31")  # no owner: no celebration ToDo
		factory.opportunity(team.rep, customer=founded)
		factory.opportunity(team.rep, customer=later)
		factory.opportunity(team.rep2, customer=peer)
		boss = contact(factory, later, "1975-12-31")
		contact(factory, later, "1975-12-31", decision_maker=0)
		rep, rep2 = factory.user_of(team.rep), factory.user_of(team.rep2)

		send_care_reminders()
		assert todos(founded) == [(rep, "anniversary", "2027-01-02", "Open")]
		assert todos(later) == [(rep, "birthday", "2026-12-31", "Open")]  # one: the decision maker
		assert todos(peer) == [(rep2, "anniversary", "2026-12-31", "Open")]
		assert todos(unowned) == []
		birthday = frappe.get_all(
			"ToDo",
			filters={"reference_name": later, "sales_process_care_key": ("like", "birthday:%")},
			pluck="description",
		)[0]
		assert frappe.db.get_value("Contact", boss, "full_name") in birthday

	# the next day's run sees the same occasions in its window: still one ToDo each; the window
	# has moved on by a day, so Jan 3 is in it now
	with local(2026, 12, 31, 8, 0):
		send_care_reminders()
		assert todos(founded) == [(rep, "anniversary", "2027-01-02", "Open")]
		assert todos(later) == [
			(rep, "anniversary", "2027-01-03", "Open"),
			(rep, "birthday", "2026-12-31", "Open"),
		]
		assert todos(peer) == [(rep2, "anniversary", "2026-12-31", "Open")]


def test_feb_29_birthday_window(factory):
	with local(2027, 2, 24, 8, 0):
		team = factory.team()
		customer = factory.customer()
		factory.opportunity(team.rep, customer=customer)
		contact(factory, customer, "1992-02-29")
		send_care_reminders()
		assert todos(customer) == []  # the 28th is 4 days away
	with local(2027, 2, 25, 8, 0):
		send_care_reminders()
		assert todos(customer) == [(factory.user_of(team.rep), "birthday", "2027-02-28", "Open")]
	with local(2027, 2, 26, 8, 0):
		send_care_reminders()
		assert len(todos(customer)) == 1


def test_month_days_narrowing():
	assert care_reminders.month_days(date(2026, 12, 30), 3) == ["01-01", "01-02", "12-30", "12-31"]
	assert "02-29" in care_reminders.month_days(date(2027, 2, 27), 1)  # common year: 28th stands in
	assert "02-29" not in care_reminders.month_days(date(2028, 2, 27), 1)  # leap year: the 29th itself
	assert care_reminders.month_days(date(2028, 2, 28), 1) == ["02-28", "02-29"]


def test_the_unique_index_refuses_a_second_reminder(factory):
	customer = factory.customer()
	user = factory.user()
	key = care_reminders.make_key("revisit", user, customer, "2026-01-01")
	doc = {
		"doctype": "ToDo",
		"allocated_to": user,
		"reference_type": "Customer",
		"reference_name": customer,
		"description": "x",
		"sales_process_care_key": key,
	}
	frappe.get_doc(doc).insert(ignore_permissions=True)
	frappe.db.savepoint("dup")
	with pytest.raises((frappe.UniqueValidationError, frappe.DuplicateEntryError)):
		frappe.get_doc(doc).insert(ignore_permissions=True)
	frappe.db.rollback(save_point="dup")
	assert frappe.db.count("ToDo", {"sales_process_care_key": key}) == 1


def test_workbench_shows_own_care_reminders_only(factory):
	with local(2026, 6, 1, 9, 0):
		team = factory.team()
		customer = factory.customer(revisit_interval_days=10)
		factory.opportunity(team.rep, customer=customer)
		log_visit(factory, team.rep, customer)
	with local(2026, 6, 12, 9, 0):
		send_care_reminders()
		frappe.set_user(factory.user_of(team.rep))
		panel = get_workbench()["care_reminders"]
		assert [(r["kind"], r["customer"], str(r["date"])) for r in panel] == [
			("revisit", customer, "2026-06-12")
		]
		frappe.set_user(factory.user_of(team.rep2))
		assert get_workbench()["care_reminders"] == []
		frappe.set_user(factory.user_of(team.lead))
		assert get_workbench()["care_reminders"] == []  # a ToDo is personal
		# the assignee closes it: gone from the panel
		frappe.set_user(factory.user_of(team.rep))
		todo = frappe.get_doc("ToDo", panel[0]["name"])
		todo.status = "Closed"
		todo.save()
		assert get_workbench()["care_reminders"] == []
		frappe.set_user("Administrator")
