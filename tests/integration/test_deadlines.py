"""D1–D4 with a controlled clock (freezegun moves Python's time; the jobs take every moment from
Python, never from SQL NOW()). Jobs run with commit=False so the test's rollback undoes them."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

import frappe

from sales_process.api import opportunity as api
from sales_process.domain import deadlines
from sales_process.scheduled.deadlines import confiscate_overdue, send_reminders
from tests.factories import bulk_opportunities

T0 = "2026-03-02 09:00:00"
FIRST = "线索确认"  # 7 days
EVIDENCE = {"已确认客户联系人及联系方式": "x", "已确认客户存在相关需求": "y"}


@pytest.fixture
def settings():
	s = frappe.get_single("Sales Process Settings")
	s.update(
		{
			"reminder_days_before": 2,
			"confiscation_grace_hours": 0,
			"restart_deadline_on_confiscation": 1,
			"confiscation_pool": None,
		}
	)
	s.save()
	return s


def at(delta: timedelta):
	"""Freeze the clock so that the site's local time (system time zone) is T0 + delta."""
	from datetime import timezone
	from zoneinfo import ZoneInfo

	local = (frappe.utils.get_datetime(T0) + delta).replace(
		tzinfo=ZoneInfo(frappe.utils.get_system_timezone())
	)
	return freeze_time(local.astimezone(timezone.utc).replace(tzinfo=None))


def notifications(name: str, user: str | None = None) -> list[str]:
	filters = {"document_type": "Sales Opportunity", "document_name": name}
	if user:
		filters["for_user"] = user
	return frappe.get_all("Notification Log", filters=filters, pluck="for_user")


def emails_to(user: str) -> int:
	q = frappe.qb.DocType("Email Queue")
	r = frappe.qb.DocType("Email Queue Recipient")
	return (
		frappe.qb.from_(q)
		.join(r)
		.on(r.parent == q.name)
		.select(q.name)
		.where(r.recipient == user)
		.run()
		.__len__()
	)


def test_due_time_is_entry_plus_calendar_days(factory, settings):
	team = factory.team()
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	assert doc.stage_entered_at == frappe.utils.get_datetime(T0)
	assert doc.stage_due_at == frappe.utils.get_datetime("2026-03-09 09:00:00")


def test_the_sql_due_time_is_the_python_one(site):
	"""D1 has two forms in domain/deadlines.py (the confiscation job restarts deadlines in SQL)."""
	for entered, days in (
		(datetime(2026, 2, 26, 15, 30, 0, 123456), 3),  # across a month end
		(datetime(2024, 2, 28, 23, 59), 1),  # into a leap day
		(datetime(2026, 12, 31, 8, 0), 7),  # across a year end
		(datetime(2026, 3, 2, 9, 0), 0),  # no limit
	):
		(value,) = frappe.qb.select(deadlines.due_at_sql(entered, days)).run()[0]
		expected = deadlines.due_at(entered, days)
		assert (frappe.utils.get_datetime(value) if value else None) == expected, (entered, days)


def test_reminder_is_sent_exactly_once_per_deadline(factory, settings):
	team = factory.team()
	rep_user = factory.user_of(team.rep)
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	with at(timedelta(days=4, hours=23)):
		assert send_reminders(commit=False) == {"reminded": 0}
	emails_before = emails_to(rep_user)
	with at(timedelta(days=5, hours=1)):
		assert send_reminders(commit=False)["reminded"] == 1
		assert send_reminders(commit=False)["reminded"] == 0
	with at(timedelta(days=6)):
		assert send_reminders(commit=False)["reminded"] == 0
	assert notifications(doc.name) == [rep_user]
	assert emails_to(rep_user) == emails_before + 1
	# a new stage is a new deadline, so it gets its own reminder
	with at(timedelta(days=6)):
		frappe.set_user(rep_user)
		api.advance_stage(doc.name, "需求调研", EVIDENCE)
		frappe.set_user("Administrator")
	with at(timedelta(days=6 + 12, hours=1)):
		assert send_reminders(commit=False)["reminded"] == 1
	assert len(notifications(doc.name, rep_user)) == 2


