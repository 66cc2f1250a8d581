"""K7: the daily pipeline snapshot (sales_process.domain.pipeline_snapshot) and the Sales Forecast's
trend view over it.

A small tree (head ─ lead ─ rep, rep2, from the Factory) holds opportunities written in bulk at
chosen stages, so every snapshot number is computed by hand below from the shipped stages'
probabilities, then checked again against an independent SQL sum over Sales Opportunity. The job
is run twice (same rows), after a change (the day replaced), and its rows are attacked through REST
and frappe.client as a Sales Manager."""

import json

import pytest

import frappe
from frappe.desk.query_report import run
from frappe.utils import add_days, get_first_day, getdate, now_datetime, today

from sales_process.domain import pipeline_snapshot
from sales_process.domain.bulk import insert_autoincrement
from sales_process.reports import pipeline
from sales_process.sales_process.report.sales_forecast import sales_forecast
from sales_process.scheduled import pipeline as scheduled
from tests.factories import bulk_opportunities
from tests.integration.rest import message

SNAP = "Sales Pipeline Snapshot"
# the shipped stages (P1) and the probabilities the hand-computed numbers below assume
PROBABILITY = {
	"线索确认": 10,
	"需求调研": 20,
	"方案/演示": 40,
	"报价": 60,
	"签约": 90,
	"赢单": 100,
	"输单": 0,
}
MEASURES = ("open_count", "open_amount", "weighted_amount", "won_count", "won_amount")
ROW_FIELDS = ["snapshot_date", "sales_person", "is_team", "company", "currency", *MEASURES]


@pytest.fixture
def tree(factory):
	"""rep: open 10,000 in 线索确认 (10 %) and 20,000 in 方案/演示 (40 %), won 8,000 this month,
	lost 3,000; rep2: open 5,000 in 需求调研 (20 %) and 2,500.50 in 签约 (90 %), won 6,000 last month;
	lead (a group, holding a confiscated one): open 4,000 in 报价 (60 %); head: nothing of its own."""
	stages = {s.name: s.probability for s in pipeline.stages()}
	assert {s: stages[s] for s in PROBABILITY} == PROBABILITY, "the numbers assume the shipped stages"
	team = factory.team()
	customer = factory.customer()
	now = now_datetime()
	last_month = add_days(get_first_day(today()), -3)
	tag = frappe.generate_hash(length=6)
	plan = [
		("a", team.rep, "线索确认", "Open", 10000, now),
		("b", team.rep, "方案/演示", "Open", 20000, now),
		("c", team.rep, "赢单", "Won", 8000, now),
		("d", team.rep, "输单", "Lost", 3000, now),
		("e", team.rep2, "需求调研", "Open", 5000, now),
		("f", team.rep2, "签约", "Open", 2500.50, now),
		("g", team.rep2, "赢单", "Won", 6000, f"{last_month} 10:00:00"),
		("h", team.lead, "报价", "Open", 4000, now),
	]
	bulk_opportunities(
		[
			{
				"name": f"K7-{tag}-{key}",
				"customer": customer,
				"company": factory.company,
				"sales_person": person,
				"stage": stage,
				"status": status,
				"amount": amount,
				"stage_entered_at": entered,
			}
			for key, person, stage, status, amount, entered in plan
		]
	)
	return frappe._dict(
		team=team, company=factory.company, names={key: f"K7-{tag}-{key}" for key, *_ in plan}
	)


def expected_rows(t) -> dict:
	"""(sales_person, is_team) → the measures, computed by hand from the plan in `tree`."""
	rep = (2, 30000, 10000 * 0.10 + 20000 * 0.40, 1, 8000)  # weighted 9,000
	rep2 = (2, 7500.50, 5000 * 0.20 + 2500.50 * 0.90, 0, 0)  # weighted 3,250.45
	lead = (1, 4000, 4000 * 0.60, 0, 0)  # weighted 2,400
	team = tuple(a + b + c for a, b, c in zip(rep, rep2, lead, strict=True))  # 5, 41,500.50, 14,650.45
	return {
		(t.team.rep, 0): rep,
		(t.team.rep2, 0): rep2,
		(t.team.lead, 0): lead,
		(t.team.lead, 1): team,  # the lead's subtree: rep, rep2 and the lead's own
		(t.team.head, 1): team,  # the head's: the same people, nothing of its own
	}


