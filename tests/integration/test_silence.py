"""K9: silent opportunities (domain.silence) — on the workbench and as a flag in False Report
Analysis — against hand-made opportunities at the threshold's boundary and an independent SQL count.

With `silence_days` = 5 (days counted from today, the site's date):

| opp | owner | sign of work                                  | deadline      | silent?               |
|-----|-------|-----------------------------------------------|---------------|-----------------------|
| A   | rep   | last log 5 days ago                           | in 3 days     | yes, 5 days (boundary)|
| B   | rep   | last log 4 days ago                           | in 3 days     | no (4)                |
| C   | rep   | no log; entered its stage 6 days ago          | none          | yes, 6 days           |
| D   | rep   | no log; created 30 days ago, stage 3 days ago | in 4 days     | no (3)                |
| H   | rep   | no log, no stage entry; created 7 days ago    | none          | yes, 7 days           |
| E   | rep2  | log 10 days ago; reassigned 2 days ago        | in 5 days     | no (2)                |
| E2  | rep2  | log 10 days ago; reassigned 8 days ago        | in 5 days     | yes, 8 days           |
| F   | rep   | last log 9 days ago                           | passed 1 h ago| no: D3's business     |
| G   | rep   | Won, no log for 20 days                       | none          | no: not open          |
"""

from datetime import timedelta

import pytest

import frappe
from frappe.utils import add_days, getdate, now_datetime, today

from sales_process.api.workbench import get_workbench
from sales_process.domain import silence
from sales_process.domain.opportunity import write_log
from sales_process.reports import daily_logs
from sales_process.sales_process.report.false_report_analysis import false_report_analysis
from tests.factories import bulk_opportunities
from tests.integration.test_daily_log_reports import has_number, insert_logs, types  # noqa: F401 (a fixture)


def user_of(sales_person):
	employee = frappe.db.get_value("Sales Person", sales_person, "employee")
	return frappe.db.get_value("Employee", employee, "user_id")


@pytest.fixture
def quiet(factory, types):  # noqa: F811
	frappe.db.set_single_value("Sales Process Settings", "silence_days", 5)
	team = factory.team()
	now = now_datetime()
	day = getdate(today())
	stage = frappe.get_all(
		"Sales Process Stage", filters={"is_won": 0, "is_lost": 0}, order_by="sequence", limit=1, pluck="name"
	)[0]
	spec = {
		# key: owner, created (days ago), stage entered (days ago or None), due (days from now or None), status
		"A": (team.rep, 20, 20, 3, "Open"),
		"B": (team.rep, 20, 20, 3, "Open"),
		"C": (team.rep, 30, 6, None, "Open"),
		"D": (team.rep, 30, 3, 4, "Open"),
		"H": (team.rep, 7, None, None, "Open"),
		"E": (team.rep2, 30, 30, 5, "Open"),
		"E2": (team.rep2, 30, 30, 5, "Open"),
		"F": (team.rep, 30, 30, -1 / 24, "Open"),
		"G": (team.rep, 30, 30, None, "Won"),
	}
	names, rows = {}, []
	for key, (owner, created, entered, due, status) in spec.items():
		names[key] = f"SOPP-K9-{key}-{frappe.generate_hash(length=6)}"
		rows.append(
			{
				"name": names[key],
				"creation": now - timedelta(days=created),
				"modified": now - timedelta(days=created),
				"customer": factory.customer(),
				"sales_person": owner,
				"stage": stage,
				"stage_entered_at": now - timedelta(days=entered) if entered is not None else None,
				"stage_due_at": now + timedelta(days=due) if due is not None else None,
				"status": status,
				"amount": 1000,
			}
		)
	bulk_opportunities(rows)
	customer_of = {r["name"]: r["customer"] for r in rows}

	def log(key, days_ago):
		return {
			"log_date": add_days(day, -days_ago),
			"sales_person": spec[key][0],
			"customer": customer_of[names[key]],
			"opportunity": names[key],
			"stage": stage,
			"activities": ["Call"],
			"cost": 5,
		}

	insert_logs(types, [log("A", 5), log("A", 12), log("B", 4), log("E", 10), log("E2", 10), log("F", 9)])
	for key, days_ago in (("E", 2), ("E2", 8)):
		write_log(
			names[key],
			"Reassign",
			at=now - timedelta(days=days_ago),
			from_stage=stage,
			to_stage=stage,
			from_sales_person=team.rep,
			to_sales_person=team.rep2,
		)
	return frappe._dict(team=team, names=names, stage=stage)


def ours(quiet, rows, key="name"):
	"""{test key: row} for the rows of this test's opportunities."""
	back = {v: k for k, v in quiet.names.items()}
	return {back[r[key]]: r for r in rows if r[key] in back}


def independent_silent(people, days) -> dict:
	"""Silent opportunities per owner, written separately: grouped joins instead of correlated
	subqueries, the moments passed in from Python."""
	rows = frappe.db.sql(
		"""
		select o.sales_person, count(*)
		from `tabSales Opportunity` o
		left join (
			select opportunity, max(log_date) as day from `tabSales Daily Log`
			where opportunity is not null group by opportunity
		) l on l.opportunity = o.name
		left join (
			select opportunity, max(date(`at`)) as day from `tabOpportunity Stage Log`
			where action in ('Confiscate', 'Return', 'Reassign') group by opportunity
		) m on m.opportunity = o.name
		where o.status = 'Open' and o.sales_person in %(people)s
			and (o.stage_due_at is null or o.stage_due_at >= %(now)s)
			and datediff(%(today)s, greatest(
				date(o.creation),
				ifnull(l.day, date(o.creation)),
				ifnull(date(o.stage_entered_at), date(o.creation)),
				ifnull(m.day, date(o.creation))
			)) >= %(days)s
		group by o.sales_person
		""",
		{"people": list(people), "now": now_datetime(), "today": today(), "days": days},
	)
	return {person: int(n) for person, n in rows}


