"""K8, help and care after the win: a customer whose deal is won, with no open opportunity, is still
held by the salesperson who won it. They (their superiors, the managers) raise help alerts on it,
colleagues answer as usual and the answer joins the experience pool; its anniversaries, birthdays
and revisits reach them through the daily care job and the workbench, once each."""

from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

import frappe
from frappe.utils import get_datetime

from sales_process.api import help_alert as api
from sales_process.api.workbench import get_workbench
from sales_process.domain import hierarchy, holders
from sales_process.reports import help_alerts as stats
from sales_process.scheduled.care import send_care_reminders
from tests.integration.rest import message

M = "sales_process.api.help_alert"
SITE_UTC_OFFSET = timedelta(hours=8)  # the test site's time zone is Asia/Shanghai


def local(*args):
	return freeze_time(datetime(*args) - SITE_UTC_OFFSET)


def win(name: str, at="2026-01-15 10:00:00"):
	"""Test data: the opportunity entered the won stage at `at` (the stage walk is tested elsewhere)."""
	stage = frappe.get_all("Sales Process Stage", {"is_won": 1}, pluck="name")[0]
	frappe.db.set_value(
		"Sales Opportunity",
		name,
		{"status": "Won", "stage": stage, "stage_entered_at": get_datetime(at), "stage_due_at": None},
	)


def as_user(user, fn, *args, **kwargs):
	frappe.set_user(user)
	try:
		return fn(*args, **kwargs)
	finally:
		frappe.set_user("Administrator")


@pytest.fixture
def won(factory):
	"""rep won a deal with a customer and has no open opportunity on it; other is a rep of another
	team."""
	team, other = factory.team(), factory.team()
	customer = factory.customer(founding_date="2016-06-12")
	win(factory.opportunity(team.rep, customer=customer, amount=80000).name)
	return frappe._dict(team=team, other=other, customer=customer, user=factory.user_of)


def alerts_of(customer):
	return frappe.get_all("Help Alert", {"customer": customer}, pluck="name")


# --- who holds a customer ----------------------------------------------------------------------------


def test_the_holder_is_the_latest_winner_and_every_open_owner(factory):
	team = factory.team()
	customer = factory.customer()
	first = factory.opportunity(team.rep, customer=customer).name
	win(first, "2025-03-01 09:00:00")
	assert holders.holders([customer]) == {customer: {team.rep}}
	# rep2 wins the customer again later: the relationship is rep2's now
	second = factory.opportunity(team.rep2, customer=customer).name
	win(second, "2026-02-01 09:00:00")
	assert holders.holders([customer]) == {customer: {team.rep2}}
	# a new open opportunity of rep makes rep a holder again, beside the latest winner
	factory.opportunity(team.rep, customer=customer)
	assert holders.holders([customer]) == {customer: {team.rep, team.rep2}}
	# a lost opportunity holds nothing; a customer nobody holds is simply absent
	lost = factory.customer()
	name = factory.opportunity(team.rep, customer=lost).name
	frappe.db.set_value("Sales Opportunity", name, "status", "Lost")
	assert holders.holders([lost]) == {}
	# the subquery the workbench uses says the same
	c = frappe.qb.DocType("Customer")
	held = holders.held_customers(hierarchy.subtree_scope(team.rep2))
	assert frappe.qb.from_(c).select(c.name).where(c.name.isin(held) & c.name.isin([customer, lost])).run(
		pluck=True
	) == [customer]


# --- help alerts on a customer (desk / domain path) -------------------------------------------------