def rows_of(t, day=None) -> dict:
	people = list(t.team.values())
	rows = frappe.get_all(
		SNAP,
		filters={"snapshot_date": getdate(day or today()), "sales_person": ("in", people)},
		fields=["name", *ROW_FIELDS],
	)
	result = {}
	for r in rows:
		key = (r.sales_person, r.is_team)
		assert key not in result, f"two rows for {key}"
		assert (r.company, r.currency) == (t.company, "CNY")
		result[key] = tuple(r[m] for m in MEASURES)
	return result


def assert_rows(actual: dict, expected: dict):
	assert set(actual) == set(expected)
	for key, values in expected.items():
		assert actual[key] == pytest.approx(values, abs=0.005), key


def sql_pipeline(sales_person: str, team: bool) -> tuple:
	"""The same measures straight from Sales Opportunity, written independently of the job: the
	probability joined from the stage table, the team through the nested set in plain SQL."""
	if team:
		who = """o.sales_person in (select m.name from `tabSales Person` m, `tabSales Person` g
			where g.name = %(sp)s and m.lft >= g.lft and m.rgt <= g.rgt)"""
	else:
		who = "o.sales_person = %(sp)s"
	row = frappe.db.sql(
		f"""select
			sum(o.status = 'Open'),
			coalesce(sum(if(o.status = 'Open', o.amount, 0)), 0),
			coalesce(sum(if(o.status = 'Open', o.amount * s.probability / 100, 0)), 0),
			sum(o.status = 'Won' and o.stage_entered_at >= %(month)s),
			coalesce(sum(if(o.status = 'Won' and o.stage_entered_at >= %(month)s, o.amount, 0)), 0)
		from `tabSales Opportunity` o join `tabSales Process Stage` s on s.name = o.stage
		where {who}""",
		{"sp": sales_person, "month": get_first_day(today())},
	)[0]
	return tuple(float(v or 0) for v in row)


def test_snapshot_rows_are_the_hand_computed_numbers_and_the_sql_sums(tree):
	result = scheduled.take_snapshot(commit=False)
	assert result["date"] == today() and result["persons"] >= 3 and result["teams"] >= 2
	rows = rows_of(tree)
	assert_rows(rows, expected_rows(tree))
	for (person, is_team), values in rows.items():
		assert values == pytest.approx(sql_pipeline(person, bool(is_team)), abs=0.005), (person, is_team)
	# a team row is the sum of its members' person rows
	members = [tree.team.lead, tree.team.rep, tree.team.rep2]
	summed = [sum(rows[(m, 0)][i] for m in members) for i in range(len(MEASURES))]
	assert rows[(tree.team.lead, 1)] == pytest.approx(summed)


def test_running_twice_gives_the_same_rows(tree):
	pipeline_snapshot.take(commit=False)
	day_count = frappe.db.count(SNAP, {"snapshot_date": today()})
	first = rows_of(tree)
	again = pipeline_snapshot.take(commit=False)
	assert rows_of(tree) == first
	assert frappe.db.count(SNAP, {"snapshot_date": today()}) == day_count == again["persons"] + again["teams"]
	duplicates = frappe.db.sql(
		"""select count(*) from `tabSales Pipeline Snapshot` where snapshot_date = %s
		group by sales_person, is_team, company, currency having count(*) > 1""",
		today(),
	)
	assert not duplicates


def test_a_change_then_a_rerun_replaces_the_day(tree):
	pipeline_snapshot.take(commit=False)
	old = {r.name for r in frappe.get_all(SNAP, {"snapshot_date": today()}, ["name"])}
	frappe.db.set_value("Sales Opportunity", tree.names["e"], "amount", 15000)  # rep2: +10,000 at 20 %
	frappe.db.set_value("Sales Opportunity", tree.names["h"], "status", "Lost")  # the lead's closes
	frappe.db.set_value("Sales Opportunity", tree.names["h"], "stage", "输单")
	pipeline_snapshot.take(commit=False)
	expected = expected_rows(tree)
	expected[(tree.team.rep2, 0)] = (2, 17500.50, 3000 + 2250.45, 0, 0)
	del expected[(tree.team.lead, 0)]  # nothing open or won of its own any more
	team = (4, 30000 + 17500.50, 9000 + 5250.45, 1, 8000)
	expected[(tree.team.lead, 1)] = expected[(tree.team.head, 1)] = team
	assert_rows(rows_of(tree), expected)
	new = {r.name for r in frappe.get_all(SNAP, {"snapshot_date": today()}, ["name"])}
	assert not old & new, "the day's rows were replaced, not added to"


