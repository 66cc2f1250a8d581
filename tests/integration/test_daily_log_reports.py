"""The daily-log analytics (L4–L7) and their script reports against independently computed numbers.

Logs are written with one multi-row INSERT (sales_process.domain.bulk) plus their activity rows, on
fixed past dates: the analytics read the stored columns only, so the back-dating window and the
hash chain of the insert path are not involved. Faker with a fixed seed makes the data.
"""

import re
from collections import defaultdict

import pytest
from faker import Faker

import frappe
from frappe.utils import add_days, get_datetime, getdate

from sales_process.domain.bulk import insert_autoincrement
from sales_process.reports import daily_logs
from sales_process.sales_process.report.daily_log_analysis import daily_log_analysis
from sales_process.sales_process.report.false_report_analysis import false_report_analysis
from sales_process.sales_process.report.sales_leaderboard import sales_leaderboard
from sales_process.sales_process.report.trial_period_comparison import trial_period_comparison
from tests.factories import Factory

SEED = 4242
START = getdate("2025-03-20")
DAYS = 50  # 2025-03-20 .. 2025-05-08: three months
END = add_days(START, DAYS - 1)

SETTINGS = {
	"stagnant_days": 30,
	"repeated_note_count": 3,
	"implausible_minutes": 480,
	"bulk_entry_count": 6,
	"bulk_entry_window_minutes": 15,
	"bulk_entry_after_hour": 18,
	"decline_threshold_percent": 40,
	"trial_period_days": 28,
	"leaderboard_visibility": "Company",
}

LOG_FIELDS = [
	"log_date",
	"sales_person",
	"customer",
	"opportunity",
	"minutes",
	"cost",
	"note",
	"difficulty",
	"effective_score",
	"stage",
	"entered_at",
	"chain_seq",
	"content_hash",
	"creation",
	"modified",
	"owner",
	"modified_by",
]
ACTIVITY_FIELDS = [
	"name",
	"parent",
	"parenttype",
	"parentfield",
	"idx",
	"activity_type",
	"creation",
	"modified",
	"owner",
	"modified_by",
]


# --- helpers ------------------------------------------------------------------------------------------


@pytest.fixture
def settings(site):
	"""Known thresholds, set inside the test's transaction (rolled back with it)."""
	frappe.db.set_single_value("Sales Process Settings", SETTINGS)
	return frappe._dict(SETTINGS)


@pytest.fixture
def types(factory):
	"""Activity types of our own, so scores and flags do not depend on the shipped fixtures."""
	spec = {
		"Call": (1, 1, 0),
		"Mail": (0.5, 1, 0),
		"Visit": (3, 1, 1),
		"Demo": (4, 1, 1),
		"Meeting": (2, 0, 0),  # not effective: no score
	}
	made = {}
	for label, (score, effective, visit) in spec.items():
		name = factory.unique(label)
		frappe.get_doc(
			{
				"doctype": "Sales Activity Type",
				"activity_name": name,
				"score": score,
				"is_effective": effective,
				"is_visit": visit,
			}
		).insert(ignore_permissions=True)
		made[label] = frappe._dict(name=name, score=score, is_effective=effective, is_visit=visit)
	return made


def score_of(types: dict, labels: list[str]) -> float:
	return sum(types[label].score for label in labels if types[label].is_effective)


def insert_logs(types: dict, rows: list[dict]) -> list[dict]:
	"""Insert daily logs (dicts with log_date, sales_person, customer, activities = type labels and
	optionally minutes, cost, note, opportunity, stage, entered_at); returns them with their names."""
	now = frappe.utils.now_datetime()
	values = []
	for row in rows:
		row.setdefault("minutes", 30)
		row.setdefault("cost", 0)
		row.setdefault("note", None)
		row.setdefault("opportunity", None)
		row.setdefault("stage", None)
		row.setdefault("entered_at", get_datetime(f"{row['log_date']} 10:00:00"))
		row["effective_score"] = score_of(types, row["activities"])
		row["token"] = frappe.generate_hash(length=32)
		values.append(
			(
				row["log_date"],
				row["sales_person"],
				row["customer"],
				row["opportunity"],
				row["minutes"],
				row["cost"],
				row["note"],
				0,
				row["effective_score"],
				row["stage"],
				row["entered_at"],
				0,
				row["token"],
				now,
				now,
				"Administrator",
				"Administrator",
			)
		)
	insert_autoincrement("Sales Daily Log", LOG_FIELDS, values)
	log = frappe.qb.DocType("Sales Daily Log")
	names = dict(
		frappe.qb.from_(log)
		.select(log.content_hash, log.name)
		.where(log.content_hash.isin([r["token"] for r in rows]))
		.run()
	)
	children = []
	for row in rows:
		row["name"] = names[row["token"]]
		for idx, label in enumerate(row["activities"], start=1):
			children.append(
				(
					frappe.generate_hash(length=10),
					str(row["name"]),
					"Sales Daily Log",
					"activities",
					idx,
					types[label].name,
					now,
					now,
					"Administrator",
					"Administrator",
				)
			)
	frappe.db.bulk_insert("Sales Daily Log Activity", ACTIVITY_FIELDS, children)
	return rows