def test_silent_opportunities_by_hand(quiet):
	now = now_datetime()
	found = ours(quiet, silence.silent_opportunities(now, sales_person=quiet.team.head))
	assert {k: r.days_silent for k, r in found.items()} == {"A": 5, "C": 6, "H": 7, "E2": 8}
	assert {k: r.since_what for k, r in found.items()} == {
		"A": "log",
		"C": "stage",
		"H": "created",
		"E2": "owner",
	}
	assert found["A"].days_left == pytest.approx(3, abs=0.1)
	assert found["A"].hours_left == pytest.approx(72, abs=0.2)
	assert found["C"].days_left is None and found["H"].hours_left is None
	people = (quiet.team.rep, quiet.team.rep2)
	assert independent_silent(people, 5) == {quiet.team.rep: 3, quiet.team.rep2: 1}


def test_the_threshold_at_its_boundary(quiet):
	def silent():
		return set(ours(quiet, silence.silent_opportunities(now_datetime(), sales_person=quiet.team.head)))

	assert {"A", "B"} & silent() == {"A"}  # exactly 5 days: silent; 4 days: not yet
	frappe.db.set_single_value("Sales Process Settings", "silence_days", 4)
	assert silent() == {"A", "B", "C", "H", "E2"}
	assert independent_silent((quiet.team.rep,), 4) == {quiet.team.rep: 4}
	frappe.db.set_single_value("Sales Process Settings", "silence_days", 6)
	assert silent() == {"C", "H", "E2"}
	# 0 is "not configured": the default of 7 days
	frappe.db.set_single_value("Sales Process Settings", "silence_days", 0)
	assert silent() == {"H", "E2"}


def test_the_flag_in_false_report_analysis_explains_itself(quiet):
	day = getdate(today())
	filters = {"from_date": add_days(day, -30), "to_date": day, "sales_person": quiet.team.head}
	_columns, data, _message, chart = false_report_analysis.execute({**filters, "view": "Flags"})
	flags = ours(quiet, [f for f in data if f["rule"] == "silent"], key="opportunity")
	assert set(flags) == {"A", "C", "H", "E2"}
	assert [f["rule"] for f in data][-4:] == ["silent"] * 4  # after the entries' flags, longest first
	assert [f["days_silent"] for f in data if f["rule"] == "silent"] == [8, 7, 6, 5]
	assert chart["data"]["labels"][-1] == "Silent Opportunity"
	assert chart["data"]["datasets"][0]["values"][-1] == 4

	a = flags["A"]
	assert a["rule_label"] == "Silent Opportunity" and a["entry"] is None
	assert a["log_date"] == add_days(day, -5) and a["sales_person"] == quiet.team.rep
	text = a["explanation"]
	assert quiet.names["A"] in text and "last entry is dated" in text
	assert frappe.format(add_days(day, -5), "Date") in text
	assert has_number(text, 5) and "threshold 5 days" in text
	assert "3 days from now" in text  # the stage deadline, 3 days ahead (domain.deadlines)
	assert "entered stage" in flags["C"]["explanation"] and has_number(flags["C"]["explanation"], 6)
	assert flags["C"]["explanation"].endswith("Its stage has no deadline.")
	assert "was created on" in flags["H"]["explanation"]
	assert "changed owner on" in flags["E2"]["explanation"]
	assert frappe.format(add_days(day, -8), "Date") in flags["E2"]["explanation"]

	summary = {
		r["sales_person"]: r
		for r in daily_logs.false_report_summary(filters["from_date"], day, sales_person=quiet.team.head)
	}
	expected = independent_silent((quiet.team.rep, quiet.team.rep2), 5)
	assert {p: summary[p]["silent"] for p in expected} == expected == {quiet.team.rep: 3, quiet.team.rep2: 1}
	assert summary[quiet.team.rep]["total"] == 3  # nothing else flagged on these entries
	by_stage = daily_logs.false_report_summary(
		filters["from_date"], day, by="Stage", sales_person=quiet.team.head
	)
	assert {r["stage"]: r["silent"] for r in by_stage}[quiet.stage] == 4

	# silence describes today: a period ending yesterday lists none
	flags = daily_logs.false_report_flags(add_days(day, -30), add_days(day, -1), sales_person=quiet.team.head)
	assert [f for f in flags if f["rule"] == "silent"] == []


def workbench_of(sales_person):
	frappe.set_user(user_of(sales_person))
	try:
		return get_workbench()["silent_opportunities"]
	finally:
		frappe.set_user("Administrator")


def test_workbench_panels(quiet):
	team = quiet.team
	panel = workbench_of(team.rep)
	assert [ours(quiet, [r]).popitem()[0] for r in panel["own"]] == ["H", "C", "A"]
	assert panel["team"] == []  # a rep has no one below
	a = panel["own"][-1]
	assert a["days_silent"] == 5 and a["since_what"] == "log" and a["sales_person"] == team.rep
	assert a["days_left"] == pytest.approx(3, abs=0.1) and a["hours_left"] == pytest.approx(72, abs=0.2)

	assert [ours(quiet, [r]).popitem()[0] for r in workbench_of(team.rep2)["own"]] == ["E2"]

	panel = workbench_of(team.lead)
	assert panel["own"] == []
	assert [ours(quiet, [r]).popitem()[0] for r in panel["team"]] == ["E2", "H", "C", "A"]
	assert [r["sales_person"] for r in panel["team"]] == [team.rep2, team.rep, team.rep, team.rep]
