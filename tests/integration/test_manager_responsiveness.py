"""K5: the Manager Responsiveness report and the workbench's pending decisions, on a hand-built
history made through the real process (the confiscation and escalation jobs, keep / return /
reassign, approve / reject) under a controlled clock (test_deadlines.at), so every time is known.

The tree: director D ─ superiors A and B; a1, a2 below A, b1 below B. T0 is day 0; the first stage
has 7 days; the settings keep no deadline on a confiscated opportunity (restart off), so only a
returned one can overrun again. Timeline (d = days, h = hours after T0; C = 7d 1h):

  o1..o4 (a1, a1, a2, a2), o5..o7 (b1) created at 0 → confiscated at C to A and B.
  A keeps o1 at C+2h, returns o2 at C+10h, reassigns o3 to a1 at C+30h, leaves o4.
  B keeps o5 at C+5h, leaves o6; B asks to close o7 as lost at C+1h, D approves at C+4h.
  l1..l3 (a1, a2, a1), l4 (b1) created at 9d, lost requested at 10d: A approves l1 at 10d 6h,
  rejects l2 at 10d 20h, leaves l3; the escalation job at 13d 1h escalates l3 and l4 to D, who
  rejects l4 at 14d. o2 (due again 7 days after its return) is confiscated to A again at 14d 12h.
  The report and the workbench are read at 15d.
"""

from datetime import timedelta

import pytest

import frappe
from frappe.utils import add_days, getdate

from sales_process.api import opportunity as api
from sales_process.api.workbench import get_workbench
from sales_process.reports import managers
from sales_process.sales_process.report.manager_responsiveness import manager_responsiveness
from sales_process.scheduled.deadlines import confiscate_overdue, escalate_lost_requests
from tests.integration.test_deadlines import T0, at

C = timedelta(days=7, hours=1)
T2 = timedelta(days=14, hours=12)  # o2 confiscated again
NOW = timedelta(days=15)
REQUESTED = timedelta(days=10)


@pytest.fixture
def settings():
	s = frappe.get_single("Sales Process Settings")
	s.update(
		{
			"confiscation_grace_hours": 0,
			"restart_deadline_on_confiscation": 0,
			"confiscation_pool": None,
			"lost_request_escalation_days": 3,
		}
	)
	s.save()
	return s


def as_person(factory, sales_person, call, *args, **kwargs):
	frappe.set_user(factory.user_of(sales_person))
	try:
		return call(*args, **kwargs)
	finally:
		frappe.set_user("Administrator")


@pytest.fixture
def history(factory, settings):
	D = factory.sales_person().name
	A = factory.sales_person(parent=D).name
	B = factory.sales_person(parent=D).name
	a1 = factory.sales_person(parent=A, is_group=False).name
	a2 = factory.sales_person(parent=A, is_group=False).name
	b1 = factory.sales_person(parent=B, is_group=False).name
	with at(timedelta()):
		o = [factory.opportunity(owner) for owner in (a1, a1, a2, a2, b1, b1, b1)]
	with at(C):
		assert confiscate_overdue(commit=False)["confiscated"] == 7
		assert confiscate_overdue(commit=False)["confiscated"] == 0  # D4: once
	with at(C + timedelta(hours=1)):
		as_person(factory, B, api.request_lost, o[6].name, "No Budget")
	with at(C + timedelta(hours=2)):
		as_person(factory, A, api.keep_opportunity, o[0].name)
	with at(C + timedelta(hours=4)):
		as_person(factory, D, api.approve_lost, o[6].name)
	with at(C + timedelta(hours=5)):
		as_person(factory, B, api.keep_opportunity, o[4].name)
	with at(C + timedelta(hours=10)):
		as_person(factory, A, api.return_opportunity, o[1].name, "再给一次机会")
	with at(C + timedelta(hours=30)):
		as_person(factory, A, api.reassign_opportunity, o[2].name, a1)
	with at(timedelta(days=9)):
		lost = [factory.opportunity(owner) for owner in (a1, a2, a1, b1)]
	with at(REQUESTED):
		for doc, owner in zip(lost, (a1, a2, a1, b1), strict=True):
			as_person(factory, owner, api.request_lost, doc.name, "No Budget")
	with at(REQUESTED + timedelta(hours=6)):
		as_person(factory, A, api.approve_lost, lost[0].name)
	with at(REQUESTED + timedelta(hours=20)):
		as_person(factory, A, api.reject_lost, lost[1].name, "继续跟进")
	with at(timedelta(days=13, hours=1)):
		assert escalate_lost_requests(commit=False) == {"escalated": 2}
		assert escalate_lost_requests(commit=False) == {"escalated": 0}
	with at(timedelta(days=14)):
		as_person(factory, D, api.reject_lost, lost[3].name)
	with at(T2):
		assert confiscate_overdue(commit=False)["confiscated"] == 1  # o2, returned 7 days ago
	return frappe._dict(
		D=D, A=A, B=B, a1=a1, a2=a2, b1=b1, o=[d.name for d in o], lost=[d.name for d in lost]
	)