def test_the_unique_index_refuses_a_second_row_for_a_day(tree):
	pipeline_snapshot.take(commit=False)
	row = frappe.get_all(SNAP, {"snapshot_date": today(), "sales_person": tree.team.rep}, ROW_FIELDS)[0]
	with pytest.raises(Exception) as refused:
		insert_autoincrement(SNAP, ROW_FIELDS, [tuple(row[f] for f in ROW_FIELDS)])
	assert frappe.db.is_unique_key_violation(refused.value)


def test_snapshots_cannot_be_made_or_changed_in_process(tree):
	pipeline_snapshot.take(commit=False)
	name = frappe.get_all(SNAP, {"snapshot_date": today(), "sales_person": tree.team.rep}, pluck="name")[0]
	doc = frappe.get_doc(SNAP, name)
	doc.open_amount = 1
	with pytest.raises(frappe.PermissionError):
		doc.save(ignore_permissions=True)
	forged = frappe.get_doc({"doctype": SNAP, "snapshot_date": today(), "sales_person": tree.team.rep})
	with pytest.raises(frappe.PermissionError):
		forged.insert(ignore_permissions=True)
	assert frappe.db.get_value(SNAP, name, "open_amount") == 30000
	# a System Manager (here Administrator) may delete a row, e.g. a day taken from bad data
	frappe.delete_doc(SNAP, name, ignore_permissions=True)
	assert not frappe.db.exists(SNAP, name)


# --- the trend view of the Sales Forecast -----------------------------------------------------------


def as_user(user: str, fn, *args, **kwargs):
	previous = frappe.session.user
	frappe.set_user(user)
	frappe.local.request_cache.clear()
	try:
		return fn(*args, **kwargs)
	finally:
		frappe.set_user(previous)


@pytest.fixture
def history(tree):
	"""Two earlier days written directly (the job only ever takes today), then today's by the job:
	rep weighted 5,000 → 7,000 → 9,000 (open 20,000 → 25,000 → 30,000); rep2 1,000 → 3,250.45 →
	3,250.45 (open 5,000 → 7,500.50 → 7,500.50); the lead's own only today (2,400; open 4,000).
	The earlier days carry team rows too, which the trend must not count a second time."""
	t = tree.team
	d2, d1 = add_days(today(), -2), add_days(today(), -1)
	rows = []
	for day, rep, rep2 in ((d2, (20000, 5000), (5000, 1000)), (d1, (25000, 7000), (7500.50, 3250.45))):
		for person, (amount, weighted_amount) in ((t.rep, rep), (t.rep2, rep2)):
			rows.append((day, person, 0, tree.company, "CNY", 1, amount, weighted_amount, 0, 0))
		team = (rep[0] + rep2[0], rep[1] + rep2[1])
		for group in (t.lead, t.head):
			rows.append((day, group, 1, tree.company, "CNY", 2, *team, 0, 0))
	insert_autoincrement(SNAP, ROW_FIELDS, rows)
	pipeline_snapshot.take(commit=False)
	return frappe._dict(tree=tree, days=[getdate(d2), getdate(d1), getdate(today())])


def run_trend(history, **filters):
	filters = {"show": "Trend", "trend_from": history.days[0], "trend_to": history.days[-1], **filters}
	return sales_forecast.execute(filters)


def series(result) -> dict:
	_columns, rows, _message, chart, summary, skip_total_row = result
	assert skip_total_row  # the days of a series do not add up
	datasets = {d["name"]: d["values"] for d in chart["data"]["datasets"]}
	assert chart["type"] == "line"
	return frappe._dict(
		labels=chart["data"]["labels"],
		weighted=datasets["Weighted Pipeline"],
		open=datasets["Open Amount"],
		rows=rows,
		summary={s["label"]: s["value"] for s in summary},
	)