def as_user(sales_person: str):
	frappe.set_user(Factory.user_of(sales_person))


def has_number(text: str, number) -> bool:
	"""`number` appears in `text` as a whole number (not as part of a longer one), in any language."""
	return re.search(rf"(?<![\d.]){re.escape(str(number))}(?![\d])", text) is not None


def flags_of(flags: list[dict], rule: str) -> dict:
	return {int(f["entry"]): f for f in flags if f["rule"] == rule}


# --- generated data and independent sums --------------------------------------------------------------


@pytest.fixture
def generated(factory, types, settings):
	"""Two teams: head ─ lead ─ rep, rep2 and another head with one rep; faker-generated logs for
	the four salespeople (lead included) over 50 days."""
	team = factory.team()
	other_head = factory.sales_person().name
	other_rep = factory.sales_person(parent=other_head, is_group=False).name
	customers = [factory.customer() for _ in range(6)]

	fake = Faker()
	fake.seed_instance(SEED)
	labels = list(types)
	notes = [fake.sentence(nb_words=6) for _ in range(12)]
	rows = []
	for person in (team.rep, team.rep2, team.lead, other_rep):
		for day in range(DAYS):
			log_date = add_days(START, day)
			for _ in range(fake.random_int(0, 3)):
				rows.append(
					{
						"log_date": log_date,
						"sales_person": person,
						"customer": fake.random_element(customers),
						"activities": fake.random_elements(labels, length=fake.random_int(1, 3), unique=True),
						"minutes": fake.random_int(5, 240),
						"cost": fake.random_element([12.5, 30, 88.8, 150]),
						"note": fake.random_element(notes),
						"entered_at": get_datetime(
							f"{log_date} {fake.random_int(8, 16):02d}:{fake.random_int(0, 59):02d}:00"
						),
					}
				)
	insert_logs(types, rows)
	return frappe._dict(
		team=team, other_head=other_head, other_rep=other_rep, rows=rows, customers=customers, types=types
	)


def expected_by(rows, key, from_date=START, to_date=END):
	sums = defaultdict(lambda: {"entries": 0, "minutes": 0, "effective_score": 0.0, "cost": 0.0})
	for row in rows:
		if from_date <= row["log_date"] <= to_date:
			bucket = sums[key(row)]
			bucket["entries"] += 1
			bucket["minutes"] += row["minutes"]
			bucket["effective_score"] += row["effective_score"]
			bucket["cost"] += row["cost"]
	return sums


def assert_matches(actual: list[dict], expected: dict, key):
	got = {key(r): r for r in actual}
	assert set(got) == set(expected)
	for k, sums in expected.items():
		assert got[k]["entries"] == sums["entries"], k
		assert got[k]["minutes"] == sums["minutes"], k
		assert got[k]["effective_score"] == pytest.approx(sums["effective_score"]), k
		assert got[k]["cost"] == pytest.approx(sums["cost"]), k


def test_daily_curves_equal_python_sums(generated):
	rows = daily_logs.diligence_ability(START, END, "Daily", sales_person=generated.team.head)
	mine = [r for r in generated.rows if r["sales_person"] != generated.other_rep]
	expected = expected_by(mine, lambda r: (str(r["log_date"]), r["sales_person"]))
	assert len(expected) > 100  # the generator made real data: many person-days
	assert_matches(rows, expected, lambda r: (r["period"], r["sales_person"]))

	# a shorter period and a smaller subtree
	from_date, to_date = add_days(START, 10), add_days(START, 20)
	rows = daily_logs.diligence_ability(from_date, to_date, sales_person=generated.team.lead)
	mine = [
		r
		for r in generated.rows
		if r["sales_person"] in (generated.team.lead, generated.team.rep, generated.team.rep2)
	]
	expected = expected_by(mine, lambda r: (str(r["log_date"]), r["sales_person"]), from_date, to_date)
	assert_matches(rows, expected, lambda r: (r["period"], r["sales_person"]))
	rows = daily_logs.diligence_ability(from_date, to_date, sales_person=generated.team.rep2)
	assert {r["sales_person"] for r in rows} == {generated.team.rep2}