def report(h, user=None, **filters):
	with at(NOW):
		return {r["superior"]: r for r in managers.responsiveness(filters, user=user)}


def ours(rows, h):
	return {k: v for k, v in rows.items() if k in (h.D, h.A, h.B, h.a1, h.a2, h.b1)}


ZERO = dict.fromkeys(
	(
		"received",
		"kept",
		"returned",
		"reassigned",
		"decided",
		"pending",
		"undecided",
		"overdue_again",
		"lost_requests",
		"approved",
		"rejected",
		"lost_pending",
		"escalated",
	),
	0,
) | dict.fromkeys(
	(
		"median_hours",
		"avg_hours",
		"oldest_pending_hours",
		"overdue_again_rate",
		"lost_median_hours",
		"lost_avg_hours",
		"oldest_lost_pending_hours",
	)
)


def expected(h) -> dict[str, dict]:
	"""Hand-computed from the timeline in the module docstring."""
	a = ZERO | {
		"superior": h.A,
		"received": 5,  # o1..o4 at C, o2 again at 14d 12h
		"kept": 1,
		"returned": 1,
		"reassigned": 1,
		"decided": 3,
		"median_hours": 10.0,  # of 2, 10, 30
		"avg_hours": 14.0,
		"pending": 2,  # o4 since C, o2 since 14d 12h
		"oldest_pending_hours": 191.0,  # 15d − 7d 1h
		"overdue_again": 1,  # o2, returned and confiscated again
		"overdue_again_rate": 33.3,
		"lost_requests": 3,
		"approved": 1,
		"rejected": 1,
		"lost_median_hours": 13.0,  # of 6 and 20
		"lost_avg_hours": 13.0,
		"lost_pending": 1,  # l3
		"oldest_lost_pending_hours": 120.0,  # 15d − 10d
		"escalated": 1,  # l3
	}
	b = ZERO | {
		"superior": h.B,
		"received": 3,
		"kept": 1,
		"decided": 1,
		"median_hours": 5.0,
		"avg_hours": 5.0,
		"pending": 1,  # o6
		"oldest_pending_hours": 191.0,
		"undecided": 1,  # o7, closed as lost before B decided
		"overdue_again_rate": 0.0,
		"lost_requests": 1,  # l4
		"rejected": 1,
		"lost_median_hours": 96.0,  # requested 10d, rejected by D at 14d
		"lost_avg_hours": 96.0,
		"escalated": 1,
	}
	d = ZERO | {
		"superior": h.D,
		"lost_requests": 1,  # o7, asked by B
		"approved": 1,
		"lost_median_hours": 3.0,
		"lost_avg_hours": 3.0,
	}
	return {h.A: a, h.B: b, h.D: d}


def test_every_cell_on_the_hand_built_history(history):
	h = history
	rows = ours(report(h), h)
	assert rows == expected(h)
	# the slowest superior (median hours to decide a confiscation) first, no confiscation last
	with at(NOW):
		order = [r["superior"] for r in managers.responsiveness({}) if r["superior"] in rows]
	assert order == [h.A, h.B, h.D]
	# a pure read: the same answer twice
	assert ours(report(h), h) == rows


def test_the_period_is_on_the_moment_received(history):
	h = history
	day = getdate(T0) + timedelta(days=14)  # o2's second confiscation, and nothing else
	rows = ours(report(h, from_date=day, to_date=day), h)
	assert list(rows) == [h.A]
	assert {k: rows[h.A][k] for k in ("received", "decided", "pending", "oldest_pending_hours")} == {
		"received": 1,
		"decided": 0,
		"pending": 1,
		"oldest_pending_hours": 12.0,
	}
	lost_day = getdate(T0) + REQUESTED
	rows = ours(report(h, from_date=lost_day, to_date=add_days(lost_day, 1)), h)
	assert {s: (r["received"], r["lost_requests"]) for s, r in rows.items()} == {h.A: (0, 3), h.B: (0, 1)}
	# a superior filter takes the superior's team
	assert set(ours(report(h, sales_person=h.A), h)) == {h.A}
	assert set(ours(report(h, sales_person=h.D), h)) == {h.A, h.B, h.D}
	with pytest.raises(frappe.ValidationError):
		managers.responsiveness({"from_date": "2026-03-10", "to_date": "2026-03-01"})