def test_trend_chart_and_change_for_a_team(history):
	t = history.tree.team
	s = series(run_trend(history, sales_person=t.lead, company=history.tree.company))
	assert s.labels == [str(d) for d in history.days]
	assert s.weighted == pytest.approx([6000, 10250.45, 14650.45])
	assert s.open == pytest.approx([25000, 32500.50, 41500.50])
	assert [r["open_count"] for r in s.rows] == [2, 2, 5]
	assert [r["weighted_change"] for r in s.rows] == pytest.approx([0, 4250.45, 8650.45])
	assert s.rows[-1]["won_amount"] == 8000
	assert s.summary["Weighted Pipeline at Start"] == pytest.approx(6000)
	assert s.summary["Weighted Pipeline Now"] == pytest.approx(14650.45)
	assert s.summary["Weighted Change since Start"] == pytest.approx(8650.45)
	assert s.summary["Weighted Change %"] == pytest.approx(144.2)  # 8,650.45 / 6,000
	assert s.summary["Open Amount Change since Start"] == pytest.approx(16500.50)
	assert s.summary["Open Amount Change %"] == pytest.approx(66.0)  # 16,500.50 / 25,000
	# through the desk's report runner: the Forecast view keeps its total row, the Trend has none
	trend = {"show": "Trend", "trend_from": str(history.days[0]), "trend_to": str(history.days[-1])}
	desk = run("Sales Forecast", {**trend, "sales_person": t.lead, "company": history.tree.company})
	assert not desk["add_total_row"] and len(desk["result"]) == len(history.days)
	assert run("Sales Forecast", {"sales_person": t.lead})["add_total_row"]
	# the head's team is the same people: the same line
	assert series(run_trend(history, sales_person=t.head)).weighted == s.weighted
	# independent: the person rows of the lead's subtree, per day, in plain SQL
	sums = frappe.db.sql(
		"""select s.snapshot_date, sum(s.weighted_amount) from `tabSales Pipeline Snapshot` s
		where s.is_team = 0 and s.snapshot_date between %s and %s and s.sales_person in (
			select m.name from `tabSales Person` m, `tabSales Person` g
			where g.name = %s and m.lft >= g.lft and m.rgt <= g.rgt)
		group by s.snapshot_date order by s.snapshot_date""",
		(history.days[0], history.days[-1], t.lead),
	)
	assert [float(v) for _d, v in sums] == pytest.approx(s.weighted)


def test_a_rep_sees_only_their_own_trend(history, factory):
	t = history.tree.team
	rep, rep2 = factory.user_of(t.rep), factory.user_of(t.rep2)
	own = series(as_user(rep, run_trend, history))
	assert own.weighted == pytest.approx([5000, 7000, 9000])
	assert own.open == pytest.approx([20000, 25000, 30000])
	assert own.summary["Weighted Change %"] == pytest.approx(80.0)
	# asking for the whole team still shows only the rep's part of it
	assert series(as_user(rep, run_trend, history, sales_person=t.lead)).weighted == own.weighted
	# another rep's line is none of rep2's business: zeros, no change to report as a percentage
	other = series(as_user(rep2, run_trend, history, sales_person=t.rep))
	assert other.weighted == [0, 0, 0] and "Weighted Change %" not in other.summary
	assert series(as_user(rep2, run_trend, history)).weighted == pytest.approx([1000, 3250.45, 3250.45])


def test_trend_without_snapshots_says_so_and_bad_ranges_are_refused(tree):
	_columns, rows, note, chart, summary, _skip_total_row = sales_forecast.execute(
		{
			"show": "Trend",
			"trend_from": "2001-01-01",
			"trend_to": "2001-01-31",
			"sales_person": tree.team.lead,
		}
	)
	assert rows == [] and summary == [] and chart["data"]["labels"] == []
	assert "No pipeline snapshot" in note
	with pytest.raises(frappe.ValidationError):
		sales_forecast.execute({"show": "Trend", "trend_from": "2026-02-01", "trend_to": "2026-01-01"})


def test_the_forecast_view_is_unchanged_by_default(tree):
	"""Without "show" the report is the forecast (R2) as before: months and the stacked chart."""
	columns, _rows, _note, chart, _summary = sales_forecast.execute({"sales_person": tree.team.lead})
	assert columns[0]["fieldname"] == "month"
	assert chart["type"] == "axis-mixed"


# --- immutability through the API ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def committed(world):
	"""A committed person row of rep_a1 (the server cannot see a test's transaction), on a day no
	job takes."""
	frappe.db.rollback()
	day = "2001-02-03"
	insert_autoincrement(
		SNAP, ROW_FIELDS, [(day, world.sp["rep_a1"], 0, world.company, "CNY", 1, 1000, 100, 0, 0)]
	)
	frappe.db.commit()
	name = frappe.get_all(SNAP, {"snapshot_date": day, "sales_person": world.sp["rep_a1"]}, pluck="name")[0]
	yield name
	frappe.db.rollback()
	frappe.db.delete(SNAP, {"snapshot_date": day, "sales_person": world.sp["rep_a1"]})
	frappe.db.commit()


