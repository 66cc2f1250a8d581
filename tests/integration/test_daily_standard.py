"""K6: the minimum daily standard — days below it per person (domain.daily_standard), in Daily Log
Analysis (column, summary) and on the workbench, against hand-computed numbers and an independent
SQL count.

The week d0..d6 ends four days before today (every day of it is judged). With 240 minutes and an
effective score of 6 (Visit 3, Call 1, Mail 0.5, Meeting not effective):

| day | rep (own list: d2 off)      | rep2 (company list: d4 off) | lead, newbie (company list) |
|-----|-----------------------------|-----------------------------|-----------------------------|
| d0  | 300 min, score 6: meets     | 500 min, score 7: meets     | no log: below               |
| d1  | 250 min, score 3: below     | no log: below               | no log: below               |
| d2  | holiday                     | no log: below               | no log: below               |
| d3  | no log: below               | no log: below               | no log: below               |
| d4  | 250 min in two entries, 6   | holiday (a 10-minute log)   | holiday                     |
| d5  | 200 min, score 7: below     | no log: below               | no log: below               |
| d6  | 240 min, score 6: meets     | no log: below               | no log: below               |

rep 3 of 6 working days below, rep2 5 of 6, lead 6 of 6, newbie (joined on d5) 2 of 2.
"""

import pytest

import frappe
from frappe.utils import add_days, getdate, today

from sales_process.api.workbench import STANDARD_DAYS, get_workbench
from sales_process.domain import daily_standard
from sales_process.reports import daily_logs
from sales_process.sales_process.report.daily_log_analysis import daily_log_analysis
from tests.integration.test_daily_log_reports import insert_logs, types  # noqa: F401 (a fixture)


def days():
	d0 = add_days(getdate(today()), -10)
	return [getdate(add_days(d0, i)) for i in range(7)]


def holiday_list(dates) -> str:
	name = f"K6 {frappe.generate_hash(length=8)}"
	frappe.get_doc(
		{
			"doctype": "Holiday List",
			"holiday_list_name": name,
			"from_date": add_days(min(dates), -60),
			"to_date": add_days(max(dates), 60),
			"holidays": [{"holiday_date": d, "description": "K6 holiday"} for d in dates],
		}
	).insert(ignore_permissions=True)
	return name


def employee_of(sales_person):
	return frappe.db.get_value("Sales Person", sales_person, "employee")


@pytest.fixture
def week(factory, types):  # noqa: F811
	frappe.db.set_single_value(
		"Sales Process Settings", {"min_daily_minutes": 240, "min_daily_effective_score": 6}
	)
	d = days()
	team = factory.team()
	newbie = factory.sales_person(parent=team.lead, is_group=False, joined=d[5]).name
	frappe.db.set_value("Employee", employee_of(team.rep), "holiday_list", holiday_list([d[2]]))
	frappe.db.set_value("Company", factory.company, "default_holiday_list", holiday_list([d[4]]))
	customer = factory.customer()

	def log(person, day, minutes, activities):
		return {
			"log_date": day,
			"sales_person": person,
			"customer": customer,
			"minutes": minutes,
			"activities": activities,
			"cost": 10,
		}

	rep, rep2 = team.rep, team.rep2
	insert_logs(
		types,
		[
			log(rep, d[0], 150, ["Visit"]),
			log(rep, d[0], 150, ["Visit", "Meeting"]),
			log(rep, d[1], 250, ["Visit", "Meeting"]),
			log(rep, d[4], 100, ["Visit"]),
			log(rep, d[4], 150, ["Visit"]),
			log(rep, d[5], 100, ["Demo"]),
			log(rep, d[5], 100, ["Visit"]),
			log(rep, d[6], 120, ["Visit"]),
			log(rep, d[6], 120, ["Visit"]),
			log(rep2, d[0], 300, ["Visit"]),
			log(rep2, d[0], 200, ["Visit", "Call"]),
			log(rep2, d[4], 10, ["Call"]),
		],
	)
	return frappe._dict(team=team, newbie=newbie, d=d)


EXPECTED = {"rep": (6, 3, 1), "rep2": (6, 5, 5), "lead": (6, 6, 6), "newbie": (2, 2, 2)}


def by_person(rows):
	return {r["sales_person"]: (r["working_days"], r["days_below"], r["days_without_log"]) for r in rows}


def names(week):
	return {
		"rep": week.team.rep,
		"rep2": week.team.rep2,
		"lead": week.team.lead,
		"newbie": week.newbie,
	}