def independent_totals(people: list[str] | None = None) -> dict:
	"""The report's totals in another form: each log row's next fate through LEAD() over the
	opportunity's confiscation-relevant rows, and lost requests through a plain self-join."""
	where = "and c.to_sales_person in %(people)s" if people else ""
	conf = frappe.db.sql(
		f"""
		select count(*) received,
			sum(c.next_action = 'Keep') kept, sum(c.next_action = 'Return') returned,
			sum(c.next_action = 'Reassign') reassigned,
			sum(c.next_action is null and o.status = 'Open') pending
		from (
			select l.opportunity, l.action, l.to_sales_person,
				lead(l.action) over (partition by l.opportunity order by l.at, l.name) next_action
			from `tabOpportunity Stage Log` l
			where l.action in ('Confiscate', 'Keep', 'Return', 'Reassign')
		) c join `tabSales Opportunity` o on o.name = c.opportunity
		where c.action = 'Confiscate' and c.to_sales_person is not null {where}
		""",
		{"people": people},
		as_dict=True,
	)[0]
	where = "and sp.parent_sales_person in %(people)s" if people else ""
	lost = frappe.db.sql(
		f"""
		select count(*) lost_requests, sum(q.next_action = 'Lost') approved,
			sum(q.next_action = 'Lost Rejected') rejected
		from (
			select l.opportunity, l.action, l.from_sales_person,
				lead(l.action) over (partition by l.opportunity order by l.at, l.name) next_action
			from `tabOpportunity Stage Log` l
			where l.action in ('Lost Requested', 'Lost', 'Lost Rejected')
		) q join `tabSales Person` sp on sp.name = q.from_sales_person
		where q.action = 'Lost Requested' and ifnull(sp.parent_sales_person, '') != '' {where}
		""",
		{"people": people},
		as_dict=True,
	)[0]
	return {k: int(v or 0) for k, v in {**conf, **lost}.items()}


def totals(rows) -> dict:
	keys = ("received", "kept", "returned", "reassigned", "pending", "lost_requests", "approved", "rejected")
	return {k: sum(r[k] for r in rows) for k in keys}


def test_totals_equal_an_independent_sql(history):
	h = history
	people = [h.A, h.B, h.D]
	assert totals(ours(report(h), h).values()) == independent_totals(people)
	assert totals(ours(report(h), h).values()) == {
		"received": 8,
		"kept": 2,
		"returned": 1,
		"reassigned": 1,
		"pending": 3,
		"lost_requests": 5,
		"approved": 2,
		"rejected": 2,
	}
	# the whole site, as a manager sees it
	with at(NOW):
		everyone = managers.responsiveness({})
	assert totals(everyone) == independent_totals()
	escalated = frappe.db.sql(
		"""select count(distinct r.name) from `tabOpportunity Stage Log` r
		join `tabOpportunity Stage Log` e on e.opportunity = r.opportunity and e.action = 'Escalate'
			and e.at >= r.at
		join `tabSales Person` sp on sp.name = r.from_sales_person
		where r.action = 'Lost Requested' and sp.parent_sales_person in %(people)s""",
		{"people": people},
	)[0][0]
	assert sum(r["escalated"] for r in ours(report(h), h).values()) == escalated == 2