def test_overdue_opportunity_is_confiscated_to_the_superior_once(factory, settings):
	team = factory.team()
	rep_user, lead_user = factory.user_of(team.rep), factory.user_of(team.lead)
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
		other = factory.opportunity(team.rep2)
	with at(timedelta(days=6, hours=23)):
		assert confiscate_overdue(commit=False)["confiscated"] == 0
	with at(timedelta(days=7, minutes=1)):
		frappe.set_user(factory.user_of(team.rep2))
		api.advance_stage(other.name, "需求调研", EVIDENCE)  # moved on in time: not overdue
		frappe.set_user("Administrator")
		result = confiscate_overdue(commit=False)
		assert result == {"confiscated": 1, "skipped_locked": 0, "failed": []}
		assert confiscate_overdue(commit=False)["confiscated"] == 0  # idempotent
	doc.reload()
	assert (doc.sales_person, doc.previous_sales_person) == (team.lead, team.rep)
	assert doc.stage == FIRST and doc.status == "Open"
	# the superior gets the stage's full time again
	assert doc.stage_due_at == frappe.utils.get_datetime(T0) + timedelta(days=7, minutes=1) + timedelta(
		days=7
	)
	logs = frappe.get_all(
		"Opportunity Stage Log",
		filters={"opportunity": doc.name, "action": "Confiscate"},
		fields=["from_sales_person", "to_sales_person", "from_stage", "to_stage", "days_in_stage"],
	)
	assert len(logs) == 1
	assert (logs[0].from_sales_person, logs[0].to_sales_person) == (team.rep, team.lead)
	assert logs[0].days_in_stage == pytest.approx(7.0, abs=0.01)
	assert sorted(notifications(doc.name)) == sorted([rep_user, lead_user])
	assert emails_to(rep_user) >= 1 and emails_to(lead_user) >= 1
	assert frappe.db.get_value("Sales Opportunity", other.name, "sales_person") == team.rep2


def test_grace_period_delays_confiscation(factory, settings):
	settings.confiscation_grace_hours = 12
	settings.save()
	team = factory.team()
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	with at(timedelta(days=7, hours=11)):
		assert confiscate_overdue(commit=False)["confiscated"] == 0
	with at(timedelta(days=7, hours=12, minutes=1)):
		assert confiscate_overdue(commit=False)["confiscated"] == 1
	assert frappe.db.get_value("Sales Opportunity", doc.name, "sales_person") == team.lead


def test_without_restart_the_superior_decides_without_a_deadline(factory, settings):
	settings.restart_deadline_on_confiscation = 0
	settings.save()
	team = factory.team()
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	with at(timedelta(days=8)):
		assert confiscate_overdue(commit=False)["confiscated"] == 1
		assert confiscate_overdue(commit=False)["confiscated"] == 0
	assert frappe.db.get_value("Sales Opportunity", doc.name, "stage_due_at") is None


def test_an_owner_without_a_superior_loses_it_to_the_pool(factory, settings):
	pool = factory.sales_person().name
	settings.confiscation_pool = pool
	settings.save()
	top = factory.sales_person()  # directly under the tree root: no superior
	with at(timedelta()):
		doc = factory.opportunity(top.name)
	with at(timedelta(days=8)):
		assert confiscate_overdue(commit=False)["confiscated"] == 1
	assert frappe.db.get_value("Sales Opportunity", doc.name, "sales_person") == pool


