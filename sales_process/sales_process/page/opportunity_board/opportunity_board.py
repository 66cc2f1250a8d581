# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Opportunity Board: open Sales Opportunities as a kanban by stage.

Read-only: every row comes through frappe.get_list, so the user's hierarchy scope (A1,
permission_query_conditions) applies. Moving a card is done by the page calling
sales_process.api.opportunity.advance_stage, never by writing the stage here. Amounts are weighted
by the stage's probability, as on the workbench and in the reports (`domain.weighted`).
"""

import frappe
from frappe import _
from frappe.utils import flt

from sales_process.domain import hierarchy, opportunity, weighted

DOCTYPE = "Sales Opportunity"
CARDS_PER_STAGE = 500
CARD_FIELDS = (
	"name",
	"customer_name",
	"amount",
	"currency",
	"sales_person",
	"stage_due_at",
	"lost_requested",
	"previous_sales_person",
)
TABLE = f"`tab{DOCTYPE}`"
# most urgent first; stages without a time limit (no due time) last
CARD_ORDER = f"{TABLE}.`stage_due_at` is null, {TABLE}.`stage_due_at` asc, {TABLE}.`name` asc"


@frappe.whitelist(methods=["GET"])
def get_board(
	sales_person: str | None = None, customer_group: str | None = None, territory: str | None = None
) -> dict:
	"""{"stages": [...], "cards": {stage: [card]}, "totals": {stage: {count, amount, weighted}}}

	`stages` are the open stages and then the won stage, in sequence order. Totals cover every
	open opportunity of a stage in the user's scope; `cards` the CARDS_PER_STAGE most urgent."""
	stages = [*opportunity.open_stages(), opportunity.terminal_stage("is_won")]
	filters = _filters(sales_person, customer_group, territory)
	totals = {s.name: {"count": 0, "amount": 0.0, "weighted": 0.0} for s in stages}
	cards = {s.name: [] for s in stages}
	probability = {s.name: s.probability for s in stages}

	if filters is not None:
		for row in frappe.get_list(
			DOCTYPE,
			filters=filters,
			fields=[
				"stage",
				f"count({TABLE}.`name`) as count",
				f"sum({TABLE}.`amount`) as amount",
			],
			group_by=f"{TABLE}.`stage`",
			order_by=f"{TABLE}.`stage` asc",
		):
			if row.stage in totals:
				totals[row.stage] = {
					"count": row.count,
					"amount": flt(row.amount),
					"weighted": weighted.amount(row.amount, probability[row.stage]),
				}
		for stage in stages:
			if not totals[stage.name]["count"]:
				continue
			cards[stage.name] = [
				_card(row, stage.probability)
				for row in frappe.get_list(
					DOCTYPE,
					filters=[*filters, [DOCTYPE, "stage", "=", stage.name]],
					fields=list(CARD_FIELDS),
					order_by=CARD_ORDER,
					limit=CARDS_PER_STAGE,
				)
			]

	return {
		"stages": [
			{
				"name": s.name,
				"sequence": s.sequence,
				"probability": s.probability,
				"time_limit_days": s.time_limit_days,
				"is_won": s.is_won,
			}
			for s in stages
		],
		"cards": cards,
		"totals": totals,
	}


def _filters(sales_person: str | None, customer_group: str | None, territory: str | None) -> list | None:
	"""get_list filters for open opportunities; None when nothing can match."""
	filters = [[DOCTYPE, "status", "=", "Open"]]
	if sales_person:
		if not frappe.db.exists("Sales Person", sales_person):
			frappe.throw(
				_("Sales Person {0} does not exist.").format(sales_person), frappe.LinkValidationError
			)
		# the person's subtree; get_list intersects it with the user's own scope
		team = hierarchy.subtree(sales_person)
		if not team:
			return None
		filters.append([DOCTYPE, "sales_person", "in", team])
	for fieldname, doctype, value in (
		("customer_group", "Customer Group", customer_group),
		("territory", "Territory", territory),
	):
		if not value:
			continue
		if not frappe.db.exists(doctype, value):
			frappe.throw(_("{0} {1} does not exist.").format(_(doctype), value), frappe.LinkValidationError)
		# tree doctypes: a group includes everything below it
		filters.append([DOCTYPE, fieldname, "descendants of (inclusive)", value])
	return filters


def _card(row, probability: float) -> dict:
	return {
		"name": row.name,
		"customer_name": row.customer_name,
		"amount": flt(row.amount),
		"currency": row.currency,
		"sales_person": row.sales_person,
		"stage_due_at": row.stage_due_at,
		"probability": flt(probability),
		"lost_requested": bool(row.lost_requested),
		"previous_sales_person": row.previous_sales_person,
	}
