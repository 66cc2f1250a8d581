"""W2: the "Sales Process" workspace — its shortcuts, links, number cards and charts exist and point
at real things, and the cards and charts count only what the user may see (A1)."""

import json
import re

import pytest

import frappe
from frappe import _
from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as chart_data
from frappe.desk.doctype.dashboard_chart_source.dashboard_chart_source import get_config
from frappe.desk.doctype.number_card.number_card import get_result
from frappe.utils import now_datetime

from sales_process.reports import pipeline


def test_workspace_blocks_resolve():
	ws = frappe.get_doc("Workspace", "Sales Process")
	assert ws.module == "Sales Process" and ws.public
	blocks = json.loads(ws.content)
	cards = [b["data"]["number_card_name"] for b in blocks if b["type"] == "number_card"]
	charts = [b["data"]["chart_name"] for b in blocks if b["type"] == "chart"]
	shortcuts = [b["data"]["shortcut_name"] for b in blocks if b["type"] == "shortcut"]
	assert len(cards) >= 4 and len(charts) >= 3 and len(shortcuts) >= 6
	assert set(cards) == {c.number_card_name for c in ws.number_cards}
	assert set(charts) == {c.chart_name for c in ws.charts}
	assert set(shortcuts) == {s.label for s in ws.shortcuts}
	for name in cards:
		assert frappe.db.exists("Number Card", name), name
	for name in charts:
		assert frappe.db.exists("Dashboard Chart", name), name
		chart = frappe.get_doc("Dashboard Chart", name)
		if chart.chart_type == "Custom":
			assert frappe.db.exists("Dashboard Chart Source", chart.source), (name, chart.source)
	for s in ws.shortcuts:
		target = {"DocType": "DocType", "Report": "Report", "Page": "Page"}[s.type]
		assert frappe.db.exists(target, s.link_to), (s.type, s.link_to)
	for link in ws.links:
		if link.type == "Link":
			assert frappe.db.exists(link.link_type, link.link_to), (link.link_type, link.link_to)
	assert "sales-workbench" in {s.link_to for s in ws.shortcuts}
	assert "customer-referrals" in {s.link_to for s in ws.shortcuts}


def card_value(name: str) -> float:
	doc = frappe.get_doc("Number Card", name)
	return get_result(doc.as_json(), doc.filters_json)


def chart_values(name: str, filters=None) -> dict:
	"""A chart's data as the desk's chart widget fetches it: a Custom chart from the method its Dashboard
	Chart Source's script names, any other from Frappe's Dashboard Chart `get` (fresh, not cached)."""
	chart = frappe.get_doc("Dashboard Chart", name)
	if chart.chart_type != "Custom":
		return chart_data(chart_name=name, filters=filters, refresh=1)
	method = re.search(r'method:\s*"([^"]+)"', get_config(chart.source)).group(1)
	return frappe.get_attr(method)(filters=json.dumps(filters) if filters else chart.filters_json)


def open_stages() -> list[str]:
	return frappe.get_all(
		"Sales Process Stage", {"is_won": 0, "is_lost": 0}, pluck="name", order_by="sequence asc"
	)


def per_stage(chart: dict, dataset: int = 0) -> dict[str, float]:
	"""{stage: value} of the open-pipeline chart, whose labels are every open stage in process order
	(translated: stage names are translated data)."""
	stages = open_stages()
	assert chart["labels"] == [_(s) for s in stages]
	return dict(zip(stages, chart["datasets"][dataset]["values"], strict=True))


def test_number_cards_and_charts_follow_the_data_scope(factory):
	team = factory.team()
	mine = [factory.opportunity(team.rep, amount=amount) for amount in (1000, 2500)]
	factory.opportunity(team.rep2, amount=7000)

	frappe.set_user(factory.user_of(team.rep))
	assert card_value("Open Sales Opportunities") == 2
	assert card_value("Open Pipeline Amount") == 3500

	chart = chart_values("Open Pipeline by Stage")
	by_stage = per_stage(chart)
	expected = dict.fromkeys(open_stages(), 0)  # every open stage, the empty ones too
	for opp in mine:
		expected[opp.stage] = expected.get(opp.stage, 0) + opp.amount
	assert by_stage == expected

	frappe.set_user(factory.user_of(team.lead))
	assert card_value("Open Sales Opportunities") == 3
	assert card_value("Open Pipeline Amount") == 10500


