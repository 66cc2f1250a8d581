"""W2: the "Sales Process" workspace — its shortcuts, links, number cards and charts exist and point
at real things, and the cards and charts count only what the user may see (A1)."""

import json

import frappe
from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as chart_data
from frappe.desk.doctype.number_card.number_card import get_result


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


def test_number_cards_and_charts_follow_the_data_scope(factory):
	team = factory.team()
	mine = [factory.opportunity(team.rep, amount=amount) for amount in (1000, 2500)]
	factory.opportunity(team.rep2, amount=7000)

	frappe.set_user(factory.user_of(team.rep))
	assert card_value("Open Sales Opportunities") == 2
	assert card_value("Open Pipeline Amount") == 3500

	chart = chart_data(chart_name="Open Pipeline by Stage", refresh=1)
	by_stage = dict(zip(chart["labels"], chart["datasets"][0]["values"], strict=True))
	expected = {}
	for opp in mine:
		expected[opp.stage] = expected.get(opp.stage, 0) + opp.amount
	assert by_stage == expected

	frappe.set_user(factory.user_of(team.lead))
	assert card_value("Open Sales Opportunities") == 3
	assert card_value("Open Pipeline Amount") == 10500