def test_the_holder_raises_on_a_won_customer_and_the_answer_joins_the_pool(won):
	rep, rep2 = won.user(won.team.rep), won.user(won.team.rep2)
	name = as_user(
		rep, api.raise_alert, customer=won.customer, reason="其他", description="客户要求上门培训新员工"
	)
	doc = frappe.get_doc("Help Alert", name)
	assert (doc.customer, doc.opportunity, doc.stage, doc.status) == (won.customer, None, None, "Open")
	assert (doc.raised_by, doc.raised_by_sales_person, doc.reason) == (rep, won.team.rep, "其他")
	assert not doc.amount
	# colleagues are told, with the customer named
	subjects = frappe.get_all("Notification Log", {"document_name": name}, ["for_user", "subject"])
	assert rep2 in {s.for_user for s in subjects} and rep not in {s.for_user for s in subjects}
	assert all(won.customer in s.subject for s in subjects)
	# it is on the raiser's workbench, with the customer and no opportunity
	own = as_user(rep, get_workbench)["help_alerts"]["own"]
	assert [(a["name"], a["customer"], a["opportunity"]) for a in own] == [(name, won.customer, None)]

	row = as_user(rep2, api.respond, name, "先做一次需求回访", "安排两小时线上培训")
	entry = as_user(rep, api.mark_effective, name, row)
	doc = frappe.get_doc("Help Alert", name)
	assert (doc.status, doc.experience_entry) == ("Resolved", entry)
	exp = frappe.get_doc("Experience Entry", entry)
	assert (exp.source_help_alert, exp.reason, exp.stage, exp.contributed_by) == (name, "其他", None, rep2)
	assert "安排两小时线上培训" in exp.solution
	found = as_user(rep2, api.search_experience, "上门培训")
	assert entry in [e["name"] for e in found]


def test_superiors_and_managers_may_raise_strangers_may_not(won, factory):
	lead, head = won.user(won.team.lead), won.user(won.team.head)
	assert as_user(lead, api.raise_alert, customer=won.customer, reason="其他", description="上级代为求助")
	assert as_user(head, api.raise_alert, customer=won.customer, reason="其他", description="总监求助")
	manager = factory.user(roles=("Sales Manager", "Sales User"))
	assert as_user(manager, api.raise_alert, customer=won.customer, reason="其他", description="经理求助")
	before = len(alerts_of(won.customer))
	for stranger in (won.user(won.other.rep), won.user(won.other.lead), factory.user()):
		with pytest.raises(frappe.PermissionError, match="You do not hold customer"):
			as_user(stranger, api.raise_alert, customer=won.customer, reason="其他", description="越权")
	# the rep's teammate does not hold the customer either (a peer is not a superior)
	with pytest.raises(frappe.PermissionError):
		as_user(
			won.user(won.team.rep2), api.raise_alert, customer=won.customer, reason="其他", description="x"
		)
	assert len(alerts_of(won.customer)) == before == 3


def test_bad_input_is_refused_and_nothing_is_written(won, factory):
	rep = won.user(won.team.rep)
	count = frappe.db.count("Help Alert")
	with pytest.raises(frappe.DoesNotExistError, match="Customer no such customer does not exist"):
		as_user(rep, api.raise_alert, customer="no such customer", reason="其他", description="x")
	with pytest.raises(frappe.MandatoryError, match="Name the opportunity, or the customer"):
		as_user(rep, api.raise_alert, reason="其他", description="x")
	with pytest.raises(frappe.MandatoryError, match="Description"):
		as_user(rep, api.raise_alert, customer=won.customer, reason="其他", description="  ")
	with pytest.raises(frappe.MandatoryError, match="Reason"):
		as_user(rep, api.raise_alert, customer=won.customer, description="x")
	with pytest.raises(frappe.ValidationError, match="does not exist"):
		as_user(rep, api.raise_alert, customer=won.customer, reason="没有这个原因", description="x")
	# the won opportunity itself is closed: raise on the customer instead
	won_opp = frappe.get_all("Sales Opportunity", {"customer": won.customer}, pluck="name")[0]
	with pytest.raises(frappe.ValidationError, match="is closed"):
		as_user(rep, api.raise_alert, won_opp, "其他", "x")
	# an opportunity and a customer that do not match
	open_opp = factory.opportunity(won.team.rep).name
	with pytest.raises(frappe.ValidationError, match="is for customer"):
		as_user(rep, api.raise_alert, open_opp, "其他", "x", customer=won.customer)
	assert frappe.db.count("Help Alert") == count