def test_monthly_curves_and_team_grouping_equal_python_sums(generated):
	rows = daily_logs.diligence_ability(START, END, "Monthly")
	ours = {generated.team.rep, generated.team.rep2, generated.team.lead, generated.other_rep}
	rows = [r for r in rows if r["sales_person"] in ours]
	expected = expected_by(generated.rows, lambda r: (str(r["log_date"])[:7], r["sales_person"]))
	assert {k[0] for k in expected} == {"2025-03", "2025-04", "2025-05"}
	assert_matches(rows, expected, lambda r: (r["period"], r["sales_person"]))

	parent = {
		generated.team.rep: generated.team.lead,
		generated.team.rep2: generated.team.lead,
		generated.team.lead: generated.team.head,
	}
	rows = daily_logs.diligence_ability(
		START, END, "Monthly", sales_person=generated.team.head, group_by="Team"
	)
	mine = [r for r in generated.rows if r["sales_person"] in parent]
	expected = expected_by(mine, lambda r: (str(r["log_date"])[:7], parent[r["sales_person"]]))
	assert_matches(rows, expected, lambda r: (r["period"], r["team"]))


def test_daily_log_analysis_report(generated):
	columns, data, _message, chart, _summary = daily_log_analysis.execute(
		{
			"from_date": START,
			"to_date": END,
			"period": "Daily",
			"sales_person": generated.team.lead,
			"chart_on": "Minutes",
		}
	)
	assert [c["fieldname"] for c in columns] == [
		"period",
		"sales_person",
		"entries",
		"minutes",
		"effective_score",
		"cost",
		"days_below_standard",
	]
	mine = [
		r
		for r in generated.rows
		if r["sales_person"] in (generated.team.lead, generated.team.rep, generated.team.rep2)
	]
	assert sum(r["minutes"] for r in data) == sum(r["minutes"] for r in mine)
	assert chart["type"] == "line"
	assert len(chart["data"]["labels"]) == DAYS
	by_person = {d["name"]: d["values"] for d in chart["data"]["datasets"]}
	assert set(by_person) == {generated.team.lead, generated.team.rep, generated.team.rep2}
	day = add_days(START, 7)
	assert by_person[generated.team.rep][7] == sum(
		r["minutes"] for r in mine if r["sales_person"] == generated.team.rep and r["log_date"] == day
	)

	_columns, _data, _message, chart, _summary = daily_log_analysis.execute(
		{
			"from_date": START,
			"to_date": END,
			"period": "Monthly",
			"chart_on": "Effective Score",
			"sales_person": generated.team.lead,
		}
	)
	assert chart["data"]["labels"] == ["2025-03", "2025-04", "2025-05"]
	rep = {d["name"]: d["values"] for d in chart["data"]["datasets"]}[generated.team.rep]
	april = sum(
		r["effective_score"]
		for r in mine
		if r["sales_person"] == generated.team.rep and r["log_date"].month == 4
	)
	assert rep[1] == pytest.approx(april)


def test_bad_filters_are_refused(site):
	with pytest.raises(frappe.ValidationError):
		daily_logs.diligence_ability(END, START)
	with pytest.raises(frappe.ValidationError):
		daily_logs.diligence_ability(START, END, period="Weekly")


# --- data scope ---------------------------------------------------------------------------------------


