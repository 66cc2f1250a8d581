"""R1/R3: the Opportunity Stage Summary, kept by the stage log's writer, against hand-computed numbers
and against the log itself (`stage_history.differences`), through moves, a confiscation, a keep,
reassignments, a rebuild, a change of the stage sequence and the bench command."""

import json
from datetime import timedelta

import pytest

import frappe
from frappe.utils import get_datetime

from sales_process.domain import opportunity as domain
from sales_process.domain import stage_history
from sales_process.reports import pipeline
from sales_process.scheduled.deadlines import confiscate_overdue
from tests.integration.rest import message
from tests.integration.test_deadlines import T0, at
from tests.integration.test_zz_lifecycle import bench

SUMMARY = "Opportunity Stage Summary"
TOTALS = "Opportunity Stage Totals"
TOTALS_FIELDS = ["entered", "converted", "entries", "exits", "timed_exits", "days", "late", "confiscations"]
FIRST, SECOND, THIRD = "线索确认", "需求调研", "方案/演示"  # limits 7 and 14 days (P1 fixtures)
FIELDS = ["first_entered_at", "entries", "exits", "timed_exits", "days", "max_days", "late"]
FIELDS += ["confiscations", "converted"]


@pytest.fixture
def settings():
	s = frappe.get_single("Sales Process Settings")
	s.update(
		{"confiscation_grace_hours": 0, "restart_deadline_on_confiscation": 1, "confiscation_pool": None}
	)
	s.save()
	return s


def evidence(stage: str) -> dict:
	return {c.criterion: "ok" for c in frappe.get_doc("Sales Process Stage", stage).exit_criteria}


def advance_as(factory, sales_person: str, name: str, to_stage: str, current: str):
	frappe.set_user(factory.user_of(sales_person))
	try:
		domain.advance(name, to_stage, evidence(current))
	finally:
		frappe.set_user("Administrator")


def summary_of(name: str) -> dict:
	rows = frappe.get_all(SUMMARY, {"opportunity": name}, ["stage", *FIELDS])
	return {r.stage: tuple(r[f] for f in FIELDS) for r in rows}


def history(factory, team):
	"""T0 created; +9 d advanced (a 9-day stay in a 7-day stage: late); +11 d moved back by a
	manager; +12 d advanced again; +30 d confiscated to the lead (14-day limit passed); +31 d kept."""
	with at(timedelta()):
		doc = factory.opportunity(team.rep)
	with at(timedelta(days=9)):
		advance_as(factory, team.rep, doc.name, SECOND, FIRST)
	with at(timedelta(days=11)):
		domain.advance(doc.name, FIRST)  # Administrator: a manager moves back
	with at(timedelta(days=12)):
		advance_as(factory, team.rep, doc.name, SECOND, FIRST)
	with at(timedelta(days=30)):
		confiscate_overdue(commit=False)
	assert frappe.db.get_value("Sales Opportunity", doc.name, "sales_person") == team.lead
	with at(timedelta(days=31)):
		frappe.set_user(factory.user_of(team.lead))
		domain.keep_opportunity(doc.name)
		frappe.set_user("Administrator")
	return doc.name


def test_the_summary_of_a_real_history_matches_hand_computed_numbers_and_the_log(factory, settings):
	team = factory.team()
	name = history(factory, team)
	t0 = get_datetime(T0)
	assert summary_of(name) == {
		# first entry, entries, exits, timed exits, days, longest, late, confiscations, converted
		FIRST: (t0, 2, 2, 2, 10.0, 9.0, 1, 0, 1),
		SECOND: (t0 + timedelta(days=9), 2, 1, 1, 2.0, 2.0, 0, 1, 0),
	}
	assert stage_history.differences([name]) == []
	actions = frappe.get_all("Opportunity Stage Log", {"opportunity": name}, pluck="action", order_by="name")
	assert actions == ["Create", "Advance", "Move Back", "Advance", "Confiscate", "Keep"]

	# the reports read it: the team's funnel and stage durations
	funnel = {r["stage"]: r for r in pipeline.funnel({"sales_person": team.head})}
	assert (funnel[FIRST]["entered"], funnel[FIRST]["converted"], funnel[FIRST]["avg_days"]) == (1, 1, 5.0)
	assert funnel[FIRST]["conversion_rate"] == 100.0
	assert (funnel[SECOND]["entered"], funnel[SECOND]["converted"], funnel[SECOND]["avg_days"]) == (1, 0, 2.0)
	assert (funnel[SECOND]["count"], funnel[THIRD]["entered"]) == (1, 0)
	durations = {r["stage"]: r for r in pipeline.stage_duration({"sales_person": team.head})}
	first, second = durations[FIRST], durations[SECOND]
	assert (first["entries"], first["completed"], first["max_days"], first["confiscations"]) == (2, 2, 9.0, 0)
	assert (second["entries"], second["completed"], second["max_days"]) == (2, 1, 2.0)
	assert (second["confiscations"], second["confiscation_rate"]) == (1, 50.0)