def test_a_difficulty_logged_on_a_won_customer_raises_an_alert_on_it(won):
	from sales_process.api import daily_log as log_api

	activity = frappe.get_all("Sales Activity Type", {"is_effective": 1}, pluck="name", limit=1)
	rep = won.user(won.team.rep)
	log = as_user(
		rep,
		log_api.add_log,
		won.customer,
		activity,
		45,
		0,
		note="客户反馈系统报表导出慢，要求上门处理",
		difficulty=1,
		difficulty_reason="其他",
	)
	alert = frappe.get_all(
		"Help Alert", {"daily_log": log}, ["customer", "opportunity", "raised_by", "description"]
	)
	assert alert == [
		{
			"customer": won.customer,
			"opportunity": None,
			"raised_by": rep,
			"description": "客户反馈系统报表导出慢，要求上门处理",
		}
	]
	# someone who does not hold the customer is refused before anything is written
	stranger = won.user(won.other.rep)
	logs = frappe.db.count("Sales Daily Log")
	with pytest.raises(frappe.PermissionError, match="You do not hold customer"):
		as_user(stranger, log_api.add_log, won.customer, activity, 15, 0, note="越权", difficulty=1)
	assert frappe.db.count("Sales Daily Log") == logs
	assert len(alerts_of(won.customer)) == 1


def test_an_alert_on_an_opportunity_fills_the_customer(factory):
	team = factory.team()
	opp = factory.opportunity(team.rep, amount=12000)
	name = as_user(factory.user_of(team.rep), api.raise_alert, opp.name, "其他", "需要支持")
	doc = frappe.get_doc("Help Alert", name)
	assert (doc.opportunity, doc.customer, doc.stage, doc.amount) == (
		opp.name,
		opp.customer,
		opp.stage,
		12000,
	)
	# naming the matching customer too is fine
	name = as_user(
		factory.user_of(team.rep), api.raise_alert, opp.name, "其他", "再次", customer=opp.customer
	)
	assert frappe.db.get_value("Help Alert", name, "customer") == opp.customer


def test_hierarchy_visibility_applies_to_customer_alerts(won):
	settings = frappe.get_single("Sales Process Settings")
	settings.help_alert_scope = "Hierarchy"
	settings.save()
	name = as_user(
		won.user(won.team.rep), api.raise_alert, customer=won.customer, reason="其他", description="x"
	)
	stranger = won.user(won.other.rep)
	assert not as_user(stranger, frappe.get_list, "Help Alert", {"name": name})
	with pytest.raises(frappe.PermissionError):
		as_user(stranger, api.respond, name, "x")
	assert as_user(won.user(won.team.lead), frappe.get_list, "Help Alert", {"name": name}, pluck="name") == [
		name
	]
	assert as_user(won.user(won.team.lead), api.respond, name, "上级的建议")


def test_statistics_count_customer_alerts_by_stage_and_person(won, factory):
	"""Two alerts raised at known times in an otherwise empty month: one on the won customer (no
	stage), one on an open opportunity; the customer's answered in 2 h and resolved in 3 h."""
	rep, rep2 = won.user(won.team.rep), won.user(won.team.rep2)
	with local(2031, 3, 3, 9, 0):
		on_customer = as_user(rep, api.raise_alert, customer=won.customer, reason="其他", description="售后")
		opp = factory.opportunity(won.team.rep2)
		on_opp = as_user(rep2, api.raise_alert, opp.name, "其他", "报价")
	with local(2031, 3, 3, 11, 0):
		row = as_user(rep2, api.respond, on_customer, "回访")
	with local(2031, 3, 3, 12, 0):
		as_user(rep, api.mark_effective, on_customer, row)
	by_stage = {r.group_value: r for r in stats.statistics("2031-03-01", "2031-03-31", "Stage")}
	assert set(by_stage) == {None, opp.stage}
	none = by_stage[None]
	assert (none.alerts, none.responded, none.resolved) == (1, 1, 1)
	assert (none.avg_hours_to_first_response, none.avg_hours_to_resolution) == (2.0, 3.0)
	assert (none.support_rate, none.resolution_rate) == (100.0, 100.0)
	assert (by_stage[opp.stage].alerts, by_stage[opp.stage].responded) == (1, 0)
	by_person = {
		r.group_value: r.alerts for r in stats.statistics("2031-03-01", "2031-03-31", "Sales Person")
	}
	assert by_person == {won.team.rep: 1, won.team.rep2: 1}
	# an independent count of the same month's alerts
	independent = frappe.db.sql(
		"""select count(*), sum(stage is null) from `tabHelp Alert`
		where raised_at >= '2031-03-01' and raised_at < '2031-04-01'"""
	)[0]
	assert (int(independent[0]), int(independent[1])) == (sum(by_person.values()), none.alerts)
	assert {on_customer, on_opp} == set(
		frappe.get_all(
			"Help Alert", {"raised_at": ("between", ["2031-03-01", "2031-03-31 23:59:59"])}, pluck="name"
		)
	)
	# the report names the stage-less row
	from sales_process.sales_process.report.help_alert_statistics import help_alert_statistics as report

	rows = report.execute({"from_date": "2031-03-01", "to_date": "2031-03-31", "group_by": "Stage"})[1]
	assert "On a customer (no opportunity)" in {r.group_value for r in rows}