def test_a_salesperson_sees_only_their_scope_in_every_report(generated, settings):
	team = generated.team
	frappe.db.set_single_value("Sales Process Settings", "leaderboard_visibility", "Hierarchy")
	# a repeated note for every person, so each has flags
	insert_logs(
		generated.types,
		[
			{
				"log_date": START,
				"sales_person": p,
				"customer": generated.customers[0],
				"activities": ["Call"],
				"note": "same",
				"minutes": 500,
			}
			for p in (team.rep, team.rep2, generated.other_rep)
			for _ in range(3)
		],
	)

	as_user(team.rep)
	assert {r["sales_person"] for r in daily_logs.diligence_ability(START, END)} == {team.rep}
	assert {r["team"] for r in daily_logs.diligence_ability(START, END, group_by="Team")} == {team.lead}
	# a filter on someone outside the scope returns nothing rather than their numbers
	assert daily_logs.diligence_ability(START, END, sales_person=generated.other_rep) == []
	assert {f["sales_person"] for f in daily_logs.false_report_flags(START, END)} == {team.rep}
	assert {r["sales_person"] for r in daily_logs.false_report_summary(START, END)} == {team.rep}
	assert {r["sales_person"] for r in daily_logs.leaderboard(START, END)} == {team.rep}
	with pytest.raises(frappe.PermissionError):
		daily_logs.trial_comparison(team.rep2)
	_columns, data, _message, _chart, _summary = daily_log_analysis.execute(
		{"from_date": START, "to_date": END}
	)
	assert {r["sales_person"] for r in data} == {team.rep}
	_columns, data, _message, _chart = false_report_analysis.execute(
		{"from_date": START, "to_date": END, "view": "By Sales Person"}
	)
	assert [r["sales_person"] for r in data] == [team.rep]
	_columns, data, _message, _chart = sales_leaderboard.execute({"from_date": START, "to_date": END})
	assert [r["sales_person"] for r in data] == [team.rep]

	as_user(team.lead)
	mine = {team.lead, team.rep, team.rep2}
	assert {r["sales_person"] for r in daily_logs.diligence_ability(START, END)} == mine
	assert {f["sales_person"] for f in daily_logs.false_report_flags(START, END)} == mine
	assert {r["sales_person"] for r in daily_logs.false_report_summary(START, END)} == mine

	frappe.set_user("Administrator")
	everyone = {
		f["sales_person"]
		for f in daily_logs.false_report_flags(START, END, sales_person=generated.other_head)
	}
	assert everyone == {generated.other_rep}


# --- leaderboard ---------------------------------------------------------------------------------------


def make_won(factory, sales_person, amount, at, credited_to=None, status="Won"):
	"""An opportunity of `sales_person` marked Won (status and a Won stage-log row at `at`)."""
	from sales_process.domain.opportunity import write_log

	opp = factory.opportunity(sales_person, amount=amount)
	frappe.db.set_value("Sales Opportunity", opp.name, "status", status, update_modified=False)
	write_log(
		opp.name,
		"Won",
		at=get_datetime(at),
		from_stage=opp.stage,
		to_stage=opp.stage,
		from_sales_person=sales_person,
		to_sales_person=credited_to or sales_person,
	)
	return opp.name


def test_leaderboard_numbers_and_ranks(generated, factory):
	team = generated.team
	make_won(factory, team.rep, 5000, add_days(START, 3))
	make_won(factory, team.rep, 2500, f"{END} 23:59:00")  # last minute of the period
	make_won(factory, team.rep2, 7000, add_days(START, -1))  # before the period
	make_won(factory, team.rep2, 9000, add_days(START, 5), status="Open")  # not Won any more
	make_won(factory, team.rep, 4000, add_days(START, 6), credited_to=team.lead)  # credited to the log row

	board = {r["sales_person"]: r for r in daily_logs.leaderboard(START, END)}
	ours = [team.rep, team.rep2, team.lead, generated.other_rep]
	sums = expected_by(generated.rows, lambda r: r["sales_person"])
	for person in ours:
		assert board[person]["minutes"] == sums[person]["minutes"]
		assert board[person]["entries"] == sums[person]["entries"]
		assert board[person]["effective_score"] == pytest.approx(sums[person]["effective_score"])
	assert board[team.rep]["won_amount"] == 7500
	assert board[team.rep]["won_count"] == 2
	assert board[team.lead]["won_amount"] == 4000
	assert board[team.rep2]["won_amount"] == 0
	assert board[generated.other_rep]["won_amount"] == 0

	# ranks among everyone on the board (1 = best, ties share)
	for measure in ("minutes", "effective_score", "won_amount"):
		for person in ours:
			better = sum(1 for r in board.values() if r[measure] > board[person][measure] + 1e-9)
			assert board[person][f"rank_{measure}"] == better + 1, (measure, person)
	assert (
		board[team.rep]["rank_won_amount"]
		< board[team.lead]["rank_won_amount"]
		< board[team.rep2]["rank_won_amount"]
	)

	_columns, data, _message, chart = sales_leaderboard.execute(
		{"from_date": START, "to_date": END, "rank_by": "Won Amount"}
	)
	assert [r["won_amount"] for r in data] == sorted((r["won_amount"] for r in data), reverse=True)
	assert data[0]["rank"] == 1
	assert chart["type"] == "bar"