def test_a_longer_history_in_the_same_stages_adds_no_summary_rows(factory, settings):
	"""The funnel's cost follows opportunities × stages: reassignments lengthen the log, not the summary."""
	team = factory.team()
	name = factory.opportunity(team.rep).name
	rows_before = frappe.db.count(SUMMARY, {"opportunity": name})
	for i in range(12):
		domain.reassign(name, team.rep2 if i % 2 == 0 else team.rep)
	assert frappe.db.count("Opportunity Stage Log", {"opportunity": name}) == 13
	assert frappe.db.count(SUMMARY, {"opportunity": name}) == rows_before == 1
	assert summary_of(name)[FIRST][1:] == (1, 0, 0, 0.0, 0.0, 0, 0, 0)
	assert stage_history.differences([name]) == []


def test_rebuild_restores_what_was_lost_and_the_check_notices_a_difference(factory, settings):
	team = factory.team()
	name = history(factory, team)
	kept = summary_of(name)
	frappe.db.delete(SUMMARY, {"opportunity": name, "stage": SECOND})
	frappe.db.sql(f"update `tab{SUMMARY}` set days = days + 1 where opportunity = %s", name)
	wrong = stage_history.differences([name])
	assert {(w["stage"], w["summary"] is None) for w in wrong} == {(FIRST, False), (SECOND, True)}
	assert stage_history.rebuild([name]) == 2
	assert summary_of(name) == kept
	assert stage_history.differences([name]) == []


def test_a_new_stage_sequence_recomputes_conversion(factory, settings):
	"""`converted` follows the configured order: put the third stage before the second and the
	opportunity that went first → second no longer converted its first stage (it never entered
	the new next one)."""
	team = factory.team()
	name = factory.opportunity(team.rep).name
	advance_as(factory, team.rep, name, SECOND, FIRST)
	assert summary_of(name)[FIRST][-1] == 1
	stage = frappe.get_doc("Sales Process Stage", THIRD)
	stage.sequence = 15  # between FIRST (10) and SECOND (20); the refresh runs on save (now in tests)
	stage.save()
	assert summary_of(name)[FIRST][-1] == 0
	assert stage_history.differences([name]) == []
	funnel = {r["stage"]: r for r in pipeline.funnel({"sales_person": team.head})}
	assert (funnel[FIRST]["next_stage"], funnel[FIRST]["converted"]) == (THIRD, 0)


def totals_of(sales_person: str) -> dict[str, tuple]:
	rows = frappe.get_all(TOTALS, {"sales_person": sales_person}, ["stage", *TOTALS_FIELDS])
	return {r.stage: tuple(r[f] for f in TOTALS_FIELDS) for r in rows if any(r[f] for f in TOTALS_FIELDS)}


def test_the_totals_follow_the_owner_and_give_the_funnel_the_summary_numbers(factory, settings):
	"""The stage × owner totals of the hand-computed history: counted for the rep while the rep held
	it, moved whole to the lead by the confiscation, and equal to what the summary gives."""
	team = factory.team()
	with at(timedelta()):
		name = factory.opportunity(team.rep).name
	with at(timedelta(days=9)):
		advance_as(factory, team.rep, name, SECOND, FIRST)
	# entered, converted, entries, exits, timed exits, days, late, confiscations
	assert totals_of(team.rep) == {FIRST: (1, 1, 1, 1, 1, 9.0, 1, 0), SECOND: (1, 0, 1, 0, 0, 0.0, 0, 0)}
	assert totals_of(team.lead) == {}
	# a second opportunity with the history above; the job at +30 d confiscates both (the first one's
	# 14-day stage ended at +23 d), so the rep has nothing left and the lead holds both
	name = history(factory, team)
	assert totals_of(team.rep) == {}
	assert totals_of(team.lead) == {FIRST: (2, 2, 3, 3, 3, 19.0, 2, 0), SECOND: (2, 0, 3, 1, 1, 2.0, 0, 2)}
	domain.reassign(name, team.rep2)
	assert totals_of(team.lead) == {FIRST: (1, 1, 1, 1, 1, 9.0, 1, 0), SECOND: (1, 0, 1, 0, 0, 0.0, 0, 1)}
	assert totals_of(team.rep2) == {FIRST: (1, 1, 2, 2, 2, 10.0, 1, 0), SECOND: (1, 0, 2, 1, 1, 2.0, 0, 1)}
	assert stage_history.differences() == []  # the whole site: log, summary, owners and totals

	# the unfiltered funnel (and one on the team) reads the totals; with `longest` the summary
	stage_rows = pipeline.stages()
	for f in ({}, {"sales_person": team.head}):
		fast = pipeline._stage_history(stage_rows, frappe._dict(f), None)
		exact = pipeline._stage_history(stage_rows, frappe._dict(f), None, longest=True)
		for stage in fast:
			assert {**exact[stage], "max_days": None} == fast[stage], (f, stage)
	team_funnel = {r["stage"]: r for r in pipeline.funnel({"sales_person": team.head})}
	assert (team_funnel[FIRST]["entered"], team_funnel[FIRST]["converted"]) == (2, 2)
	assert team_funnel[FIRST]["avg_days"] == round(19.0 / 3, 2)