def test_a_salesperson_sees_every_chart_of_the_workspace(factory):
	"""Frappe shows a chart that is not a report's only to users who can read its document type."""
	team = factory.team()
	frappe.set_user(factory.user_of(team.rep))
	charts = frappe.get_doc("Workspace", "Sales Process").charts
	for chart in charts:
		assert frappe.has_permission("Dashboard Chart", doc=chart.chart_name), chart.chart_name


def test_open_pipeline_chart_keeps_the_process_order_and_the_funnels_numbers(factory):
	"""Stages in process order whatever their amounts (a Group By chart sorts by amount), with the
	Sales Funnel's amount and weighted amount for the same user (R1)."""
	team = factory.team()
	stages = open_stages()
	assert len(stages) >= 3
	factory.opportunity(team.rep, amount=1000)  # the first stage, the smallest amount
	late = factory.opportunity(team.rep, amount=90000)
	frappe.db.set_value("Sales Opportunity", late.name, "stage", stages[2])  # test data: skip the process
	factory.opportunity(team.rep2, amount=5000)

	frappe.set_user(factory.user_of(team.rep))
	chart = chart_values("Open Pipeline by Stage")
	assert per_stage(chart) == {**dict.fromkeys(stages, 0), stages[0]: 1000, stages[2]: 90000}
	funnel = {r["stage"]: r for r in pipeline.funnel()}
	assert [d["name"] for d in chart["datasets"]] == ["Amount", "Weighted Amount"]
	assert per_stage(chart, 1) == {s: funnel[s]["weighted_amount"] for s in stages}
	assert 0 < per_stage(chart, 1)[stages[2]] <= 90000


def test_open_pipeline_chart_is_computed_for_each_user_and_takes_the_funnels_filters(factory):
	team = factory.team()
	stages = open_stages()
	factory.opportunity(team.rep, amount=1000)
	factory.opportunity(team.rep2, amount=7000)

	frappe.set_user(factory.user_of(team.lead))
	assert per_stage(chart_values("Open Pipeline by Stage"))[stages[0]] == 8000
	# no result shared between users (Frappe's chart cache keeps one per chart)
	frappe.set_user(factory.user_of(team.rep2))
	assert per_stage(chart_values("Open Pipeline by Stage"))[stages[0]] == 7000

	frappe.set_user(factory.user_of(team.lead))
	mine = chart_values("Open Pipeline by Stage", {"sales_person": team.rep})
	assert per_stage(mine)[stages[0]] == 1000
	# a filter cannot widen the scope: rep2 asking for the lead's team still sees only rep2's own
	frappe.set_user(factory.user_of(team.rep2))
	assert per_stage(chart_values("Open Pipeline by Stage", {"sales_person": team.lead}))[stages[0]] == 7000


def test_open_pipeline_chart_refuses_bad_filters_and_users_without_access(factory):
	from sales_process.sales_process.dashboard_chart_source.open_pipeline_by_stage.open_pipeline_by_stage import (
		get,
	)

	team = factory.team()
	frappe.set_user(factory.user_of(team.rep))
	with pytest.raises(frappe.ValidationError, match="filters must be field names"):
		get(filters="[1, 2]")
	frappe.set_user(factory.user(roles=("Blogger",)))
	with pytest.raises(frappe.PermissionError):
		get()


def won(factory, sales_person: str, amount: float) -> str:
	"""An opportunity of `sales_person` won now (test data: the won stage set directly)."""
	opp = factory.opportunity(sales_person, amount=amount)
	won_stage = frappe.get_all("Sales Process Stage", {"is_won": 1}, pluck="name")[0]
	frappe.db.set_value(
		"Sales Opportunity",
		opp.name,
		{"status": "Won", "stage": won_stage, "stage_entered_at": now_datetime()},
	)
	return opp.name


def test_won_charts_count_the_won_opportunities_and_sum_their_amounts(factory):
	""" "Opportunities Won" (赢单商机数) counts; "Won Amount" (赢单金额) sums; both within the scope."""
	team = factory.team()
	won(factory, team.rep, 1000)
	won(factory, team.rep, 2500)
	won(factory, team.rep2, 7000)
	factory.opportunity(team.rep, amount=4000)  # open: in neither

	frappe.set_user(factory.user_of(team.rep))
	assert sum(chart_values("Opportunities Won")["datasets"][0]["values"]) == 2
	assert sum(chart_values("Won Amount")["datasets"][0]["values"]) == 3500
	frappe.set_user(factory.user_of(team.lead))
	assert sum(chart_values("Opportunities Won")["datasets"][0]["values"]) == 3
	assert sum(chart_values("Won Amount")["datasets"][0]["values"]) == 10500