def independent_days_below(people, start, end, min_minutes, min_score) -> dict:
	"""The same rule written separately: a recursive calendar, holidays by NOT EXISTS, the day's totals."""
	rows = frappe.db.sql(
		"""
		with recursive calendar (day) as (
			select cast(%(start)s as date) union all
			select day + interval 1 day from calendar where day < %(end)s
		)
		select p.name, count(*) as working,
			sum(case when ifnull(t.minutes, 0) < %(m)s or ifnull(t.score, 0) < %(s)s then 1 else 0 end) as below
		from calendar
		join `tabSales Person` p on p.name in %(people)s
		join `tabEmployee` e on e.name = p.employee
		left join `tabCompany` c on c.name = e.company
		left join (
			select sales_person, log_date, sum(minutes) as minutes, sum(effective_score) as score
			from `tabSales Daily Log` group by sales_person, log_date
		) t on t.sales_person = p.name and t.log_date = calendar.day
		where calendar.day >= e.date_of_joining
			and not exists (
				select 1 from `tabHoliday` h
				where h.parent = ifnull(nullif(e.holiday_list, ''), c.default_holiday_list)
					and h.holiday_date = calendar.day
			)
		group by p.name
		""",
		{"start": start, "end": end, "people": list(people), "m": min_minutes, "s": min_score},
	)
	return {name: (int(working), int(below)) for name, working, below in rows}


def test_days_below_per_person_by_hand_and_by_sql(week):
	d, who = week.d, names(week)
	rows = daily_standard.days_below(d[0], d[6], sales_person=week.team.lead)
	assert by_person(rows) == {who[k]: v for k, v in EXPECTED.items()}
	assert independent_days_below(who.values(), d[0], d[6], 240, 6) == {
		who[k]: v[:2] for k, v in EXPECTED.items()
	}
	# the head's subtree holds the head too: no log at all, the company's list (d4 off)
	head = by_person(daily_standard.days_below(d[0], d[6], sales_person=week.team.head))
	assert head[week.team.head] == (6, 6, 6)

	# which days of rep's are below, with their totals: d5 (minutes), d3 (no log), d1 (score)
	assert daily_standard.below_days(d[0], d[6], week.team.rep) == [
		{"day": d[5], "entries": 2, "minutes": 200, "effective_score": 7.0},
		{"day": d[3], "entries": 0, "minutes": 0, "effective_score": 0.0},
		{"day": d[1], "entries": 1, "minutes": 250, "effective_score": 3.0},
	]


def test_each_half_of_the_standard_switches_off_with_zero(week):
	d, rep, rep2 = week.d, week.team.rep, week.team.rep2

	def below():
		return {
			k: v[1]
			for k, v in by_person(daily_standard.days_below(d[0], d[6], sales_person=week.team.lead)).items()
		}

	frappe.db.set_single_value("Sales Process Settings", "min_daily_effective_score", 0)
	assert daily_standard.standard().active
	assert below()[rep] == 2  # d3 (no log) and d5 (200 minutes); d1's 250 minutes now meet it
	assert below()[rep2] == 5
	assert independent_days_below([rep], d[0], d[6], 240, 0) == {rep: (6, 2)}

	frappe.db.set_single_value(
		"Sales Process Settings", {"min_daily_minutes": 0, "min_daily_effective_score": 6}
	)
	assert below()[rep] == 2  # d1 (score 3) and d3; d5's score 7 meets it
	assert independent_days_below([rep], d[0], d[6], 0, 6) == {rep: (6, 2)}

	frappe.db.set_single_value("Sales Process Settings", "min_daily_effective_score", 0)
	assert not daily_standard.standard().active
	assert set(below().values()) == {0}


def test_today_is_not_judged_and_bad_arguments_are_refused(week):
	assert daily_standard.days_below(today(), today(), sales_person=week.team.lead) == []
	assert daily_standard.judged_until(add_days(today(), 5)) == getdate(add_days(today(), -1))
	with pytest.raises(frappe.ValidationError):
		daily_standard.days_below(week.d[0], week.d[6], period="Weekly")
	with pytest.raises(frappe.ValidationError):
		daily_standard.days_below(week.d[0], week.d[6], group_by="Company")