def test_visibility_follows_the_tree(history, factory):
	h = history
	# the director sees both superiors and their own row; a superior only their own, never a peer's
	assert set(ours(report(h, user=factory.user_of(h.D)), h)) == {h.A, h.B, h.D}
	assert set(ours(report(h, user=factory.user_of(h.A)), h)) == {h.A}
	assert set(ours(report(h, user=factory.user_of(h.B)), h)) == {h.B}
	assert report(h, user=factory.user_of(h.a1)) == {}  # a rep with nobody below
	manager = factory.user(roles=("Sales User", "Sales Manager"))
	assert set(ours(report(h, user=manager), h)) == {h.A, h.B, h.D}
	outsider = factory.user(roles=("Sales User",))  # no Sales Person: nothing
	assert report(h, user=outsider) == {}

	# the same through the report's execute, as the session user (the server decides)
	def run_as(user):
		frappe.set_user(user)
		try:
			with at(NOW):
				columns, data, _msg, chart, summary = manager_responsiveness.execute({})
		finally:
			frappe.set_user("Administrator")
		assert {c["fieldname"] for c in columns} >= set(expected(h)[h.A])
		return columns, data, chart, summary

	_c, data, chart, summary = run_as(factory.user_of(h.A))
	assert data == [expected(h)[h.A]]
	assert chart["type"] == "bar"
	assert chart["data"]["labels"] == [h.A]
	assert chart["data"]["datasets"][0]["values"] == [10.0]
	assert chart["data"]["datasets"][1]["values"] == [13.0]
	values = {s["label"]: s["value"] for s in summary}
	assert values["Confiscations Received"] == 5
	assert values["Pending Decisions"] == 3  # o4, o2 and l3
	assert values["Oldest Pending (Hours)"] == 191.0
	assert values["Overdue Again After a Decision"] == 33.3

	_c, data, _chart, _s = run_as(factory.user_of(h.D))
	assert [r["superior"] for r in data] == [h.A, h.B, h.D]
	_c, data, _chart, _s = run_as(factory.user_of(h.B))
	assert [r["superior"] for r in data] == [h.B]
	_c, data, _chart, _s = run_as(manager)
	assert {h.A, h.B, h.D} <= {r["superior"] for r in data}


def test_the_report_runs_through_the_desk(history, factory):
	from frappe.desk.query_report import run

	if not frappe.db.exists("Report", "Manager Responsiveness"):
		pytest.skip("the Report record loads with `bench migrate`")
	h = history
	frappe.set_user(factory.user_of(h.B))
	with at(NOW):
		result = run("Manager Responsiveness", filters={})
	assert [r["superior"] for r in result["result"] if isinstance(r, dict)] == [h.B]
	assert result["chart"]["type"] == "bar"


def panel(factory, sales_person):
	frappe.set_user(factory.user_of(sales_person))
	try:
		with at(NOW):
			return get_workbench()["pending_decisions"]
	finally:
		frappe.set_user("Administrator")


def test_workbench_pending_decisions_oldest_first(history, factory):
	h = history
	rows = panel(factory, h.A)
	assert [(r["kind"], r["name"], r["from_sales_person"], r["age_hours"]) for r in rows] == [
		("Confiscated", h.o[3], h.a2, 191.0),  # since C
		("Lost Request", h.lost[2], h.a1, 120.0),  # since 10d
		("Confiscated", h.o[1], h.a1, 12.0),  # again since 14d 12h
	]
	assert rows[0]["since"] == frappe.utils.get_datetime(T0) + C
	assert rows[1]["lost_reason"] == "No Budget" and not rows[1]["escalated"]
	# the report's pending count is the panel's
	assert sum(r["kind"] == "Confiscated" for r in rows) == report(h)[h.A]["pending"]
	# the director decides what was escalated to them
	rows = panel(factory, h.D)
	assert [(r["kind"], r["name"], r["escalated"]) for r in rows] == [("Lost Request", h.lost[2], True)]
	assert [r["name"] for r in panel(factory, h.B)] == [h.o[5]]
	assert panel(factory, h.a1) == []  # nothing to decide: the page hides the panel
	# a decision takes it off the panel
	with at(NOW):
		as_person(factory, h.A, api.keep_opportunity, h.o[3])
	assert [r["name"] for r in panel(factory, h.A)] == [h.lost[2], h.o[1]]


def test_the_demo_gives_the_report_and_the_panel_something_to_show(site):
	from frappe.utils import now_datetime

	from sales_process.setup.demo import DEMO_MARKER, HIERARCHY, make_demo

	if frappe.db.exists("Sales Person", DEMO_MARKER):
		pytest.skip("the test site already holds the demo company")
	make_demo(seed=7, scale=0.2)
	director = HIERARCHY[0][1]
	rows = managers.responsiveness({}, user=director)
	people = {h[0] for h in HIERARCHY}
	rows = [r for r in rows if r["superior"] in people]
	# the decided ones took the hours the demo gave them (4, 20 and 30 after arriving)
	assert sum(r["decided"] for r in rows) == 3
	assert sum(r["avg_hours"] * r["decided"] for r in rows if r["decided"]) == pytest.approx(4 + 20 + 30)
	assert sum(r["pending"] for r in rows) >= 1 and sum(r["lost_requests"] for r in rows) >= 1
	holder = frappe.get_all(
		"Sales Opportunity",
		filters={
			"sales_person": ("in", list(people)),
			"previous_sales_person": ("is", "set"),
			"status": "Open",
		},
		pluck="sales_person",
		limit=1,
	)[0]
	from sales_process.domain import decisions

	assert decisions.pending(holder, now_datetime())