def test_leaderboard_follows_its_visibility_setting(generated):
	team = generated.team
	everyone = {team.rep, team.rep2, team.lead, generated.other_rep}

	frappe.db.set_single_value("Sales Process Settings", "leaderboard_visibility", "Company")
	as_user(team.rep)
	assert everyone <= {r["sales_person"] for r in daily_logs.leaderboard(START, END)}

	frappe.db.set_single_value("Sales Process Settings", "leaderboard_visibility", "Hierarchy")
	assert {r["sales_person"] for r in daily_logs.leaderboard(START, END)} == {team.rep}
	as_user(team.lead)
	board = daily_logs.leaderboard(START, END)
	assert {r["sales_person"] for r in board} == {team.lead, team.rep, team.rep2}
	assert sorted(r["rank_minutes"] for r in board) == [1, 2, 3]  # ranked within what the user sees


# --- false-report rules ----------------------------------------------------------------------------------


@pytest.fixture
def small(factory, types, settings):
	team = factory.team()
	return frappe._dict(team=team, customers=[factory.customer() for _ in range(8)], types=types)


def test_stagnant_rule(small, factory):
	rep = small.team.rep
	stuck = factory.opportunity(rep, customer=small.customers[0])
	moving = factory.opportunity(rep, customer=small.customers[1])
	frappe.db.set_value("Sales Opportunity", stuck.name, "stage_entered_at", "2025-01-01 09:00:00")
	frappe.db.set_value("Sales Opportunity", moving.name, "stage_entered_at", "2025-03-01 09:00:00")
	day = getdate("2025-03-30")
	rows = insert_logs(
		small.types,
		[
			# 88 days in the stage
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[0],
				"opportunity": stuck.name,
				"stage": stuck.stage,
				"activities": ["Call"],
			},
			# 29 days: below the threshold of 30
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[1],
				"opportunity": moving.name,
				"stage": moving.stage,
				"activities": ["Call"],
			},
			# exactly 30 days: flagged
			{
				"log_date": add_days(day, 1),
				"sales_person": rep,
				"customer": small.customers[1],
				"opportunity": moving.name,
				"stage": moving.stage,
				"activities": ["Call"],
			},
		],
	)
	flags = flags_of(daily_logs.false_report_flags(day, add_days(day, 1), sales_person=rep), "stagnant")
	assert set(flags) == {rows[0]["name"], rows[2]["name"]}
	assert has_number(flags[rows[0]["name"]]["explanation"], 88)
	assert has_number(flags[rows[2]["name"]]["explanation"], 30)
	assert stuck.name in flags[rows[0]["name"]]["explanation"]
	assert flags[rows[0]["name"]]["stage"] == stuck.stage


def test_repeated_note_rule(small):
	rep, rep2 = small.team.rep, small.team.rep2
	day = getdate("2025-04-02")

	def entry(person, note, offset=0):
		return {
			"log_date": add_days(day, offset),
			"sales_person": person,
			"customer": small.customers[0],
			"activities": ["Call"],
			"note": note,
		}

	rows = insert_logs(
		small.types,
		[
			entry(rep, "Called, no answer"),
			entry(rep, "  called, NO answer\n", 1),
			entry(rep, "CALLED, NO ANSWER", 2),
			entry(rep2, "Called, no answer"),  # the same note, but another person, twice only
			entry(rep2, "called, no answer", 1),
			*(entry(rep2, "", i) for i in range(3)),  # empty notes never count
			*(entry(rep2, "   ", i) for i in range(2)),
			entry(rep, "Sent the quotation", 3),
		],
	)
	flags = flags_of(
		daily_logs.false_report_flags(day, add_days(day, 3), sales_person=small.team.lead), "repeated_note"
	)
	assert set(flags) == {rows[0]["name"], rows[1]["name"], rows[2]["name"]}
	assert has_number(flags[rows[0]["name"]]["explanation"], 3)
	assert "Called, no answer" in flags[rows[0]["name"]]["explanation"]

	# in a shorter period the same note is used twice only
	assert not flags_of(
		daily_logs.false_report_flags(day, add_days(day, 1), sales_person=rep), "repeated_note"
	)


