# Copyright (c) 2026, sales_process developers
# License: GNU General Public License v3. See license.txt
"""Lead Source Analysis (G8): per source, territory and month — leads, contacted, qualified,
converted, conversion rate, days to convert, won amount. The numbers come from
sales_process.reports.leads."""

import frappe
from frappe import _

from sales_process.reports import leads


@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	rows = leads.source_analysis(filters)
	group_by = filters.group_by or leads.SOURCE_GROUPINGS[-1]
	return columns(group_by), rows, None, leads.source_chart(rows), summary(rows)


def summary(rows: list[dict]) -> list[dict]:
	total = {k: sum(r[k] for r in rows) for k in ("leads", "contacted", "converted", "won_amount")}
	rate = round(100 * total["converted"] / total["leads"], 1) if total["leads"] else 0
	return [
		{"label": _("Leads"), "value": total["leads"], "datatype": "Int"},
		{"label": _("Contacted", context="Sales Lead"), "value": total["contacted"], "datatype": "Int"},
		{
			"label": _("Converted", context="Sales Lead"),
			"value": total["converted"],
			"datatype": "Int",
			"indicator": "Green",
		},
		{"label": _("Conversion Rate (%)"), "value": rate, "datatype": "Percent", "indicator": "Blue"},
		{
			"label": _("Won Amount"),
			"value": total["won_amount"],
			"datatype": "Currency",
			"currency": rows[0]["currency"] if rows else None,
			"indicator": "Green",
		},
	]


def columns(group_by: str) -> list[dict]:
	every = group_by == leads.SOURCE_GROUPINGS[-1]
	out = []
	if every or group_by == "Month":
		out.append({"fieldname": "month", "label": _("Month"), "fieldtype": "Data", "width": 90})
	if every or group_by == "Source":
		out.append(
			{
				"fieldname": "source",
				"label": _("Source", context="Sales Lead"),
				"fieldtype": "Link",
				"options": "Sales Lead Source",
				"width": 130,
			}
		)
	if every or group_by == "Territory":
		out.append(
			{
				"fieldname": "territory",
				"label": _("Territory"),
				"fieldtype": "Link",
				"options": "Territory",
				"width": 130,
			}
		)
	return out + [
		{"fieldname": "leads", "label": _("Leads"), "fieldtype": "Int", "width": 80},
		{
			"fieldname": "contacted",
			"label": _("Contacted", context="Sales Lead"),
			"fieldtype": "Int",
			"width": 95,
		},
		{
			"fieldname": "qualified",
			"label": _("Qualified", context="Sales Lead"),
			"fieldtype": "Int",
			"width": 90,
		},
		{
			"fieldname": "converted",
			"label": _("Converted", context="Sales Lead"),
			"fieldtype": "Int",
			"width": 95,
		},
		{
			"fieldname": "disqualified",
			"label": _("Disqualified", context="Sales Lead"),
			"fieldtype": "Int",
			"width": 100,
		},
		{
			"fieldname": "conversion_rate",
			"label": _("Conversion Rate (%)"),
			"fieldtype": "Percent",
			"width": 150,
		},
		{
			"fieldname": "avg_days_to_convert",
			"label": _("Average Days to Convert"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 170,
		},
		{"fieldname": "won_opportunities", "label": _("Won Opportunities"), "fieldtype": "Int", "width": 140},
		{
			"fieldname": "won_amount",
			"label": _("Won Amount"),
			"fieldtype": "Currency",
			"options": "currency",
			"width": 130,
		},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
	]