# --- help alerts on a customer through REST ----------------------------------------------------------


def commit_won(world, seller: str) -> str:
	"""A committed customer won by `seller` (the server cannot see a test's transaction; world's
	teardown removes the customer, its opportunities and its alerts)."""
	customer = world.customer()
	r = world[seller].insert("Sales Opportunity", world.opportunity_doc(customer))
	assert r.status_code == 200, message(r)
	win(r.json()["data"]["name"])
	frappe.db.commit()
	return customer


def test_rest_holder_raises_colleague_answers_stranger_is_refused(world, zh_logins):
	customer = commit_won(world, "rep_a1")
	r = world["rep_a1"].call(
		f"{M}.raise_alert", customer=customer, reason="其他", description="客户要求售后支持"
	)
	assert r.status_code == 200, message(r)
	name = r.json()["message"]
	# a colleague in another team answers (company-wide visibility, the default)
	r = world["rep_b1"].call(f"{M}.respond", alert=name, analysis="先远程排查", countermeasure="约上门")
	assert r.status_code == 200, message(r)
	row = r.json()["message"]
	r = world["rep_a1"].call(f"{M}.mark_effective", alert=name, response=row)
	assert r.status_code == 200, message(r)
	entry = r.json()["message"]

	# rep_b1 holds nothing of this customer and is nobody's superior here: 403, translated
	r = world["rep_b1"].call(f"{M}.raise_alert", customer=customer, reason="其他", description="越权")
	assert r.status_code == 403 and "You do not hold customer" in message(r), message(r)
	url = f"{world.server.base}/api/method/{M}.raise_alert"
	r = zh_logins["token"].post(
		url, json={"customer": customer, "reason": "其他", "description": "x"}, timeout=30
	)
	assert r.status_code == 403 and "你不持有客户" in message(r), message(r)
	# bad input through REST: clear 4xx
	r = world["rep_a1"].call(f"{M}.raise_alert", reason="其他", description="x")
	assert r.status_code == 417 and "Name the opportunity, or the customer" in message(r)
	r = world["rep_a1"].call(f"{M}.raise_alert", customer="no such customer", reason="其他", description="x")
	assert r.status_code == 404 and "does not exist" in message(r)
	# the superior may
	r = world["lead_a"].call(f"{M}.raise_alert", customer=customer, reason="其他", description="上级跟进")
	assert r.status_code == 200, message(r)

	frappe.db.rollback()
	rows = frappe.get_all(
		"Help Alert", {"customer": customer}, ["name", "raised_by", "status", "opportunity"]
	)
	assert sorted((x.raised_by, x.status, x.opportunity) for x in rows) == sorted(
		[(world.users["rep_a1"], "Resolved", None), (world.users["lead_a"], "Open", None)]
	)
	assert frappe.db.get_value("Experience Entry", entry, "source_help_alert") == name


# --- care after the win -------------------------------------------------------------------------------


def care_todos(customer):
	rows = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": "Customer",
			"reference_name": customer,
			"sales_process_care_key": ("is", "set"),
		},
		fields=["name", "allocated_to", "sales_process_care_key", "date"],
	)
	return sorted((r.allocated_to, r.sales_process_care_key.split(":")[0], str(r.date)) for r in rows)