def test_implausible_minutes_rule(small):
	rep = small.team.rep
	day = getdate("2025-04-03")
	rows = insert_logs(
		small.types,
		[
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[0],
				"activities": ["Call"],
				"minutes": 481,
			},
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[1],
				"activities": ["Call"],
				"minutes": 480,
			},
		],
	)
	flags = flags_of(daily_logs.false_report_flags(day, day, sales_person=rep), "implausible_minutes")
	assert set(flags) == {rows[0]["name"]}
	assert has_number(flags[rows[0]["name"]]["explanation"], 481)
	assert has_number(flags[rows[0]["name"]]["explanation"], 480)


def test_bulk_entry_rule(small):
	rep, rep2, lead = small.team.rep, small.team.rep2, small.team.lead
	day = getdate("2025-04-04")

	def burst(person, times, customers):
		return [
			{
				"log_date": day,
				"sales_person": person,
				"customer": customer,
				"activities": ["Call"],
				"entered_at": get_datetime(f"{day} {t}"),
			}
			for t, customer in zip(times, customers, strict=True)
		]

	six = small.customers[:6]
	late = ["19:00:00", "19:02:00", "19:05:00", "19:08:00", "19:11:00", "19:15:00"]
	rows = insert_logs(
		small.types,
		[
			*burst(rep, late, six),  # six customers within 15 minutes after 18:00: flagged
			*burst(rep, ["21:00:00"], six[:1]),  # later the same evening, alone: not flagged
			*burst(
				rep2, ["19:00:00", "19:04:00", "19:08:00", "19:12:00", "19:16:00", "19:20:00"], six
			),  # 20 min
			*burst(
				lead, ["16:00:00", "16:01:00", "16:02:00", "16:03:00", "16:04:00", "16:05:00"], six
			),  # daytime
			*burst(small.team.head, late, [*six[:5], six[0]]),  # five different customers only
		],
	)
	flags = flags_of(daily_logs.false_report_flags(day, day), "bulk_entry")
	assert set(flags) == {rows[i]["name"] for i in range(6)}
	explanation = flags[rows[3]["name"]]["explanation"]
	for number in (6, 15, 18):
		assert has_number(explanation, number)


def test_zero_cost_visit_rule(small):
	rep = small.team.rep
	day = getdate("2025-04-05")
	rows = insert_logs(
		small.types,
		[
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[0],
				"activities": ["Visit", "Call"],
				"cost": 0,
			},
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[1],
				"activities": ["Visit"],
				"cost": 45,
			},
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[2],
				"activities": ["Call", "Mail"],
				"cost": 0,
			},
		],
	)
	flags = flags_of(daily_logs.false_report_flags(day, day, sales_person=rep), "zero_cost_visit")
	assert set(flags) == {rows[0]["name"]}
	assert small.types["Visit"].name in flags[rows[0]["name"]]["explanation"]
	assert small.types["Call"].name not in flags[rows[0]["name"]]["explanation"]


def test_summaries_per_person_and_stage_count_the_flags(small, factory):
	rep, rep2 = small.team.rep, small.team.rep2
	opp = factory.opportunity(rep, customer=small.customers[0])
	frappe.db.set_value("Sales Opportunity", opp.name, "stage_entered_at", "2025-01-01 09:00:00")
	day = getdate("2025-04-06")
	insert_logs(
		small.types,
		[
			# rep: stagnant + zero-cost visit on one entry, implausible on another
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[0],
				"opportunity": opp.name,
				"stage": opp.stage,
				"activities": ["Visit"],
				"cost": 0,
			},
			{
				"log_date": day,
				"sales_person": rep,
				"customer": small.customers[1],
				"activities": ["Call"],
				"minutes": 600,
				"cost": 5,
			},
			# rep2: implausible twice
			{
				"log_date": day,
				"sales_person": rep2,
				"customer": small.customers[2],
				"activities": ["Call"],
				"minutes": 700,
				"cost": 5,
			},
			{
				"log_date": day,
				"sales_person": rep2,
				"customer": small.customers[3],
				"activities": ["Call"],
				"minutes": 900,
				"cost": 5,
			},
		],
	)
	by_person = {
		r["sales_person"]: r for r in daily_logs.false_report_summary(day, day, sales_person=small.team.head)
	}
	assert by_person[rep] == {
		"sales_person": rep,
		"stagnant": 1,
		"repeated_note": 0,
		"implausible_minutes": 1,
		"bulk_entry": 0,
		"zero_cost_visit": 1,
		# rows written in bulk without a chain version: from before check-ins (F2), not flagged
		"visit_without_check_in": 0,
		"check_in_far": 0,
		"silent": 0,
		"total": 3,
	}
	assert by_person[rep2]["implausible_minutes"] == 2 and by_person[rep2]["total"] == 2
	assert list(by_person) == [rep, rep2]  # most flags first

	by_stage = {
		r["stage"]: r
		for r in daily_logs.false_report_summary(day, day, by="Stage", sales_person=small.team.head)
	}
	assert by_stage[opp.stage]["stagnant"] == 1 and by_stage[opp.stage]["zero_cost_visit"] == 1
	assert by_stage[opp.stage]["total"] == 2
	assert by_stage[None]["implausible_minutes"] == 3

	_columns, data, _message, chart = false_report_analysis.execute(
		{"from_date": day, "to_date": day, "view": "Flags", "sales_person": small.team.head}
	)
	assert len(data) == 5
	assert chart["type"] == "bar"
	assert chart["data"]["datasets"][0]["values"] == [1, 0, 3, 0, 1, 0, 0, 0]
	_columns, data, _message, chart = false_report_analysis.execute(
		{"from_date": day, "to_date": day, "view": "By Stage", "sales_person": small.team.head}
	)
	assert sum(r["total"] for r in data) == 5