def test_a_merge_of_two_sales_people_adds_their_totals_up(factory, settings):
	team = factory.team()
	factory.opportunity(team.rep)
	factory.opportunity(team.rep2)
	frappe.rename_doc("Sales Person", team.rep2, team.rep, merge=True)
	assert totals_of(team.rep)[FIRST][:3] == (2, 0, 2)
	assert frappe.db.count(TOTALS, {"sales_person": team.rep, "stage": FIRST}) == 1
	assert stage_history.differences() == []


def test_the_bench_command_finds_the_whole_site_summary_equal_to_the_log():
	"""Every writer of the log kept the summary: on the committed site, nothing differs."""
	out = bench("sales-process-rebuild-stage-summary", "--check")
	assert out.returncode == 0, out.stdout + out.stderr
	assert "0 rows differ" in out.stdout


@pytest.mark.parametrize("doctype", (SUMMARY, TOTALS))
@pytest.mark.parametrize("who", ("manager", "admin"))
def test_summary_rows_resist_every_entry_point(world, who, doctype, tally):
	"""Derived data is as immutable as the log it comes from: form, REST, frappe.client and delete are
	refused for a Sales Manager and for Administrator, in process too; for the summary and for the
	stage × owner totals."""
	r = world["rep_a1"].insert("Sales Opportunity", world.opportunity_doc(world.customer()))
	assert r.status_code == 200, message(r)
	opp = r.json()["data"]["name"]
	frappe.db.rollback()  # see what the server committed
	if doctype == SUMMARY:
		name = frappe.get_all(SUMMARY, {"opportunity": opp}, pluck="name")[0]
		fields = ["stage", *FIELDS, "modified"]
		forged = {"doctype": SUMMARY, "opportunity": opp, "stage": SECOND, "entries": 5}
	else:
		name = frappe.get_all(TOTALS, {"stage": FIRST, "sales_person": world.sp["rep_a1"]}, pluck="name")[0]
		fields = ["stage", "sales_person", *TOTALS_FIELDS, "modified"]
		forged = {"doctype": TOTALS, "stage": SECOND, "sales_person": world.sp["rep_b1"], "entries": 5}
	before = frappe.db.get_value(doctype, name, fields, as_dict=True)
	assert before.stage == FIRST
	assert before.entries == 1 if doctype == SUMMARY else before.entries >= 1  # the rep's other ones
	rows_before = frappe.db.count(doctype)
	client = world[who]
	doc = client.get_doc(doctype, name).json().get("data") or {"doctype": doctype, "name": name}
	attempts = [
		("REST PUT", client.update(doctype, name, {"entries": 9, "days": 99})),
		(
			"frappe.client.set_value",
			client.call("frappe.client.set_value", doctype=doctype, name=name, fieldname="days", value=9),
		),
		("frappe.client.save", client.call("frappe.client.save", doc=json.dumps({**doc, "entries": 9}))),
		("REST POST", client.insert(doctype, forged)),
		("frappe.client.insert", client.call("frappe.client.insert", doc=json.dumps(forged))),
		("REST DELETE", client.delete(doctype, name)),
		("frappe.client.delete", client.call("frappe.client.delete", doctype=doctype, name=name)),
	]
	for label, resp in attempts:
		tally("immutability attacks")
		assert resp.status_code in (403, 417), (who, label, resp.status_code, message(resp))
	frappe.db.rollback()
	assert frappe.db.get_value(doctype, name, fields, as_dict=True) == before
	assert frappe.db.count(doctype) == rows_before
	# in process, past the permission check
	row = frappe.get_doc(doctype, name)
	row.entries = 9
	with pytest.raises(frappe.PermissionError):
		row.save(ignore_permissions=True)
	with pytest.raises(frappe.PermissionError):
		frappe.get_doc(forged).insert(ignore_permissions=True)
	with pytest.raises(frappe.PermissionError):
		frappe.delete_doc(doctype, name, ignore_permissions=True)
	frappe.db.rollback()
	assert frappe.db.get_value(doctype, name, "entries") == before.entries
