# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Sales Leaderboard (L6): effective score, minutes and won amount per salesperson with ranks.
Visible to the whole company or to the user's hierarchy (Sales Process Settings). The numbers come
from sales_process.reports."""

import frappe
from frappe import _
from frappe.utils import add_days, today

from sales_process.reports import daily_logs

RANK_BY = {"Effective Score": "effective_score", "Minutes": "minutes", "Won Amount": "won_amount"}


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	from_date = filters.from_date or add_days(today(), -29)
	to_date = filters.to_date or today()
	measure = RANK_BY.get(filters.rank_by or "Effective Score", "effective_score")

	rows = daily_logs.leaderboard(from_date, to_date, order_by=measure)
	for row in rows:  # the board's rows: put the chosen rank first
		row["rank"] = row[f"rank_{measure}"]
	top = rows[: daily_logs.CHART_SERIES]
	chart = daily_logs.count_chart(
		[row["sales_person"] for row in top], [(measure_label(measure), [row[measure] for row in top])]
	)
	return columns(), rows, None, chart


def measure_label(measure: str) -> str:
	return {
		"effective_score": _("Effective Score"),
		"minutes": _("Minutes"),
		"won_amount": _("Won Amount"),
		"help_given": _("Help Given"),
	}[measure]


def columns() -> list[dict]:
	return [
		{"fieldname": "rank", "label": _("Rank"), "fieldtype": "Int", "width": 70},
		{
			"fieldname": "sales_person",
			"label": _("Sales Person"),
			"fieldtype": "Link",
			"options": "Sales Person",
			"width": 180,
		},
		{
			"fieldname": "effective_score",
			"label": _("Effective Score"),
			"fieldtype": "Float",
			"precision": 2,
			"width": 120,
		},
		{"fieldname": "rank_effective_score", "label": _("Score Rank"), "fieldtype": "Int", "width": 100},
		{"fieldname": "minutes", "label": _("Minutes"), "fieldtype": "Int", "width": 100},
		{"fieldname": "rank_minutes", "label": _("Minutes Rank"), "fieldtype": "Int", "width": 110},
		{"fieldname": "entries", "label": _("Entries"), "fieldtype": "Int", "width": 80},
		{"fieldname": "won_amount", "label": _("Won Amount"), "fieldtype": "Currency", "width": 130},
		{"fieldname": "rank_won_amount", "label": _("Won Amount Rank"), "fieldtype": "Int", "width": 130},
		{"fieldname": "won_count", "label": _("Opportunities Won"), "fieldtype": "Int", "width": 130},
		{"fieldname": "help_given", "label": _("Help Given"), "fieldtype": "Float", "width": 110},
		{"fieldname": "rank_help_given", "label": _("Help Given Rank"), "fieldtype": "Int", "width": 120},
	]