# --- early warning ---------------------------------------------------------------------------------------


def test_early_warning_flags_a_falling_curve_only(small):
	rep, rep2 = small.team.rep, small.team.rep2
	as_of = getdate("2025-06-30")
	rows = []
	for day in range(42):  # 2025-05-20 .. 2025-06-30: 28 baseline days, then the last 14
		log_date = add_days(as_of, -41 + day)
		recent = day >= 28
		rows.append(
			{
				"log_date": log_date,
				"sales_person": rep,
				"customer": small.customers[0],
				"activities": ["Call"],
				"minutes": 20 if recent else 60,
			}
		)
		# rep2: steady minutes and a score that falls by a quarter only (demo 4 → visit 3; threshold 40 %)
		rows.append(
			{
				"log_date": log_date,
				"sales_person": rep2,
				"customer": small.customers[1],
				"activities": ["Visit"] if recent else ["Demo"],
				"minutes": 45,
				"cost": 10,
			}
		)
	rows.append(
		{
			"log_date": add_days(as_of, -50),
			"sales_person": rep2,
			"customer": small.customers[1],
			"activities": ["Call"],
			"minutes": 900,
		}
	)
	insert_logs(small.types, rows)

	warnings = {w["sales_person"]: w for w in daily_logs.early_warning(as_of, sales_person=small.team.head)}
	assert set(warnings) == {rep}
	w = warnings[rep]
	assert w["baseline_minutes"] == 840  # 28 days × 60 minutes, per 14 days
	assert w["recent_minutes"] == 280
	assert w["minutes_decline"] == pytest.approx(66.7)
	assert w["effective_score_decline"] == 0  # one call a day throughout
	for number in (840, 280, 66.7, 40):
		assert has_number(w["explanation"], number)
	assert warnings.get(rep2) is None  # its score fell by 25 % only

	_columns, data, _message, chart = false_report_analysis.execute(
		{"from_date": START, "to_date": as_of, "view": "Early Warning", "sales_person": small.team.head}
	)
	assert [r["sales_person"] for r in data] == [rep]
	assert chart["data"]["datasets"][0]["values"] == [66.7]

	# with a threshold of 70 % the 66.7 % fall no longer triggers
	frappe.db.set_single_value("Sales Process Settings", "decline_threshold_percent", 70)
	assert daily_logs.early_warning(as_of, sales_person=small.team.head) == []


# --- trial period ----------------------------------------------------------------------------------------