def test_care_job_and_workbench_include_the_won_customer_once(won, factory):
	frappe.db.set_single_value("Sales Process Settings", "celebration_window_days", 3)
	frappe.clear_document_cache("Sales Process Settings", "Sales Process Settings")
	rep, rep2, lead = (won.user(x) for x in (won.team.rep, won.team.rep2, won.team.lead))
	boss = (
		frappe.get_doc(
			{
				"doctype": "Contact",
				"first_name": factory.unique("Contact"),
				"birthday": "1980-06-11",
				"is_decision_maker": 1,
				"links": [{"link_doctype": "Customer", "link_name": won.customer}],
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
	frappe.db.set_value("Customer", won.customer, "revisit_interval_days", 30)
	frappe.db.set_value("Customer", won.customer, "creation", "2026-01-01 09:00:00")
	with local(2026, 6, 10, 9, 0):
		# hand-checked: founded 2016-06-12 → its 10th anniversary in 2 days; the decision maker's
		# birthday tomorrow; never logged since 2026-01-01 (160 days ≥ 30): a revisit today
		expected = [
			(rep, "anniversary", "2026-06-12"),
			(rep, "birthday", "2026-06-11"),
			(rep, "revisit", "2026-06-10"),
		]
		first = send_care_reminders()
		assert care_todos(won.customer) == expected
		assert first["created"] >= 3
		notified = frappe.db.count("Notification Log", {"for_user": rep})
		again = send_care_reminders()  # a scheduler retry: nothing new
		assert care_todos(won.customer) == expected
		assert again["created"] == 0
		assert frappe.db.count("Notification Log", {"for_user": rep}) == notified

		def celebrations(user):
			return sorted(
				(c["kind"], c["customer"], c["contact"], str(c["date"]), c["years"], c["days_left"])
				for c in as_user(user, get_workbench)["celebrations"]
				if c["customer"] == won.customer
			)

		mine = [
			("anniversary", won.customer, None, "2026-06-12", 10, 2),
			("birthday", won.customer, boss, "2026-06-11", 46, 1),
		]
		assert celebrations(rep) == mine
		assert celebrations(lead) == mine  # the superior sees the team's book
		assert celebrations(rep2) == []  # a peer does not
		assert celebrations(won.user(won.other.rep)) == []
		panel = as_user(rep, get_workbench)["care_reminders"]
		assert sorted((r["kind"], str(r["date"])) for r in panel if r["customer"] == won.customer) == [
			("anniversary", "2026-06-12"),
			("birthday", "2026-06-11"),
			("revisit", "2026-06-10"),
		]
		# the independent count: one ToDo per occasion, all for the winner
		assert frappe.db.sql(
			"""select count(*), count(distinct allocated_to) from tabToDo
			where reference_type = 'Customer' and reference_name = %s and sales_process_care_key is not null""",
			won.customer,
		)[0] == (3, 1)


def test_the_demo_story_of_a_won_customer(factory):
	"""The demo's K8 step (setup/demo.py), on a team of this test: a won customer with no open
	opportunity, a help alert on it answered by a colleague, celebrations on the winner's workbench."""
	from sales_process.setup.demo import _Demo

	if frappe.db.exists("Customer", "鼎新精密机械有限公司（已成交）"):
		pytest.skip("the test site already holds the demo company")
	frappe.db.set_single_value("Sales Process Settings", "celebration_window_days", 3)
	frappe.clear_document_cache("Sales Process Settings", "Sales Process Settings")
	team = factory.team()
	demo = _Demo(seed=1, scale=0.1)
	demo.leaves = [team.rep, team.rep2]
	demo.users = {sp: factory.user_of(sp) for sp in demo.leaves}
	demo.after_the_win()
	customer = demo.summary["won_customer"]
	statuses = frappe.get_all("Sales Opportunity", {"customer": customer}, pluck="status")
	assert statuses == ["Won"] and holders.holders([customer]) == {customer: {team.rep}}
	alert = frappe.get_doc("Help Alert", demo.summary["won_customer_alert"])
	assert (alert.customer, alert.opportunity, alert.raised_by_sales_person) == (customer, None, team.rep)
	assert [r.responder for r in alert.responses] == [factory.user_of(team.rep2)]
	rows = as_user(factory.user_of(team.rep), get_workbench)["celebrations"]
	assert sorted((c["kind"], c["days_left"]) for c in rows if c["customer"] == customer) == [
		("anniversary", 1),
		("birthday", 2),
	]
