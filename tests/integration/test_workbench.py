"""W1: the Sales Workbench answers every panel in one request, within the user's data scope."""

from datetime import date, datetime, timedelta

import pytest
from freezegun import freeze_time

import frappe
from frappe.utils import add_days, flt, getdate, today

from sales_process.api import daily_log as log_api
from sales_process.api import help_alert as alert_api
from sales_process.api.workbench import get_workbench

SITE_UTC_OFFSET = timedelta(hours=8)  # the test site's time zone is Asia/Shanghai


def local(*args):
	"""freeze_time at the UTC instant that is this wall-clock time on the site."""
	return freeze_time(datetime(*args) - SITE_UTC_OFFSET)


def workbench_of(factory, sales_person):
	previous = frappe.session.user
	frappe.set_user(factory.user_of(sales_person))
	try:
		return get_workbench()
	finally:
		frappe.set_user(previous)


def names(rows):
	return [r["name"] for r in rows]


def mine(rows, created):
	"""Only the rows this test created (managers' scope also holds other data on the site)."""
	return [r for r in rows if r["name"] in created]


@pytest.fixture
def company_alerts():
	frappe.db.set_single_value("Sales Process Settings", "help_alert_scope", "Company")
	frappe.db.set_single_value("Sales Process Settings", "celebration_window_days", 3)


def test_opportunity_panels_and_scope(factory, company_alerts):
	team = factory.team()
	day = today()
	soon = factory.opportunity(team.rep, next_action_date=add_days(day, 2), amount=10000)
	overdue = factory.opportunity(team.rep, next_action_date=add_days(day, -1), amount=20000)
	later = factory.opportunity(team.rep, next_action_date=add_days(day, 10), amount=30000)
	no_action = factory.opportunity(team.rep, amount=40000)
	peer = factory.opportunity(team.rep2, next_action_date=day, amount=50000)
	rep_opps = [soon, overdue, later, no_action]

	wb = workbench_of(factory, team.rep)
	assert wb["sales_person"] == team.rep
	assert names(wb["appointments"]) == [overdue.name, soon.name]
	assert [a["overdue"] for a in wb["appointments"]] == [True, False]
	assert [a["days_left"] for a in wb["appointments"]] == [-1, 2]

	assert set(names(wb["pipeline"])) == {o.name for o in rep_opps}
	expected_order = sorted(
		rep_opps, key=lambda o: (-flt(o.probability), o.stage_due_at is None, o.stage_due_at or 0, o.name)
	)
	assert names(wb["pipeline"]) == [o.name for o in expected_order]

	dated = sorted((o for o in rep_opps if o.stage_due_at), key=lambda o: (o.stage_due_at, o.name))
	assert names(wb["near_confiscation"]) == [o.name for o in dated]
	for row in wb["near_confiscation"]:
		assert row["hours_left"] > 0  # just created: the stage deadline is ahead

	assert wb["forecast"]["count"] == 4
	assert wb["forecast"]["amount"] == 100000
	assert wb["forecast"]["weighted"] == pytest.approx(
		sum(o.amount * flt(o.probability) / 100 for o in rep_opps)
	)

	# a rep never sees a peer's items
	wb2 = workbench_of(factory, team.rep2)
	assert names(wb2["appointments"]) == [peer.name]
	assert names(wb2["pipeline"]) == [peer.name]
	assert wb2["forecast"]["count"] == 1
	assert not {o.name for o in rep_opps} & set(names(wb2["near_confiscation"]))

	# the lead sees the team's
	lead = workbench_of(factory, team.lead)
	assert names(lead["appointments"]) == [overdue.name, peer.name, soon.name]
	assert set(names(lead["pipeline"])) == {o.name for o in [*rep_opps, peer]}
	assert lead["forecast"]["count"] == 5
	assert lead["forecast"]["amount"] == 150000


def test_overdue_stage_shows_negative_hours(factory, company_alerts):
	team = factory.team()
	opp = factory.opportunity(team.rep)
	if not opp.stage_due_at:
		pytest.skip("the first stage has no time limit")
	with freeze_time(opp.stage_due_at - SITE_UTC_OFFSET + timedelta(hours=5)):
		wb = workbench_of(factory, team.rep)
	(row,) = wb["near_confiscation"]
	assert row["name"] == opp.name
	assert row["hours_left"] == pytest.approx(-5, abs=0.1)


def test_help_alert_panels(factory, company_alerts):
	team = factory.team()
	opp = factory.opportunity(team.rep)
	frappe.set_user(factory.user_of(team.rep))
	alert = alert_api.raise_alert(opp.name, "其他", "需要支持")
	frappe.set_user("Administrator")

	rep = workbench_of(factory, team.rep)["help_alerts"]
	assert names(rep["own"]) == [alert]
	assert alert not in names(rep["team"]) and alert not in names(rep["to_answer"])

	lead = workbench_of(factory, team.lead)["help_alerts"]
	assert names(lead["own"]) == []
	assert names(lead["team"]) == [alert]
	assert alert in names(lead["to_answer"])

	peer = workbench_of(factory, team.rep2)["help_alerts"]
	assert names(peer["team"]) == []  # rep is not below rep2
	assert alert in names(peer["to_answer"])  # company-wide visibility: a colleague may answer

	frappe.set_user(factory.user_of(team.lead))
	alert_api.respond(alert, "先确认预算")
	frappe.set_user("Administrator")
	lead = workbench_of(factory, team.lead)["help_alerts"]
	assert alert not in names(lead["to_answer"])  # answered already
	assert names(lead["team"]) == [alert]
	assert lead["team"][0]["responses"] == 1

	# hierarchy visibility: a peer no longer sees it at all
	frappe.db.set_single_value("Sales Process Settings", "help_alert_scope", "Hierarchy")
	peer = workbench_of(factory, team.rep2)["help_alerts"]
	assert alert not in names(peer["to_answer"])