def test_trial_comparison_against_the_team_at_the_same_tenure(factory, types, settings):
	lead = factory.sales_person().name
	new = factory.sales_person(parent=lead, is_group=False, joined=getdate("2025-03-03")).name
	mate1 = factory.sales_person(parent=lead, is_group=False, joined=getdate("2024-06-03")).name
	mate2 = factory.sales_person(parent=lead, is_group=False, joined=getdate("2025-01-06")).name
	factory.sales_person(
		parent=lead, is_group=False, joined=getdate("2023-01-02")
	)  # no logs in trial: left out
	outsider = factory.sales_person(is_group=False, joined=getdate("2025-03-03")).name  # another team
	customer = factory.customer()

	def log(person, joined, day, minutes, activities=("Call",)):
		return {
			"log_date": add_days(getdate(joined), day),
			"sales_person": person,
			"customer": customer,
			"activities": list(activities),
			"minutes": minutes,
		}

	insert_logs(
		types,
		[
			# week 1 (tenure days 0–6)
			log(new, "2025-03-03", 0, 100, ("Demo",)),
			log(new, "2025-03-03", 6, 50),
			log(mate1, "2024-06-03", 1, 200),
			log(mate2, "2025-01-06", 2, 300, ("Visit", "Call")),
			log(mate2, "2025-01-06", 3, 100),
			# week 2: mate1 logs nothing (counts as 0), mate2 120
			log(new, "2025-03-03", 7, 40),
			log(mate2, "2025-01-06", 13, 120),
			# week 4 (days 21–27) and day 28, outside a 28-day trial
			log(new, "2025-03-03", 21, 70),
			log(new, "2025-03-03", 28, 999),
			log(mate1, "2024-06-03", 28, 999),
			# someone from another team at the same tenure
			log(outsider, "2025-03-03", 0, 5000),
		],
	)
	as_of = getdate("2025-03-19")  # day 16 of the new person's tenure: weeks 1–3 reached
	rows = daily_logs.trial_comparison(new, as_of=as_of)
	assert [r["week"] for r in rows] == [1, 2, 3, 4]
	week1, week2, week3, week4 = rows
	assert week1["week_start"] == getdate("2025-03-03")
	assert (week1["minutes"], week1["effective_score"]) == (150, 5)  # demo 4 + call 1
	assert week1["teammates"] == 2
	assert week1["team_minutes"] == 300  # (200 + 300 + 100) / 2
	assert week1["team_effective_score"] == 3  # (call 1 + visit 3 and call 1 + call 1) / 2
	assert (week2["minutes"], week2["team_minutes"]) == (40, 60)  # (0 + 120) / 2
	assert (week3["minutes"], week3["team_minutes"]) == (0, 0)
	assert week4["minutes"] is None and week4["effective_score"] is None  # not reached yet
	assert week4["team_minutes"] == 0 and week4["teammates"] == 2

	_columns, data, _message, chart = trial_period_comparison.execute({"sales_person": new, "as_of": as_of})
	assert chart["type"] == "line"
	assert chart["data"]["datasets"][0]["values"] == [150, 40, 0, None]
	assert chart["data"]["datasets"][1]["values"] == [300, 60, 0, 0]


def test_trial_comparison_needs_a_joining_date(factory, settings):
	person = factory.sales_person(is_group=False).name
	frappe.db.set_value("Sales Person", person, "employee", None)
	with pytest.raises(frappe.ValidationError):
		daily_logs.trial_comparison(person)


# --- through Frappe's report runner -----------------------------------------------------------------------

REPORTS = ("Daily Log Analysis", "False Report Analysis", "Sales Leaderboard", "Trial Period Comparison")


@pytest.fixture
def report_records(site):
	"""The Report records `bench migrate` creates from the JSON files, imported inside the test's
	transaction when the site has not been migrated since the reports were added."""
	import os

	from frappe.modules.import_file import import_file_by_path

	import sales_process

	for name in REPORTS:
		if not frappe.db.exists("Report", name):
			folder = frappe.scrub(name)
			path = os.path.join(os.path.dirname(sales_process.__file__), "sales_process", "report", folder)
			import_file_by_path(os.path.join(path, f"{folder}.json"), force=True)
	return REPORTS


def test_reports_run_for_a_sales_user_through_query_report(generated, report_records):
	from frappe.desk.query_report import run

	rep = generated.team.rep
	as_user(rep)
	filters = {"from_date": str(START), "to_date": str(END)}
	result = run("Daily Log Analysis", filters={**filters, "period": "Monthly"})
	rows = [r for r in result["result"] if isinstance(r, dict) and r.get("sales_person")]
	assert {r["sales_person"] for r in rows} == {rep}
	assert sum(r["minutes"] for r in rows) == sum(
		r["minutes"] for r in generated.rows if r["sales_person"] == rep
	)
	assert result["chart"]["type"] == "line"

	result = run("False Report Analysis", filters={**filters, "view": "By Stage"})
	assert result["chart"]["type"] == "bar"
	assert sum(r["total"] for r in result["result"]) == len(daily_logs.false_report_flags(START, END))

	result = run("Sales Leaderboard", filters={**filters, "rank_by": "Minutes"})
	assert len(result["result"]) == 4  # Company visibility: every person with logs

	result = run("Trial Period Comparison", filters={"sales_person": rep, "as_of": str(END)})
	assert [r["week"] for r in result["result"]] == [1, 2, 3, 4]