def test_return_and_reassign_belong_to_the_superior_or_a_manager(factory, settings):
	team = factory.team()
	rep_user, rep2_user, lead_user = (factory.user_of(x) for x in (team.rep, team.rep2, team.lead))
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	with at(timedelta(days=8)):
		confiscate_overdue(commit=False)
		for user, call in ((rep_user, api.return_opportunity), (rep2_user, api.keep_opportunity)):
			frappe.set_user(user)
			with pytest.raises(frappe.PermissionError):
				call(doc.name)
		frappe.set_user(rep2_user)
		with pytest.raises(frappe.PermissionError):
			api.reassign_opportunity(doc.name, team.rep2)
		frappe.set_user(lead_user)
		returned = api.return_opportunity(doc.name, note="再给一次机会")
	assert returned["sales_person"] == team.rep and not returned["previous_sales_person"]
	assert frappe.utils.get_datetime(returned["stage_due_at"]) == frappe.utils.get_datetime(T0) + timedelta(
		days=15
	)
	with at(timedelta(days=16)):
		confiscate_overdue(commit=False)
		frappe.set_user(lead_user)
		reassigned = api.reassign_opportunity(doc.name, team.rep2)
		frappe.set_user("Administrator")
	assert reassigned["sales_person"] == team.rep2
	actions = frappe.get_all(
		"Opportunity Stage Log",
		filters={"opportunity": doc.name},
		fields=["action", "by_user"],
		order_by="at asc, creation asc",
	)
	assert [a.action for a in actions] == ["Create", "Confiscate", "Return", "Confiscate", "Reassign"]
	assert actions[2].by_user == lead_user


def test_a_poisoned_row_is_reported_and_the_rest_are_confiscated(factory, settings):
	team = factory.team()
	with at(timedelta()):
		good = [factory.opportunity(team.rep) for _ in range(3)]
		bad = factory.opportunity(team.rep2)
	# a stage removed behind the app's back (direct SQL): the row cannot be processed
	frappe.db.sql("update `tabSales Opportunity` set stage = 'no such stage' where name = %s", bad.name)
	with at(timedelta(days=8)):
		result = confiscate_overdue(commit=False)
	assert result["confiscated"] == 3 and result["failed"] == [bad.name]
	assert {frappe.db.get_value("Sales Opportunity", g.name, "sales_person") for g in good} == {team.lead}
	assert frappe.db.get_value("Sales Opportunity", bad.name, "sales_person") == team.rep2
	assert frappe.db.exists("Error Log", {"reference_name": bad.name})


def _overdue_rows(n: int, owner: str, customer: str):
	"""n overdue opportunities inserted in bulk (test data; the job is what is measured)."""
	due = frappe.utils.now_datetime() - timedelta(days=1)
	tag = frappe.generate_hash(length=6)
	bulk_opportunities(
		[
			{
				"name": f"QC-{tag}-{i}",
				"customer": customer,
				"sales_person": owner,
				"stage": FIRST,
				"stage_entered_at": due - timedelta(days=7),
				"stage_due_at": due,
				"amount": 1,
			}
			for i in range(n)
		]
	)


def count_queries(fn) -> int:
	"""Frappe's query counter technique (FrappeTestCase.assertQueryCount): wrap Database.sql."""
	queries = []
	original = frappe.db.__class__.sql

	def counting(self, *args, **kwargs):
		queries.append(args[0] if args else "")
		return original(self, *args, **kwargs)

	frappe.db.__class__.sql = counting
	try:
		fn()
	finally:
		frappe.db.__class__.sql = original
	return len(queries)


def test_confiscation_queries_do_not_grow_with_the_number_of_rows(factory, settings):
	team = factory.team()
	customer = factory.customer()
	_overdue_rows(10, team.rep, customer)
	confiscate_overdue(commit=False)  # warm the metadata caches, which the first call fills
	_overdue_rows(100, team.rep, customer)
	small = count_queries(lambda: confiscate_overdue(commit=False, batch_size=1000))
	assert (
		frappe.db.count("Opportunity Stage Log", {"action": "Confiscate", "to_sales_person": team.lead})
		== 110
	)
	_overdue_rows(500, team.rep2, customer)
	large = count_queries(lambda: confiscate_overdue(commit=False, batch_size=1000))
	assert (
		frappe.db.count("Opportunity Stage Log", {"action": "Confiscate", "to_sales_person": team.lead})
		== 610
	)
	assert large == small, (small, large)
	assert large < 60