def test_today_minutes_and_score(factory, company_alerts):
	team = factory.team()
	opp = factory.opportunity(team.rep)
	types = frappe.get_all("Sales Activity Type", fields=["name", "score", "is_effective"], order_by="name")
	effective = [t for t in types if t.is_effective][:2]
	assert effective, "the activity-type fixture has effective activities"
	frappe.set_user(factory.user_of(team.rep))
	log_api.add_log(opp.customer, [effective[0].name], 30, 0)
	log_api.add_log(opp.customer, [t.name for t in effective], 45, 12.5, note="第二次")
	frappe.set_user("Administrator")

	wb = workbench_of(factory, team.rep)
	assert wb["today"]["minutes"] == 75
	assert wb["today"]["entries"] == 2
	expected = flt(effective[0].score) + sum(flt(t.score) for t in effective)
	assert wb["today"]["effective_score"] == pytest.approx(expected)
	assert workbench_of(factory, team.rep2)["today"] == {"minutes": 0, "effective_score": 0.0, "entries": 0}
	# the lead's "today" is their own work, not the team's
	assert workbench_of(factory, team.lead)["today"]["minutes"] == 0


def contact(factory, customer, birthday, decision_maker=1):
	doc = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": factory.unique("Contact"),
			"birthday": birthday,
			"is_decision_maker": decision_maker,
			"links": [{"link_doctype": "Customer", "link_name": customer}],
		}
	)
	return doc.insert(ignore_permissions=True).name


def celebrations(factory, sales_person):
	return {
		(c["kind"], c["customer"], c["contact"], str(c["date"]))
		for c in workbench_of(factory, sales_person)["celebrations"]
	}


def test_celebrations_across_year_end(factory, company_alerts):
	with local(2026, 12, 30, 10, 0):
		assert getdate(today()) == date(2026, 12, 30)
		team = factory.team()
		in_window = factory.customer(founding_date="2015-01-02")
		today_founded = factory.customer(founding_date="2016-12-30")
		out_of_window = factory.customer(founding_date="2015-01-03")
		yesterday = factory.customer(founding_date="2015-12-29")
		peer_customer = factory.customer(founding_date="2015-01-01")
		for customer in (in_window, today_founded, out_of_window, yesterday):
			factory.opportunity(team.rep, customer=customer)
		factory.opportunity(team.rep2, customer=peer_customer)
		boss = contact(factory, out_of_window, "1980-12-31")
		contact(factory, out_of_window, "1980-12-31", decision_maker=0)  # not a decision maker
		contact(factory, in_window, "1980-01-05")  # 6 days away
		unowned = factory.customer(founding_date="2015-12-31")  # nobody's open opportunity
		contact(factory, unowned, "1980-12-31")

		assert celebrations(factory, team.rep) == {
			("anniversary", today_founded, None, "2026-12-30"),
			("birthday", out_of_window, boss, "2026-12-31"),
			("anniversary", in_window, None, "2027-01-02"),
		}
		assert celebrations(factory, team.rep2) == {("anniversary", peer_customer, None, "2027-01-01")}
		lead = celebrations(factory, team.lead)
		assert ("anniversary", peer_customer, None, "2027-01-01") in lead
		assert ("anniversary", in_window, None, "2027-01-02") in lead
		assert len(lead) == 4

		rows = workbench_of(factory, team.rep)["celebrations"]
		assert [str(r["date"]) for r in rows] == ["2026-12-30", "2026-12-31", "2027-01-02"]
		assert rows[-1]["years"] == 12 and rows[-1]["days_left"] == 3

		frappe.db.set_single_value("Sales Process Settings", "celebration_window_days", 1)
		frappe.clear_document_cache("Sales Process Settings", "Sales Process Settings")
		frappe.db.value_cache.clear()
		assert celebrations(factory, team.rep) == {
			("anniversary", today_founded, None, "2026-12-30"),
			("birthday", out_of_window, boss, "2026-12-31"),
		}


def test_feb_29_birthday_in_non_leap_year(factory, company_alerts):
	with local(2027, 2, 26, 9, 0):
		team = factory.team()
		customer = factory.customer()
		factory.opportunity(team.rep, customer=customer)
		leapling = contact(factory, customer, "1988-02-29")
		rows = workbench_of(factory, team.rep)["celebrations"]
	assert [(r["kind"], r["contact"], str(r["date"]), r["days_left"], r["years"]) for r in rows] == [
		("birthday", leapling, "2027-02-28", 2, 39)
	]
	with local(2027, 3, 1, 9, 0):
		assert workbench_of(factory, team.rep)["celebrations"] == []