def stored(name):
	frappe.db.rollback()  # see what the server committed
	return frappe.db.get_value(SNAP, name, [*ROW_FIELDS, "modified"], as_dict=True)


@pytest.mark.parametrize("who", ("manager", "admin"))
def test_snapshot_rows_resist_every_client_entry_point(world, committed, who, tally):
	before = stored(committed)
	client = world[who]
	doc = client.get_doc(SNAP, committed).json()["data"]
	attempts = [
		("REST PUT", client.update(SNAP, committed, {"open_amount": 1, "weighted_amount": 1})),
		(
			"frappe.client.set_value",
			client.call(
				"frappe.client.set_value", doctype=SNAP, name=committed, fieldname="weighted_amount", value=1
			),
		),
		("frappe.client.save", client.call("frappe.client.save", doc=json.dumps({**doc, "open_amount": 1}))),
		(
			"REST POST",
			client.insert(SNAP, {"snapshot_date": "2001-02-04", "sales_person": world.sp["rep_a1"]}),
		),
		(
			"frappe.client.insert",
			client.call(
				"frappe.client.insert",
				doc=json.dumps(
					{"doctype": SNAP, "snapshot_date": "2001-02-05", "sales_person": world.sp["rep_a1"]}
				),
			),
		),
	]
	if who == "manager":  # a System Manager may delete (tested in process above)
		attempts += [
			("REST DELETE", client.delete(SNAP, committed)),
			("frappe.client.delete", client.call("frappe.client.delete", doctype=SNAP, name=committed)),
		]
	for label, r in attempts:
		tally("immutability attacks")
		assert r.status_code in (403, 417), (who, label, r.status_code, message(r))
	assert stored(committed) == before
	assert not frappe.db.exists(SNAP, {"snapshot_date": ("in", ["2001-02-04", "2001-02-05"])})


def test_a_rep_reads_their_own_snapshot_rows_only(world, committed):
	assert world["rep_a1"].get_doc(SNAP, committed).status_code == 200
	assert world["rep_b1"].get_doc(SNAP, committed).status_code == 403
	listed = world["rep_b1"].list(SNAP, filters=json.dumps({"name": committed}))
	assert listed.status_code == 200 and listed.json()["data"] == []
	# nor counted: frappe.client.get_count goes through the scope as well
	for who, expected in (("rep_a1", 1), ("rep_b1", 0), ("manager", 1)):
		r = world[who].call(
			"frappe.client.get_count", http="GET", doctype=SNAP, filters=json.dumps({"name": committed})
		)
		assert r.status_code == 200 and r.json()["message"] == expected, (who, message(r))


def test_the_demo_history_gives_the_trend_a_line(tree):
	"""The demo's step: today's snapshot by the job, PIPELINE_DAYS earlier days derived from it, each
	day's team rows rolled up from its person rows."""
	from sales_process.setup.demo import PIPELINE_DAYS, _Demo

	demo = _Demo(seed=7, scale=0.2)
	demo.pipeline_history()
	t = tree.team
	days = [getdate(add_days(today(), -back)) for back in range(PIPELINE_DAYS, -1, -1)]
	s = series(run_trend(frappe._dict(days=days), sales_person=t.lead))
	assert s.labels == [str(d) for d in days]
	assert s.weighted[-1] == pytest.approx(14650.45)  # today: the job's own numbers
	assert all(v > 0 for v in s.weighted) and len(set(s.weighted)) > 1
	# every day's team row is the sum of its members' person rows
	rows = frappe.db.sql(
		"""select snapshot_date, is_team, sum(weighted_amount) from `tabSales Pipeline Snapshot`
		where snapshot_date between %s and %s and ((is_team = 1 and sales_person = %s)
			or (is_team = 0 and sales_person in %s))
		group by snapshot_date, is_team""",
		(days[0], days[-1], t.lead, (t.lead, t.rep, t.rep2)),
	)
	by_day = {}
	for day, is_team, value in rows:
		by_day.setdefault(day, {})[is_team] = float(value)
	assert len(by_day) == PIPELINE_DAYS + 1
	for day, values in by_day.items():
		assert values[1] == pytest.approx(values[0], abs=0.01), day