def test_daily_log_analysis_cells_and_summary(week):
	d, who = week.d, names(week)
	filters = {"from_date": d[0], "to_date": d[6], "period": "Daily", "sales_person": week.team.lead}
	columns, data, _message, _chart, summary = daily_log_analysis.execute(filters)
	assert columns[-1]["fieldname"] == "days_below_standard"
	cells = {(r["period"], r["sales_person"]): r["days_below_standard"] for r in data}
	day = [str(x) for x in d]
	assert {k: v for k, v in cells.items() if k[1] == who["rep"]} == {
		(day[0], who["rep"]): 0,
		(day[1], who["rep"]): 1,
		(day[3], who["rep"]): 1,
		(day[4], who["rep"]): 0,
		(day[5], who["rep"]): 1,
		(day[6], who["rep"]): 0,
	}
	# a day without any entry has a row of its own: zeros and one day below
	no_log = next(r for r in data if r["period"] == day[3] and r["sales_person"] == who["rep"])
	assert (no_log["entries"], no_log["minutes"], no_log["effective_score"]) == (0, 0, 0)
	# rep2's holiday log (d4) is a row without a day below
	assert cells[(day[4], who["rep2"])] == 0
	assert cells[(day[5], who["newbie"])] == 1 and (day[4], who["newbie"]) not in cells
	total = sum(r["days_below_standard"] for r in data)
	assert total == 16
	assert total == sum(
		below for _w, below in independent_days_below(who.values(), d[0], d[6], 240, 6).values()
	)

	shown = {s["label"]: s["value"] for s in summary}
	assert shown["Minimum Minutes per Day"] == 240
	assert shown["Minimum Effective Score per Day"] == 6
	assert shown["Working Days (All People)"] == 20
	assert shown["Days Below Standard"] == 16
	assert shown["People Below Standard"] == "4 of 4"

	# per month and per team the same days add up
	_c, data, _m, _ch, _s = daily_log_analysis.execute({**filters, "period": "Monthly"})
	per_person = {}
	for r in data:
		per_person[r["sales_person"]] = per_person.get(r["sales_person"], 0) + r["days_below_standard"]
	assert per_person == {who[k]: v[1] for k, v in EXPECTED.items()}
	_c, data, _m, _ch, _s = daily_log_analysis.execute({**filters, "group_by": "Team"})
	per_team = {}
	for r in data:
		per_team[r["team"]] = per_team.get(r["team"], 0) + r["days_below_standard"]
	assert per_team == {week.team.lead: 3 + 5 + 2, week.team.head: 6}

	frappe.db.set_single_value(
		"Sales Process Settings", {"min_daily_minutes": 0, "min_daily_effective_score": 0}
	)
	_c, data, _m, _ch, summary = daily_log_analysis.execute(filters)
	assert sum(r["days_below_standard"] for r in data) == 0
	assert {s["label"]: s["value"] for s in summary}["Minimum Minutes per Day"] == "Off"


def test_a_salesperson_sees_only_their_own_days(week):
	d, rep = week.d, week.team.rep
	frappe.set_user(frappe.db.get_value("Employee", employee_of(rep), "user_id"))
	assert set(by_person(daily_standard.days_below(d[0], d[6]))) == {rep}
	assert daily_standard.days_below(d[0], d[6], sales_person=week.team.rep2) == []
	_c, data, _m, _ch, summary = daily_log_analysis.execute({"from_date": d[0], "to_date": d[6]})
	assert {r["sales_person"] for r in data} == {rep}
	assert sum(r["days_below_standard"] for r in data) == 3
	assert daily_logs.standard_summary(d[0], d[6])["people"] == 1


def workbench_of(sales_person):
	frappe.set_user(frappe.db.get_value("Employee", employee_of(sales_person), "user_id"))
	try:
		return get_workbench()["daily_standard"]
	finally:
		frappe.set_user("Administrator")


def test_workbench_panel(week):
	d = week.d
	# the last 30 days to yesterday: d0 is today-10, so the 23 days around the week have no log
	assert STANDARD_DAYS == 30
	panel = workbench_of(week.team.rep)
	assert (panel["active"], panel["min_minutes"], panel["min_score"]) == (True, 240, 6)
	assert panel["to_date"] == getdate(add_days(today(), -1))
	# 30 days less the holiday d2; met on d0, d4 and d6; logs on five working days
	assert panel["mine"] == {
		"sales_person": week.team.rep,
		"working_days": 29,
		"days_below": 26,
		"days_without_log": 24,
	}
	assert len(panel["days"]) == 26
	assert panel["days"][0] == {"day": panel["to_date"], "entries": 0, "minutes": 0, "effective_score": 0.0}
	assert {"day": d[5], "entries": 2, "minutes": 200, "effective_score": 7.0} in panel["days"]
	assert panel["team"] == []  # no one below a rep

	panel = workbench_of(week.team.lead)
	assert panel["mine"]["days_below"] == 29  # 30 days less the company's holiday d4, no log at all
	# rep2: 29 working days, met on d0; newbie: from d5 (today-5) to yesterday
	assert [(p["sales_person"], p["days_below"], p["working_days"]) for p in panel["team"]] == [
		(week.team.rep2, 28, 29),
		(week.team.rep, 26, 29),
		(week.newbie, 5, 5),
	]
	assert panel["team_below"] == 3

	frappe.db.set_single_value(
		"Sales Process Settings", {"min_daily_minutes": 0, "min_daily_effective_score": 0}
	)
	panel = workbench_of(week.team.rep)
	assert not panel["active"] and panel["mine"]["days_below"] == 0 and panel["days"] == []
