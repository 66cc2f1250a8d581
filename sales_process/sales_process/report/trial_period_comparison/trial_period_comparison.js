// Copyright (c) 2026, sales_process developers
// License: GNU General Public License v3. See license.txt

frappe.query_reports["Trial Period Comparison"] = {
	filters: [
		{
			fieldname: "sales_person",
			label: __("Sales Person"),
			fieldtype: "Link",
			options: "Sales Person",
			reqd: 1,
		},
		{
			fieldname: "as_of",
			label: __("As Of"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
		},
		{
			fieldname: "chart_on",
			label: __("Chart"),
			fieldtype: "Select",
			options: [
				{ value: "Minutes", label: __("Minutes") },
				{ value: "Effective Score", label: __("Effective Score") },
			],
			default: "Minutes",
		},
	],
};
